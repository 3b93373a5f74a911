/*
 * model.c - the model (see trainer.h): one engine graph with the serving
 * input, feature columns, linear / DNN parts and head (columns.c, head.c),
 * the loss, its gradients (eng_graph_gradients), the optimizer updates of
 * each part into slots named as Keras names them under training/<Opt>/,
 * and the global_step increment, compiled into a train plan (one run per
 * step) and predict / eval plans on the same session and variables.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loader/loader.h"
#include "trainer/model_int.h"
#include "trainer/model_state.h"

#define F32 ENG_DT_FLOAT
#define I64 ENG_DT_INT64

const char *trn__var(trn_gb *b, trn_vars *vars, const char *name, eng_dtype dt, int rank,
                     const int64_t *dims, int init, float value, int part)
{
    if (vars && !b->failed) {
        if (vars->n == vars->cap) {
            int cap = vars->cap ? 2 * vars->cap : 64;
            trn_var *v = realloc(vars->v, (size_t)cap * sizeof *v);
            if (!v) {
                tsd_err(b->st, TSD_RESOURCE_EXHAUSTED, "out of memory");
                b->failed = 1;
                return "";
            }
            vars->v = v;
            vars->cap = cap;
        }
        trn_var *v = &vars->v[vars->n++];
        memset(v, 0, sizeof *v);
        snprintf(v->name, sizeof v->name, "%s", name);
        v->dtype = dt;
        v->rank = rank;
        for (int d = 0; d < rank; d++)
            v->dims[d] = dims[d];
        v->init = init;
        v->value = value;
        v->part = part;
    }
    return trn_gb_var(b, name, dt, rank, dims, 1);
}

/* ---- initial values --------------------------------------------------------------- */

static double uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}

/* Standard normal by Box-Muller, redrawn beyond 2 sigma (truncated_normal). */
static double trunc_normal(uint64_t *s)
{
    for (;;) {
        double u = uniform(s), v = uniform(s);
        if (u <= 0)
            continue;
        double z = sqrt(-2 * log(u)) * cos(2 * M_PI * v);
        if (fabs(z) <= 2)
            return z;
    }
}

static tsd_code init_vars(trn_model *m, tsd_status *st)
{
    uint64_t rng = m->cfg->seed ? m->cfg->seed : 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < m->vars.n; i++) {
        const trn_var *v = &m->vars.v[i];
        eng_tensor t;
        if (eng_tensor_alloc(&t, v->dtype, v->rank, v->dims, st))
            return st->code;
        int64_t n = eng_tensor_num_elements(&t);
        float *f = v->dtype == F32 ? t.data : NULL;
        memset(t.data, 0, t.nbytes);
        if (f && v->init == TRN_INIT_CONST) {
            for (int64_t k = 0; k < n; k++)
                f[k] = v->value;
        } else if (f && v->init == TRN_INIT_GLOROT) {
            double lim = sqrt(6.0 / (double)(v->dims[0] + v->dims[1]));
            for (int64_t k = 0; k < n; k++)
                f[k] = (float)((2 * uniform(&rng) - 1) * lim);
        } else if (f && v->init == TRN_INIT_TRUNC_NORMAL) {
            for (int64_t k = 0; k < n; k++)
                f[k] = (float)(trunc_normal(&rng) * v->value);
        }
        if (eng_session_set_variable(m->sess, v->name, &t, st)) {
            eng_tensor_free_data(&t);
            return st->code;
        }
    }
    return TSD_OK;
}

/* ---- normalizer statistics ---------------------------------------------------------- */

/* Sums and sums of squares of one numeric column, chunk by chunk. */
typedef struct moments {
    int width;
    double *sum, *sq;
} moments;

static tsd_code accumulate(void *ud, int64_t first, int64_t n, const eng_tensor *out,
                           tsd_status *st)
{
    (void)first;
    (void)st;
    moments *m = ud;
    const float *v = out[0].data;
    for (int64_t r = 0; r < n; r++)
        for (int j = 0; j < m->width; j++) {
            double x = v[r * m->width + j];
            m->sum[j] += x;
            m->sq[j] += x * x;
        }
    return TSD_OK;
}

/* Mean and standard deviation of each numeric column with normalize set,
 * over d, in one parse of the data per column. */
static tsd_code normalizers(trn_config *c, const trn_data *d, tsd_status *st)
{
    for (int i = 0; i < c->ncols; i++) {
        trn_col *col = &c->cols[i];
        if (col->kind != TRN_NUMERIC || !col->normalize || col->mean)
            continue;
        if (!d || trn_data_rows(d) == 0)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "column '%s': normalize needs training data for its statistics",
                           col->name);
        int w = col->shape;
        float *defs = col->ndefaults ? calloc((size_t)w, sizeof *defs) : NULL;
        for (int j = 0; defs && j < w; j++) /* a scalar default is broadcast */
            defs[j] = col->defaults[col->ndefaults == 1 ? 0 : j];
        moments m = {w, calloc((size_t)w, sizeof *m.sum), calloc((size_t)w, sizeof *m.sq)};
        col->mean = calloc((size_t)w, sizeof *col->mean);
        col->std = calloc((size_t)w, sizeof *col->std);
        tsd_code rc = TSD_OK;
        if (!m.sum || !m.sq || !col->mean || !col->std || (col->ndefaults && !defs))
            rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        trn_dense_key key = {col->key, F32, w, defs};
        int64_t n = trn_data_rows(d);
        if (!rc)
            rc = trn__parse_dense(trn__data_examples(d), n, &key, 1, accumulate, &m, st);
        for (int j = 0; !rc && j < w; j++) {
            double mu = m.sum[j] / (double)n, var = m.sq[j] / (double)n - mu * mu;
            double sd = var > 0 ? sqrt(var) : 0;
            col->mean[j] = (float)mu;
            col->std[j] = sd > 0 ? (float)sd : 1.0f;
        }
        if (rc) {
            free(col->mean);
            free(col->std);
            col->mean = col->std = NULL;
            tsd_status_prefix(st, "column '%s': normalizer statistics", col->name);
        }
        free(defs);
        free(m.sum);
        free(m.sq);
        if (rc)
            return rc;
    }
    return TSD_OK;
}

/* ---- the training graph -------------------------------------------------------------- */

static const char *placeholder(trn_gb *b, const char *name, eng_dtype dt, int rank, int64_t d1)
{
    eng_node *n = trn_gb_add(b, name, "Placeholder", NULL, 0);
    trn_gb_type(b, n, "dtype", dt);
    eng_attr s = {.kind = ENG_ATTR_SHAPE, .shape = {.rank = rank, .dims = {-1, d1}}};
    trn_gb_attr(b, n, "shape", s);
    return name;
}

/* Slot variable "training/<Opt>/<var>/<slot>" initialised to value. */
static const char *slot(trn_model *m, trn_gb *b, const trn_opt *o, const trn_var *v,
                        const char *slot_name, float value)
{
    const char *name = trn_gb_name(b, "training/%s/%s/%s", o->name, v->name, slot_name);
    trn__var(b, &m->vars, name, F32, v->rank, v->dims, TRN_INIT_CONST, value, 0);
    return name;
}

/* The update of model variable v (index i) with its part's optimizer. */
static const char *update(trn_model *m, trn_gb *b, const trn_var *v, int i, const char *grad)
{
    const trn_opt *o = v->part == TRN_PART_LINEAR ? &m->cfg->linear_opt : &m->cfg->dnn_opt;
    const char *p = v->part == TRN_PART_LINEAR ? "linear" : "dnn";
    const char *lr =
        trn_gb_sf32(b, trn_gb_name(b, "training/%s/%s_%d/learning_rate", o->name, p, i), o->lr);
    const char *name = trn_gb_name(b, "training/%s/update_%d", o->name, i);
    char var[sizeof v->name];
    snprintf(var, sizeof var, "%s", v->name); /* v moves when slots are added */
    switch (o->type) {
    case TRN_OPT_SGD: {
        eng_node *n =
            trn_gb_add(b, name, "ResourceApplyGradientDescent", (const char *[]){var, lr, grad}, 3);
        trn_gb_type(b, n, "T", F32);
        break;
    }
    case TRN_OPT_ADAGRAD: {
        trn_var copy = *v;
        const char *acc = slot(m, b, o, &copy, "accumulator", o->init_acc);
        const char *eps = trn_gb_sf32(b, trn_gb_name(b, "%s/epsilon", name), o->eps);
        eng_node *n = trn_gb_add(b, name, "ResourceApplyAdagradV2",
                                 (const char *[]){var, acc, lr, eps, grad}, 5);
        trn_gb_type(b, n, "T", F32);
        break;
    }
    case TRN_OPT_FTRL: {
        trn_var copy = *v;
        const char *acc = slot(m, b, o, &copy, "accumulator", o->init_acc);
        const char *lin = slot(m, b, o, &copy, "linear", 0);
        const char *l1 = trn_gb_sf32(b, trn_gb_name(b, "%s/l1", name), o->l1);
        const char *l2 = trn_gb_sf32(b, trn_gb_name(b, "%s/l2", name), o->l2);
        const char *pw = trn_gb_sf32(b, trn_gb_name(b, "%s/lr_power", name), o->lr_power);
        eng_node *n;
        if (o->l2_shrinkage > 0) {
            const char *sh =
                trn_gb_sf32(b, trn_gb_name(b, "%s/l2_shrinkage", name), o->l2_shrinkage);
            n = trn_gb_add(b, name, "ResourceApplyFtrlV2",
                           (const char *[]){var, acc, lin, grad, lr, l1, l2, sh, pw}, 9);
        } else {
            n = trn_gb_add(b, name, "ResourceApplyFtrl",
                           (const char *[]){var, acc, lin, grad, lr, l1, l2, pw}, 8);
        }
        trn_gb_type(b, n, "T", F32);
        trn_gb_bool(b, n, "multiply_linear_by_lr", 0);
        break;
    }
    case TRN_OPT_ADAM: {
        trn_var copy = *v;
        const char *mm = slot(m, b, o, &copy, "m", 0);
        const char *vv = slot(m, b, o, &copy, "v", 0);
        const char *b1 = trn_gb_sf32(b, trn_gb_name(b, "%s/beta_1", name), o->beta1);
        const char *b2 = trn_gb_sf32(b, trn_gb_name(b, "%s/beta_2", name), o->beta2);
        const char *eps = trn_gb_sf32(b, trn_gb_name(b, "%s/epsilon", name), o->eps);
        const char *p1 = v->part == TRN_PART_LINEAR ? "training/linear_beta_1_power"
                                                    : "training/dnn_beta_1_power";
        const char *p2 = v->part == TRN_PART_LINEAR ? "training/linear_beta_2_power"
                                                    : "training/dnn_beta_2_power";
        eng_node *n = trn_gb_add(b, name, "ResourceApplyAdam",
                                 (const char *[]){var, mm, vv, p1, p2, lr, b1, b2, eps, grad}, 10);
        trn_gb_type(b, n, "T", F32);
        trn_gb_bool(b, n, "use_locking", 0);
        trn_gb_bool(b, n, "use_nesterov", 0);
        break;
    }
    default:
        break;
    }
    return name;
}

static tsd_code build(trn_model *m, trn_gb *b, tsd_status *st)
{
    const trn_config *c = m->cfg;
    int dim = c->head == TRN_HEAD_REGRESSION ? c->logits_dim : 1;
    placeholder(b, "input_example_tensor", ENG_DT_STRING, 1, 0);
    placeholder(b, "labels", F32, 2, dim);
    placeholder(b, "weights", F32, 2, 1);
    eng_node *p1 = trn_gb_add(b, "training/linear_beta_1_power", "Placeholder", NULL, 0);
    trn_gb_type(b, p1, "dtype", F32);
    eng_node *p2 = trn_gb_add(b, "training/linear_beta_2_power", "Placeholder", NULL, 0);
    trn_gb_type(b, p2, "dtype", F32);
    eng_node *p3 = trn_gb_add(b, "training/dnn_beta_1_power", "Placeholder", NULL, 0);
    trn_gb_type(b, p3, "dtype", F32);
    eng_node *p4 = trn_gb_add(b, "training/dnn_beta_2_power", "Placeholder", NULL, 0);
    trn_gb_type(b, p4, "dtype", F32);
    trn_graph_names gn;
    const char *per, *loss;
    if (trn__build_forward(b, c, &m->vars, "input_example_tensor", &gn) ||
        trn__build_predictions(b, c, gn.logits, &m->pred_name) ||
        trn__build_loss(b, c, gn.logits, "labels", "weights", &per, &loss)) {
        free(gn.table_inits);
        free(gn.asset_tensors);
        free(gn.asset_files);
        return st->code;
    }
    m->per_example = per;
    m->nmasks = gn.nmasks;
    m->bn_mode = gn.bn_mode;
    m->bn_one = 1.0f;
    for (int i = 0; i < gn.nmasks; i++) {
        m->masks[i] = gn.masks[i];
        m->mask_width[i] = gn.mask_width[i];
    }
    m->table_inits = gn.table_inits;
    m->ntable_inits = gn.ntable_inits;
    free(gn.asset_tensors); /* the export builds its own graph and lists its assets */
    free(gn.asset_files);
    /* gradients of the loss w.r.t. every model variable's read */
    int nmodel = m->vars.n;
    const char **xs = calloc((size_t)nmodel, sizeof *xs);
    char **grads = calloc((size_t)nmodel, sizeof *grads);
    if (!xs || !grads) {
        free(xs);
        free(grads);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    for (int i = 0; i < nmodel; i++)
        xs[i] = trn_gb_name(b, "%s/Read", m->vars.v[i].name);
    tsd_code rc = b->failed ? st->code
                            : eng_graph_gradients(b->g, "loss", xs, nmodel, "gradients", grads, st);
    m->updates = calloc((size_t)(nmodel + 1 + gn.nbn_updates), sizeof *m->updates);
    if (!rc && !m->updates)
        rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (int i = 0; !rc && i < nmodel; i++) {
        if (!grads[i]) /* a variable the loss does not reach (e.g. no rows use it) */
            continue;
        trn_var v = m->vars.v[i];
        if (v.part == TRN_PART_LINEAR ? c->linear_opt.type == TRN_OPT_ADAM
                                      : c->dnn_opt.type == TRN_OPT_ADAM)
            m->adam = 1;
        m->updates[m->nupdates++] = update(m, b, &v, i, grads[i]);
        if (b->failed)
            rc = st->code;
    }
    for (int i = 0; i < nmodel; i++)
        free(grads[i]);
    free(grads);
    free(xs);
    if (rc)
        return rc;
    int64_t none[1] = {0};
    trn__var(b, &m->vars, "global_step", I64, 0, none, TRN_INIT_ZEROS, 0, 0);
    const char *one = trn_gb_si64(b, "training/one", 1);
    eng_node *inc = trn_gb_add(b, "training/global_step_incr", "AssignAddVariableOp",
                               (const char *[]){"global_step", one}, 2);
    trn_gb_type(b, inc, "dtype", I64);
    m->updates[m->nupdates++] = "training/global_step_incr";
    for (int i = 0; i < gn.nbn_updates; i++) /* batch norm's moving moments */
        m->updates[m->nupdates++] = gn.bn_updates[i];
    return b->failed ? st->code : TSD_OK;
}

/* ---- the model ------------------------------------------------------------------------- */

trn_model *trn_model_new(const trn_config *c, const trn_data *train, tsd_status *st)
{
    if (normalizers((trn_config *)c, train, st))
        return NULL;
    trn_model *m = calloc(1, sizeof *m);
    eng_graph *g = eng_graph_new();
    if (!m || !g) {
        free(m);
        eng_graph_free(g);
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    m->cfg = c;
    trn_gb_init(&m->names, g, st);
    if (build(m, &m->names, st)) {
        eng_graph_free(g);
        m->names.g = NULL;
        trn_model_free(m);
        return NULL;
    }
    m->sess = eng_session_new(g, "trainer", ldr_file_host(), st); /* vocabulary files */
    if (!m->sess || init_vars(m, st))
        goto fail;
    if (m->ntable_inits) {
        eng_plan_spec is = {NULL, 0, NULL, 0, (const char *const *)m->table_inits, m->ntable_inits};
        if (eng_session_run(m->sess, &is, NULL, st))
            goto fail;
    }
    /* train feeds: examples, labels, weights, [Adam's powers], [dropout masks] */
    const char *tr_feeds[8 + TRN_MAX_MASKS] = {"input_example_tensor",
                                               "labels",
                                               "weights",
                                               "training/linear_beta_1_power",
                                               "training/linear_beta_2_power",
                                               "training/dnn_beta_1_power",
                                               "training/dnn_beta_2_power"};
    int ntr = m->adam ? 7 : 3;
    for (int i = 0; i < m->nmasks; i++)
        tr_feeds[ntr++] = m->masks[i];
    if (m->bn_mode)
        tr_feeds[ntr++] = m->bn_mode;
    const char *tr_fetch[1] = {"loss"};
    eng_plan_spec ts = {tr_feeds, ntr, tr_fetch, 1, m->updates, m->nupdates};
    const char *pr_fetch[1] = {m->pred_name};
    eng_plan_spec ps = {tr_feeds, 1, pr_fetch, 1, NULL, 0};
    const char *ev_fetch[3] = {m->pred_name, m->per_example, "loss"};
    eng_plan_spec es = {tr_feeds, 3, ev_fetch, 3, NULL, 0};
    if (!(m->train = eng_plan_compile(m->sess, &ts, st)) ||
        !(m->predict = eng_plan_compile(m->sess, &ps, st)) ||
        !(m->eval = eng_plan_compile(m->sess, &es, st)) || !(m->call = eng_call_new()))
        goto fail;
    return m;
fail:
    trn_model_free(m);
    return NULL;
}

void trn_model_free(trn_model *m)
{
    if (!m)
        return;
    ldr_event_writer_free(m->events);
    eng_call_free(m->call);
    eng_plan_free(m->train);
    eng_plan_free(m->predict);
    eng_plan_free(m->eval);
    eng_session_free(m->sess);
    trn_gb_free(&m->names);
    for (size_t i = 0; i < m->nkept; i++)
        free(m->kept[i]);
    free(m->kept);
    free(m->vars.v);
    free(m->table_inits);
    free(m->updates);
    free(m->ex);
    free(m->lab);
    free(m->w);
    free(m->mask_buf);
    free(m->ex_bytes);
    free(m);
}

int trn_output_dim(const trn_model *m)
{
    const trn_config *c = m->cfg;
    return c->head == TRN_HEAD_MULTI ? c->n_classes : c->logits_dim;
}

/* Gather rows (or rows first..first+n when rows is NULL) into the feed buffers. */
static tsd_code bind(trn_model *m, const trn_data *d, const int64_t *rows, int64_t first, int64_t n,
                     eng_tensor feeds[7], tsd_status *st)
{
    int dim = m->cfg->head == TRN_HEAD_REGRESSION ? m->cfg->logits_dim : 1;
    if (n > m->cap) {
        free(m->ex);
        free(m->lab);
        free(m->w);
        m->ex = malloc((size_t)n * sizeof *m->ex);
        m->lab = malloc((size_t)(n * dim) * sizeof *m->lab);
        m->w = malloc((size_t)n * sizeof *m->w);
        m->cap = m->ex && m->lab && m->w ? n : 0;
        if (!m->cap)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    const eng_str *ex = trn__data_examples(d);
    const float *lab = trn__data_labels(d), *w = trn__data_weights(d);
    /* shuffled rows are scattered over the dataset: copy their bytes side by
     * side first (independent loads the CPU overlaps), so the parser's
     * byte-by-byte walk reads from cache instead of waiting on each miss */
    size_t bytes = 0;
    for (int64_t i = 0; i < n; i++)
        bytes += ex[rows ? rows[i] : first + i].len;
    if (bytes > m->ex_bytes_cap) {
        char *nb = realloc(m->ex_bytes, bytes);
        if (!nb)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        m->ex_bytes = nb;
        m->ex_bytes_cap = bytes;
    }
    size_t at = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t r = rows ? rows[i] : first + i;
        memcpy(m->ex_bytes + at, ex[r].ptr, ex[r].len);
        m->ex[i] = (eng_str){m->ex_bytes + at, ex[r].len};
        at += ex[r].len;
        memcpy(m->lab + i * dim, lab + r * dim, (size_t)dim * sizeof *lab);
        m->w[i] = w[r];
    }
    memset(feeds, 0, 7 * sizeof *feeds);
    feeds[0] = (eng_tensor){.dtype = ENG_DT_STRING,
                            .rank = 1,
                            .dims = {n},
                            .data = m->ex,
                            .nbytes = (size_t)n * sizeof *m->ex};
    feeds[1] = (eng_tensor){.dtype = F32,
                            .rank = 2,
                            .dims = {n, dim},
                            .data = m->lab,
                            .nbytes = (size_t)(n * dim) * sizeof(float)};
    feeds[2] = (eng_tensor){
        .dtype = F32, .rank = 2, .dims = {n, 1}, .data = m->w, .nbytes = (size_t)n * sizeof(float)};
    /* Adam's bias corrections for the step about to run (t = global_step + 1) */
    double t = (double)(m->step + 1);
    const trn_opt *o[2] = {&m->cfg->linear_opt, &m->cfg->dnn_opt};
    for (int k = 0; k < 2; k++) {
        m->powers[2 * k] = (float)pow(o[k]->beta1, t);
        m->powers[2 * k + 1] = (float)pow(o[k]->beta2, t);
    }
    for (int k = 0; k < 4; k++)
        feeds[3 + k] =
            (eng_tensor){.dtype = F32, .rank = 0, .data = &m->powers[k], .nbytes = sizeof(float)};
    return TSD_OK;
}

double trn__wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The dropout masks of this step into feeds[0..nmasks): each unit kept
 * with probability 1 - dropout and scaled by 1/(1 - dropout), as Keras'
 * Dropout; drawn from (seed, global step), so a resumed run draws the
 * same masks.
 */
static tsd_code masks(trn_model *m, int64_t batch, eng_tensor *feeds, tsd_status *st)
{
    int64_t total = 0;
    for (int i = 0; i < m->nmasks; i++)
        total += batch * m->mask_width[i];
    if (total > m->mask_cap) {
        free(m->mask_buf);
        if (!(m->mask_buf = malloc((size_t)total * sizeof *m->mask_buf))) {
            m->mask_cap = 0;
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        }
        m->mask_cap = total;
    }
    double keep = 1.0 - (double)m->cfg->dropout;
    float scale = (float)(1.0 / keep);
    uint64_t s = (m->cfg->seed ? m->cfg->seed : 0x9E3779B97F4A7C15ull) ^
                 ((uint64_t)(m->step + 1) * 0xD1B54A32D192ED03ull);
    float *p = m->mask_buf;
    for (int i = 0; i < m->nmasks; i++) {
        int64_t n = batch * m->mask_width[i];
        for (int64_t k = 0; k < n; k++)
            p[k] = uniform(&s) < keep ? scale : 0.0f;
        feeds[i] = (eng_tensor){.dtype = F32,
                                .rank = 2,
                                .dims = {batch, m->mask_width[i]},
                                .data = p,
                                .nbytes = (size_t)n * sizeof *p};
        p += n;
    }
    return TSD_OK;
}

tsd_code trn_train_step(trn_model *m, const trn_data *d, const int64_t *rows, int64_t batch,
                        float *loss_out, tsd_status *st)
{
    eng_tensor feeds[8 + TRN_MAX_MASKS], out;
    if (batch < 1)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "empty batch");
    if (bind(m, d, rows, 0, batch, feeds, st))
        return st->code;
    if (m->nmasks && masks(m, batch, feeds + (m->adam ? 7 : 3), st))
        return st->code;
    if (m->bn_mode)
        feeds[(m->adam ? 7 : 3) + m->nmasks] =
            (eng_tensor){.dtype = F32, .rank = 0, .data = &m->bn_one, .nbytes = sizeof(float)};
    eng_call_clear(m->call);
    if (eng_plan_run(m->train, m->call, feeds, &out, st))
        return st->code;
    m->step++; /* the run incremented global_step */
    float loss = *(const float *)out.data;
    if (loss_out)
        *loss_out = loss;
    if (!isfinite(loss))
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Model diverged with loss = NaN.");
    if (m->events && m->summary_steps > 0 && (m->step - 1) % m->summary_steps == 0) {
        double now = trn__wall_seconds();
        const char *tags[2] = {"loss", "global_step/sec"};
        float v[2] = {loss, 0};
        size_t nv = 1;
        if (m->last_summary_step > 0 && now > m->last_summary_time) {
            v[1] = (float)((double)(m->step - m->last_summary_step) / (now - m->last_summary_time));
            nv = 2;
        }
        if (ldr_event_writer_scalars(m->events, now, m->step - 1, tags, v, nv, st))
            return st->code;
        m->last_summary_time = now;
        m->last_summary_step = m->step;
    }
    return TSD_OK;
}

tsd_code trn_set_summary_dir(trn_model *m, const char *model_dir, int summary_steps, tsd_status *st)
{
    ldr_event_writer_free(m->events);
    m->events = ldr_event_writer_new(model_dir, trn__wall_seconds(), st);
    m->summary_steps = summary_steps;
    m->last_summary_step = 0;
    return m->events ? TSD_OK : st->code;
}

tsd_code trn_predict(trn_model *m, const trn_data *d, int64_t first, int64_t batch, float *out,
                     tsd_status *st)
{
    if (first < 0 || batch < 1 || first + batch > trn_data_rows(d))
        return tsd_err(st, TSD_OUT_OF_RANGE, "rows %lld..%lld are not in the data",
                       (long long)first, (long long)(first + batch - 1));
    eng_tensor feeds[7], res;
    if (bind(m, d, NULL, first, batch, feeds, st))
        return st->code;
    eng_call_clear(m->call);
    if (eng_plan_run(m->predict, m->call, feeds, &res, st))
        return st->code;
    memcpy(out, res.data, (size_t)(batch * trn_output_dim(m)) * sizeof(float));
    return TSD_OK;
}

tsd_code trn__eval_batch(trn_model *m, const trn_data *d, int64_t first, int64_t n, float *pred,
                         float *example_loss, float *batch_loss, tsd_status *st)
{
    eng_tensor feeds[7], outs[3];
    if (bind(m, d, NULL, first, n, feeds, st))
        return st->code;
    eng_call_clear(m->call);
    if (eng_plan_run(m->eval, m->call, feeds, outs, st))
        return st->code;
    memcpy(pred, outs[0].data, (size_t)(n * trn_output_dim(m)) * sizeof(float));
    memcpy(example_loss, outs[1].data, outs[1].nbytes);
    *batch_loss = *(const float *)outs[2].data;
    return TSD_OK;
}

const trn_config *trn__config(const trn_model *m)
{
    return m->cfg;
}

eng_session *trn__session(trn_model *m)
{
    return m->sess;
}

int64_t trn_global_step(const trn_model *m)
{
    return m->step;
}
