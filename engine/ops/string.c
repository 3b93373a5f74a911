/*
 * string.c - op family "string": number formatting (AsString), hashing
 * into buckets (StringToHashBucketFast), StringJoin, StringLength and
 * Substr. The feature crosses (SparseCross, SparseCrossV2, SparseCrossHashed)
 * live in string_cross.c and are listed in this family's table below.
 */
#include "engine/ops/families.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine/farmhash.h"
#include "engine/ops/string_int.h"

/* ---- shared by the family ------------------------------------------------ */

tsd_code eng__str_infer_same_shape(eng_infer_ctx *ic, eng_dtype out)
{
    if (ic->ninputs < 1)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "expected at least 1 input");
    ic->noutputs = 1;
    ic->outputs[0].dtype = out;
    ic->outputs[0].shape = ic->inputs[0].shape;
    return TSD_OK;
}

/* ---- AsString ------------------------------------------------------------ */

/* Validated formatting attrs of one AsString node. */
typedef struct as_fmt {
    char spec[48]; /* printf conversion built from the attrs (without the value type) */
    int is_bool;
    int passthrough; /* string input without width: copied unchanged */
} as_fmt;

static int is_float_type(eng_dtype t)
{
    return t == ENG_DT_FLOAT || t == ENG_DT_DOUBLE;
}

static int is_int_type(eng_dtype t)
{
    switch (t) {
    case ENG_DT_INT8:
    case ENG_DT_INT16:
    case ENG_DT_INT32:
    case ENG_DT_INT64:
    case ENG_DT_UINT8:
    case ENG_DT_UINT16:
    case ENG_DT_UINT32:
    case ENG_DT_UINT64:
        return 1;
    default:
        return 0;
    }
}

/* Build the conversion "%<fill><width>.<precision><conv>" from the attrs. */
static tsd_code as_fmt_build(const eng_node *n, eng_dtype t, as_fmt *f, tsd_status *st)
{
    memset(f, 0, sizeof *f);
    int64_t precision = eng_attr_int_or(n, "precision", -1);
    int scientific = eng_attr_bool_or(n, "scientific", 0);
    int shortest = eng_attr_bool_or(n, "shortest", 0);
    int64_t width = eng_attr_int_or(n, "width", -1);
    eng_str fill = {"", 0};
    const eng_attr *fa = eng_node_attr(n, "fill");
    if (fa && fa->kind == ENG_ATTR_STRING)
        fill = fa->s;
    if (!is_float_type(t) && t != ENG_DT_STRING) {
        if (scientific || shortest)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "scientific and shortest format not supported for datatype %s",
                           eng_dtype_name(t));
        if (precision >= 0)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "precision not supported for datatype %s",
                           eng_dtype_name(t));
    }
    if (fill.len > 1)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Fill string must be one or fewer characters");
    if (scientific && shortest)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "Cannot select both scientific and shortest notation");
    if (fill.len == 1 && !strchr(" +-0#", fill.ptr[0]))
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Fill argument not supported: \"%c\"",
                       fill.ptr[0]);
    if (width > 4096 || precision > 4096)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "width/precision above 4096 not supported");
    if (t == ENG_DT_BOOL) {
        f->is_bool = 1;
        return TSD_OK;
    }
    if (!is_float_type(t) && !is_int_type(t) && t != ENG_DT_STRING)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Type not supported: %s", eng_dtype_name(t));
    if (t == ENG_DT_STRING && width <= 0) {
        f->passthrough = 1;
        return TSD_OK;
    }
    int pos = snprintf(f->spec, sizeof f->spec, "%%");
    if (width > -1)
        pos += snprintf(f->spec + pos, sizeof f->spec - (size_t)pos, "%.*s%d", (int)fill.len,
                        fill.ptr, (int)width);
    if (precision > -1 && t != ENG_DT_STRING)
        pos += snprintf(f->spec + pos, sizeof f->spec - (size_t)pos, ".%d", (int)precision);
    const char *conv;
    if (t == ENG_DT_STRING)
        conv = ".*s";
    else if (is_float_type(t))
        conv = shortest ? "g" : scientific ? "e" : "f";
    else if (t == ENG_DT_UINT64 || t == ENG_DT_UINT32 || t == ENG_DT_UINT16 || t == ENG_DT_UINT8)
        conv = PRIu64;
    else
        conv = PRId64;
    snprintf(f->spec + pos, sizeof f->spec - (size_t)pos, "%s", conv);
    return TSD_OK;
}

/* The conversion is built at run time from validated attrs only. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int fmt_double(char *buf, size_t len, const char *spec, double v)
{
    return snprintf(buf, len, spec, v);
}

static int fmt_i64(char *buf, size_t len, const char *spec, int64_t v)
{
    return snprintf(buf, len, spec, v);
}

static int fmt_u64(char *buf, size_t len, const char *spec, uint64_t v)
{
    return snprintf(buf, len, spec, v);
}

static int fmt_str(char *buf, size_t len, const char *spec, eng_str v)
{
    return snprintf(buf, len, spec, (int)v.len, v.ptr);
}
#pragma GCC diagnostic pop

static tsd_code as_string_compute(eng_kctx *ctx)
{
    const eng_tensor *in = &ctx->inputs[0];
    as_fmt f;
    if (as_fmt_build(ctx->node, in->dtype, &f, ctx->st) != TSD_OK)
        return ctx->st->code;
    eng_tensor *out = eng_kctx_output(ctx, 0, ENG_DT_STRING, in->rank, in->dims);
    if (!out)
        return ctx->st->code;
    int64_t n = eng_tensor_num_elements(in);
    eng_str *o = out->data;
    char small[128];
    for (int64_t i = 0; i < n; i++) {
        int len;
        char *buf = small;
        size_t cap = sizeof small;
        if (f.is_bool) {
            const char *s = ((const uint8_t *)in->data)[i] ? "true" : "false";
            if (eng_kctx_str(ctx, s, strlen(s), &o[i]) != TSD_OK)
                return ctx->st->code;
            continue;
        }
        if (f.passthrough) {
            const eng_str *s = &((const eng_str *)in->data)[i];
            if (eng_kctx_str(ctx, s->ptr, s->len, &o[i]) != TSD_OK)
                return ctx->st->code;
            continue;
        }
        for (int attempt = 0; attempt < 2; attempt++) {
            switch (in->dtype) {
            case ENG_DT_FLOAT:
                len = fmt_double(buf, cap, f.spec, ((const float *)in->data)[i]);
                break;
            case ENG_DT_DOUBLE:
                len = fmt_double(buf, cap, f.spec, ((const double *)in->data)[i]);
                break;
            case ENG_DT_INT8:
                len = fmt_i64(buf, cap, f.spec, ((const int8_t *)in->data)[i]);
                break;
            case ENG_DT_INT16:
                len = fmt_i64(buf, cap, f.spec, ((const int16_t *)in->data)[i]);
                break;
            case ENG_DT_INT32:
                len = fmt_i64(buf, cap, f.spec, ((const int32_t *)in->data)[i]);
                break;
            case ENG_DT_INT64:
                len = fmt_i64(buf, cap, f.spec, ((const int64_t *)in->data)[i]);
                break;
            case ENG_DT_UINT8:
                len = fmt_u64(buf, cap, f.spec, ((const uint8_t *)in->data)[i]);
                break;
            case ENG_DT_UINT16:
                len = fmt_u64(buf, cap, f.spec, ((const uint16_t *)in->data)[i]);
                break;
            case ENG_DT_UINT32:
                len = fmt_u64(buf, cap, f.spec, ((const uint32_t *)in->data)[i]);
                break;
            case ENG_DT_UINT64:
                len = fmt_u64(buf, cap, f.spec, ((const uint64_t *)in->data)[i]);
                break;
            default:
                len = fmt_str(buf, cap, f.spec, ((const eng_str *)in->data)[i]);
                break;
            }
            if (len < 0)
                return tsd_err(ctx->st, TSD_INTERNAL, "AsString: formatting failed");
            if ((size_t)len < cap)
                break;
            /* Long output (huge %f or wide padding): format again into scratch. */
            cap = (size_t)len + 1;
            buf = eng_kctx_scratch(ctx, cap);
            if (!buf)
                return ctx->st->code;
        }
        if (eng_kctx_str(ctx, buf, (size_t)len, &o[i]) != TSD_OK)
            return ctx->st->code;
    }
    return TSD_OK;
}

static tsd_code as_string_infer(eng_infer_ctx *ic)
{
    as_fmt f;
    if (ic->ninputs >= 1 && ic->inputs[0].dtype != ENG_DT_INVALID &&
        as_fmt_build(ic->node, ic->inputs[0].dtype, &f, ic->st) != TSD_OK)
        return ic->st->code;
    return eng__str_infer_same_shape(ic, ENG_DT_STRING);
}

/* ---- StringToHashBucketFast ------------------------------------------------ */

static tsd_code hash_bucket_infer(eng_infer_ctx *ic)
{
    int64_t nb;
    if (eng_attr_int(ic->node, "num_buckets", &nb, ic->st) != TSD_OK)
        return ic->st->code;
    if (nb < 1)
        return tsd_err(ic->st, TSD_INVALID_ARGUMENT, "num_buckets must be >= 1, got %lld",
                       (long long)nb);
    return eng__str_infer_same_shape(ic, ENG_DT_INT64);
}

static tsd_code hash_bucket_compute(eng_kctx *ctx)
{
    const eng_tensor *in = &ctx->inputs[0];
    int64_t nb;
    if (eng_attr_int(ctx->node, "num_buckets", &nb, ctx->st) != TSD_OK)
        return ctx->st->code;
    if (nb < 1)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "num_buckets must be >= 1, got %lld",
                       (long long)nb);
    if (in->dtype != ENG_DT_STRING)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "StringToHashBucketFast expects a string input, got %s",
                       eng_dtype_name(in->dtype));
    eng_tensor *out = eng_kctx_output(ctx, 0, ENG_DT_INT64, in->rank, in->dims);
    if (!out)
        return ctx->st->code;
    int64_t n = eng_tensor_num_elements(in);
    const eng_str *s = in->data;
    int64_t *o = out->data;
    for (int64_t i = 0; i < n; i++)
        o[i] = (int64_t)(eng_fingerprint64(s[i].ptr, s[i].len) % (uint64_t)nb);
    return TSD_OK;
}

/* ---- StringJoin ------------------------------------------------------------ */

static tsd_code string_join_infer(eng_infer_ctx *ic)
{
    ic->noutputs = 1;
    ic->outputs[0].dtype = ENG_DT_STRING;
    ic->outputs[0].shape.rank = 0;
    /* The output takes the shape of the non-scalar inputs (all equal). */
    for (int i = 0; i < ic->ninputs; i++) {
        if (ic->inputs[i].shape.rank != 0) {
            ic->outputs[0].shape = ic->inputs[i].shape;
            break;
        }
    }
    return TSD_OK;
}

static tsd_code string_join_compute(eng_kctx *ctx)
{
    eng_str sep = {"", 0};
    const eng_attr *sa = eng_node_attr(ctx->node, "separator");
    if (sa && sa->kind == ENG_ATTR_STRING)
        sep = sa->s;
    const eng_tensor *shape_src = NULL;
    for (int i = 0; i < ctx->ninputs; i++) {
        const eng_tensor *t = &ctx->inputs[i];
        if (t->dtype != ENG_DT_STRING)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "StringJoin input %d is %s, not string",
                           i, eng_dtype_name(t->dtype));
        if (t->rank == 0)
            continue;
        if (!shape_src) {
            shape_src = t;
            continue;
        }
        int same = t->rank == shape_src->rank;
        for (int k = 0; same && k < t->rank; k++)
            same = t->dims[k] == shape_src->dims[k];
        if (!same) {
            char a[96], b[96];
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                           "Inputs must be scalars or have the same shape: input 0 %s vs "
                           "input %d %s",
                           eng_shape_str(shape_src->dims, shape_src->rank, a, 96), i,
                           eng_shape_str(t->dims, t->rank, b, 96));
        }
    }
    int rank = shape_src ? shape_src->rank : 0;
    eng_tensor *out =
        eng_kctx_output(ctx, 0, ENG_DT_STRING, rank, shape_src ? shape_src->dims : NULL);
    if (!out)
        return ctx->st->code;
    int64_t n = eng_tensor_num_elements(out);
    eng_str *o = out->data;
    for (int64_t e = 0; e < n; e++) {
        size_t total = 0;
        for (int i = 0; i < ctx->ninputs; i++) {
            const eng_str *s = ctx->inputs[i].data;
            total += s[ctx->inputs[i].rank ? e : 0].len + (i ? sep.len : 0);
        }
        char *buf = eng_kctx_scratch(ctx, total + 1);
        if (!buf)
            return ctx->st->code; /* assembled here, then copied into call memory */
        size_t pos = 0;
        for (int i = 0; i < ctx->ninputs; i++) {
            const eng_str *s = &((const eng_str *)ctx->inputs[i].data)[ctx->inputs[i].rank ? e : 0];
            if (i && sep.len) {
                memcpy(buf + pos, sep.ptr, sep.len);
                pos += sep.len;
            }
            if (s->len)
                memcpy(buf + pos, s->ptr, s->len);
            pos += s->len;
        }
        if (eng_kctx_str(ctx, buf, pos, &o[e]) != TSD_OK)
            return ctx->st->code;
    }
    return TSD_OK;
}

/* ---- StringLength ---------------------------------------------------------- */

static tsd_code string_length_infer(eng_infer_ctx *ic)
{
    return eng__str_infer_same_shape(ic, ENG_DT_INT32);
}

/* Number of UTF-8 code points: bytes that are not continuation bytes. */
static size_t utf8_chars(const eng_str *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->len; i++)
        n += ((unsigned char)s->ptr[i] & 0xc0) != 0x80;
    return n;
}

static tsd_code string_length_compute(eng_kctx *ctx)
{
    const eng_tensor *in = &ctx->inputs[0];
    if (in->dtype != ENG_DT_STRING)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "StringLength expects strings, got %s",
                       eng_dtype_name(in->dtype));
    eng_str unit = {"BYTE", 4};
    const eng_attr *ua = eng_node_attr(ctx->node, "unit");
    if (ua && ua->kind == ENG_ATTR_STRING)
        unit = ua->s;
    int utf8 = unit.len == 9 && memcmp(unit.ptr, "UTF8_CHAR", 9) == 0;
    if (!utf8 && !(unit.len == 4 && memcmp(unit.ptr, "BYTE", 4) == 0))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "unit must be BYTE or UTF8_CHAR");
    eng_tensor *out = eng_kctx_output(ctx, 0, ENG_DT_INT32, in->rank, in->dims);
    if (!out)
        return ctx->st->code;
    int64_t n = eng_tensor_num_elements(in);
    const eng_str *s = in->data;
    for (int64_t i = 0; i < n; i++) {
        size_t len = utf8 ? utf8_chars(&s[i]) : s[i].len;
        if (len > INT32_MAX)
            return tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "string %lld is too long", (long long)i);
        ((int32_t *)out->data)[i] = (int32_t)len;
    }
    return TSD_OK;
}

/* ---- Substr ---------------------------------------------------------------- */

static int64_t int_at(const eng_tensor *t, int64_t i)
{
    return t->dtype == ENG_DT_INT64 ? ((const int64_t *)t->data)[i] : ((const int32_t *)t->data)[i];
}

static tsd_code substr_infer(eng_infer_ctx *ic)
{
    return eng__str_infer_same_shape(ic, ENG_DT_STRING);
}

static tsd_code substr_compute(eng_kctx *ctx)
{
    const eng_tensor *in = &ctx->inputs[0], *pos = &ctx->inputs[1], *len = &ctx->inputs[2];
    if (in->dtype != ENG_DT_STRING || (pos->dtype != ENG_DT_INT32 && pos->dtype != ENG_DT_INT64) ||
        len->dtype != pos->dtype)
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "Substr expects (string, int32|int64, same int type) inputs");
    eng_str unit = {"BYTE", 4};
    const eng_attr *ua = eng_node_attr(ctx->node, "unit");
    if (ua && ua->kind == ENG_ATTR_STRING)
        unit = ua->s;
    if (!(unit.len == 4 && memcmp(unit.ptr, "BYTE", 4) == 0))
        return tsd_err(ctx->st, TSD_UNIMPLEMENTED, "Substr: only unit BYTE is supported");
    int64_t n = eng_tensor_num_elements(in);
    int64_t np = eng_tensor_num_elements(pos), nl = eng_tensor_num_elements(len);
    if (np != nl || (np != 1 && np != n) || (pos->rank != 0 && np != n))
        return tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                       "pos and len must be scalars or have the shape of input (broadcasting "
                       "is not supported)");
    eng_tensor *out = eng_kctx_output(ctx, 0, ENG_DT_STRING, in->rank, in->dims);
    if (!out)
        return ctx->st->code;
    const eng_str *s = in->data;
    eng_str *o = out->data;
    for (int64_t i = 0; i < n; i++) {
        int64_t p = int_at(pos, np == 1 ? 0 : i), l = int_at(len, nl == 1 ? 0 : i);
        int64_t slen = (int64_t)s[i].len;
        if (p < 0)
            p += slen; /* negative positions count from the end */
        if (p < 0 || p > slen)
            return tsd_err(ctx->st, TSD_OUT_OF_RANGE,
                           "pos %lld out of range for string b'%.*s' "
                           "at index %lld",
                           (long long)int_at(pos, np == 1 ? 0 : i),
                           (int)(s[i].len > 64 ? 64 : s[i].len), s[i].ptr, (long long)i);
        if (l < 0 || l > slen - p)
            l = slen - p;
        if (eng_kctx_str(ctx, s[i].ptr + p, (size_t)l, &o[i]) != TSD_OK)
            return ctx->st->code;
    }
    return TSD_OK;
}

const eng_op_def eng_ops_string[] = {
    {"AsString", as_string_infer, as_string_compute, NULL, NULL, 0},
    {"SparseCross", eng__sparse_cross_infer, eng__sparse_cross_compute, NULL, NULL, 0},
    {"SparseCrossHashed", eng__sparse_cross_infer, eng__sparse_cross_hashed_compute, NULL, NULL, 0},
    {"SparseCrossV2", eng__sparse_cross_infer, eng__sparse_cross_v2_compute, NULL, NULL, 0},
    {"StringJoin", string_join_infer, string_join_compute, NULL, NULL, 0},
    {"StringLength", string_length_infer, string_length_compute, NULL, NULL, 0},
    {"StringToHashBucketFast", hash_bucket_infer, hash_bucket_compute, NULL, NULL, 0},
    {"Substr", substr_infer, substr_compute, NULL, NULL, 0},
    {NULL, NULL, NULL, NULL, NULL, 0},
};
