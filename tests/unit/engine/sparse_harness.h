/*
 * sparse_harness.h - utilities for the sparse / string / parse kernel tests:
 * attrs (including list attrs), tensor wrappers, one-op runs through the
 * engine test kit (engine/testkit.h), and a tiny protobuf writer for hand-made
 * tf.Examples. Header-only; include after <cmocka.h>.
 */
#ifndef TSD_TESTS_SPARSE_HARNESS_H
#define TSD_TESTS_SPARSE_HARNESS_H

#include "engine/engine.h"
#include "engine/testkit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SH_MAX_IO 64

/* A named attribute for sh_run. */
typedef struct sh_attr {
    const char *name;
    eng_attr v;
} sh_attr;

static inline sh_attr sh_int(const char *name, int64_t i)
{
    sh_attr a = {name, {.kind = ENG_ATTR_INT}};
    a.v.i = i;
    return a;
}

static inline sh_attr sh_bool(const char *name, int b)
{
    sh_attr a = {name, {.kind = ENG_ATTR_BOOL}};
    a.v.b = b;
    return a;
}

static inline sh_attr sh_type(const char *name, eng_dtype t)
{
    sh_attr a = {name, {.kind = ENG_ATTR_TYPE}};
    a.v.type = t;
    return a;
}

static inline sh_attr sh_str(const char *name, const char *s)
{
    sh_attr a = {name, {.kind = ENG_ATTR_STRING}};
    a.v.s.ptr = s;
    a.v.s.len = strlen(s);
    return a;
}

/* List attrs borrow the caller's array (copied into the graph by sh_run). */
static inline sh_attr sh_types(const char *name, size_t n, eng_dtype *types)
{
    sh_attr a = {name, {.kind = ENG_ATTR_LIST_TYPE}};
    a.v.n = n;
    a.v.types = types;
    return a;
}

static inline sh_attr sh_floats(const char *name, size_t n, double *f)
{
    sh_attr a = {name, {.kind = ENG_ATTR_LIST_FLOAT}};
    a.v.n = n;
    a.v.floats = f;
    return a;
}

static inline sh_attr sh_shapes(const char *name, size_t n, eng_shape *s)
{
    sh_attr a = {name, {.kind = ENG_ATTR_LIST_SHAPE}};
    a.v.n = n;
    a.v.shapes = s;
    return a;
}

/* Wrap borrowed data as a tensor. */
static inline eng_tensor sh_tensor(eng_dtype dt, int rank, const int64_t *dims, const void *data)
{
    eng_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = dt;
    t.rank = rank;
    int64_t n = 1;
    for (int i = 0; i < rank; i++) {
        t.dims[i] = dims[i];
        n *= dims[i];
    }
    t.data = (void *)data;
    t.nbytes = (size_t)n * eng_dtype_size(dt);
    return t;
}

/* Vector / scalar shorthands. */
static inline eng_tensor sh_vec(eng_dtype dt, int64_t n, const void *data)
{
    return sh_tensor(dt, 1, &n, data);
}

static inline eng_tensor sh_scalar(eng_dtype dt, const void *data)
{
    return sh_tensor(dt, 0, NULL, data);
}

static inline eng_tensor sh_mat(eng_dtype dt, int64_t r, int64_t c, const void *data)
{
    int64_t d[2] = {r, c};
    return sh_tensor(dt, 2, d, data);
}

/* String elements from C strings (static storage of up to 4 arrays of 64). */
static inline eng_str *sh_strs(int n, const char *const *s)
{
    static eng_str pool[4][SH_MAX_IO];
    static int next;
    eng_str *p = pool[next++ & 3];
    for (int i = 0; i < n && i < SH_MAX_IO; i++) {
        p[i].ptr = s[i];
        p[i].len = strlen(s[i]);
    }
    return p;
}

/* Free outputs returned by sh_run. */
static inline void sh_free(eng_tensor *outs, int n)
{
    for (int i = 0; i < n; i++)
        eng_tensor_free_data(&outs[i]);
}

/* Input mask bit: input i becomes a Const node instead of a placeholder. */
#define SH_CONST(i) (1ull << (i))

/*
 * Run `op` on inputs through the engine test kit: graph -> session -> plan
 * -> run twice, checking both runs agree and the outputs match the inferred
 * dtypes/shapes. unknown_batch: placeholders declare an unknown leading dim.
 * outs[0..nout) receive owned copies (free with sh_free). Returns the status
 * code of compile or run.
 */
static inline tsd_code sh_run_ex(const char *op, const sh_attr *attrs, int nattrs,
                                 const eng_tensor *ins, int nin, uint64_t const_mask,
                                 int unknown_batch, eng_tensor *outs, int nout, tsd_status *st)
{
    eng_attr_kv kv[16];
    tsd_status_clear(st);
    memset(outs, 0, (size_t)nout * sizeof *outs);
    if (nattrs > 16)
        return tsd_err(st, TSD_INTERNAL, "harness limit");
    for (int i = 0; i < nattrs; i++) {
        kv[i].name = attrs[i].name;
        kv[i].value = attrs[i].v;
    }
    eng_test_opts opts = {const_mask, unknown_batch, 2, NULL};
    int got = nout;
    tsd_code rc = eng_test_run_op_ex(op, kv, nattrs, ins, nin, &opts, outs, &got, st);
    if (rc == TSD_OK && got != nout) {
        sh_free(outs, got);
        return tsd_err(st, TSD_INTERNAL, "op produced %d outputs, expected %d", got, nout);
    }
    return rc;
}

/* sh_run_ex with placeholders of the inputs' exact shapes. */
static inline tsd_code sh_run(const char *op, const sh_attr *attrs, int nattrs,
                              const eng_tensor *ins, int nin, uint64_t const_mask, eng_tensor *outs,
                              int nout, tsd_status *st)
{
    return sh_run_ex(op, attrs, nattrs, ins, nin, const_mask, 0, outs, nout, st);
}

/* Expect a status code and a message containing `needle`. */
#define SH_EXPECT_ERR(rc, st, code, needle)                                                        \
    do {                                                                                           \
        if ((int)(rc) != (int)(code))                                                              \
            fail_msg("code %d (want %d): %s", (int)(rc), (int)(code), (st)->msg);                  \
        if (!strstr((st)->msg, (needle)))                                                          \
            fail_msg("message '%s' lacks '%s'", (st)->msg, (needle));                              \
    } while (0)

/* Expect success, printing the message otherwise. */
#define SH_EXPECT_OK(rc, st)                                                                       \
    do {                                                                                           \
        if ((rc) != TSD_OK)                                                                        \
            fail_msg("unexpected error %d: %s", (int)(rc), (st)->msg);                             \
    } while (0)

/* Compare a tensor's shape. */
static inline void sh_assert_shape(const eng_tensor *t, int rank, const int64_t *dims)
{
    assert_int_equal(t->rank, rank);
    for (int i = 0; i < rank; i++)
        assert_int_equal(t->dims[i], dims[i]);
}

/* A string element equals a C string. */
static inline int sh_str_eq(const eng_str *s, const char *c)
{
    return s->len == strlen(c) && memcmp(s->ptr, c, s->len) == 0;
}

/* Deterministic pseudo-random numbers (xorshift64*). */
static inline uint64_t sh_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1Dull;
}

/* ---- a minimal protobuf writer for hand-made tf.Examples ---------------- */

typedef struct sh_pb {
    uint8_t b[8192];
    size_t n;
} sh_pb;

static inline void sh_pb_raw(sh_pb *p, const void *d, size_t len)
{
    assert_true(p->n + len <= sizeof p->b);
    memcpy(p->b + p->n, d, len);
    p->n += len;
}

static inline void sh_pb_varint(sh_pb *p, uint64_t v)
{
    uint8_t t[10];
    size_t k = 0;
    do {
        t[k] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            t[k] |= 0x80;
        k++;
    } while (v);
    sh_pb_raw(p, t, k);
}

static inline void sh_pb_tag(sh_pb *p, unsigned field, unsigned wt)
{
    sh_pb_varint(p, (uint64_t)field << 3 | wt);
}

/* Field `field` as length-delimited bytes. */
static inline void sh_pb_bytes(sh_pb *p, unsigned field, const void *d, size_t len)
{
    sh_pb_tag(p, field, 2);
    sh_pb_varint(p, len);
    sh_pb_raw(p, d, len);
}

static inline void sh_pb_float_le(sh_pb *p, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint8_t t[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
    sh_pb_raw(p, t, 4);
}

/* Feature-map builder: entries are appended to `feats` (a Features body). */
static inline void sh_ex_entry(sh_pb *feats, const char *key, const sh_pb *feature)
{
    sh_pb e = {.n = 0};
    sh_pb_bytes(&e, 1, key, strlen(key));
    sh_pb_bytes(&e, 2, feature->b, feature->n);
    sh_pb_bytes(feats, 1, e.b, e.n);
}

/* A Feature holding a FloatList (packed or one fixed32 field per value). */
static inline void sh_ex_floats(sh_pb *feats, const char *key, int n, const float *v, int packed)
{
    sh_pb list = {.n = 0}, f = {.n = 0};
    if (packed) {
        sh_pb body = {.n = 0};
        for (int i = 0; i < n; i++)
            sh_pb_float_le(&body, v[i]);
        sh_pb_bytes(&list, 1, body.b, body.n);
    } else {
        for (int i = 0; i < n; i++) {
            sh_pb_tag(&list, 1, 5);
            sh_pb_float_le(&list, v[i]);
        }
    }
    sh_pb_bytes(&f, 2, list.b, list.n);
    sh_ex_entry(feats, key, &f);
}

/* A Feature holding an Int64List (packed or unpacked varints). */
static inline void sh_ex_int64s(sh_pb *feats, const char *key, int n, const int64_t *v, int packed)
{
    sh_pb list = {.n = 0}, f = {.n = 0};
    if (packed) {
        sh_pb body = {.n = 0};
        for (int i = 0; i < n; i++)
            sh_pb_varint(&body, (uint64_t)v[i]);
        sh_pb_bytes(&list, 1, body.b, body.n);
    } else {
        for (int i = 0; i < n; i++) {
            sh_pb_tag(&list, 1, 0);
            sh_pb_varint(&list, (uint64_t)v[i]);
        }
    }
    sh_pb_bytes(&f, 3, list.b, list.n);
    sh_ex_entry(feats, key, &f);
}

/* A Feature holding a BytesList. */
static inline void sh_ex_bytes(sh_pb *feats, const char *key, int n, const char *const *v)
{
    sh_pb list = {.n = 0}, f = {.n = 0};
    for (int i = 0; i < n; i++)
        sh_pb_bytes(&list, 1, v[i], strlen(v[i]));
    sh_pb_bytes(&f, 1, list.b, list.n);
    sh_ex_entry(feats, key, &f);
}

/* A Feature with no kind set (bytes 12 00 in the entry). */
static inline void sh_ex_empty(sh_pb *feats, const char *key)
{
    sh_pb f = {.n = 0};
    sh_ex_entry(feats, key, &f);
}

/* Wrap a Features body into a serialized Example (malloc'ed copy). */
static inline eng_str sh_ex_finish(const sh_pb *feats)
{
    sh_pb ex = {.n = 0};
    sh_pb_bytes(&ex, 1, feats->b, feats->n);
    char *d = malloc(ex.n ? ex.n : 1);
    assert_non_null(d);
    memcpy(d, ex.b, ex.n);
    eng_str s = {d, ex.n};
    return s;
}

#endif
