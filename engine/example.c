/*
 * example.c - tf.Example wire-format decoder (see example.h). Every length
 * and count read from the input is checked against the remaining bytes
 * before use; there is no recursion and no allocation.
 */
#include "engine/example.h"

#include <string.h>

/* Return the code of a failed call (the message is already in st). */
#define TRY(call)                                                                                  \
    do {                                                                                           \
        tsd_code try_rc_ = (call);                                                                 \
        if (try_rc_ != TSD_OK)                                                                     \
            return try_rc_;                                                                        \
    } while (0)

/* Protobuf wire types. */
enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_SGROUP = 3, WT_EGROUP = 4, WT_I32 = 5 };

/* A read cursor over [p, end) that remembers where the message started. */
typedef struct cursor {
    const uint8_t *base;
    const uint8_t *p;
    const uint8_t *end;
} cursor;

static size_t cur_off(const cursor *c)
{
    return (size_t)(c->p - c->base);
}

static inline tsd_code rd_varint(cursor *c, uint64_t *v, const char *what, tsd_status *st)
{
    if (c->p < c->end && !(*c->p & 0x80)) { /* one byte: tags, lengths, small ints */
        *v = *c->p++;
        return TSD_OK;
    }
    uint64_t r = 0;
    for (int i = 0; i < 10; i++) {
        if (c->p >= c->end)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "offset %zu: truncated varint in %s",
                           cur_off(c), what);
        uint8_t b = *c->p++;
        if (i == 9 && b > 1)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "offset %zu: varint overflow in %s",
                           cur_off(c) - 1, what);
        r |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = r;
            return TSD_OK;
        }
    }
    return tsd_err(st, TSD_INVALID_ARGUMENT, "offset %zu: varint longer than 10 bytes in %s",
                   cur_off(c), what);
}

/* Read a tag; splits it into field number and wire type. */
static tsd_code rd_tag(cursor *c, uint32_t *field, int *wt, const char *what, tsd_status *st)
{
    size_t at = cur_off(c);
    uint64_t t = 0;
    TRY(rd_varint(c, &t, what, st));
    if ((t >> 3) == 0 || (t >> 3) > 0x1fffffff)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "offset %zu: invalid field number in %s", at,
                       what);
    *field = (uint32_t)(t >> 3);
    *wt = (int)(t & 7);
    return TSD_OK;
}

/* Read a length prefix and return the delimited bytes (checked against the end). */
static tsd_code rd_len(cursor *c, const uint8_t **data, size_t *len, const char *what,
                       tsd_status *st)
{
    size_t at = cur_off(c);
    uint64_t n = 0;
    TRY(rd_varint(c, &n, what, st));
    if (n > (uint64_t)(c->end - c->p))
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "offset %zu: length %llu in %s exceeds the %zu remaining bytes", at,
                       (unsigned long long)n, what, (size_t)(c->end - c->p));
    *data = c->p;
    *len = (size_t)n;
    c->p += n;
    return TSD_OK;
}

/* Skip one field of wire type wt. Groups are rejected. */
static tsd_code skip_field(cursor *c, int wt, const char *what, tsd_status *st)
{
    size_t at = cur_off(c);
    uint64_t v = 0;
    const uint8_t *d;
    size_t n;
    switch (wt) {
    case WT_VARINT:
        return rd_varint(c, &v, what, st);
    case WT_I64:
    case WT_I32: {
        size_t k = wt == WT_I64 ? 8 : 4;
        if ((size_t)(c->end - c->p) < k)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "offset %zu: truncated fixed field in %s", at,
                           what);
        c->p += k;
        return TSD_OK;
    }
    case WT_LEN:
        return rd_len(c, &d, &n, what, st);
    default:
        return tsd_err(st, TSD_INVALID_ARGUMENT, "offset %zu: unsupported wire type %d in %s", at,
                       wt, what);
    }
}

/* Decode one map entry (key = 1, value = 2, either order, last wins). */
static tsd_code parse_entry(const uint8_t *base, const uint8_t *p, size_t len, eng_ex_entry *e,
                            tsd_status *st)
{
    cursor c = {base, p, p + len};
    e->key = "";
    e->key_len = 0;
    e->feature = p; /* empty unless set below */
    e->feature_len = 0;
    while (c.p < c.end) {
        uint32_t f;
        int wt;
        TRY(rd_tag(&c, &f, &wt, "feature map entry", st));
        if ((f == 1 || f == 2) && wt == WT_LEN) {
            const uint8_t *d;
            size_t n;
            TRY(rd_len(&c, &d, &n, f == 1 ? "feature key" : "feature value", st));
            if (f == 1) {
                e->key = (const char *)d;
                e->key_len = n;
            } else {
                e->feature = d;
                e->feature_len = n;
            }
        } else {
            TRY(skip_field(&c, wt, "feature map entry", st));
        }
    }
    return TSD_OK;
}

/* Walk the entries of one Features message; *stop set when fn asked to stop. */
static tsd_code walk_features(const uint8_t *base, const uint8_t *p, size_t len, eng_ex_visit_fn fn,
                              void *ud, int *stop, tsd_status *st)
{
    cursor c = {base, p, p + len};
    while (c.p < c.end) {
        uint32_t f;
        int wt;
        TRY(rd_tag(&c, &f, &wt, "Features", st));
        if (f == 1 && wt == WT_LEN) {
            const uint8_t *d;
            size_t n;
            size_t at = cur_off(&c);
            TRY(rd_len(&c, &d, &n, "feature map entry", st));
            eng_ex_entry e;
            TRY(parse_entry(base, d, n, &e, st));
            e.offset = at;
            if (fn && fn(ud, &e)) {
                *stop = 1;
                return TSD_OK;
            }
        } else {
            TRY(skip_field(&c, wt, "Features", st));
        }
    }
    return TSD_OK;
}

tsd_code eng_example_walk(const void *buf, size_t len, eng_ex_visit_fn fn, void *ud, tsd_status *st)
{
    const uint8_t *base = buf;
    cursor c = {base, base, base + len};
    int stop = 0;
    if (len == 0)
        return TSD_OK;
    while (c.p < c.end && !stop) {
        uint32_t f;
        int wt;
        TRY(rd_tag(&c, &f, &wt, "Example", st));
        if (f == 1 && wt == WT_LEN) {
            const uint8_t *d;
            size_t n;
            TRY(rd_len(&c, &d, &n, "Example.features", st));
            TRY(walk_features(base, d, n, fn, ud, &stop, st));
        } else {
            TRY(skip_field(&c, wt, "Example", st));
        }
    }
    return TSD_OK;
}

tsd_code eng_ex_feature(const uint8_t *p, size_t len, eng_ex_list *out, tsd_status *st)
{
    out->kind = ENG_EX_NONE;
    out->data = p;
    out->len = 0;
    if (len == 0)
        return TSD_OK;
    cursor c = {p, p, p + len};
    while (c.p < c.end) {
        uint32_t f;
        int wt;
        TRY(rd_tag(&c, &f, &wt, "Feature", st));
        if (f >= 1 && f <= 3 && wt == WT_LEN) {
            TRY(rd_len(&c, &out->data, &out->len, "Feature list", st));
            out->kind = (eng_ex_kind)f;
        } else {
            TRY(skip_field(&c, wt, "Feature", st));
        }
    }
    return TSD_OK;
}

const char *eng_ex_kind_name(eng_ex_kind k)
{
    switch (k) {
    case ENG_EX_BYTES:
        return "string";
    case ENG_EX_FLOAT:
        return "float";
    case ENG_EX_INT64:
        return "int64";
    default:
        return "none";
    }
}

static float ld_float(const uint8_t *p)
{
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Store one value at index *n when it fits, then count it. */
static void put_float(void *out, size_t cap, size_t *n, float v)
{
    if (out && *n < cap)
        ((float *)out)[*n] = v;
    (*n)++;
}

static void put_int64(void *out, size_t cap, size_t *n, uint64_t v)
{
    if (out && *n < cap)
        ((int64_t *)out)[*n] = (int64_t)v;
    (*n)++;
}

/* One field of a FloatList: packed (LEN) or a single fixed32. */
static tsd_code float_field(cursor *c, int wt, void *out, size_t cap, size_t *n, tsd_status *st)
{
    if (wt == WT_I32) {
        if (c->end - c->p < 4)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "offset %zu: truncated float in FloatList",
                           cur_off(c));
        put_float(out, cap, n, ld_float(c->p));
        c->p += 4;
        return TSD_OK;
    }
    const uint8_t *d;
    size_t len;
    size_t at = cur_off(c);
    TRY(rd_len(c, &d, &len, "FloatList", st));
    if (len % 4 != 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "offset %zu: packed FloatList of %zu bytes is not a multiple of 4", at, len);
    for (size_t i = 0; i < len; i += 4)
        put_float(out, cap, n, ld_float(d + i));
    return TSD_OK;
}

/* One field of an Int64List: packed (LEN) or a single varint. */
static tsd_code int64_field(cursor *c, int wt, void *out, size_t cap, size_t *n, tsd_status *st)
{
    uint64_t v = 0;
    if (wt == WT_VARINT) {
        TRY(rd_varint(c, &v, "Int64List", st));
        put_int64(out, cap, n, v);
        return TSD_OK;
    }
    const uint8_t *d;
    size_t len;
    TRY(rd_len(c, &d, &len, "Int64List", st));
    cursor in = {c->base, d, d + len};
    while (in.p < in.end) {
        TRY(rd_varint(&in, &v, "packed Int64List", st));
        put_int64(out, cap, n, v);
    }
    return TSD_OK;
}

tsd_code eng_ex_values(const eng_ex_list *l, void *out, size_t cap, size_t *count, tsd_status *st)
{
    size_t n = 0;
    *count = 0;
    if (l->len == 0)
        return TSD_OK;
    cursor c = {l->data, l->data, l->data + l->len};
    while (c.p < c.end) {
        uint32_t f;
        int wt;
        TRY(rd_tag(&c, &f, &wt, "value list", st));
        tsd_code rc;
        if (f != 1) {
            rc = skip_field(&c, wt, "value list", st);
        } else if (l->kind == ENG_EX_FLOAT && (wt == WT_LEN || wt == WT_I32)) {
            rc = float_field(&c, wt, out, cap, &n, st);
        } else if (l->kind == ENG_EX_INT64 && (wt == WT_LEN || wt == WT_VARINT)) {
            rc = int64_field(&c, wt, out, cap, &n, st);
        } else if (l->kind == ENG_EX_BYTES && wt == WT_LEN) {
            const uint8_t *d;
            size_t len;
            rc = rd_len(&c, &d, &len, "BytesList", st);
            if (rc == TSD_OK) {
                if (out && n < cap) {
                    ((eng_str *)out)[n].ptr = (const char *)d;
                    ((eng_str *)out)[n].len = len;
                }
                n++;
            }
        } else {
            rc = tsd_err(st, TSD_INVALID_ARGUMENT,
                         "offset %zu: wire type %d is invalid for the values of a %s list",
                         cur_off(&c), wt, eng_ex_kind_name(l->kind));
        }
        if (rc != TSD_OK)
            return rc;
    }
    *count = n;
    return TSD_OK;
}
