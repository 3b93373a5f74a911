/*
 * run.c - `tensorctl run`: load a SavedModel, feed one signature from the
 * command line and print its outputs, like TensorFlow's saved_model_cli.
 *
 *   tensorctl run DIR --signature_def S [--tag_set serve] [--json]
 *       (--inputs 'name=<json>[;name2=<json>]' |
 *        --input_examples 'name=[{"feat": value, ...}, ...]')
 *
 * JSON values are converted to the dtype the graph gives the fed tensor
 * (not the signature's declared dtype). --input_examples serializes each
 * object as a tf.Example and feeds them as a 1-D string tensor.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli.h"
#include "client/example_json.h"
#include "loader/loader.h"

/* One named value from --inputs / --input_examples. */
typedef struct run_arg {
    char *name;
    json_t *json;
    int examples; /* 1: from --input_examples */
} run_arg;

/* A feed tensor with the memory behind it. */
typedef struct run_feed {
    eng_tensor t;
    void *data;      /* element array (numbers or eng_str) */
    uint8_t **blobs; /* serialized Examples, decoded b64 strings */
    size_t nblobs;
} run_feed;

static void run_usage(void)
{
    fprintf(stderr, "usage: tensorctl run DIR --signature_def S [--tag_set serve] [--json]\n"
                    "         (--inputs 'name=<json>[;name2=<json>]' |\n"
                    "          --input_examples 'name=[{\"feature\": value, ...}, ...]')\n");
}

/* ---- argument parsing ------------------------------------------------------------ */

/* Split "a=<json>;b=<json>" at top-level ';' (outside strings/brackets). */
static tsd_code parse_named_values(const char *s, int examples, run_arg **args, size_t *nargs,
                                   tsd_status *st)
{
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == ';')
            p++;
        if (!*p)
            break;
        const char *eq = strchr(p, '=');
        if (!eq || eq == p)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "expected name=<json> at '%s'", p);
        const char *v = eq + 1, *e = v;
        int depth = 0, in_str = 0;
        for (; *e; e++) {
            if (in_str) {
                if (*e == '\\' && e[1])
                    e++;
                else if (*e == '"')
                    in_str = 0;
            } else if (*e == '"') {
                in_str = 1;
            } else if (*e == '[' || *e == '{') {
                depth++;
            } else if (*e == ']' || *e == '}') {
                depth--;
            } else if (*e == ';' && depth == 0) {
                break;
            }
        }
        json_error_t jerr;
        json_t *j = json_loadb(v, (size_t)(e - v), JSON_DECODE_ANY, &jerr);
        if (!j)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "input '%.*s': bad JSON: %s", (int)(eq - p), p,
                           jerr.text);
        run_arg *na = realloc(*args, (*nargs + 1) * sizeof *na);
        char *name = strndup(p, (size_t)(eq - p));
        if (!na || !name) {
            json_decref(j);
            free(name);
            if (na)
                *args = na;
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        }
        *args = na;
        na[*nargs] = (run_arg){name, j, examples};
        (*nargs)++;
        p = e;
    }
    return TSD_OK;
}

/* ---- JSON -> tensor ------------------------------------------------------------------ */

/* Shape from the first element at each nesting level. */
static tsd_code json_shape(const json_t *j, int *rank, int64_t *dims, tsd_status *st)
{
    *rank = 0;
    while (json_is_array(j)) {
        if (*rank >= ENG_MAX_RANK)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "value nested deeper than %d", ENG_MAX_RANK);
        dims[(*rank)++] = (int64_t)json_array_size(j);
        if (json_array_size(j) == 0)
            break;
        j = json_array_get(j, 0);
    }
    return TSD_OK;
}

/* Keep a decoded buffer alive with the feed. */
static int feed_keep(run_feed *f, uint8_t *blob)
{
    uint8_t **nb = realloc(f->blobs, (f->nblobs + 1) * sizeof *nb);
    if (!nb)
        return -1;
    f->blobs = nb;
    f->blobs[f->nblobs++] = blob;
    return 0;
}

/* Store one JSON scalar as element i of the feed's tensor of dtype dt. */
static tsd_code store_scalar(const json_t *v, eng_dtype dt, run_feed *f, size_t i, tsd_status *st)
{
    void *data = f->data;
    int bad = 0;
    switch (dt) {
    case ENG_DT_FLOAT:
    case ENG_DT_DOUBLE:
        if (!json_is_number(v)) {
            bad = 1;
            break;
        }
        if (dt == ENG_DT_FLOAT)
            ((float *)data)[i] = (float)json_number_value(v);
        else
            ((double *)data)[i] = json_number_value(v);
        break;
    case ENG_DT_INT32:
    case ENG_DT_INT16:
    case ENG_DT_INT8:
    case ENG_DT_UINT8:
    case ENG_DT_INT64: {
        if (!json_is_integer(v)) {
            bad = 1;
            break;
        }
        json_int_t x = json_integer_value(v);
        if (dt == ENG_DT_INT64) {
            ((int64_t *)data)[i] = (int64_t)x;
            break;
        }
        if (x < INT32_MIN || x > INT32_MAX) {
            bad = 1;
            break;
        }
        if (dt == ENG_DT_INT32)
            ((int32_t *)data)[i] = (int32_t)x;
        else if (dt == ENG_DT_INT16)
            ((int16_t *)data)[i] = (int16_t)x;
        else if (dt == ENG_DT_INT8)
            ((int8_t *)data)[i] = (int8_t)x;
        else
            ((uint8_t *)data)[i] = (uint8_t)x;
        break;
    }
    case ENG_DT_BOOL:
        if (!json_is_boolean(v)) {
            bad = 1;
            break;
        }
        ((uint8_t *)data)[i] = json_is_true(v) ? 1 : 0;
        break;
    case ENG_DT_STRING: {
        const json_t *b64 = json_is_object(v) ? json_object_get(v, "b64") : NULL;
        if (b64 && json_object_size(v) == 1 && json_is_string(b64)) {
            uint8_t *buf;
            size_t len;
            if (cli_b64_decode(json_string_value(b64), json_string_length(b64), &buf, &len) != 0)
                return tsd_err(st, TSD_INVALID_ARGUMENT, "Unable to base64 decode");
            if (feed_keep(f, buf) != 0) {
                free(buf);
                return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
            }
            ((eng_str *)data)[i] = (eng_str){(const char *)buf, len};
            break;
        }
        if (!json_is_string(v)) {
            bad = 1;
            break;
        }
        ((eng_str *)data)[i] = (eng_str){json_string_value(v), json_string_length(v)};
        break;
    }
    default:
        return tsd_err(st, TSD_UNIMPLEMENTED, "conversion of JSON to %s is not supported",
                       eng_dtype_name(dt));
    }
    if (bad) {
        char *txt = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        tsd_err(st, TSD_INVALID_ARGUMENT, "JSON value %.256s is not of expected type: %s",
                txt ? txt : "?", eng_dtype_name(dt));
        free(txt);
        return TSD_INVALID_ARGUMENT;
    }
    return TSD_OK;
}

/* Fill elements row-major, checking every list has the expected length. */
static tsd_code fill_rec(const json_t *j, int level, int rank, const int64_t *dims, eng_dtype dt,
                         run_feed *f, size_t *pos, tsd_status *st)
{
    if (level == rank) {
        if (json_is_array(j))
            return tsd_err(st, TSD_INVALID_ARGUMENT, "list found at incorrect level %d", level);
        return store_scalar(j, dt, f, (*pos)++, st);
    }
    if (!json_is_array(j) || (int64_t)json_array_size(j) != dims[level])
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "encountered list at unexpected size at level %d (expected %lld)", level,
                       (long long)dims[level]);
    for (size_t i = 0; i < json_array_size(j); i++)
        if (fill_rec(json_array_get(j, i), level + 1, rank, dims, dt, f, pos, st) != TSD_OK)
            return st->code;
    return TSD_OK;
}

static tsd_code json_to_feed(const json_t *j, eng_dtype dt, run_feed *f, tsd_status *st)
{
    memset(f, 0, sizeof *f);
    int rank;
    int64_t dims[ENG_MAX_RANK];
    if (json_shape(j, &rank, dims, st) != TSD_OK)
        return st->code;
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i]; /* bounded by the JSON text size */
    size_t es = eng_dtype_size(dt);
    if (es == 0)
        return tsd_err(st, TSD_UNIMPLEMENTED, "conversion of JSON to %s is not supported",
                       eng_dtype_name(dt));
    f->data = calloc(n > 0 ? (size_t)n : 1, es);
    if (!f->data)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    size_t pos = 0;
    if (n > 0 && fill_rec(j, 0, rank, dims, dt, f, &pos, st) != TSD_OK)
        return st->code;
    f->t.dtype = dt;
    f->t.rank = rank;
    memcpy(f->t.dims, dims, (size_t)rank * sizeof dims[0]);
    f->t.data = f->data;
    f->t.nbytes = (size_t)n * es;
    return TSD_OK;
}

static tsd_code examples_to_feed(const json_t *j, run_feed *f, tsd_status *st)
{
    memset(f, 0, sizeof *f);
    if (!json_is_array(j) || json_array_size(j) == 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "--input_examples expects a non-empty list of objects");
    size_t n = json_array_size(j);
    eng_str *strs = calloc(n, sizeof *strs);
    f->blobs = calloc(n, sizeof *f->blobs);
    f->data = strs;
    if (!strs || !f->blobs)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < n; i++) {
        size_t len;
        if (cli_example_from_json(json_array_get(j, i), &f->blobs[i], &len, st) != TSD_OK)
            return tsd_status_prefix(st, "example %zu", i);
        f->nblobs = i + 1;
        strs[i] = (eng_str){(const char *)f->blobs[i], len};
    }
    f->t.dtype = ENG_DT_STRING;
    f->t.rank = 1;
    f->t.dims[0] = (int64_t)n;
    f->t.data = strs;
    f->t.nbytes = n * sizeof *strs;
    return TSD_OK;
}

static void feed_free(run_feed *f)
{
    for (size_t i = 0; i < f->nblobs; i++)
        free(f->blobs[i]);
    free(f->blobs);
    free(f->data);
}

/* ---- printing ------------------------------------------------------------------------ */

/* TF Serving's float style: %g when it round-trips, else max digits. */
static void print_real(FILE *o, double v, int single)
{
    if (isnan(v)) {
        fputs("NaN", o);
        return;
    }
    if (isinf(v)) {
        fputs(v > 0 ? "Infinity" : "-Infinity", o);
        return;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%.6g", v);
    double back = strtod(buf, NULL);
    if (single ? (float)back != (float)v : back != v)
        snprintf(buf, sizeof buf, single ? "%.9g" : "%.17g", v);
    fputs(buf, o);
    if (!strpbrk(buf, ".e"))
        fputs(".0", o);
}

static void print_elem(FILE *o, const eng_tensor *t, size_t i)
{
    switch (t->dtype) {
    case ENG_DT_FLOAT:
        print_real(o, ((const float *)t->data)[i], 1);
        break;
    case ENG_DT_DOUBLE:
        print_real(o, ((const double *)t->data)[i], 0);
        break;
    case ENG_DT_INT32:
        fprintf(o, "%d", ((const int32_t *)t->data)[i]);
        break;
    case ENG_DT_INT16:
        fprintf(o, "%d", ((const int16_t *)t->data)[i]);
        break;
    case ENG_DT_INT8:
        fprintf(o, "%d", ((const int8_t *)t->data)[i]);
        break;
    case ENG_DT_UINT8:
        fprintf(o, "%u", ((const uint8_t *)t->data)[i]);
        break;
    case ENG_DT_UINT16:
        fprintf(o, "%u", ((const uint16_t *)t->data)[i]);
        break;
    case ENG_DT_UINT32:
        fprintf(o, "%u", ((const uint32_t *)t->data)[i]);
        break;
    case ENG_DT_INT64:
        fprintf(o, "%lld", (long long)((const int64_t *)t->data)[i]);
        break;
    case ENG_DT_UINT64:
        fprintf(o, "%llu", (unsigned long long)((const uint64_t *)t->data)[i]);
        break;
    case ENG_DT_BOOL:
        fputs(((const uint8_t *)t->data)[i] ? "true" : "false", o);
        break;
    case ENG_DT_STRING: {
        const eng_str *s = &((const eng_str *)t->data)[i];
        json_t *js = json_stringn_nocheck(s->ptr, s->len);
        char *txt = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
        fputs(txt ? txt : "\"\"", o);
        free(txt);
        json_decref(js);
        break;
    }
    default:
        fputs("null", o);
        break;
    }
}

static void print_rec(FILE *o, const eng_tensor *t, int level, size_t *pos)
{
    if (level == t->rank) {
        print_elem(o, t, (*pos)++);
        return;
    }
    fputc('[', o);
    for (int64_t i = 0; i < t->dims[level]; i++) {
        if (i)
            fputs(", ", o);
        print_rec(o, t, level + 1, pos);
    }
    fputc(']', o);
}

static void print_tensor(FILE *o, const eng_tensor *t)
{
    size_t pos = 0;
    print_rec(o, t, 0, &pos);
}

/* ---- the command ------------------------------------------------------------------- */

typedef struct run_opts {
    const char *dir;
    const char *sig;
    const char *tag_set;
    int json;
    run_arg *args;
    size_t nargs;
} run_opts;

/* Value of "--flag value" or "--flag=value"; advances *i. */
static const char *flag_value(int argc, char **argv, int *i, const char *flag)
{
    size_t n = strlen(flag);
    if (strncmp(argv[*i], flag, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

static int parse_args(int argc, char **argv, run_opts *o, tsd_status *st)
{
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 2;
        if (strcmp(argv[i], "--json") == 0) {
            o->json = 1;
        } else if ((v = flag_value(argc, argv, &i, "--signature_def"))) {
            o->sig = v;
        } else if ((v = flag_value(argc, argv, &i, "--tag_set"))) {
            o->tag_set = v;
        } else if ((v = flag_value(argc, argv, &i, "--dir"))) {
            o->dir = v;
        } else if ((v = flag_value(argc, argv, &i, "--inputs"))) {
            if (parse_named_values(v, 0, &o->args, &o->nargs, st) != TSD_OK)
                return 1;
        } else if ((v = flag_value(argc, argv, &i, "--input_examples"))) {
            if (parse_named_values(v, 1, &o->args, &o->nargs, st) != TSD_OK)
                return 1;
        } else if (argv[i][0] != '-' && !o->dir) {
            o->dir = argv[i];
        } else {
            tsd_err(st, TSD_INVALID_ARGUMENT, "unknown or incomplete argument '%s'", argv[i]);
            return 2;
        }
    }
    if (!o->dir || !o->sig) {
        tsd_err(st, TSD_INVALID_ARGUMENT, "DIR and --signature_def are required");
        return 2;
    }
    return 0;
}

/* Split "serve,gpu" into tags (pointers into buf). */
static int split_tags(char *buf, const char **tags, int max)
{
    int n = 0;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t && n < max;
         t = strtok_r(NULL, ",", &save))
        tags[n++] = t;
    return n;
}

static tsd_code run_signature(const run_opts *o, ldr_model *m, tsd_status *st)
{
    const ldr_signature *sig = ldr_saved_model_find_signature(ldr_model_saved_model(m), o->sig);
    const eng_plan *plan = sig ? ldr_model_plan(m, o->sig, st) : NULL;
    if (!sig || !plan)
        return tsd_err(st, TSD_NOT_FOUND, "signature '%s' not found", o->sig);
    for (size_t a = 0; a < o->nargs; a++) {
        size_t i = 0;
        while (i < sig->ninputs && strcmp(sig->inputs[i].key, o->args[a].name) != 0)
            i++;
        if (i == sig->ninputs)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "signature '%s' has no input '%s'", o->sig,
                           o->args[a].name);
    }
    run_feed *feeds = calloc(sig->ninputs + 1, sizeof *feeds);
    eng_tensor *ft = calloc(sig->ninputs + 1, sizeof *ft);
    eng_tensor *outs = calloc(sig->noutputs + 1, sizeof *outs);
    eng_call *call = eng_call_new();
    tsd_code rc =
        feeds && ft && outs && call ? TSD_OK : tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; rc == TSD_OK && i < sig->ninputs; i++) {
        const run_arg *arg = NULL;
        for (size_t a = 0; a < o->nargs; a++)
            if (strcmp(o->args[a].name, sig->inputs[i].key) == 0)
                arg = &o->args[a];
        if (!arg) {
            rc = tsd_err(st, TSD_INVALID_ARGUMENT, "missing input '%s'", sig->inputs[i].key);
            break;
        }
        eng_dtype dt = eng_plan_feed_dtype(plan, (int)i);
        if (arg->examples)
            rc = examples_to_feed(arg->json, &feeds[i], st);
        else
            rc = json_to_feed(arg->json, dt, &feeds[i], st);
        if (rc != TSD_OK)
            tsd_status_prefix(st, "input '%s'", sig->inputs[i].key);
        ft[i] = feeds[i].t;
    }
    if (rc == TSD_OK)
        rc = eng_plan_run(plan, call, ft, outs, st);
    if (rc == TSD_OK) {
        if (o->json)
            fputc('{', stdout);
        for (size_t i = 0; i < sig->noutputs; i++) {
            if (o->json) {
                json_t *k = json_string(sig->outputs[i].key);
                char *txt = k ? json_dumps(k, JSON_ENCODE_ANY) : NULL;
                printf("%s%s: ", i ? ", " : "", txt ? txt : "\"\"");
                free(txt);
                json_decref(k);
            } else {
                printf("Result for output key %s:\n", sig->outputs[i].key);
            }
            print_tensor(stdout, &outs[i]);
            if (!o->json)
                fputc('\n', stdout);
        }
        if (o->json)
            fputs("}\n", stdout);
    }
    for (size_t i = 0; feeds && i < sig->ninputs; i++)
        feed_free(&feeds[i]);
    free(feeds);
    free(ft);
    free(outs);
    if (call)
        eng_call_free(call);
    return rc;
}

int cli_cmd_run(int argc, char **argv)
{
    tsd_status st = TSD_STATUS_INIT;
    run_opts o;
    memset(&o, 0, sizeof o);
    int ret = parse_args(argc, argv, &o, &st);
    if (ret == 0) {
        char tagbuf[256] = "serve";
        const char *tags[16];
        if (o.tag_set)
            snprintf(tagbuf, sizeof tagbuf, "%s", o.tag_set);
        int ntags = split_tags(tagbuf, tags, 16);
        ldr_load_options lo = {tags, ntags, o.dir};
        ldr_model *m = NULL;
        if (ldr_model_load(o.dir, &lo, &m, &st) != TSD_OK || run_signature(&o, m, &st) != TSD_OK)
            ret = 1;
        ldr_model_free(m);
    }
    if (ret != 0) {
        if (st.msg[0])
            fprintf(stderr, "tensorctl run: %s\n", st.msg);
        if (ret == 2)
            run_usage();
    }
    for (size_t i = 0; i < o.nargs; i++) {
        free(o.args[i].name);
        json_decref(o.args[i].json);
    }
    free(o.args);
    return ret;
}
