/*
 * json_tensor.c - REST predict JSON <-> tensors (see json_tensor.h).
 *
 * Shapes come from the first element at each nesting level and every other
 * element must match ("Expecting shape ..."), so a request can only produce
 * rectangular tensors; element counts are bounded before allocation.
 */
#include "server/json_tensor.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    case JSON_NULL:
        return "Null";
    }
    return "Unknown";
}

/* {"b64": "..."} counts as a value. */
static int is_b64(const json_t *v)
{
    return json_is_object(v) && json_object_size(v) == 1 && json_object_get(v, "b64");
}

/* Short text of a JSON value for error messages (<= 256 chars). */
static void value_text(const json_t *v, char *buf, size_t cap)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
    snprintf(buf, cap, "%.256s", s ? s : "?");
    free(s);
}

static tsd_code type_error(const json_t *v, eng_dtype dt, tsd_status *st)
{
    char txt[300];
    value_text(v, txt, sizeof txt);
    return tsd_err(st, TSD_INVALID_ARGUMENT, "JSON Value: %s Type: %s is not of expected type: %s",
                   txt, json_type_name(v), eng_dtype_name(dt));
}

/* Shape of a nested list value from its first elements. */
static tsd_code infer_shape(const json_t *v, int depth, int64_t *dims, int *rank,
                            const srv_json_limits *lim, tsd_status *st)
{
    *rank = 0;
    while (json_is_array(v)) {
        if (*rank >= ENG_MAX_RANK || *rank >= lim->max_depth)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "JSON nesting is too deep (max rank %d)",
                           ENG_MAX_RANK);
        dims[(*rank)++] = (int64_t)json_array_size(v);
        if (json_array_size(v) == 0)
            break;
        v = json_array_get(v, 0);
    }
    (void)depth;
    return TSD_OK;
}

typedef struct fill_ctx {
    eng_tensor *t;
    size_t pos;
    const srv_json_limits *lim;
    tsd_status *st;
} fill_ctx;

static tsd_code put_value(fill_ctx *fc, const json_t *v)
{
    eng_tensor *t = fc->t;
    size_t i = fc->pos++;
    switch (t->dtype) {
    case ENG_DT_FLOAT:
    case ENG_DT_DOUBLE: {
        double d;
        if (json_is_integer(v))
            d = (double)json_integer_value(v);
        else if (json_is_real(v))
            d = json_real_value(v);
        else
            return type_error(v, t->dtype, fc->st);
        if (t->dtype == ENG_DT_FLOAT)
            ((float *)t->data)[i] = (float)d;
        else
            ((double *)t->data)[i] = d;
        return TSD_OK;
    }
    case ENG_DT_INT32:
    case ENG_DT_INT16:
    case ENG_DT_INT8:
    case ENG_DT_UINT8: {
        if (!json_is_integer(v))
            return type_error(v, t->dtype, fc->st);
        json_int_t x = json_integer_value(v);
        int64_t lo = INT32_MIN, hi = INT32_MAX;
        if (t->dtype == ENG_DT_INT16) {
            lo = INT16_MIN;
            hi = INT16_MAX;
        } else if (t->dtype == ENG_DT_INT8) {
            lo = INT8_MIN;
            hi = INT8_MAX;
        } else if (t->dtype == ENG_DT_UINT8) {
            lo = 0;
            hi = UINT8_MAX;
        }
        if (x < lo || x > hi)
            return type_error(v, t->dtype, fc->st);
        if (t->dtype == ENG_DT_INT32)
            ((int32_t *)t->data)[i] = (int32_t)x;
        else if (t->dtype == ENG_DT_INT16)
            ((int16_t *)t->data)[i] = (int16_t)x;
        else if (t->dtype == ENG_DT_INT8)
            ((int8_t *)t->data)[i] = (int8_t)x;
        else
            ((uint8_t *)t->data)[i] = (uint8_t)x;
        return TSD_OK;
    }
    case ENG_DT_INT64:
        if (!json_is_integer(v))
            return type_error(v, t->dtype, fc->st);
        ((int64_t *)t->data)[i] = (int64_t)json_integer_value(v);
        return TSD_OK;
    case ENG_DT_UINT32:
    case ENG_DT_UINT64:
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            (t->dtype == ENG_DT_UINT32 && json_integer_value(v) > (json_int_t)UINT32_MAX))
            return type_error(v, t->dtype, fc->st);
        if (t->dtype == ENG_DT_UINT32)
            ((uint32_t *)t->data)[i] = (uint32_t)json_integer_value(v);
        else
            ((uint64_t *)t->data)[i] = (uint64_t)json_integer_value(v);
        return TSD_OK;
    case ENG_DT_BOOL:
        if (!json_is_boolean(v))
            return type_error(v, t->dtype, fc->st);
        ((uint8_t *)t->data)[i] = json_is_true(v) ? 1 : 0;
        return TSD_OK;
    case ENG_DT_STRING: {
        eng_str *s = &((eng_str *)t->data)[i];
        if (json_is_string(v)) {
            /* Strings point into the JSON document, which outlives the call. */
            s->ptr = json_string_value(v);
            s->len = json_string_length(v);
            return TSD_OK;
        }
        if (is_b64(v)) {
            const json_t *b = json_object_get(v, "b64");
            if (!json_is_string(b))
                return type_error(v, t->dtype, fc->st);
            size_t n = json_string_length(b);
            uint8_t *buf = malloc(n / 4 * 3 + 3);
            if (!buf)
                return tsd_err(fc->st, TSD_RESOURCE_EXHAUSTED, "out of memory");
            long m = srv_base64_decode(json_string_value(b), n, buf);
            if (m < 0) {
                free(buf);
                return tsd_err(fc->st, TSD_INVALID_ARGUMENT, "Unable to base64 decode");
            }
            /* Keep the decoded bytes alive with the document: replace the
             * b64 string value by the decoded bytes. */
            json_t *decoded = json_stringn_nocheck((const char *)buf, (size_t)m);
            free(buf);
            if (!decoded || json_object_set_new((json_t *)v, "b64", decoded))
                return tsd_err(fc->st, TSD_RESOURCE_EXHAUSTED, "out of memory");
            const json_t *d = json_object_get(v, "b64");
            s->ptr = json_string_value(d);
            s->len = json_string_length(d);
            /* mark as decoded so a second pass does not decode again */
            return TSD_OK;
        }
        return type_error(v, t->dtype, fc->st);
    }
    default:
        return tsd_err(fc->st, TSD_UNIMPLEMENTED, "Conversion of JSON Value to type: %s",
                       eng_dtype_name(t->dtype));
    }
}

/* Walk v (expected shape dims[level..]) in row-major order. */
static tsd_code fill(fill_ctx *fc, const json_t *v, const int64_t *dims, int rank, int level)
{
    if (level == rank) {
        if (json_is_array(v) || (json_is_object(v) && !is_b64(v)))
            return tsd_err(fc->st, TSD_INVALID_ARGUMENT,
                           "Encountered list at unexpected size or found at incorrect level");
        return put_value(fc, v);
    }
    if (!json_is_array(v))
        return tsd_err(fc->st, TSD_INVALID_ARGUMENT, "Expecting a list at level %d but got: %s",
                       level, json_type_name(v));
    if ((int64_t)json_array_size(v) != dims[level])
        return tsd_err(
            fc->st, TSD_INVALID_ARGUMENT,
            "Encountered list at unexpected size: %zu at level: %d expected size: %" PRId64,
            json_array_size(v), level, dims[level]);
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        tsd_code c = fill(fc, e, dims, rank, level + 1);
        if (c)
            return c;
    }
    return TSD_OK;
}

/* Build a tensor from one JSON value (batch = NULL) or from a list of
 * per-instance values (rows != NULL: shape [nrows] + shape(rows[0])). */
static tsd_code make_tensor(const json_t *v, json_t *const *rows, size_t nrows, eng_dtype dt,
                            const srv_json_limits *lim, eng_tensor *t, tsd_status *st)
{
    int64_t dims[ENG_MAX_RANK];
    int rank = 0;
    tsd_code c;
    if (rows) {
        int64_t sub[ENG_MAX_RANK];
        int srank;
        c = infer_shape(rows[0], 0, sub, &srank, lim, st);
        if (c)
            return c;
        if (srank + 1 > ENG_MAX_RANK)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "JSON nesting is too deep");
        dims[0] = (int64_t)nrows;
        memcpy(dims + 1, sub, (size_t)srank * sizeof *sub);
        rank = srank + 1;
    } else {
        c = infer_shape(v, 0, dims, &rank, lim, st);
        if (c)
            return c;
    }
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] != 0 && n > lim->max_elements / dims[i])
            return tsd_err(st, TSD_INVALID_ARGUMENT, "tensor has more than %" PRId64 " elements",
                           lim->max_elements);
        n *= dims[i];
    }
    c = eng_tensor_alloc(t, dt == ENG_DT_DOUBLE || dt == ENG_DT_FLOAT ? dt : dt, rank, dims, st);
    if (c)
        return c;
    fill_ctx fc = {t, 0, lim, st};
    if (rows) {
        for (size_t r = 0; r < nrows; r++) {
            c = fill(&fc, rows[r], dims, rank, 1);
            if (c) {
                if (c == TSD_INVALID_ARGUMENT && strstr(st->msg, "unexpected size")) {
                    char a[64], b2[64];
                    eng_shape_str(dims + 1, rank - 1, a, sizeof a);
                    int64_t got[ENG_MAX_RANK];
                    int grank;
                    infer_shape(rows[r], 0, got, &grank, lim, st);
                    eng_shape_str(got, grank, b2, sizeof b2);
                    tsd_err(st, TSD_INVALID_ARGUMENT, "Expecting shape %s but got: %s", a, b2);
                }
                eng_tensor_free_data(t);
                return c;
            }
        }
    } else {
        c = fill(&fc, v, dims, rank, 0);
        if (c) {
            eng_tensor_free_data(t);
            return c;
        }
    }
    return TSD_OK;
}

static int find_key(const char *const *keys, size_t n, const char *k)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i], k) == 0)
            return (int)i;
    return -1;
}

void srv_json_inputs_free(srv_json_inputs *in)
{
    for (size_t i = 0; i < in->n; i++)
        eng_tensor_free_data(&in->tensors[i]);
    free(in->tensors);
    free(in->names);
    memset(in, 0, sizeof *in);
}

static tsd_code alloc_inputs(srv_json_inputs *out, size_t n, tsd_status *st)
{
    out->tensors = calloc(n ? n : 1, sizeof *out->tensors);
    out->names = calloc(n ? n : 1, sizeof *out->names);
    if (!out->tensors || !out->names)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    return TSD_OK;
}

static tsd_code row_format(json_t *inst, const char *const *keys, const eng_dtype *dtypes,
                           size_t nkeys, const srv_json_limits *lim, srv_json_inputs *out,
                           tsd_status *st)
{
    if (!json_is_array(inst))
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Expecting 'instances' to be an list/array");
    size_t nrows = json_array_size(inst);
    if (nrows == 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "No values in 'instances' array");
    json_t *first = json_array_get(inst, 0);
    int objects = json_is_object(first) && !is_b64(first);
    if (!objects && nkeys != 1)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "instances is a plain list, but expecting list of objects as multiple "
                       "input tensors required as per tensorinfo_map");
    json_t **rows = malloc(nrows * sizeof *rows);
    if (!rows)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    tsd_code c = TSD_OK;
    if (!objects) {
        for (size_t r = 0; r < nrows; r++) {
            rows[r] = json_array_get(inst, r);
            if (json_is_object(rows[r]) && !is_b64(rows[r])) {
                c = tsd_err(st, TSD_INVALID_ARGUMENT,
                            "Expecting value/list but got object at item %zu", r);
                goto done;
            }
        }
        if ((c = alloc_inputs(out, 1, st)))
            goto done;
        out->names[0] = keys[0];
        if ((c = make_tensor(NULL, rows, nrows, dtypes[0], lim, &out->tensors[0], st)))
            goto done;
        out->n = 1;
        goto done;
    }
    /* list of objects: each object's keys must equal the input names */
    for (size_t r = 0; r < nrows; r++) {
        json_t *o = json_array_get(inst, r);
        if (!json_is_object(o) || is_b64(o)) {
            c = tsd_err(st, TSD_INVALID_ARGUMENT, "Expecting object but got list at item %zu", r);
            goto done;
        }
        int ok = json_object_size(o) == nkeys;
        for (size_t k = 0; ok && k < nkeys; k++)
            if (!json_object_get(o, keys[k]))
                ok = 0;
        if (!ok) {
            char want[512];
            size_t off = 0;
            for (size_t k = 0; k < nkeys && off < sizeof want; k++)
                off +=
                    (size_t)snprintf(want + off, sizeof want - off, "%s%s", k ? "," : "", keys[k]);
            c = tsd_err(st, TSD_INVALID_ARGUMENT,
                        "Failed to process element: %zu of 'instances' list. JSON object: keys "
                        "must be equal to: %s",
                        r, want);
            goto done;
        }
    }
    if ((c = alloc_inputs(out, nkeys, st)))
        goto done;
    for (size_t k = 0; k < nkeys; k++) {
        for (size_t r = 0; r < nrows; r++)
            rows[r] = json_object_get(json_array_get(inst, r), keys[k]);
        out->names[k] = keys[k];
        if ((c = make_tensor(NULL, rows, nrows, dtypes[k], lim, &out->tensors[k], st)))
            goto done;
        out->n = k + 1;
    }
done:
    free(rows);
    return c;
}

static tsd_code columnar_format(json_t *in, const char *const *keys, const eng_dtype *dtypes,
                                size_t nkeys, const srv_json_limits *lim, srv_json_inputs *out,
                                tsd_status *st)
{
    tsd_code c;
    if (!json_is_object(in) || is_b64(in)) {
        if (nkeys != 1)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "inputs is a plain value/list, but expecting an object as multiple "
                           "input tensors required as per tensorinfo_map");
        if ((c = alloc_inputs(out, 1, st)))
            return c;
        out->names[0] = keys[0];
        if ((c = make_tensor(in, NULL, 0, dtypes[0], lim, &out->tensors[0], st)))
            return c;
        out->n = 1;
        return TSD_OK;
    }
    if ((c = alloc_inputs(out, json_object_size(in), st)))
        return c;
    for (size_t k = 0; k < nkeys; k++)
        if (!json_object_get(in, keys[k]))
            return tsd_err(st, TSD_INVALID_ARGUMENT, "Missing named input: %s in 'inputs' object.",
                           keys[k]);
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v)
    {
        int k = find_key(keys, nkeys, key);
        /* unknown names are passed through so the service reports the set
         * mismatch in TF Serving's words */
        eng_dtype dt = k >= 0 ? dtypes[k] : ENG_DT_FLOAT;
        out->names[out->n] = key;
        if (k < 0) {
            int64_t z = 0;
            if ((c = eng_tensor_alloc(&out->tensors[out->n], dt, 1, &z, st)))
                return c;
        } else if ((c = make_tensor(v, NULL, 0, dt, lim, &out->tensors[out->n], st))) {
            return c;
        }
        out->n++;
    }
    return TSD_OK;
}

tsd_code srv_json_predict_inputs(json_t *root, const char *const *keys, const eng_dtype *dtypes,
                                 size_t nkeys, const srv_json_limits *lim, srv_json_inputs *out,
                                 tsd_status *st)
{
    memset(out, 0, sizeof *out);
    json_t *inst = json_object_get(root, "instances");
    json_t *in = json_object_get(root, "inputs");
    if (inst && in)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "Not formatted correctly expecting only one of 'inputs' or 'instances' "
                       "keys to exist");
    if (!inst && !in)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Missing 'inputs' or 'instances' key");
    if (nkeys == 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Failed to get input map for signature");
    tsd_code c;
    if (inst) {
        out->row_format = 1;
        c = row_format(inst, keys, dtypes, nkeys, lim, out, st);
    } else {
        c = columnar_format(in, keys, dtypes, nkeys, lim, out, st);
    }
    if (c)
        srv_json_inputs_free(out);
    return c;
}

/* ---- output -------------------------------------------------------------- */

static tsd_code put_element(srv_buf *b, const eng_tensor *t, size_t i, int as_b64, tsd_status *st)
{
    switch (t->dtype) {
    case ENG_DT_FLOAT:
        srv_json_float(b, ((const float *)t->data)[i]);
        break;
    case ENG_DT_DOUBLE:
        srv_json_double(b, ((const double *)t->data)[i]);
        break;
    case ENG_DT_INT32:
        srv_buf_printf(b, "%" PRId32, ((const int32_t *)t->data)[i]);
        break;
    case ENG_DT_INT16:
        srv_buf_printf(b, "%d", ((const int16_t *)t->data)[i]);
        break;
    case ENG_DT_INT8:
        srv_buf_printf(b, "%d", ((const int8_t *)t->data)[i]);
        break;
    case ENG_DT_UINT8:
        srv_buf_printf(b, "%u", ((const uint8_t *)t->data)[i]);
        break;
    case ENG_DT_UINT16:
        srv_buf_printf(b, "%u", ((const uint16_t *)t->data)[i]);
        break;
    case ENG_DT_UINT32:
        srv_buf_printf(b, "%" PRIu32, ((const uint32_t *)t->data)[i]);
        break;
    case ENG_DT_INT64:
        srv_buf_printf(b, "%" PRId64, ((const int64_t *)t->data)[i]);
        break;
    case ENG_DT_UINT64:
        srv_buf_printf(b, "%" PRIu64, ((const uint64_t *)t->data)[i]);
        break;
    case ENG_DT_BOOL:
        srv_buf_puts(b, ((const uint8_t *)t->data)[i] ? "true" : "false");
        break;
    case ENG_DT_STRING: {
        const eng_str *s = &((const eng_str *)t->data)[i];
        if (as_b64)
            srv_json_b64(b, (const uint8_t *)s->ptr, s->len);
        else
            srv_json_string(b, s->ptr, s->len);
        break;
    }
    default:
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Failed to write JSON value for tensor type: %s",
                       eng_dtype_name(t->dtype));
    }
    return TSD_OK;
}

static tsd_code put_nested(srv_buf *b, const eng_tensor *t, int level, size_t *pos, int as_b64,
                           tsd_status *st)
{
    if (level == t->rank)
        return put_element(b, t, (*pos)++, as_b64, st);
    srv_buf_put(b, "[", 1);
    for (int64_t i = 0; i < t->dims[level]; i++) {
        if (i)
            srv_buf_put(b, ", ", 2);
        tsd_code c = put_nested(b, t, level + 1, pos, as_b64, st);
        if (c)
            return c;
    }
    srv_buf_put(b, "]", 1);
    return TSD_OK;
}

tsd_code srv_json_tensor(srv_buf *b, const eng_tensor *t, int as_b64, tsd_status *st)
{
    size_t pos = 0;
    return put_nested(b, t, 0, &pos, as_b64, st);
}

static int ends_with_bytes(const char *k)
{
    size_t n = strlen(k);
    return n >= 6 && strcmp(k + n - 6, "_bytes") == 0;
}

/* Element i along dim 0 of t as nested lists. */
static tsd_code put_row(srv_buf *b, const eng_tensor *t, int64_t row, int as_b64, tsd_status *st)
{
    size_t per = 1;
    for (int d = 1; d < t->rank; d++)
        per *= (size_t)t->dims[d];
    size_t pos = (size_t)row * per;
    return put_nested(b, t, 1, &pos, as_b64, st);
}

tsd_code srv_json_predict_response(srv_buf *b, int row_format, const char *const *keys,
                                   const eng_tensor *outs, size_t n, tsd_status *st)
{
    tsd_code c;
    if (!row_format) {
        srv_buf_puts(b, "{\"outputs\": ");
        if (n == 1) {
            if ((c = srv_json_tensor(b, &outs[0], ends_with_bytes(keys[0]), st)))
                return c;
        } else {
            srv_buf_put(b, "{", 1);
            for (size_t i = 0; i < n; i++) {
                if (i)
                    srv_buf_put(b, ", ", 2);
                srv_json_string(b, keys[i], strlen(keys[i]));
                srv_buf_put(b, ": ", 2);
                if ((c = srv_json_tensor(b, &outs[i], ends_with_bytes(keys[i]), st)))
                    return c;
            }
            srv_buf_put(b, "}", 1);
        }
        srv_buf_puts(b, "}");
        return TSD_OK;
    }
    int64_t batch = -1;
    for (size_t i = 0; i < n; i++) {
        if (outs[i].rank == 0)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "Tensor name: %s has no shape information ",
                           keys[i]);
        if (batch < 0)
            batch = outs[i].dims[0];
        else if (outs[i].dims[0] != batch)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "Tensor name: %s has inconsistent batch size: %" PRId64
                           " expecting: %" PRId64,
                           keys[i], outs[i].dims[0], batch);
    }
    srv_buf_puts(b, "{\"predictions\": [");
    for (int64_t r = 0; r < (batch > 0 ? batch : 0); r++) {
        if (r)
            srv_buf_put(b, ", ", 2);
        if (n == 1) {
            if ((c = put_row(b, &outs[0], r, ends_with_bytes(keys[0]), st)))
                return c;
            continue;
        }
        srv_buf_put(b, "{", 1);
        for (size_t i = 0; i < n; i++) {
            if (i)
                srv_buf_put(b, ", ", 2);
            srv_json_string(b, keys[i], strlen(keys[i]));
            srv_buf_put(b, ": ", 2);
            if ((c = put_row(b, &outs[i], r, ends_with_bytes(keys[i]), st)))
                return c;
        }
        srv_buf_put(b, "}", 1);
    }
    srv_buf_puts(b, "]}");
    return TSD_OK;
}
