/*
 * pbtext.c - protobuf text-format parser and printer over protobuf-c
 * descriptors (see pbtext.h).
 *
 * The tokenizer yields identifiers, numbers, strings and punctuation with
 * their 1-based line/column; the parser walks the descriptor, allocating
 * every field with malloc so protobuf_c_message_free_unpacked() releases the
 * result. Input size and nesting depth are bounded.
 */
#include "common/pbtext.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokenizer -------------------------------------------------------- */

typedef enum { TK_END, TK_IDENT, TK_NUMBER, TK_STRING, TK_PUNCT } tk_kind;

typedef struct {
    tk_kind kind;
    const char *p; /* token text (for strings: including quotes) */
    size_t len;
    int line, col;
} token;

typedef struct {
    const char *s, *end, *cur;
    int line;
    const char *line_start;
    token tok; /* current (peeked) token */
    const char *type_name;
    tsd_status *st;
    int failed;
} parser;

static tsd_code perr(parser *ps, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static tsd_code perr(parser *ps, int line, int col, const char *fmt, ...)
{
    if (ps->failed)
        return TSD_INVALID_ARGUMENT;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ps->failed = 1;
    return tsd_err(ps->st, TSD_INVALID_ARGUMENT, "Error parsing text-format %s: %d:%d: %s",
                   ps->type_name, line, col, msg);
}

static void skip_space(parser *ps)
{
    while (ps->cur < ps->end) {
        char c = *ps->cur;
        if (c == '\n') {
            ps->cur++;
            ps->line++;
            ps->line_start = ps->cur;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            ps->cur++;
        } else if (c == '#') {
            while (ps->cur < ps->end && *ps->cur != '\n')
                ps->cur++;
        } else {
            break;
        }
    }
}

static int is_ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Read the next token into ps->tok. */
static tsd_code next_token(parser *ps)
{
    skip_space(ps);
    token *t = &ps->tok;
    t->line = ps->line;
    t->col = (int)(ps->cur - ps->line_start) + 1;
    t->p = ps->cur;
    if (ps->cur >= ps->end) {
        t->kind = TK_END;
        t->len = 0;
        return TSD_OK;
    }
    char c = *ps->cur;
    if (isalpha((unsigned char)c) || c == '_') {
        while (ps->cur < ps->end && is_ident_char(*ps->cur))
            ps->cur++;
        t->kind = TK_IDENT;
    } else if (isdigit((unsigned char)c) ||
               (c == '.' && ps->cur + 1 < ps->end && isdigit((unsigned char)ps->cur[1]))) {
        while (ps->cur < ps->end && (isalnum((unsigned char)*ps->cur) || *ps->cur == '.' ||
                                     ((*ps->cur == '-' || *ps->cur == '+') &&
                                      (ps->cur[-1] == 'e' || ps->cur[-1] == 'E'))))
            ps->cur++;
        t->kind = TK_NUMBER;
    } else if (c == '"' || c == '\'') {
        ps->cur++;
        while (ps->cur < ps->end && *ps->cur != c) {
            if (*ps->cur == '\n')
                return perr(ps, t->line, t->col, "String literals cannot cross line boundaries.");
            if (*ps->cur == '\\' && ps->cur + 1 < ps->end)
                ps->cur++;
            ps->cur++;
        }
        if (ps->cur >= ps->end)
            return perr(ps, t->line, t->col, "Unexpected end of string.");
        ps->cur++;
        t->kind = TK_STRING;
    } else {
        ps->cur++;
        t->kind = TK_PUNCT;
    }
    t->len = (size_t)(ps->cur - t->p);
    return TSD_OK;
}

static int tok_is(const parser *ps, const char *punct)
{
    return ps->tok.kind == TK_PUNCT && ps->tok.len == 1 && ps->tok.p[0] == punct[0];
}

static tsd_code expect(parser *ps, const char *punct)
{
    if (!tok_is(ps, punct))
        return perr(ps, ps->tok.line, ps->tok.col, "Expected \"%s\", found \"%.*s\".", punct,
                    (int)ps->tok.len, ps->tok.p);
    return next_token(ps);
}

/* ---- values ----------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Append the unescaped contents of the string token to *buf. */
static tsd_code unescape(parser *ps, const token *t, char **buf, size_t *len, size_t *cap)
{
    const char *p = t->p + 1, *e = t->p + t->len - 1;
    while (p < e) {
        if (*len + 4 >= *cap) {
            size_t ncap = *cap ? *cap * 2 : 64;
            char *nb = realloc(*buf, ncap);
            if (!nb)
                return perr(ps, t->line, t->col, "out of memory");
            *buf = nb;
            *cap = ncap;
        }
        char c = *p++;
        if (c != '\\') {
            (*buf)[(*len)++] = c;
            continue;
        }
        if (p >= e)
            return perr(ps, t->line, t->col, "Invalid escape sequence in string literal.");
        c = *p++;
        switch (c) {
        case 'n':
            (*buf)[(*len)++] = '\n';
            break;
        case 't':
            (*buf)[(*len)++] = '\t';
            break;
        case 'r':
            (*buf)[(*len)++] = '\r';
            break;
        case 'a':
            (*buf)[(*len)++] = '\a';
            break;
        case 'b':
            (*buf)[(*len)++] = '\b';
            break;
        case 'f':
            (*buf)[(*len)++] = '\f';
            break;
        case 'v':
            (*buf)[(*len)++] = '\v';
            break;
        case '\\':
        case '\'':
        case '"':
        case '?':
            (*buf)[(*len)++] = c;
            break;
        case 'x': {
            int v = 0, n = 0;
            while (n < 2 && p < e && hexval(*p) >= 0) {
                v = v * 16 + hexval(*p++);
                n++;
            }
            if (n == 0)
                return perr(ps, t->line, t->col, "Invalid escape sequence in string literal.");
            (*buf)[(*len)++] = (char)v;
            break;
        }
        default:
            if (c >= '0' && c <= '7') {
                int v = c - '0', n = 1;
                while (n < 3 && p < e && *p >= '0' && *p <= '7') {
                    v = v * 8 + (*p++ - '0');
                    n++;
                }
                (*buf)[(*len)++] = (char)(v & 0xff);
            } else {
                return perr(ps, t->line, t->col, "Invalid escape sequence in string literal.");
            }
        }
    }
    return TSD_OK;
}

/* One or more adjacent string tokens -> malloc'ed bytes (NUL-terminated). */
static tsd_code parse_string(parser *ps, char **out, size_t *outlen)
{
    if (ps->tok.kind != TK_STRING)
        return perr(ps, ps->tok.line, ps->tok.col, "Expected string, got: %.*s", (int)ps->tok.len,
                    ps->tok.p);
    char *buf = NULL;
    size_t len = 0, cap = 0;
    while (ps->tok.kind == TK_STRING) {
        token t = ps->tok;
        if (unescape(ps, &t, &buf, &len, &cap) || next_token(ps)) {
            free(buf);
            return TSD_INVALID_ARGUMENT;
        }
    }
    if (!buf) {
        buf = malloc(1);
        if (!buf)
            return perr(ps, ps->tok.line, ps->tok.col, "out of memory");
    }
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    return TSD_OK;
}

/* A possibly negative number or identifier-number (inf, nan) as text. */
typedef struct {
    int neg;
    token t;
} numtok;

static tsd_code read_number_token(parser *ps, numtok *n)
{
    n->neg = 0;
    if (tok_is(ps, "-")) {
        n->neg = 1;
        if (next_token(ps))
            return TSD_INVALID_ARGUMENT;
    }
    n->t = ps->tok;
    if (ps->tok.kind != TK_NUMBER && ps->tok.kind != TK_IDENT)
        return perr(ps, ps->tok.line, ps->tok.col, "Expected number, got: %.*s", (int)ps->tok.len,
                    ps->tok.p);
    return next_token(ps);
}

static int tok_eq(const token *t, const char *s)
{
    return t->len == strlen(s) && strncmp(t->p, s, t->len) == 0;
}

static int tok_ieq(const token *t, const char *s)
{
    return t->len == strlen(s) && strncasecmp(t->p, s, t->len) == 0;
}

static tsd_code parse_integer(parser *ps, int is_signed, int bits, uint64_t *out)
{
    numtok n;
    if (read_number_token(ps, &n))
        return TSD_INVALID_ARGUMENT;
    char tmp[64];
    if (n.t.kind != TK_NUMBER || n.t.len >= sizeof tmp)
        return perr(ps, n.t.line, n.t.col, "Expected integer, got: %.*s", (int)n.t.len, n.t.p);
    memcpy(tmp, n.t.p, n.t.len);
    tmp[n.t.len] = '\0';
    char *endp;
    errno = 0;
    unsigned long long v = strtoull(tmp, &endp, 0);
    if (*endp)
        return perr(ps, n.t.line, n.t.col, "Expected integer, got: %s", tmp);
    if (errno == ERANGE)
        return perr(ps, n.t.line, n.t.col, "Integer out of range (%s%s)", n.neg ? "-" : "", tmp);
    if (!is_signed && n.neg)
        return perr(ps, n.t.line, n.t.col, "Expected integer, got: -%s", tmp);
    uint64_t lim = is_signed ? ((uint64_t)1 << (bits - 1)) - 1 + (uint64_t)n.neg
                             : (bits == 64 ? UINT64_MAX : (((uint64_t)1 << bits) - 1));
    if (v > lim)
        return perr(ps, n.t.line, n.t.col, "Integer out of range (%s%s)", n.neg ? "-" : "", tmp);
    *out = n.neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    return TSD_OK;
}

static tsd_code parse_double(parser *ps, double *out)
{
    numtok n;
    if (read_number_token(ps, &n))
        return TSD_INVALID_ARGUMENT;
    double v;
    if (n.t.kind == TK_IDENT) {
        if (tok_ieq(&n.t, "inf") || tok_ieq(&n.t, "infinity"))
            v = INFINITY;
        else if (tok_ieq(&n.t, "nan"))
            v = NAN;
        else
            return perr(ps, n.t.line, n.t.col, "Expected double, got: %.*s", (int)n.t.len, n.t.p);
    } else {
        char tmp[64];
        if (n.t.len >= sizeof tmp)
            return perr(ps, n.t.line, n.t.col, "Expected double, got: %.*s", (int)n.t.len, n.t.p);
        memcpy(tmp, n.t.p, n.t.len);
        tmp[n.t.len] = '\0';
        size_t l = n.t.len;
        if (l > 1 && (tmp[l - 1] == 'f' || tmp[l - 1] == 'F') &&
            !(tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X')))
            tmp[l - 1] = '\0';
        char *endp;
        v = strtod(tmp, &endp);
        if (*endp)
            return perr(ps, n.t.line, n.t.col, "Expected double, got: %s", tmp);
    }
    *out = n.neg ? -v : v;
    return TSD_OK;
}

static tsd_code parse_bool(parser *ps, int *out)
{
    token t = ps->tok;
    if (tok_eq(&t, "true") || tok_eq(&t, "True") || tok_eq(&t, "t") || tok_eq(&t, "1"))
        *out = 1;
    else if (tok_eq(&t, "false") || tok_eq(&t, "False") || tok_eq(&t, "f") || tok_eq(&t, "0"))
        *out = 0;
    else
        return perr(ps, t.line, t.col, "Invalid value for boolean field: \"%.*s\"", (int)t.len,
                    t.p);
    return next_token(ps);
}

static tsd_code parse_enum(parser *ps, const ProtobufCFieldDescriptor *f, int *out)
{
    const ProtobufCEnumDescriptor *ed = f->descriptor;
    token t = ps->tok;
    if (t.kind == TK_IDENT) {
        for (unsigned i = 0; i < ed->n_values; i++)
            if (tok_eq(&t, ed->values[i].name)) {
                *out = ed->values[i].value;
                return next_token(ps);
            }
        return perr(ps, t.line, t.col, "Unknown enumeration value of \"%.*s\" for field \"%s\".",
                    (int)t.len, t.p, f->name);
    }
    uint64_t v;
    if (parse_integer(ps, 1, 32, &v))
        return TSD_INVALID_ARGUMENT;
    *out = (int)(int64_t)v;
    return TSD_OK;
}

/* ---- message fields ------------------------------------------------------ */

static size_t scalar_size(ProtobufCType type)
{
    switch (type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_ENUM:
        return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_FLOAT:
        return 4;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    }
    return 0;
}

static tsd_code parse_message_body(parser *ps, ProtobufCMessage *msg, int depth, const char *close);

/* Parse one value of field f into dst (storage of scalar_size(f->type)). */
static tsd_code parse_value(parser *ps, const ProtobufCFieldDescriptor *f, void *dst, int depth)
{
    uint64_t u = 0;
    double d = 0;
    int b = 0;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (parse_integer(ps, 1, 32, &u))
            return TSD_INVALID_ARGUMENT;
        *(int32_t *)dst = (int32_t)(int64_t)u;
        return TSD_OK;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (parse_integer(ps, 0, 32, &u))
            return TSD_INVALID_ARGUMENT;
        *(uint32_t *)dst = (uint32_t)u;
        return TSD_OK;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (parse_integer(ps, 1, 64, &u))
            return TSD_INVALID_ARGUMENT;
        *(int64_t *)dst = (int64_t)u;
        return TSD_OK;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (parse_integer(ps, 0, 64, &u))
            return TSD_INVALID_ARGUMENT;
        *(uint64_t *)dst = u;
        return TSD_OK;
    case PROTOBUF_C_TYPE_FLOAT:
        if (parse_double(ps, &d))
            return TSD_INVALID_ARGUMENT;
        *(float *)dst = (float)d;
        return TSD_OK;
    case PROTOBUF_C_TYPE_DOUBLE:
        if (parse_double(ps, &d))
            return TSD_INVALID_ARGUMENT;
        *(double *)dst = d;
        return TSD_OK;
    case PROTOBUF_C_TYPE_BOOL:
        if (parse_bool(ps, &b))
            return TSD_INVALID_ARGUMENT;
        *(protobuf_c_boolean *)dst = b;
        return TSD_OK;
    case PROTOBUF_C_TYPE_ENUM:
        if (parse_enum(ps, f, &b))
            return TSD_INVALID_ARGUMENT;
        *(int *)dst = b;
        return TSD_OK;
    case PROTOBUF_C_TYPE_STRING: {
        char *s;
        size_t len;
        if (parse_string(ps, &s, &len))
            return TSD_INVALID_ARGUMENT;
        *(char **)dst = s;
        return TSD_OK;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        char *s;
        size_t len;
        if (parse_string(ps, &s, &len))
            return TSD_INVALID_ARGUMENT;
        ProtobufCBinaryData *bd = dst;
        bd->data = (uint8_t *)s;
        bd->len = len;
        return TSD_OK;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessageDescriptor *md = f->descriptor;
        const char *close = "}";
        if (tok_is(ps, "<"))
            close = ">";
        else if (!tok_is(ps, "{"))
            return perr(ps, ps->tok.line, ps->tok.col, "Expected \"{\", found \"%.*s\".",
                        (int)ps->tok.len, ps->tok.p);
        if (depth >= TSD_PBTEXT_MAX_DEPTH)
            return perr(ps, ps->tok.line, ps->tok.col, "Message is too deep");
        if (next_token(ps))
            return TSD_INVALID_ARGUMENT;
        ProtobufCMessage *sub = malloc(md->sizeof_message);
        if (!sub)
            return perr(ps, ps->tok.line, ps->tok.col, "out of memory");
        protobuf_c_message_init(md, sub);
        *(ProtobufCMessage **)dst = sub; /* owned by the parent from here on */
        if (parse_message_body(ps, sub, depth + 1, close))
            return TSD_INVALID_ARGUMENT;
        return next_token(ps); /* the closing brace */
    }
    }
    return perr(ps, ps->tok.line, ps->tok.col, "unsupported field type");
}

/* Release a singular field's current heap value before it is overwritten. */
static void release_singular(const ProtobufCFieldDescriptor *f, void *member)
{
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        char *s = *(char **)member;
        if (s && s != (const char *)f->default_value)
            free(s);
        *(char **)member = NULL;
    } else if (f->type == PROTOBUF_C_TYPE_BYTES) {
        ProtobufCBinaryData *bd = member;
        const ProtobufCBinaryData *def = f->default_value;
        if (bd->data && (!def || bd->data != def->data))
            free(bd->data);
        bd->data = NULL;
        bd->len = 0;
    } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        ProtobufCMessage *m = *(ProtobufCMessage **)member;
        if (m)
            protobuf_c_message_free_unpacked(m, NULL);
        *(ProtobufCMessage **)member = NULL;
    }
}

/* Clear the other members of f's oneof before f is set. */
static void clear_oneof(ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    uint32_t *kase = (uint32_t *)((char *)msg + f->quantifier_offset);
    if (*kase == 0 || *kase == f->id)
        return;
    const ProtobufCMessageDescriptor *md = msg->descriptor;
    for (unsigned i = 0; i < md->n_fields; i++) {
        const ProtobufCFieldDescriptor *o = &md->fields[i];
        if (o->id == *kase && o->quantifier_offset == f->quantifier_offset)
            release_singular(o, (char *)msg + o->offset);
    }
    *kase = 0;
}

static tsd_code append_repeated(parser *ps, ProtobufCMessage *msg,
                                const ProtobufCFieldDescriptor *f, int depth)
{
    size_t *n = (size_t *)((char *)msg + f->quantifier_offset);
    void **arr = (void **)((char *)msg + f->offset);
    size_t es = scalar_size(f->type);
    char tmp[sizeof(ProtobufCBinaryData) > 8 ? sizeof(ProtobufCBinaryData) : 8];
    memset(tmp, 0, sizeof tmp);
    if (parse_value(ps, f, tmp, depth)) {
        /* a message value is attached to tmp: free it */
        if (f->type == PROTOBUF_C_TYPE_MESSAGE && *(ProtobufCMessage **)tmp)
            protobuf_c_message_free_unpacked(*(ProtobufCMessage **)tmp, NULL);
        else if (f->type == PROTOBUF_C_TYPE_STRING)
            free(*(char **)tmp);
        return TSD_INVALID_ARGUMENT;
    }
    void *na = realloc(*arr, (*n + 1) * es);
    if (!na) {
        release_singular(f, tmp);
        return perr(ps, ps->tok.line, ps->tok.col, "out of memory");
    }
    memcpy((char *)na + *n * es, tmp, es);
    *arr = na;
    (*n)++;
    return TSD_OK;
}

static const ProtobufCFieldDescriptor *find_field(const ProtobufCMessageDescriptor *md,
                                                  const token *t)
{
    for (unsigned i = 0; i < md->n_fields; i++)
        if (tok_eq(t, md->fields[i].name))
            return &md->fields[i];
    return NULL;
}

static tsd_code parse_field(parser *ps, ProtobufCMessage *msg, int depth)
{
    const ProtobufCMessageDescriptor *md = msg->descriptor;
    token name = ps->tok;
    if (name.kind == TK_PUNCT && name.p[0] == '[')
        return perr(ps, name.line, name.col, "Extensions and Any expansions are not supported.");
    if (name.kind != TK_IDENT)
        return perr(ps, name.line, name.col, "Expected identifier, got: %.*s", (int)name.len,
                    name.p);
    const ProtobufCFieldDescriptor *f = find_field(md, &name);
    if (!f)
        return perr(ps, name.line, name.col, "Message type \"%s\" has no field named \"%.*s\".",
                    md->name, (int)name.len, name.p);
    if (next_token(ps))
        return TSD_INVALID_ARGUMENT;
    int is_msg = f->type == PROTOBUF_C_TYPE_MESSAGE;
    if (tok_is(ps, ":")) {
        if (next_token(ps))
            return TSD_INVALID_ARGUMENT;
    } else if (!is_msg) {
        return perr(ps, ps->tok.line, ps->tok.col, "Expected \":\", found \"%.*s\".",
                    (int)ps->tok.len, ps->tok.p);
    }

    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        if (tok_is(ps, "[")) {
            if (next_token(ps))
                return TSD_INVALID_ARGUMENT;
            if (tok_is(ps, "]"))
                return next_token(ps);
            for (;;) {
                if (append_repeated(ps, msg, f, depth))
                    return TSD_INVALID_ARGUMENT;
                if (tok_is(ps, "]"))
                    return next_token(ps);
                if (expect(ps, ","))
                    return TSD_INVALID_ARGUMENT;
            }
        }
        return append_repeated(ps, msg, f, depth);
    }

    void *member = (char *)msg + f->offset;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        clear_oneof(msg, f);
    } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && !is_msg &&
               f->type != PROTOBUF_C_TYPE_STRING) {
        protobuf_c_boolean *has = (protobuf_c_boolean *)((char *)msg + f->quantifier_offset);
        if (*has)
            return perr(ps, name.line, name.col,
                        "Non-repeated field \"%s\" is specified multiple times.", f->name);
    }
    if (is_msg && *(ProtobufCMessage **)member) {
        /* Repeated specification of a singular message merges in protobuf;
         * parse into the existing message. */
        const char *close = tok_is(ps, "<") ? ">" : "}";
        if (!tok_is(ps, "{") && !tok_is(ps, "<"))
            return perr(ps, ps->tok.line, ps->tok.col, "Expected \"{\", found \"%.*s\".",
                        (int)ps->tok.len, ps->tok.p);
        if (depth >= TSD_PBTEXT_MAX_DEPTH)
            return perr(ps, ps->tok.line, ps->tok.col, "Message is too deep");
        if (next_token(ps) ||
            parse_message_body(ps, *(ProtobufCMessage **)member, depth + 1, close))
            return TSD_INVALID_ARGUMENT;
        return next_token(ps);
    }
    release_singular(f, member);
    if (parse_value(ps, f, member, depth)) {
        /* a partly parsed message is not reachable from the parent yet (its
         * oneof case / presence is unset): free it here */
        release_singular(f, member);
        return TSD_INVALID_ARGUMENT;
    }
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        *(uint32_t *)((char *)msg + f->quantifier_offset) = f->id;
    else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && !is_msg && f->type != PROTOBUF_C_TYPE_STRING)
        *(protobuf_c_boolean *)((char *)msg + f->quantifier_offset) = 1;
    return TSD_OK;
}

/* Fields until `close` ("}" / ">") or end of input (close == NULL). */
static tsd_code parse_message_body(parser *ps, ProtobufCMessage *msg, int depth, const char *close)
{
    for (;;) {
        if (close && tok_is(ps, close))
            return TSD_OK;
        if (ps->tok.kind == TK_END) {
            if (!close)
                return TSD_OK;
            return perr(ps, ps->tok.line, ps->tok.col, "Expected \"%s\".", close);
        }
        if (parse_field(ps, msg, depth))
            return TSD_INVALID_ARGUMENT;
        if (tok_is(ps, ",") || tok_is(ps, ";"))
            if (next_token(ps))
                return TSD_INVALID_ARGUMENT;
    }
}

tsd_code tsd_pbtext_parse(const ProtobufCMessageDescriptor *desc, const char *text, size_t len,
                          ProtobufCMessage **out, tsd_status *st)
{
    *out = NULL;
    if (len > TSD_PBTEXT_MAX_INPUT)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "Error parsing text-format %s: input of %zu bytes exceeds the limit",
                       desc->name, len);
    parser ps = {0};
    ps.s = ps.cur = ps.line_start = text;
    ps.end = text + len;
    ps.line = 1;
    ps.type_name = desc->name;
    ps.st = st;
    ProtobufCMessage *msg = malloc(desc->sizeof_message);
    if (!msg)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    protobuf_c_message_init(desc, msg);
    if (next_token(&ps) || parse_message_body(&ps, msg, 0, NULL)) {
        protobuf_c_message_free_unpacked(msg, NULL);
        if (!ps.failed)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "Error parsing text-format %s", desc->name);
        return TSD_INVALID_ARGUMENT;
    }
    *out = msg;
    return TSD_OK;
}

tsd_code tsd_pbtext_parse_file(const ProtobufCMessageDescriptor *desc, const char *path,
                               ProtobufCMessage **out, tsd_status *st)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return tsd_err(st, TSD_NOT_FOUND, "%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= TSD_PBTEXT_MAX_INPUT) {
                free(buf);
                fclose(f);
                return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: file exceeds %u bytes", path,
                               TSD_PBTEXT_MAX_INPUT);
            }
            cap = cap ? cap * 2 : 4096;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: out of memory", path);
            }
            buf = nb;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        free(buf);
        return tsd_err(st, TSD_DATA_LOSS, "%s: read error", path);
    }
    tsd_code c = tsd_pbtext_parse(desc, buf ? buf : "", len, out, st);
    free(buf);
    return c;
}

/* ---- printer ------------------------------------------------------------ */

typedef struct {
    char *buf;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 256;
        while (ncap < b->len + n + 1)
            ncap *= 2;
        char *nb = realloc(b->buf, ncap);
        if (!nb) {
            b->oom = 1;
            return;
        }
        b->buf = nb;
        b->cap = ncap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void print_escaped(sbuf *b, const uint8_t *p, size_t n)
{
    sb_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            sb_put(b, e, 2);
        } else if (c == '\n') {
            sb_put(b, "\\n", 2);
        } else if (c < 0x20 || c >= 0x7f) {
            sb_printf(b, "\\%03o", c);
        } else {
            sb_put(b, (const char *)&c, 1);
        }
    }
    sb_put(b, "\"", 1);
}

static void print_message(sbuf *b, const ProtobufCMessage *msg, int indent);

static void print_value(sbuf *b, const ProtobufCFieldDescriptor *f, const void *v, int indent)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        sb_printf(b, "%" PRId32, *(const int32_t *)v);
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        sb_printf(b, "%" PRIu32, *(const uint32_t *)v);
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        sb_printf(b, "%" PRId64, *(const int64_t *)v);
        break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        sb_printf(b, "%" PRIu64, *(const uint64_t *)v);
        break;
    case PROTOBUF_C_TYPE_FLOAT:
        sb_printf(b, "%.9g", (double)*(const float *)v);
        break;
    case PROTOBUF_C_TYPE_DOUBLE:
        sb_printf(b, "%.17g", *(const double *)v);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        sb_printf(b, "%s", *(const protobuf_c_boolean *)v ? "true" : "false");
        break;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumValue *ev =
            protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)v);
        if (ev)
            sb_printf(b, "%s", ev->name);
        else
            sb_printf(b, "%d", *(const int *)v);
        break;
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)v;
        print_escaped(b, (const uint8_t *)(s ? s : ""), s ? strlen(s) : 0);
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *bd = v;
        print_escaped(b, bd->data, bd->len);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        sb_put(b, "{\n", 2);
        print_message(b, *(ProtobufCMessage *const *)v, indent + 2);
        for (int i = 0; i < indent; i++)
            sb_put(b, " ", 1);
        sb_put(b, "}", 1);
        break;
    }
}

static int is_default(const ProtobufCFieldDescriptor *f, const void *v)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(char *const *)v;
        return !s || !*s;
    }
    case PROTOBUF_C_TYPE_BYTES:
        return ((const ProtobufCBinaryData *)v)->len == 0;
    case PROTOBUF_C_TYPE_MESSAGE:
        return *(ProtobufCMessage *const *)v == NULL;
    default: {
        size_t n = scalar_size(f->type);
        static const char zero[16];
        return memcmp(v, zero, n) == 0;
    }
    }
}

static void print_field_line(sbuf *b, const ProtobufCFieldDescriptor *f, const void *v, int indent)
{
    for (int i = 0; i < indent; i++)
        sb_put(b, " ", 1);
    sb_put(b, f->name, strlen(f->name));
    sb_put(b, f->type == PROTOBUF_C_TYPE_MESSAGE ? " " : ": ",
           f->type == PROTOBUF_C_TYPE_MESSAGE ? 1 : 2);
    print_value(b, f, v, indent);
    sb_put(b, "\n", 1);
}

static void print_message(sbuf *b, const ProtobufCMessage *msg, int indent)
{
    const ProtobufCMessageDescriptor *md = msg->descriptor;
    for (unsigned i = 0; i < md->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &md->fields[i];
        const char *member = (const char *)msg + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)((const char *)msg + f->quantifier_offset);
            const char *arr = *(char *const *)member;
            size_t es = scalar_size(f->type);
            for (size_t k = 0; k < n; k++)
                print_field_line(b, f, arr + k * es, indent);
            continue;
        }
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            if (*(const uint32_t *)((const char *)msg + f->quantifier_offset) != f->id)
                continue;
        } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->type != PROTOBUF_C_TYPE_MESSAGE &&
                   f->type != PROTOBUF_C_TYPE_STRING) {
            if (!*(const protobuf_c_boolean *)((const char *)msg + f->quantifier_offset))
                continue;
        } else if (is_default(f, member)) {
            continue;
        }
        print_field_line(b, f, member, indent);
    }
}

char *tsd_pbtext_print(const ProtobufCMessage *msg)
{
    sbuf b = {0};
    sb_put(&b, "", 0);
    print_message(&b, msg, 0);
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}
