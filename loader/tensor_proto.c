/*
 * tensor_proto.c - tensorflow.TensorProto <-> eng_tensor.
 *
 * Decoding follows TensorFlow's Tensor::FromProto rules: tensor_content
 * (raw little-endian elements; for strings a varint length list followed by
 * the bytes) wins when present, otherwise the typed repeated field is used;
 * an empty field means zeros and a short field repeats its last value. We
 * are stricter than TensorFlow in one place: more values than elements is
 * an error. Every count is checked before memory is touched.
 */
#include "loader/tensor_proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Which repeated field of a TensorProto holds a dtype's values. */
typedef enum tp_field {
    TP_NONE,
    TP_FLOAT,
    TP_DOUBLE,
    TP_INT, /* int_val (int32, int16, int8, uint8, uint16) */
    TP_INT64,
    TP_BOOL,
    TP_HALF,
    TP_UINT32,
    TP_UINT64,
    TP_STRING,
} tp_field;

static tp_field field_of(eng_dtype dt)
{
    switch (dt) {
    case ENG_DT_FLOAT:
        return TP_FLOAT;
    case ENG_DT_DOUBLE:
        return TP_DOUBLE;
    case ENG_DT_INT32:
    case ENG_DT_INT16:
    case ENG_DT_INT8:
    case ENG_DT_UINT8:
    case ENG_DT_UINT16:
        return TP_INT;
    case ENG_DT_INT64:
        return TP_INT64;
    case ENG_DT_BOOL:
        return TP_BOOL;
    case ENG_DT_HALF:
        return TP_HALF;
    case ENG_DT_UINT32:
        return TP_UINT32;
    case ENG_DT_UINT64:
        return TP_UINT64;
    case ENG_DT_STRING:
        return TP_STRING;
    default:
        return TP_NONE;
    }
}

/* Number of values in the typed field f. */
static size_t field_count(const Tensorflow__TensorProto *tp, tp_field f)
{
    switch (f) {
    case TP_FLOAT:
        return tp->n_float_val;
    case TP_DOUBLE:
        return tp->n_double_val;
    case TP_INT:
        return tp->n_int_val;
    case TP_INT64:
        return tp->n_int64_val;
    case TP_BOOL:
        return tp->n_bool_val;
    case TP_HALF:
        return tp->n_half_val;
    case TP_UINT32:
        return tp->n_uint32_val;
    case TP_UINT64:
        return tp->n_uint64_val;
    case TP_STRING:
        return tp->n_string_val;
    default:
        return 0;
    }
}

/* Store value i of field f into element j of a numeric tensor buffer. */
static void store_value(const Tensorflow__TensorProto *tp, tp_field f, eng_dtype dt, size_t i,
                        void *data, size_t j)
{
    switch (f) {
    case TP_FLOAT:
        ((float *)data)[j] = tp->float_val[i];
        break;
    case TP_DOUBLE:
        ((double *)data)[j] = tp->double_val[i];
        break;
    case TP_INT64:
        ((int64_t *)data)[j] = tp->int64_val[i];
        break;
    case TP_BOOL:
        ((uint8_t *)data)[j] = tp->bool_val[i] ? 1 : 0;
        break;
    case TP_HALF:
        ((uint16_t *)data)[j] = (uint16_t)tp->half_val[i];
        break;
    case TP_UINT32:
        ((uint32_t *)data)[j] = tp->uint32_val[i];
        break;
    case TP_UINT64:
        ((uint64_t *)data)[j] = tp->uint64_val[i];
        break;
    case TP_INT: {
        int32_t v = tp->int_val[i];
        switch (dt) {
        case ENG_DT_INT32:
            ((int32_t *)data)[j] = v;
            break;
        case ENG_DT_INT16:
            ((int16_t *)data)[j] = (int16_t)v;
            break;
        case ENG_DT_INT8:
            ((int8_t *)data)[j] = (int8_t)v;
            break;
        case ENG_DT_UINT8:
            ((uint8_t *)data)[j] = (uint8_t)v;
            break;
        case ENG_DT_UINT16:
            ((uint16_t *)data)[j] = (uint16_t)v;
            break;
        default:
            break;
        }
        break;
    }
    default:
        break;
    }
}

tsd_code ldr_shape_from_proto(const Tensorflow__TensorShapeProto *sp, eng_shape *out,
                              tsd_status *st)
{
    memset(out, 0, sizeof *out);
    if (!sp) /* absent shape = scalar */
        return TSD_OK;
    if (sp->unknown_rank) {
        out->rank = -1;
        return TSD_OK;
    }
    if (sp->n_dim > ENG_MAX_RANK)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "shape has rank %zu, more than the maximum %d",
                       sp->n_dim, ENG_MAX_RANK);
    out->rank = (int32_t)sp->n_dim;
    for (size_t i = 0; i < sp->n_dim; i++) {
        int64_t d = sp->dim[i] ? sp->dim[i]->size : 0;
        if (d < -1)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "shape dimension %zu has size %lld", i,
                           (long long)d);
        out->dims[i] = d;
    }
    return TSD_OK;
}

/* Decode a varint32 from p[*pos..n); 0 on success. */
static int read_varint32(const uint8_t *p, size_t n, size_t *pos, uint32_t *v)
{
    uint32_t r = 0;
    for (int shift = 0; shift <= 28; shift += 7) {
        if (*pos >= n)
            return -1;
        uint8_t b = p[(*pos)++];
        r |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

/* Strings from tensor_content: count varint lengths, then the bytes. */
static tsd_code strings_from_content(const ProtobufCBinaryData *c, eng_str *strs, int64_t n,
                                     tsd_status *st)
{
    size_t pos = 0;
    uint64_t total = 0;
    for (int64_t i = 0; i < n; i++) {
        uint32_t len;
        if (read_varint32(c->data, c->len, &pos, &len) != 0)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "string tensor_content: bad length varint for element %lld",
                           (long long)i);
        strs[i].len = len;
        total += len;
    }
    if (total != c->len - pos)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "string tensor_content: lengths sum to %llu but %zu bytes follow",
                       (unsigned long long)total, c->len - pos);
    for (int64_t i = 0; i < n; i++) {
        strs[i].ptr = (const char *)c->data + pos;
        pos += strs[i].len;
    }
    return TSD_OK;
}

/* String tensor: borrow the proto's bytes in a temporary array, deep-copy. */
static tsd_code decode_strings(const Tensorflow__TensorProto *tp, eng_tensor *out, int64_t n,
                               tsd_status *st)
{
    size_t nvals = tp->n_string_val;
    eng_str *strs = calloc(n > 0 ? (size_t)n : 1, sizeof *strs);
    if (!strs)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory for %lld strings", (long long)n);
    tsd_code rc = TSD_OK;
    if (tp->tensor_content.len > 0) {
        rc = strings_from_content(&tp->tensor_content, strs, n, st);
    } else if (nvals > (size_t)n) {
        rc = tsd_err(st, TSD_INVALID_ARGUMENT, "%zu string values for %lld elements", nvals,
                     (long long)n);
    } else if (nvals > 0) {
        uint64_t total = 0;
        for (int64_t i = 0; i < n; i++) {
            const ProtobufCBinaryData *b =
                &tp->string_val[(size_t)i < nvals ? (size_t)i : nvals - 1];
            strs[i].ptr = (const char *)b->data;
            strs[i].len = b->len;
            total += b->len;
        }
        if (total > LDR_TENSOR_MAX_BYTES)
            rc = tsd_err(st, TSD_INVALID_ARGUMENT, "string tensor would hold %llu bytes",
                         (unsigned long long)total);
        else if (nvals < (size_t)n && total > LDR_TENSOR_MAX_FILL_BYTES)
            /* a few request bytes must not become a gigabyte of copies */
            rc = tsd_err(st, TSD_INVALID_ARGUMENT,
                         "string tensor: repeating the last of %zu values over %lld elements "
                         "would hold %llu bytes (at most %llu for a repeated value)",
                         nvals, (long long)n, (unsigned long long)total,
                         (unsigned long long)LDR_TENSOR_MAX_FILL_BYTES);
    }
    if (rc == TSD_OK) {
        eng_tensor tmp = *out;
        tmp.data = strs;
        tmp.nbytes = (size_t)n * sizeof *strs;
        rc = eng_tensor_copy(out, &tmp, st);
    }
    free(strs);
    return rc;
}

tsd_code ldr_tensor_from_proto(const Tensorflow__TensorProto *tp, eng_tensor *out, tsd_status *st)
{
    memset(out, 0, sizeof *out);
    eng_dtype dt = (eng_dtype)tp->dtype;
    tp_field f = field_of(dt);
    if (f == TP_NONE)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "TensorProto dtype %d is not supported",
                       (int)tp->dtype);
    eng_shape shape;
    if (ldr_shape_from_proto(tp->tensor_shape, &shape, st) != TSD_OK)
        return tsd_status_prefix(st, "TensorProto");
    if (shape.rank < 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "TensorProto has unknown rank");
    int64_t n = 1;
    for (int i = 0; i < shape.rank; i++) {
        if (shape.dims[i] < 0)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "TensorProto dimension %d is unknown", i);
        if (shape.dims[i] > 0 && n > ENG_MAX_ELEMENTS / shape.dims[i])
            return tsd_err(st, TSD_INVALID_ARGUMENT, "TensorProto shape has too many elements");
        n *= shape.dims[i];
    }
    if (n > ENG_MAX_ELEMENTS)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "TensorProto shape has too many elements");
    size_t esize = eng_dtype_size(dt);
    if (esize == 0 || (uint64_t)n * esize > LDR_TENSOR_MAX_BYTES)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "TensorProto of %lld %s elements exceeds the size limit", (long long)n,
                       eng_dtype_name(dt));
    out->dtype = dt;
    out->rank = shape.rank;
    memcpy(out->dims, shape.dims, sizeof out->dims);
    if (f == TP_STRING)
        return decode_strings(tp, out, n, st);

    size_t nvals = field_count(tp, f);
    if (tp->tensor_content.len > 0 && tp->tensor_content.len != (size_t)n * esize)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "TensorProto tensor_content has %zu bytes, expected %lld for %s%s",
                       tp->tensor_content.len, (long long)n * (long long)esize, eng_dtype_name(dt),
                       eng_shape_str(shape.dims, shape.rank, (char[96]){0}, 96));
    if (tp->tensor_content.len == 0 && nvals > (size_t)n)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "TensorProto has %zu values for %lld elements",
                       nvals, (long long)n);
    eng_tensor tmp;
    if (eng_tensor_alloc(&tmp, dt, shape.rank, shape.dims, st) != TSD_OK)
        return tsd_status_prefix(st, "TensorProto");
    if (tp->tensor_content.len > 0) {
        memcpy(tmp.data, tp->tensor_content.data, tp->tensor_content.len);
        if (dt == ENG_DT_BOOL) /* any non-zero byte is true; kernels see 0 or 1 */
            for (size_t j = 0; j < tp->tensor_content.len; j++)
                ((uint8_t *)tmp.data)[j] = ((uint8_t *)tmp.data)[j] != 0;
    } else if (nvals == 0) {
        memset(tmp.data, 0, (size_t)n * esize);
    } else {
        for (int64_t j = 0; j < n; j++)
            store_value(tp, f, dt, (size_t)j < nvals ? (size_t)j : nvals - 1, tmp.data, (size_t)j);
    }
    *out = tmp;
    return TSD_OK;
}

/* Allocate a zeroed array of n elements of size sz (at least one byte). */
static void *zalloc(size_t n, size_t sz)
{
    return calloc(n ? n : 1, sz);
}

/* Fill the typed *_val field of p from t's elements. */
static int encode_typed(const eng_tensor *t, int64_t n, Tensorflow__TensorProto *p)
{
    size_t cnt = (size_t)n;
    switch (field_of(t->dtype)) {
    case TP_FLOAT:
        if (!(p->float_val = zalloc(cnt, sizeof(float))))
            return -1;
        memcpy(p->float_val, t->data, cnt * sizeof(float));
        p->n_float_val = cnt;
        return 0;
    case TP_DOUBLE:
        if (!(p->double_val = zalloc(cnt, sizeof(double))))
            return -1;
        memcpy(p->double_val, t->data, cnt * sizeof(double));
        p->n_double_val = cnt;
        return 0;
    case TP_INT64:
        if (!(p->int64_val = zalloc(cnt, sizeof(int64_t))))
            return -1;
        memcpy(p->int64_val, t->data, cnt * sizeof(int64_t));
        p->n_int64_val = cnt;
        return 0;
    case TP_UINT32:
        if (!(p->uint32_val = zalloc(cnt, sizeof(uint32_t))))
            return -1;
        memcpy(p->uint32_val, t->data, cnt * sizeof(uint32_t));
        p->n_uint32_val = cnt;
        return 0;
    case TP_UINT64:
        if (!(p->uint64_val = zalloc(cnt, sizeof(uint64_t))))
            return -1;
        memcpy(p->uint64_val, t->data, cnt * sizeof(uint64_t));
        p->n_uint64_val = cnt;
        return 0;
    case TP_BOOL:
        if (!(p->bool_val = zalloc(cnt, sizeof(protobuf_c_boolean))))
            return -1;
        for (size_t i = 0; i < cnt; i++)
            p->bool_val[i] = ((const uint8_t *)t->data)[i] != 0;
        p->n_bool_val = cnt;
        return 0;
    case TP_HALF:
        if (!(p->half_val = zalloc(cnt, sizeof(int32_t))))
            return -1;
        for (size_t i = 0; i < cnt; i++)
            p->half_val[i] = ((const uint16_t *)t->data)[i];
        p->n_half_val = cnt;
        return 0;
    case TP_INT:
        if (!(p->int_val = zalloc(cnt, sizeof(int32_t))))
            return -1;
        for (size_t i = 0; i < cnt; i++) {
            switch (t->dtype) {
            case ENG_DT_INT32:
                p->int_val[i] = ((const int32_t *)t->data)[i];
                break;
            case ENG_DT_INT16:
                p->int_val[i] = ((const int16_t *)t->data)[i];
                break;
            case ENG_DT_INT8:
                p->int_val[i] = ((const int8_t *)t->data)[i];
                break;
            case ENG_DT_UINT8:
                p->int_val[i] = ((const uint8_t *)t->data)[i];
                break;
            default:
                p->int_val[i] = ((const uint16_t *)t->data)[i];
                break;
            }
        }
        p->n_int_val = cnt;
        return 0;
    default:
        return -1;
    }
}

/* Fill string_val of p (each element a malloc'ed copy). */
static int encode_strings(const eng_tensor *t, int64_t n, Tensorflow__TensorProto *p)
{
    const eng_str *s = t->data;
    if (!(p->string_val = zalloc((size_t)n, sizeof *p->string_val)))
        return -1;
    for (int64_t i = 0; i < n; i++) {
        uint8_t *b = malloc(s[i].len ? s[i].len : 1);
        if (!b)
            return -1;
        if (s[i].len)
            memcpy(b, s[i].ptr, s[i].len);
        p->string_val[i].data = b;
        p->string_val[i].len = s[i].len;
        p->n_string_val = (size_t)i + 1;
    }
    return 0;
}

tsd_code ldr_tensor_to_proto(const eng_tensor *t, int use_content, Tensorflow__TensorProto **out,
                             tsd_status *st)
{
    *out = NULL;
    tp_field f = field_of(t->dtype);
    if (f == TP_NONE)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "cannot encode a %s tensor as TensorProto",
                       eng_dtype_name(t->dtype));
    if (t->rank < 0 || t->rank > ENG_MAX_RANK)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "cannot encode a tensor of rank %d", (int)t->rank);
    int64_t n = eng_tensor_num_elements(t);
    size_t esize = eng_dtype_size(t->dtype);
    if (n < 0 || (uint64_t)n * esize > t->nbytes)
        return tsd_err(st, TSD_INTERNAL, "tensor holds %zu bytes, fewer than its %lld elements",
                       t->nbytes, (long long)n);
    Tensorflow__TensorProto *p = malloc(sizeof *p);
    Tensorflow__TensorShapeProto *sp = malloc(sizeof *sp);
    if (!p || !sp) {
        free(p);
        free(sp);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory encoding a TensorProto");
    }
    tensorflow__tensor_proto__init(p);
    tensorflow__tensor_shape_proto__init(sp);
    p->tensor_shape = sp;
    p->dtype = (Tensorflow__DataType)t->dtype;
    int fail = 0;
    if (t->rank > 0) {
        sp->dim = zalloc((size_t)t->rank, sizeof *sp->dim);
        fail = !sp->dim;
        for (int i = 0; !fail && i < t->rank; i++) {
            Tensorflow__TensorShapeProto__Dim *d = malloc(sizeof *d);
            if (!d) {
                fail = 1;
                break;
            }
            tensorflow__tensor_shape_proto__dim__init(d);
            d->size = t->dims[i];
            sp->dim[i] = d;
            sp->n_dim = (size_t)i + 1;
        }
    }
    if (!fail && n > 0) {
        if (f == TP_STRING) {
            fail = encode_strings(t, n, p) != 0;
        } else if (use_content) {
            size_t len = (size_t)n * esize;
            p->tensor_content.data = malloc(len);
            fail = !p->tensor_content.data;
            if (!fail) {
                memcpy(p->tensor_content.data, t->data, len);
                p->tensor_content.len = len;
            }
        } else {
            fail = encode_typed(t, n, p) != 0;
        }
    }
    if (fail) {
        tensorflow__tensor_proto__free_unpacked(p, NULL);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory encoding a TensorProto");
    }
    *out = p;
    return TSD_OK;
}
