/*
 * example_json.c - build a serialized tf.Example from a JSON object.
 *
 * Each feature's kind is decided per element from the JSON token (as TF
 * Serving's REST API does): real -> float, integer/bool -> int64,
 * string/{"b64"} -> bytes. Integers and booleans may mix; any other mix is
 * an error. The Example is assembled as protobuf-c messages on the heap and
 * packed with tensorflow__example__pack.
 */
#include "client/example_json.h"

#include <stdlib.h>
#include <string.h>

#include "tensorflow/core/example/example.pb-c.h"

/* Element kinds, ordered as Feature's oneof numbers. */
enum { K_NONE = 0, K_BYTES = 1, K_FLOAT = 2, K_INT64 = 3 };

static const char *kind_name(int k)
{
    return k == K_BYTES ? "bytes" : k == K_FLOAT ? "float" : "int64";
}

static const char *json_type_name(const json_t *v)
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

/* Value of one base64 digit, -1 if not one. */
static int b64_digit(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

int cli_b64_decode(const char *s, size_t n, uint8_t **out, size_t *outlen)
{
    while (n > 0 && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return -1;
    uint8_t *buf = malloc(n / 4 * 3 + 3);
    if (!buf)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int d = b64_digit((unsigned char)s[i]);
        if (d < 0) {
            free(buf);
            return -1;
        }
        acc = (acc << 6) | (uint32_t)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (uint8_t)(acc >> bits);
        }
    }
    *out = buf;
    *outlen = o;
    return 0;
}

/* Kind of one element (K_NONE if the token is not allowed). */
static int elem_kind(const json_t *v)
{
    if (json_is_real(v))
        return K_FLOAT;
    if (json_is_integer(v) || json_is_boolean(v))
        return K_INT64;
    if (json_is_string(v))
        return K_BYTES;
    if (json_is_object(v) && json_object_size(v) == 1 && json_is_string(json_object_get(v, "b64")))
        return K_BYTES;
    return K_NONE;
}

/* Fill feature f from a scalar or flat list. */
static tsd_code fill_feature(const char *key, const json_t *val, Tensorflow__Feature *f,
                             tsd_status *st)
{
    size_t n = json_is_array(val) ? json_array_size(val) : 1;
    int kind = K_NONE;
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_is_array(val) ? json_array_get(val, i) : val;
        int k = elem_kind(e);
        if (k == K_NONE)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "Feature: %s has element with unexpected JSON type: %s", key,
                           json_type_name(e));
        if (kind != K_NONE && k != kind)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "Unexpected element type in feature: %s expecting type: %s", key,
                           kind_name(kind));
        kind = k;
    }
    if (kind == K_NONE) /* empty list: a Feature with no kind */
        return TSD_OK;
    size_t cnt = n ? n : 1;
    if (kind == K_FLOAT) {
        Tensorflow__FloatList *l = malloc(sizeof *l);
        float *v = calloc(cnt, sizeof *v);
        if (!l || !v) {
            free(l);
            free(v);
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        }
        tensorflow__float_list__init(l);
        for (size_t i = 0; i < n; i++)
            v[i] = (float)json_real_value(json_is_array(val) ? json_array_get(val, i) : val);
        l->value = v;
        l->n_value = n;
        f->kind_case = TENSORFLOW__FEATURE__KIND_FLOAT_LIST;
        f->float_list = l;
    } else if (kind == K_INT64) {
        Tensorflow__Int64List *l = malloc(sizeof *l);
        int64_t *v = calloc(cnt, sizeof *v);
        if (!l || !v) {
            free(l);
            free(v);
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        }
        tensorflow__int64_list__init(l);
        for (size_t i = 0; i < n; i++) {
            const json_t *e = json_is_array(val) ? json_array_get(val, i) : val;
            v[i] = json_is_boolean(e) ? (json_is_true(e) ? 1 : 0) : (int64_t)json_integer_value(e);
        }
        l->value = v;
        l->n_value = n;
        f->kind_case = TENSORFLOW__FEATURE__KIND_INT64_LIST;
        f->int64_list = l;
    } else {
        Tensorflow__BytesList *l = malloc(sizeof *l);
        ProtobufCBinaryData *v = calloc(cnt, sizeof *v);
        if (!l || !v) {
            free(l);
            free(v);
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        }
        tensorflow__bytes_list__init(l);
        l->value = v;
        f->kind_case = TENSORFLOW__FEATURE__KIND_BYTES_LIST;
        f->bytes_list = l; /* owned by f from here on, freed with the Example */
        for (size_t i = 0; i < n; i++) {
            const json_t *e = json_is_array(val) ? json_array_get(val, i) : val;
            if (json_is_string(e)) {
                size_t len = json_string_length(e);
                v[i].data = malloc(len ? len : 1);
                if (!v[i].data)
                    return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
                memcpy(v[i].data, json_string_value(e), len);
                v[i].len = len;
            } else {
                const json_t *b = json_object_get(e, "b64");
                if (cli_b64_decode(json_string_value(b), json_string_length(b), &v[i].data,
                                   &v[i].len) != 0)
                    return tsd_err(st, TSD_INVALID_ARGUMENT, "Feature: %s: Unable to base64 decode",
                                   key);
            }
            l->n_value = i + 1;
        }
    }
    return TSD_OK;
}

tsd_code cli_example_from_json(const json_t *obj, uint8_t **out, size_t *len, tsd_status *st)
{
    *out = NULL;
    *len = 0;
    if (!json_is_object(obj))
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Example must be JSON object but got JSON %s",
                       json_type_name(obj));
    Tensorflow__Example *ex = malloc(sizeof *ex);
    Tensorflow__Features *fs = malloc(sizeof *fs);
    size_t nf = json_object_size(obj);
    Tensorflow__Features__FeatureEntry **ents = calloc(nf ? nf : 1, sizeof *ents);
    if (!ex || !fs || !ents) {
        free(ex);
        free(fs);
        free(ents);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    tensorflow__example__init(ex);
    tensorflow__features__init(fs);
    ex->features = fs;
    fs->feature = ents;
    tsd_code rc = TSD_OK;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        Tensorflow__Features__FeatureEntry *en = malloc(sizeof *en);
        Tensorflow__Feature *f = malloc(sizeof *f);
        char *k = strdup(key);
        if (!en || !f || !k) {
            free(en);
            free(f);
            free(k);
            rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
            break;
        }
        tensorflow__features__feature_entry__init(en);
        tensorflow__feature__init(f);
        en->key = k;
        en->value = f;
        ents[fs->n_feature++] = en;
        if ((rc = fill_feature(key, val, f, st)) != TSD_OK)
            break;
    }
    if (rc == TSD_OK) {
        size_t n = tensorflow__example__get_packed_size(ex);
        uint8_t *buf = malloc(n ? n : 1);
        if (!buf) {
            rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        } else {
            tensorflow__example__pack(ex, buf);
            *out = buf;
            *len = n;
        }
    }
    tensorflow__example__free_unpacked(ex, NULL);
    return rc;
}
