/*
 * model.c - SavedModel -> ready-to-serve engine session and plans.
 *
 * The steps mirror TensorFlow's SavedModel loader: open saved_model.pb and
 * select the tag set, import the graph (functions inlined), create the
 * session, restore every bound variable natively from the checkpoint
 * bundle (instead of running the saver's RestoreV2 subgraph), run the init
 * op and table initializers with each asset tensor fed its path under
 * <dir>/assets/, then compile one plan per signature.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"
#include "loader/model_int.h"
#include "loader/savedmodel_int.h"

/* Largest file the host hands to a kernel (vocabulary files). */
#define MODEL_MAX_HOST_FILE ((size_t)256 << 20)

/* The signature that only names the TF2 init op. */
#define INIT_OP_SIGNATURE "__saved_model_init_op"

struct ldr_model {
    char *name;
    ldr_saved_model *sm;
    eng_session *sess;
    size_t nplans;
    const char **plan_keys; /* borrowed from sm, sorted */
    eng_plan **plans;
};

/* eng_host.read_file: whole file via stdio, refusing huge files. */
static tsd_code host_read_file(void *ud, const char *path, char **data, size_t *len, tsd_status *st)
{
    (void)ud;
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return tsd_err(st, TSD_NOT_FOUND, "cannot open '%s'", path);
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    tsd_code rc = buf ? TSD_OK : tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    while (rc == TSD_OK) {
        if (n == cap) {
            if (cap >= MODEL_MAX_HOST_FILE) {
                rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "'%s' is larger than %zu bytes", path,
                             MODEL_MAX_HOST_FILE);
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory reading '%s'", path);
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f))
                rc = tsd_err(st, TSD_DATA_LOSS, "error reading '%s'", path);
            break;
        }
    }
    fclose(f);
    if (rc != TSD_OK) {
        free(buf);
        return rc;
    }
    *data = buf;
    *len = n;
    return TSD_OK;
}

static const eng_host model_host = {NULL, host_read_file};

const eng_host *ldr_file_host(void)
{
    return &model_host;
}

/* Drop a leading "model <name>: " the engine put in, so the caller's own
 * context is not repeated. */
static void strip_model_prefix(ldr_model *m, tsd_status *st)
{
    char pre[512];
    snprintf(pre, sizeof pre, "model %s: ", m->name);
    size_t n = strlen(pre);
    if (strncmp(st->msg, pre, n) == 0)
        memmove(st->msg, st->msg + n, strlen(st->msg + n) + 1);
}

/* Restore every bound variable from the checkpoint bundle. */
static tsd_code restore_vars(ldr_model *m, tsd_status *st)
{
    size_t nv = ldr_saved_model_num_vars(m->sm);
    if (nv == 0)
        return TSD_OK;
    ldr_bundle *b = ldr_saved_model_bundle(m->sm, st);
    if (!b)
        return st->code != TSD_OK ? st->code
                                  : tsd_err(st, TSD_NOT_FOUND, "variables bundle is missing");
    for (size_t i = 0; i < nv; i++) {
        const ldr_var_binding *v = ldr_saved_model_var(m->sm, i);
        eng_tensor t;
        if (ldr_bundle_read_slice(b, v->key, v->slice, &t, st) != TSD_OK)
            return tsd_status_prefix(st, "restoring variable '%s'", v->node);
        if (eng_session_set_variable(m->sess, v->node, &t, st) != TSD_OK) {
            eng_tensor_free_data(&t);
            strip_model_prefix(m, st);
            return tsd_status_prefix(st, "restoring variable '%s'", v->node);
        }
    }
    return TSD_OK;
}

/* Run the init op and the table initializers, feeding asset paths. */
static tsd_code run_init(ldr_model *m, const char *const *asset_feeds, const eng_str *paths,
                         int nassets, tsd_status *st)
{
    size_t ninit = ldr_saved_model_num_table_inits(m->sm);
    const char *init_op = ldr_saved_model_init_op(m->sm);
    const char **targets = calloc(ninit + 1, sizeof *targets);
    if (!targets)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    int nt = 0;
    for (size_t i = 0; i < ninit; i++)
        targets[nt++] = ldr_saved_model_table_init(m->sm, i);
    if (init_op)
        targets[nt++] = init_op;
    tsd_code rc = TSD_OK;
    if (nt > 0) {
        eng_tensor *feeds = calloc((size_t)(nassets > 0 ? nassets : 1), sizeof *feeds);
        if (!feeds) {
            free(targets);
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        }
        for (int i = 0; i < nassets; i++) {
            feeds[i].dtype = ENG_DT_STRING;
            feeds[i].rank = 0;
            feeds[i].data = (void *)&paths[i];
            feeds[i].nbytes = sizeof(eng_str);
        }
        eng_plan_spec spec = {asset_feeds, nassets, NULL, 0, targets, nt};
        rc = eng_session_run(m->sess, &spec, feeds, st);
        if (rc != TSD_OK) {
            strip_model_prefix(m, st);
            tsd_status_prefix(st, "running init op%s%s", init_op ? " " : "",
                              init_op ? init_op : "");
        }
        free(feeds);
    }
    free(targets);
    return rc;
}

/* Compile one plan per signature (except the TF2 init signature). */
static tsd_code compile_plans(ldr_model *m, tsd_status *st)
{
    size_t ns = ldr_saved_model_num_signatures(m->sm);
    m->plans = calloc(ns ? ns : 1, sizeof *m->plans);
    m->plan_keys = calloc(ns ? ns : 1, sizeof *m->plan_keys);
    if (!m->plans || !m->plan_keys)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < ns; i++) {
        const ldr_signature *sig = ldr_saved_model_signature(m->sm, i);
        if (strcmp(sig->key, INIT_OP_SIGNATURE) == 0)
            continue;
        const char **names = calloc(sig->ninputs + sig->noutputs + 1, sizeof *names);
        if (!names)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        tsd_code rc = TSD_OK;
        for (size_t j = 0; j < sig->ninputs + sig->noutputs; j++) {
            const ldr_tensor_info *ti =
                j < sig->ninputs ? &sig->inputs[j] : &sig->outputs[j - sig->ninputs];
            if (!ti->name) {
                rc = tsd_err(st, TSD_UNIMPLEMENTED, "%s '%s' is a sparse tensor",
                             j < sig->ninputs ? "input" : "output", ti->key);
                break;
            }
            names[j] = ti->name;
        }
        eng_plan *p = NULL;
        if (rc == TSD_OK) {
            eng_plan_spec spec = {
                names, (int)sig->ninputs, names + sig->ninputs, (int)sig->noutputs, NULL, 0};
            p = eng_plan_compile(m->sess, &spec, st);
            if (!p) {
                if (st->code == TSD_OK)
                    tsd_err(st, TSD_INTERNAL, "plan compilation failed");
                rc = st->code;
                strip_model_prefix(m, st);
            }
        }
        free(names);
        if (rc != TSD_OK)
            return tsd_status_prefix(st, "signature '%s'", sig->key);
        m->plan_keys[m->nplans] = sig->key;
        m->plans[m->nplans++] = p;
    }
    return TSD_OK;
}

/* Everything after opening the SavedModel. */
static tsd_code load_steps(ldr_model *m, tsd_status *st)
{
    const Tensorflow__MetaGraphDef *mg = ldr__saved_model_meta_graph(m->sm);
    if (!mg || !mg->graph_def)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "the MetaGraphDef has no graph");
    const Tensorflow__OpList *ops = mg->meta_info_def ? mg->meta_info_def->stripped_op_list : NULL;
    eng_graph *g;
    if (ldr__graph_import(mg->graph_def, ops, &g, st) != TSD_OK)
        return tsd_status_prefix(st, "importing the graph");

    /* Asset feeds: only tensors whose node exists in the graph. */
    size_t na = ldr_saved_model_num_assets(m->sm);
    const char **asset_feeds = calloc(na ? na : 1, sizeof *asset_feeds);
    eng_str *paths = calloc(na ? na : 1, sizeof *paths);
    int nfeeds = 0;
    tsd_code rc =
        asset_feeds && paths ? TSD_OK : tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; rc == TSD_OK && i < na; i++) {
        const ldr_asset *a = ldr_saved_model_asset(m->sm, i);
        char node[512];
        size_t k = strcspn(a->tensor, ":");
        if (k >= sizeof node)
            continue;
        memcpy(node, a->tensor, k);
        node[k] = '\0';
        if (!eng_graph_find(g, node))
            continue;
        asset_feeds[nfeeds] = a->tensor;
        paths[nfeeds++] = (eng_str){a->path, strlen(a->path)};
    }
    if (rc != TSD_OK) {
        eng_graph_free(g);
    } else {
        m->sess = eng_session_new(g, m->name, &model_host, st);
        if (!m->sess) {
            rc = st->code != TSD_OK ? st->code
                                    : tsd_err(st, TSD_INTERNAL, "cannot create the session");
            strip_model_prefix(m, st);
        }
    }
    if (rc == TSD_OK)
        rc = restore_vars(m, st);
    if (rc == TSD_OK)
        rc = run_init(m, asset_feeds, paths, nfeeds, st);
    if (rc == TSD_OK)
        rc = compile_plans(m, st);
    free(asset_feeds);
    free(paths);
    return rc;
}

tsd_code ldr_model_load(const char *dir, const ldr_load_options *opt, ldr_model **out,
                        tsd_status *st)
{
    tsd_status local = TSD_STATUS_INIT;
    if (!st)
        st = &local;
    *out = NULL;
    ldr_model *m = calloc(1, sizeof *m);
    if (!m)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    m->name = strdup(opt && opt->name ? opt->name : dir);
    if (!m->name) {
        free(m);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    tsd_code rc =
        ldr_saved_model_open(dir, opt ? opt->tags : NULL, opt ? opt->ntags : 0, &m->sm, st);
    if (rc == TSD_OK)
        rc = load_steps(m, st);
    if (rc != TSD_OK) {
        tsd_status_prefix(st, "model %s", m->name);
        ldr_model_free(m);
        return rc;
    }
    *out = m;
    return TSD_OK;
}

void ldr_model_free(ldr_model *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nplans; i++)
        eng_plan_free(m->plans[i]);
    free(m->plans);
    free(m->plan_keys);
    eng_session_free(m->sess);
    ldr_saved_model_free(m->sm);
    free(m->name);
    free(m);
}

const ldr_saved_model *ldr_model_saved_model(const ldr_model *m)
{
    return m->sm;
}

eng_session *ldr_model_session(ldr_model *m)
{
    return m->sess;
}

const eng_plan *ldr_model_plan(const ldr_model *m, const char *sig_key, tsd_status *st)
{
    for (size_t i = 0; i < m->nplans; i++)
        if (strcmp(m->plan_keys[i], sig_key) == 0)
            return m->plans[i];
    tsd_err(st, TSD_NOT_FOUND, "model %s: signature '%s' not found", m->name, sig_key);
    return NULL;
}
