/*
 * json_example.c - TF Serving's REST classify/regress input: JSON examples
 * (and an optional context) -> serialized tf.Example protos.
 *
 * Feature kinds follow the JSON tokens: decimals -> float_list, integers and
 * booleans -> int64_list, strings and {"b64": ...} -> bytes_list. With a
 * context, each example is serialized as context bytes followed by the
 * example's bytes, so the example's features win (protobuf merge), as
 * ExampleListWithContext does.
 */
#include "server/json_example.h"

#include <stdlib.h>
#include <string.h>

#include "server/json_out.h"
#include "tensorflow/core/example/example.pb-c.h"
#include "tensorflow/core/example/feature.pb-c.h"

typedef enum { K_NONE, K_FLOAT, K_INT, K_BYTES } kind;

static const char *kind_name(kind k)
{
    return k == K_FLOAT ? "float" : k == K_INT ? "int64" : "bytes";
}

static const char *jtype(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "Object";
    case JSON_ARRAY:
        return "Array";
    case JSON_STRING:
        return "String";
    case JSON_INTEGER:
    case JSON_REAL:
        return "Number";
    case JSON_TRUE:
        return "True";
    case JSON_FALSE:
        return "False";
    default:
        return "Null";
    }
}

static kind elem_kind(const json_t *v)
{
    if (json_is_real(v))
        return K_FLOAT;
    if (json_is_integer(v) || json_is_boolean(v))
        return K_INT;
    if (json_is_string(v))
        return K_BYTES;
    if (json_is_object(v) && json_object_size(v) == 1 && json_is_string(json_object_get(v, "b64")))
        return K_BYTES;
    return K_NONE;
}

/* Fill one Feature from a scalar or flat list. Memory goes into `pool`
 * (a list of malloc'ed blocks freed by the caller). */
typedef struct pool {
    void **blocks;
    size_t n, cap;
} pool;

static void *pool_alloc(pool *p, size_t n)
{
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 16;
        void **nb = realloc(p->blocks, nc * sizeof *nb);
        if (!nb)
            return NULL;
        p->blocks = nb;
        p->cap = nc;
    }
    void *b = calloc(1, n ? n : 1);
    if (b)
        p->blocks[p->n++] = b;
    return b;
}

static void pool_free(pool *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->blocks[i]);
    free(p->blocks);
}

static tsd_code fill_feature(const char *name, json_t *v, Tensorflow__Feature *f, pool *p,
                             tsd_status *st)
{
    size_t n = json_is_array(v) ? json_array_size(v) : 1;
    kind k = K_NONE;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
        kind ek = elem_kind(e);
        if (ek == K_NONE)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "Feature: %s has element with unexpected JSON type: %s", name, jtype(e));
        if (k != K_NONE && ek != k)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "Unexpected element type in feature: %s expecting type: %s", name,
                           kind_name(k));
        k = ek;
    }
    if (k == K_NONE)
        k = K_FLOAT; /* an empty list: an empty float_list */
    tensorflow__feature__init(f);
    if (k == K_FLOAT) {
        Tensorflow__FloatList *l = pool_alloc(p, sizeof *l);
        float *vals = pool_alloc(p, n * sizeof *vals);
        if (!l || !vals)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        tensorflow__float_list__init(l);
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
            vals[i] = (float)json_number_value(e);
        }
        l->n_value = n;
        l->value = vals;
        f->kind_case = TENSORFLOW__FEATURE__KIND_FLOAT_LIST;
        f->float_list = l;
    } else if (k == K_INT) {
        Tensorflow__Int64List *l = pool_alloc(p, sizeof *l);
        int64_t *vals = pool_alloc(p, n * sizeof *vals);
        if (!l || !vals)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        tensorflow__int64_list__init(l);
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
            vals[i] = json_is_boolean(e) ? (json_is_true(e) ? 1 : 0) : json_integer_value(e);
        }
        l->n_value = n;
        l->value = vals;
        f->kind_case = TENSORFLOW__FEATURE__KIND_INT64_LIST;
        f->int64_list = l;
    } else {
        Tensorflow__BytesList *l = pool_alloc(p, sizeof *l);
        ProtobufCBinaryData *vals = pool_alloc(p, n * sizeof *vals);
        if (!l || !vals)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        tensorflow__bytes_list__init(l);
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
            if (json_is_string(e)) {
                vals[i].data = (uint8_t *)json_string_value(e);
                vals[i].len = json_string_length(e);
            } else {
                json_t *b = json_object_get(e, "b64");
                size_t bl = json_string_length(b);
                uint8_t *buf = pool_alloc(p, bl / 4 * 3 + 3);
                if (!buf)
                    return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
                long m = srv_base64_decode(json_string_value(b), bl, buf);
                if (m < 0)
                    return tsd_err(st, TSD_INVALID_ARGUMENT, "Unable to base64 decode");
                vals[i].data = buf;
                vals[i].len = (size_t)m;
            }
        }
        l->n_value = n;
        l->value = vals;
        f->kind_case = TENSORFLOW__FEATURE__KIND_BYTES_LIST;
        f->bytes_list = l;
    }
    return TSD_OK;
}

/* Serialize one JSON object as a tf.Example appended to *buf. */
static tsd_code encode_example(json_t *obj, srv_buf *out, tsd_status *st)
{
    if (!json_is_object(obj))
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Example must be JSON object but got JSON %s",
                       jtype(obj));
    pool p = {0};
    size_t n = json_object_size(obj);
    Tensorflow__Features features;
    tensorflow__features__init(&features);
    Tensorflow__Features__FeatureEntry **entries = pool_alloc(&p, n * sizeof *entries);
    tsd_code c = entries ? TSD_OK : tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    size_t k = 0;
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (c)
            break;
        Tensorflow__Features__FeatureEntry *e = pool_alloc(&p, sizeof *e);
        Tensorflow__Feature *f = pool_alloc(&p, sizeof *f);
        if (!e || !f) {
            c = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
            break;
        }
        tensorflow__features__feature_entry__init(e);
        e->key = (char *)key;
        e->value = f;
        c = fill_feature(key, v, f, &p, st);
        entries[k++] = e;
    }
    if (!c) {
        features.n_feature = k;
        features.feature = entries;
        Tensorflow__Example ex;
        tensorflow__example__init(&ex);
        ex.features = &features;
        size_t len = tensorflow__example__get_packed_size(&ex);
        uint8_t *bytes = pool_alloc(&p, len);
        if (!bytes) {
            c = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        } else {
            tensorflow__example__pack(&ex, bytes);
            srv_buf_put(out, (const char *)bytes, len);
        }
    }
    pool_free(&p);
    return c;
}

tsd_code srv_json_examples(json_t *root, const char *method, eng_tensor *out, char **storage,
                           tsd_status *st)
{
    *storage = NULL;
    json_t *ex = json_object_get(root, "examples");
    if (!ex)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "When method is %s, key 'examples' is expected and was not found", method);
    if (!json_is_array(ex))
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Expecting 'examples' value to be an list/array");
    size_t n = json_array_size(ex);
    if (n == 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "'examples' value is an empty array");
    json_t *ctx = json_object_get(root, "context");
    srv_buf ctxbuf = {0};
    tsd_code c = TSD_OK;
    if (ctx && (c = encode_example(ctx, &ctxbuf, st)))
        return c;
    srv_buf all = {0};
    size_t *offs = malloc((n + 1) * sizeof *offs);
    if (!offs) {
        srv_buf_free(&ctxbuf);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    for (size_t i = 0; i < n && !c; i++) {
        offs[i] = all.len;
        if (ctxbuf.len)
            srv_buf_put(&all, ctxbuf.data, ctxbuf.len);
        c = encode_example(json_array_get(ex, i), &all, st);
    }
    offs[n] = all.len;
    srv_buf_free(&ctxbuf);
    if (!c && all.oom)
        c = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    int64_t dim = (int64_t)n;
    if (!c)
        c = eng_tensor_alloc(out, ENG_DT_STRING, 1, &dim, st);
    if (!c) {
        eng_str *s = out->data;
        for (size_t i = 0; i < n; i++) {
            s[i].ptr = all.data ? all.data + offs[i] : "";
            s[i].len = offs[i + 1] - offs[i];
        }
        *storage = all.data;
    } else {
        srv_buf_free(&all);
    }
    free(offs);
    return c;
}
