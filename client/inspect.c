/*
 * inspect.c - `tensorctl inspect DIR [--tag_set T] [--signature NAME] [--json]`.
 *
 * Text output follows `saved_model_cli show --all` (and, with --signature,
 * `saved_model_cli show --signature_def`), then lists the checkpoint
 * entries, the assets and the init op. --json prints the same facts as one
 * JSON object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client/cli.h"
#include "loader/loader.h"

/* Most tags accepted in one --tag_set. */
#define INS_MAX_TAGS 16

typedef struct ins_opts {
    const char *dir;
    const char *tag_set; /* NULL: "serve" */
    const char *signature;
    int json;
} ins_opts;

/* A tag set split into a tag array (points into buf). */
typedef struct ins_tags {
    char buf[1024];
    const char *tags[INS_MAX_TAGS];
    int n;
} ins_tags;

static const char *const ins_dtype_names[] = {
    "DT_INVALID",    "DT_FLOAT",  "DT_DOUBLE",    "DT_INT32",   "DT_UINT8",   "DT_INT16",
    "DT_INT8",       "DT_STRING", "DT_COMPLEX64", "DT_INT64",   "DT_BOOL",    "DT_QINT8",
    "DT_QUINT8",     "DT_QINT32", "DT_BFLOAT16",  "DT_QINT16",  "DT_QUINT16", "DT_UINT16",
    "DT_COMPLEX128", "DT_HALF",   "DT_RESOURCE",  "DT_VARIANT", "DT_UINT32",  "DT_UINT64",
};

/* TensorFlow's DataType enum name ("DT_FLOAT", "DT_FLOAT_REF"), or "DT_<n>". */
static const char *ins_dtype_name(int dt, char *buf, size_t len)
{
    int n = (int)(sizeof ins_dtype_names / sizeof ins_dtype_names[0]);
    int base = dt > ENG_DT_REF_OFFSET ? dt - ENG_DT_REF_OFFSET : dt;
    if (base >= 0 && base < n && (base != 0 || dt == 0))
        snprintf(buf, len, "%s%s", ins_dtype_names[base], dt > ENG_DT_REF_OFFSET ? "_REF" : "");
    else
        snprintf(buf, len, "DT_%d", dt);
    return buf;
}

/* "(-1, 1)" as saved_model_cli writes shapes, or "unknown_rank". */
static const char *ins_shape_str(int rank, const int64_t *dims, char *buf, size_t len)
{
    if (rank < 0) {
        snprintf(buf, len, "unknown_rank");
        return buf;
    }
    size_t off = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < rank && off < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%lld", i ? ", " : "", (long long)dims[i]);
    if (off < len)
        snprintf(buf + off, len - off, ")");
    return buf;
}

static void ins_usage(FILE *f)
{
    fprintf(f, "usage: tensorctl inspect DIR [--tag_set TAGS] [--signature NAME] [--json]\n"
               "  DIR               SavedModel export directory (holding saved_model.pb)\n"
               "  --tag_set TAGS    comma-separated tag set of the MetaGraphDef (serve)\n"
               "  --signature NAME  show only this signature\n"
               "  --json            print one JSON object instead of text\n");
}

/* Value of "--name VALUE" or "--name=VALUE" at argv[*i]; NULL if not this option. */
static const char *ins_opt_value(int argc, char **argv, int *i, const char *name, int *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

/* Parse arguments: 0 ok, 1 help printed, 2 usage error. */
static int ins_parse(int argc, char **argv, ins_opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            ins_usage(stdout);
            return 1;
        } else if (strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if ((v = ins_opt_value(argc, argv, &i, "--tag_set", &missing)) != NULL) {
            o->tag_set = v;
        } else if ((v = ins_opt_value(argc, argv, &i, "--signature", &missing)) != NULL ||
                   (v = ins_opt_value(argc, argv, &i, "--signature_def", &missing)) != NULL) {
            o->signature = v;
        } else if ((v = ins_opt_value(argc, argv, &i, "--dir", &missing)) != NULL) {
            o->dir = v;
        } else if (missing) {
            fprintf(stderr, "tensorctl inspect: option %s needs a value\n", a);
            return 2;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "tensorctl inspect: unknown option '%s'\n", a);
            return 2;
        } else if (!o->dir) {
            o->dir = a;
        } else {
            fprintf(stderr, "tensorctl inspect: unexpected argument '%s'\n", a);
            return 2;
        }
        if (missing) {
            fprintf(stderr, "tensorctl inspect: option %s needs a value\n", a);
            return 2;
        }
    }
    if (!o->dir) {
        fprintf(stderr, "tensorctl inspect: missing SavedModel directory\n");
        return 2;
    }
    return 0;
}

/* Split "serve,gpu" into tags; -1 if there are too many or it is too long. */
static int ins_split_tags(const char *s, ins_tags *t)
{
    if (strlen(s) >= sizeof t->buf)
        return -1;
    memcpy(t->buf, s, strlen(s) + 1);
    t->n = 0;
    if (!t->buf[0])
        return 0;
    char *save = NULL;
    for (char *tok = strtok_r(t->buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (t->n == INS_MAX_TAGS)
            return -1;
        t->tags[t->n++] = tok;
    }
    return 0;
}

static tsd_code ins_open(const char *dir, const char *tag_set, ldr_saved_model **sm, tsd_status *st)
{
    if (!tag_set)
        return ldr_saved_model_open(dir, NULL, 0, sm, st);
    ins_tags t;
    if (ins_split_tags(tag_set, &t) != 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "tag set '%s' is too long", tag_set);
    return ldr_saved_model_open(dir, t.tags, t.n, sm, st);
}

/* ---- text output ---------------------------------------------------------------- */

static void ins_print_info(const ldr_tensor_info *ti, const char *indent)
{
    char dt[32], sh[256];
    printf("%s    dtype: %s\n", indent, ins_dtype_name((int)ti->dtype, dt, sizeof dt));
    printf("%s    shape: %s\n", indent,
           ins_shape_str(ti->shape.rank, ti->shape.dims, sh, sizeof sh));
    printf("%s    name: %s\n", indent, ti->name ? ti->name : "(sparse tensor)");
}

/* One signature as saved_model_cli prints it; indent "" or "  ". */
static void ins_print_signature(const ldr_signature *sig, const char *indent)
{
    printf("%sThe given SavedModel SignatureDef contains the following input(s):\n", indent);
    for (size_t i = 0; i < sig->ninputs; i++) {
        printf("%s  inputs['%s'] tensor_info:\n", indent, sig->inputs[i].key);
        ins_print_info(&sig->inputs[i], indent[0] ? "    " : "  ");
    }
    printf("%sThe given SavedModel SignatureDef contains the following output(s):\n", indent);
    for (size_t i = 0; i < sig->noutputs; i++) {
        printf("%s  outputs['%s'] tensor_info:\n", indent, sig->outputs[i].key);
        ins_print_info(&sig->outputs[i], indent[0] ? "    " : "  ");
    }
    printf("%sMethod name is: %s\n", indent, sig->method_name);
}

static void ins_print_tag_set(const char *tag_set)
{
    printf("\nMetaGraphDef with tag-set: '");
    for (const char *p = tag_set; *p; p++) {
        if (*p == ',')
            printf(", ");
        else
            putchar(*p);
    }
    printf("' contains the following SignatureDefs:\n");
}

static void ins_print_signatures(const ldr_saved_model *sm)
{
    for (size_t i = 0; i < ldr_saved_model_num_signatures(sm); i++) {
        const ldr_signature *sig = ldr_saved_model_signature(sm, i);
        printf("\nsignature_def['%s']:\n", sig->key);
        ins_print_signature(sig, "  ");
    }
}

static int ins_print_variables(ldr_saved_model *sm)
{
    tsd_status st = TSD_STATUS_INIT;
    ldr_bundle *b = ldr_saved_model_bundle(sm, &st);
    printf("\nVariables:\n");
    if (!b) {
        if (st.code != TSD_OK) {
            fprintf(stderr, "tensorctl inspect: %s\n", st.msg);
            return 1;
        }
        printf("  (no variables)\n");
        return 0;
    }
    for (size_t i = 0; i < ldr_bundle_num_entries(b); i++) {
        const ldr_bundle_entry *e = ldr_bundle_entry_at(b, i);
        char dt[32], sh[256];
        printf("  %s: dtype: %s, shape: %s, bytes: %llu\n", e->key,
               ins_dtype_name((int)e->dtype, dt, sizeof dt),
               ins_shape_str(e->rank, e->dims, sh, sizeof sh), (unsigned long long)e->size);
    }
    return 0;
}

static void ins_print_assets(const ldr_saved_model *sm)
{
    printf("\nAssets:\n");
    if (ldr_saved_model_num_assets(sm) == 0)
        printf("  (no assets)\n");
    for (size_t i = 0; i < ldr_saved_model_num_assets(sm); i++) {
        const ldr_asset *a = ldr_saved_model_asset(sm, i);
        printf("  %s: tensor: %s\n", a->filename, a->tensor);
    }
    const char *init = ldr_saved_model_init_op(sm);
    printf("\nInit op: %s\n", init ? init : "(none)");
    for (size_t i = 0; i < ldr_saved_model_num_table_inits(sm); i++)
        printf("  table initializer: %s\n", ldr_saved_model_table_init(sm, i));
}

static int ins_text(ldr_saved_model *sm, const ins_opts *o)
{
    if (o->signature) {
        ins_print_signature(ldr_saved_model_find_signature(sm, o->signature), "");
        return 0;
    }
    int rc = 0;
    if (o->tag_set) {
        ins_print_tag_set(o->tag_set);
        ins_print_signatures(sm);
    } else {
        /* every tag set of the file, as saved_model_cli show --all does */
        for (size_t i = 0; i < ldr_saved_model_num_tag_sets(sm); i++) {
            const char *ts = ldr_saved_model_tag_set(sm, i);
            if (strcmp(ts, "serve") == 0) { /* the one already open */
                ins_print_tag_set(ts);
                ins_print_signatures(sm);
                continue;
            }
            ldr_saved_model *other = NULL;
            tsd_status st = TSD_STATUS_INIT;
            if (ins_open(o->dir, ts, &other, &st) != TSD_OK) {
                fprintf(stderr, "tensorctl inspect: tag set '%s': %s\n", ts, st.msg);
                rc = 1;
                continue;
            }
            ins_print_tag_set(ts);
            ins_print_signatures(other);
            ldr_saved_model_free(other);
        }
    }
    if (ins_print_variables(sm) != 0)
        rc = 1;
    ins_print_assets(sm);
    return rc;
}

/* ---- JSON output ------------------------------------------------------------------ */

static json_t *ins_json_shape(int rank, const int64_t *dims)
{
    if (rank < 0)
        return json_null();
    json_t *a = json_array();
    for (int i = 0; i < rank; i++)
        json_array_append_new(a, json_integer((json_int_t)dims[i]));
    return a;
}

static json_t *ins_json_infos(const ldr_tensor_info *ti, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) {
        char dt[32];
        json_t *t = json_object();
        json_object_set_new(t, "name", ti[i].name ? json_string(ti[i].name) : json_null());
        json_object_set_new(t, "dtype",
                            json_string(ins_dtype_name((int)ti[i].dtype, dt, sizeof dt)));
        json_object_set_new(t, "shape", ins_json_shape(ti[i].shape.rank, ti[i].shape.dims));
        json_object_set_new(o, ti[i].key, t);
    }
    return o;
}

static json_t *ins_json_signature(const ldr_signature *sig)
{
    json_t *s = json_object();
    json_object_set_new(s, "method_name", json_string(sig->method_name));
    json_object_set_new(s, "inputs", ins_json_infos(sig->inputs, sig->ninputs));
    json_object_set_new(s, "outputs", ins_json_infos(sig->outputs, sig->noutputs));
    return s;
}

static int ins_json_variables(ldr_saved_model *sm, json_t *root)
{
    tsd_status st = TSD_STATUS_INIT;
    ldr_bundle *b = ldr_saved_model_bundle(sm, &st);
    if (!b && st.code != TSD_OK) {
        fprintf(stderr, "tensorctl inspect: %s\n", st.msg);
        return 1;
    }
    json_t *vars = json_array();
    for (size_t i = 0; b && i < ldr_bundle_num_entries(b); i++) {
        const ldr_bundle_entry *e = ldr_bundle_entry_at(b, i);
        char dt[32];
        json_t *v = json_object();
        json_object_set_new(v, "key", json_string(e->key));
        json_object_set_new(v, "dtype", json_string(ins_dtype_name((int)e->dtype, dt, sizeof dt)));
        json_object_set_new(v, "shape", ins_json_shape(e->rank, e->dims));
        json_object_set_new(v, "bytes", json_integer((json_int_t)e->size));
        json_array_append_new(vars, v);
    }
    json_object_set_new(root, "variables", vars);
    json_t *binds = json_array();
    for (size_t i = 0; i < ldr_saved_model_num_vars(sm); i++) {
        const ldr_var_binding *vb = ldr_saved_model_var(sm, i);
        json_t *v = json_object();
        json_object_set_new(v, "node", json_string(vb->node));
        json_object_set_new(v, "key", json_string(vb->key));
        json_object_set_new(v, "slice", json_string(vb->slice));
        json_array_append_new(binds, v);
    }
    json_object_set_new(root, "variable_bindings", binds);
    return 0;
}

static int ins_json(ldr_saved_model *sm, const ins_opts *o)
{
    json_t *root = json_object();
    json_object_set_new(root, "dir", json_string(ldr_saved_model_dir(sm)));
    json_object_set_new(root, "tensorflow_version", json_string(ldr_saved_model_tf_version(sm)));
    json_object_set_new(root, "is_tf2", json_boolean(ldr_saved_model_is_tf2(sm)));
    json_t *ts = json_array();
    for (size_t i = 0; i < ldr_saved_model_num_tag_sets(sm); i++)
        json_array_append_new(ts, json_string(ldr_saved_model_tag_set(sm, i)));
    json_object_set_new(root, "tag_sets", ts);
    json_t *sigs = json_object();
    for (size_t i = 0; i < ldr_saved_model_num_signatures(sm); i++) {
        const ldr_signature *sig = ldr_saved_model_signature(sm, i);
        if (!o->signature || strcmp(o->signature, sig->key) == 0)
            json_object_set_new(sigs, sig->key, ins_json_signature(sig));
    }
    json_object_set_new(root, "signatures", sigs);
    int rc = ins_json_variables(sm, root);
    json_t *assets = json_array();
    for (size_t i = 0; i < ldr_saved_model_num_assets(sm); i++) {
        const ldr_asset *a = ldr_saved_model_asset(sm, i);
        json_t *j = json_object();
        json_object_set_new(j, "filename", json_string(a->filename));
        json_object_set_new(j, "tensor", json_string(a->tensor));
        json_object_set_new(j, "path", json_string(a->path));
        json_array_append_new(assets, j);
    }
    json_object_set_new(root, "assets", assets);
    const char *init = ldr_saved_model_init_op(sm);
    json_object_set_new(root, "init_op", init ? json_string(init) : json_null());
    json_t *ti = json_array();
    for (size_t i = 0; i < ldr_saved_model_num_table_inits(sm); i++)
        json_array_append_new(ti, json_string(ldr_saved_model_table_init(sm, i)));
    json_object_set_new(root, "table_initializers", ti);
    if (rc == 0) {
        if (json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
            rc = 1;
        putchar('\n');
    }
    json_decref(root);
    return rc;
}

int cli_cmd_inspect(int argc, char **argv)
{
    ins_opts o;
    int prc = ins_parse(argc, argv, &o);
    if (prc == 1)
        return 0;
    if (prc != 0) {
        ins_usage(stderr);
        return 2;
    }
    ldr_saved_model *sm = NULL;
    tsd_status st = TSD_STATUS_INIT;
    if (ins_open(o.dir, o.tag_set, &sm, &st) != TSD_OK) {
        fprintf(stderr, "tensorctl inspect: %s\n", st.msg);
        return 1;
    }
    if (o.signature && !ldr_saved_model_find_signature(sm, o.signature)) {
        fprintf(stderr,
                "tensorctl inspect: signature '%s' not found in %s; available:", o.signature,
                o.dir);
        for (size_t i = 0; i < ldr_saved_model_num_signatures(sm); i++)
            fprintf(stderr, "%s '%s'", i ? "," : "", ldr_saved_model_signature(sm, i)->key);
        fprintf(stderr, "\n");
        ldr_saved_model_free(sm);
        return 1;
    }
    int rc = o.json ? ins_json(sm, &o) : ins_text(sm, &o);
    if (fflush(stdout) != 0)
        rc = 1;
    ldr_saved_model_free(sm);
    return rc;
}
