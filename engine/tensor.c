/*
 * tensor.c - dtypes and owned tensors: element sizes and names, checked
 * element counts, allocation, deep copy (strings included) and shape text.
 *
 * An owned tensor is one malloc'ed block at t->data. For DT_STRING (and
 * DT_RESOURCE, whose elements name a resource) the block holds the eng_str
 * array followed by the string bytes, so freeing is always one free().
 */
#include "engine/engine.h"
#include "engine/graph_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The empty string every freshly allocated string element points at. */
static const char empty_bytes[1] = {0};

size_t eng_dtype_size(eng_dtype dt)
{
    switch ((int)dt) {
    case ENG_DT_FLOAT:
        return 4;
    case ENG_DT_DOUBLE:
        return 8;
    case ENG_DT_INT32:
        return 4;
    case ENG_DT_UINT8:
        return 1;
    case ENG_DT_INT16:
        return 2;
    case ENG_DT_INT8:
        return 1;
    case ENG_DT_STRING:
        return sizeof(eng_str);
    case ENG_DT_INT64:
        return 8;
    case ENG_DT_BOOL:
        return 1;
    case ENG_DT_UINT16:
        return 2;
    case ENG_DT_HALF:
        return 2;
    case ENG_DT_RESOURCE:
        return sizeof(eng_str);
    case ENG_DT_UINT32:
        return 4;
    case ENG_DT_UINT64:
        return 8;
    default:
        return 0;
    }
}

const char *eng_dtype_name(eng_dtype dt)
{
    static const char *const names[][2] = {
        [ENG_DT_INVALID] = {"INVALID", "INVALID"},
        [ENG_DT_FLOAT] = {"float", "float_ref"},
        [ENG_DT_DOUBLE] = {"double", "double_ref"},
        [ENG_DT_INT32] = {"int32", "int32_ref"},
        [ENG_DT_UINT8] = {"uint8", "uint8_ref"},
        [ENG_DT_INT16] = {"int16", "int16_ref"},
        [ENG_DT_INT8] = {"int8", "int8_ref"},
        [ENG_DT_STRING] = {"string", "string_ref"},
        [ENG_DT_INT64] = {"int64", "int64_ref"},
        [ENG_DT_BOOL] = {"bool", "bool_ref"},
        [ENG_DT_UINT16] = {"uint16", "uint16_ref"},
        [ENG_DT_HALF] = {"half", "half_ref"},
        [ENG_DT_RESOURCE] = {"resource", "resource_ref"},
        [ENG_DT_VARIANT] = {"variant", "variant_ref"},
        [ENG_DT_UINT32] = {"uint32", "uint32_ref"},
        [ENG_DT_UINT64] = {"uint64", "uint64_ref"},
    };
    int v = (int)dt, ref = 0;
    if (v > ENG_DT_REF_OFFSET) {
        v -= ENG_DT_REF_OFFSET;
        ref = 1;
    }
    if (v < 0 || v >= (int)(sizeof names / sizeof names[0]) || !names[v][0])
        return "unknown";
    return names[v][ref];
}

int eng__dtype_is_str(eng_dtype dt)
{
    return dt == ENG_DT_STRING || dt == ENG_DT_RESOURCE;
}

int64_t eng_tensor_num_elements(const eng_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->rank && i < ENG_MAX_RANK; i++)
        n *= t->dims[i];
    return n;
}

tsd_code eng__checked_elements(int rank, const int64_t *dims, int64_t *out, tsd_status *st)
{
    if (rank < 0 || rank > ENG_MAX_RANK)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "rank %d is outside [0, %d]", rank, ENG_MAX_RANK);
    int64_t n = 1;
    int zero = 0;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "dimension %d is negative (%" PRId64 ")", i,
                           dims[i]);
        if (dims[i] == 0)
            zero = 1;
        if (dims[i] > ENG_MAX_ELEMENTS)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED,
                           "dimension %d (%" PRId64 ") exceeds the limit of %" PRId64 " elements",
                           i, dims[i], ENG_MAX_ELEMENTS);
        if (!zero) {
            n *= dims[i];
            if (n > ENG_MAX_ELEMENTS)
                return tsd_err(st, TSD_RESOURCE_EXHAUSTED,
                               "tensor of more than %" PRId64 " elements requested",
                               ENG_MAX_ELEMENTS);
        }
    }
    *out = zero ? 0 : n;
    return TSD_OK;
}

tsd_code eng_tensor_alloc(eng_tensor *t, eng_dtype dt, int rank, const int64_t *dims,
                          tsd_status *st)
{
    memset(t, 0, sizeof *t);
    size_t es = eng_dtype_size(dt);
    if (es == 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "cannot allocate a tensor of dtype %s",
                       eng_dtype_name(dt));
    int64_t n;
    if (eng__checked_elements(rank, dims, &n, st))
        return st ? st->code : TSD_INVALID_ARGUMENT;
    size_t bytes = (size_t)n * es;
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory allocating %zu bytes", bytes);
    if (eng__dtype_is_str(dt)) {
        eng_str *s = p;
        for (int64_t i = 0; i < n; i++)
            s[i].ptr = empty_bytes;
    }
    t->dtype = dt;
    t->rank = rank;
    for (int i = 0; i < rank; i++)
        t->dims[i] = dims[i];
    t->data = p;
    t->nbytes = bytes;
    return TSD_OK;
}

tsd_code eng__tensor_check(const eng_tensor *t, tsd_status *st)
{
    size_t es = eng_dtype_size(t->dtype);
    if (es == 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "unsupported dtype %s", eng_dtype_name(t->dtype));
    int64_t n;
    if (eng__checked_elements(t->rank, t->dims, &n, st))
        return st ? st->code : TSD_INVALID_ARGUMENT;
    if (t->nbytes != (size_t)n * es)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "tensor of %" PRId64 " %s elements has %zu bytes, expected %zu", n,
                       eng_dtype_name(t->dtype), t->nbytes, (size_t)n * es);
    if (n > 0 && !t->data)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "tensor of %" PRId64 " elements has no data", n);
    return TSD_OK;
}

tsd_code eng_tensor_copy(eng_tensor *dst, const eng_tensor *src, tsd_status *st)
{
    eng_tensor tmp = *src;
    if (eng__tensor_check(src, st))
        return st ? st->code : TSD_INVALID_ARGUMENT;
    size_t total = src->nbytes;
    int64_t n = eng_tensor_num_elements(src);
    if (eng__dtype_is_str(src->dtype)) {
        const eng_str *s = src->data;
        for (int64_t i = 0; i < n; i++) {
            if (s[i].len > SIZE_MAX - total)
                return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "string tensor too large");
            total += s[i].len;
        }
    }
    char *p = malloc(total ? total : 1);
    if (!p)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory copying %zu bytes", total);
    if (eng__dtype_is_str(src->dtype)) {
        const eng_str *s = src->data;
        eng_str *d = (eng_str *)p;
        char *bytes = p + src->nbytes;
        for (int64_t i = 0; i < n; i++) {
            if (s[i].len)
                memcpy(bytes, s[i].ptr, s[i].len);
            d[i].ptr = s[i].len ? bytes : empty_bytes;
            d[i].len = s[i].len;
            bytes += s[i].len;
        }
    } else if (src->nbytes) {
        memcpy(p, src->data, src->nbytes);
    }
    tmp.data = p;
    *dst = tmp;
    return TSD_OK;
}

void eng_tensor_free_data(eng_tensor *t)
{
    if (!t)
        return;
    free(t->data);
    t->data = NULL;
    t->nbytes = 0;
}

char *eng_shape_str(const int64_t *dims, int rank, char *buf, size_t len)
{
    if (!buf || len == 0)
        return buf;
    if (rank < 0 || rank > ENG_MAX_RANK) {
        snprintf(buf, len, "<unknown>");
        return buf;
    }
    size_t pos = 0;
    buf[0] = '\0';
    int w = snprintf(buf, len, "[");
    pos = w > 0 ? (size_t)w : 0;
    for (int i = 0; i < rank && pos < len; i++) {
        if (dims[i] < 0)
            w = snprintf(buf + pos, len - pos, "%s?", i ? "," : "");
        else
            w = snprintf(buf + pos, len - pos, "%s%" PRId64, i ? "," : "", dims[i]);
        if (w < 0)
            break;
        pos += (size_t)w;
    }
    if (pos < len)
        snprintf(buf + pos, len - pos, "]");
    return buf;
}
