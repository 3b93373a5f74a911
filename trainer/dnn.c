/*
 * dnn.c - the DNN binary classifier (see trainer.h): the graph as
 * DNNClassifier builds it (dnn/hiddenlayer_<i>/{kernel,bias} with ReLU,
 * dnn/logits/{kernel,bias}, head/predictions/logistic, the sigmoid
 * cross-entropy loss averaged over the batch), its gradients, Adagrad
 * updates into training/Adagrad/<var>/accumulator slots and the global
 * step, compiled into a train plan and a predict plan; checkpoints through
 * the loader.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "loader/loader.h"
#include "trainer/model_int.h"
#include "trainer/trainer.h"

#define MAX_LAYERS 16
#define MAX_VARS (4 * (MAX_LAYERS + 1) + 1)
#define NAME_MAX_LEN 256
#define MAX_FEATURES 256

typedef struct var {
    char name[NAME_MAX_LEN];
    eng_dtype dtype;
    int rank;
    int64_t dims[2];
} var;

struct trn_model {
    trn_dnn_config cfg;
    int hidden[MAX_LAYERS];
    float mean[MAX_FEATURES], std[MAX_FEATURES];
    char names[MAX_FEATURES][64];
    char *name_ptrs[MAX_FEATURES];
    eng_session *sess;
    eng_plan *train, *predict, *eval;
    eng_call *call;
    var vars[MAX_VARS]; /* everything a checkpoint holds */
    int nvars;
    char **kept; /* retained checkpoints, oldest first ("model.ckpt-N") */
    size_t nkept;
    int64_t step;             /* the global_step variable's value, kept here so reading it
                               * costs no copy of the variable per step */
    ldr_event_writer *events; /* training summaries (NULL: none) */
    int summary_steps;
    double last_summary_time;
    int64_t last_summary_step;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- graph building ------------------------------------------------------------ */

static eng_node *node(eng_graph *g, const char *name, const char *op, const char *const *ins, int n,
                      eng_dtype t, tsd_status *st)
{
    eng_node *nd = NULL;
    if (eng_graph_add_node(g, name, op, ins, n, &nd, st))
        return NULL;
    if (t != ENG_DT_INVALID) {
        eng_attr a = {.kind = ENG_ATTR_TYPE, .type = t};
        if (eng_node_set_attr(g, nd, "T", &a, st))
            return NULL;
    }
    return nd;
}

static tsd_code attr_type(eng_graph *g, eng_node *n, const char *name, eng_dtype t, tsd_status *st)
{
    eng_attr a = {.kind = ENG_ATTR_TYPE, .type = t};
    return eng_node_set_attr(g, n, name, &a, st);
}

/* Const of one scalar (float or int64). */
static tsd_code scalar_const(eng_graph *g, const char *name, eng_dtype dt, double v, tsd_status *st)
{
    float f = (float)v;
    int64_t i = (int64_t)v;
    eng_tensor t = {.dtype = dt,
                    .rank = 0,
                    .data = dt == ENG_DT_FLOAT ? (void *)&f : (void *)&i,
                    .nbytes = dt == ENG_DT_FLOAT ? sizeof f : sizeof i};
    eng_node *n = node(g, name, "Const", NULL, 0, ENG_DT_INVALID, st);
    eng_attr va = {.kind = ENG_ATTR_TENSOR, .tensor = t};
    if (!n || attr_type(g, n, "dtype", dt, st) || eng_node_set_attr(g, n, "value", &va, st))
        return st->code;
    return TSD_OK;
}

/* A resource variable `name` and its ReadVariableOp "<name>/Read". */
static tsd_code variable(trn_model *m, eng_graph *g, const char *name, eng_dtype dt, int rank,
                         const int64_t *dims, int read, tsd_status *st)
{
    if (m) { /* NULL: a graph for export, whose variables the model already has */
        if (m->nvars == MAX_VARS)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "too many variables");
        var *v = &m->vars[m->nvars++];
        snprintf(v->name, sizeof v->name, "%s", name);
        v->dtype = dt;
        v->rank = rank;
        for (int d = 0; d < rank; d++)
            v->dims[d] = dims[d];
    }
    eng_node *h = node(g, name, "VarHandleOp", NULL, 0, ENG_DT_INVALID, st);
    eng_attr shape = {.kind = ENG_ATTR_SHAPE, .shape = {.rank = rank}};
    for (int d = 0; d < rank; d++)
        shape.shape.dims[d] = dims[d];
    eng_attr sn = {.kind = ENG_ATTR_STRING, .s = {name, strlen(name)}};
    if (!h || attr_type(g, h, "dtype", dt, st) || eng_node_set_attr(g, h, "shape", &shape, st) ||
        eng_node_set_attr(g, h, "shared_name", &sn, st))
        return st->code;
    if (!read)
        return TSD_OK;
    char rn[NAME_MAX_LEN + 8];
    snprintf(rn, sizeof rn, "%s/Read", name);
    eng_node *r = node(g, rn, "ReadVariableOp", &name, 1, ENG_DT_INVALID, st);
    return r ? attr_type(g, r, "dtype", dt, st) : st->code;
}

/* One dense layer: out = act(in · kernel + bias); act NULL = none. */
static tsd_code dense(trn_model *m, eng_graph *g, const char *scope, const char *in, int64_t nin,
                      int64_t nout, const char *act, char *out, size_t outlen, tsd_status *st)
{
    char k[NAME_MAX_LEN], b[NAME_MAX_LEN], kr[NAME_MAX_LEN + 8], br[NAME_MAX_LEN + 8];
    char mm[NAME_MAX_LEN], ba[NAME_MAX_LEN];
    snprintf(k, sizeof k, "%s/kernel", scope);
    snprintf(b, sizeof b, "%s/bias", scope);
    snprintf(kr, sizeof kr, "%s/Read", k);
    snprintf(br, sizeof br, "%s/Read", b);
    snprintf(mm, sizeof mm, "%s/MatMul", scope);
    snprintf(ba, sizeof ba, "%s/BiasAdd", scope);
    int64_t kd[2] = {nin, nout}, bd[1] = {nout};
    if (variable(m, g, k, ENG_DT_FLOAT, 2, kd, 1, st) ||
        variable(m, g, b, ENG_DT_FLOAT, 1, bd, 1, st))
        return st->code;
    const char *mi[2] = {in, kr}, *bi[2] = {mm, br};
    if (!node(g, mm, "MatMul", mi, 2, ENG_DT_FLOAT, st) ||
        !node(g, ba, "BiasAdd", bi, 2, ENG_DT_FLOAT, st))
        return st->code;
    if (!act) {
        snprintf(out, outlen, "%s", ba);
        return TSD_OK;
    }
    snprintf(out, outlen, "%s/%s", scope, act);
    const char *ai[1] = {ba};
    return node(g, out, act, ai, 1, ENG_DT_FLOAT, st) ? TSD_OK : st->code;
}

/* A float Const of shape [n]. */
static tsd_code vector_const(eng_graph *g, const char *name, const float *v, int64_t n,
                             tsd_status *st)
{
    eng_tensor t = {
        .dtype = ENG_DT_FLOAT, .rank = 1, .data = (void *)v, .nbytes = (size_t)n * sizeof *v};
    t.dims[0] = n;
    eng_node *c = node(g, name, "Const", NULL, 0, ENG_DT_INVALID, st);
    eng_attr va = {.kind = ENG_ATTR_TENSOR, .tensor = t};
    if (!c || attr_type(g, c, "dtype", ENG_DT_FLOAT, st) ||
        eng_node_set_attr(g, c, "value", &va, st))
        return st->code;
    return TSD_OK;
}

tsd_code trn__forward(trn_model *m, int register_vars, eng_graph *g, const char *input,
                      char *logits, size_t len, tsd_status *st)
{
    trn_model *reg = register_vars ? m : NULL;
    const trn_dnn_config *c = &m->cfg;
    char in[NAME_MAX_LEN], out[NAME_MAX_LEN], scope[64];
    snprintf(in, sizeof in, "%s", input);
    if (c->norm_mean && c->norm_std) { /* numeric_column's normalizer: (x - mean) / std */
        const char *si[2] = {in, "input_layer/mean"},
                   *di[2] = {"input_layer/centered", "input_layer/std"};
        if (vector_const(g, "input_layer/mean", c->norm_mean, c->n_features, st) ||
            vector_const(g, "input_layer/std", c->norm_std, c->n_features, st) ||
            !node(g, "input_layer/centered", "Sub", si, 2, ENG_DT_FLOAT, st) ||
            !node(g, "input_layer/normalized", "RealDiv", di, 2, ENG_DT_FLOAT, st))
            return st->code;
        snprintf(in, sizeof in, "input_layer/normalized");
    }
    int64_t nin = c->n_features;
    for (int i = 0; i < c->n_hidden; i++) {
        snprintf(scope, sizeof scope, "dnn/hiddenlayer_%d", i);
        if (dense(reg, g, scope, in, nin, m->hidden[i], "Relu", out, sizeof out, st))
            return st->code;
        snprintf(in, sizeof in, "%s", out);
        nin = m->hidden[i];
    }
    if (dense(reg, g, "dnn/logits", in, nin, 1, NULL, out, sizeof out, st))
        return st->code;
    snprintf(logits, len, "%s", out);
    return TSD_OK;
}

/* sigmoid_cross_entropy_with_logits(labels, z), averaged over the batch. */
static tsd_code loss(eng_graph *g, const char *z, tsd_status *st)
{
    static const struct {
        const char *name, *op, *a, *b;
    } steps[] = {
        {"head/losses/relu_z", "Relu", NULL, NULL},
        {"head/losses/z_label", "Mul", NULL, "labels"},
        {"head/losses/abs_z", "Abs", NULL, NULL},
        {"head/losses/neg_abs_z", "Neg", "head/losses/abs_z", NULL},
        {"head/losses/exp", "Exp", "head/losses/neg_abs_z", NULL},
        {"head/losses/log1p", "Log1p", "head/losses/exp", NULL},
        {"head/losses/sub", "Sub", "head/losses/relu_z", "head/losses/z_label"},
        {"head/losses/per_example", "AddV2", "head/losses/sub", "head/losses/log1p"},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const char *ins[2] = {steps[i].a ? steps[i].a : z, steps[i].b};
        if (!node(g, steps[i].name, steps[i].op, ins, steps[i].b ? 2 : 1, ENG_DT_FLOAT, st))
            return st->code;
    }
    int32_t axes[2] = {0, 1};
    eng_tensor at = {.dtype = ENG_DT_INT32, .rank = 1, .data = axes, .nbytes = sizeof axes};
    at.dims[0] = 2;
    eng_node *c = node(g, "head/losses/axes", "Const", NULL, 0, ENG_DT_INVALID, st);
    eng_attr va = {.kind = ENG_ATTR_TENSOR, .tensor = at};
    if (!c || attr_type(g, c, "dtype", ENG_DT_INT32, st) ||
        eng_node_set_attr(g, c, "value", &va, st))
        return st->code;
    const char *mi[2] = {"head/losses/per_example", "head/losses/axes"};
    return node(g, "loss", "Mean", mi, 2, ENG_DT_FLOAT, st) ? TSD_OK : st->code;
}

/* ---- initial values ------------------------------------------------------------- */

static double uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}

static tsd_code init_vars(trn_model *m, tsd_status *st)
{
    uint64_t rng = m->cfg.seed ? m->cfg.seed : 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < m->nvars; i++) {
        const var *v = &m->vars[i];
        eng_tensor t;
        if (eng_tensor_alloc(&t, v->dtype, v->rank, v->dims, st))
            return st->code;
        int64_t n = eng_tensor_num_elements(&t);
        if (v->dtype == ENG_DT_INT64) {
            memset(t.data, 0, t.nbytes); /* global_step */
        } else if (strstr(v->name, "/accumulator")) {
            for (int64_t k = 0; k < n; k++)
                ((float *)t.data)[k] = 0.1f;
        } else if (v->rank == 2) { /* Glorot uniform */
            double lim = sqrt(6.0 / (double)(v->dims[0] + v->dims[1]));
            for (int64_t k = 0; k < n; k++)
                ((float *)t.data)[k] = (float)((2 * uniform(&rng) - 1) * lim);
        } else {
            memset(t.data, 0, t.nbytes);
        }
        if (eng_session_set_variable(m->sess, v->name, &t, st)) {
            eng_tensor_free_data(&t);
            return st->code;
        }
    }
    return TSD_OK;
}

/* ---- the model ------------------------------------------------------------------ */

static tsd_code build(trn_model *m, eng_graph *g, char updates[][NAME_MAX_LEN + 32], int *nupd,
                      tsd_status *st)
{
    const trn_dnn_config *c = &m->cfg;
    int64_t fd[2] = {-1, c->n_features}, ld[2] = {-1, 1};
    eng_node *f = node(g, "features", "Placeholder", NULL, 0, ENG_DT_INVALID, st);
    eng_node *l = f ? node(g, "labels", "Placeholder", NULL, 0, ENG_DT_INVALID, st) : NULL;
    eng_attr fs = {.kind = ENG_ATTR_SHAPE, .shape = {.rank = 2, .dims = {fd[0], fd[1]}}};
    eng_attr ls = {.kind = ENG_ATTR_SHAPE, .shape = {.rank = 2, .dims = {ld[0], ld[1]}}};
    if (!l || attr_type(g, f, "dtype", ENG_DT_FLOAT, st) ||
        attr_type(g, l, "dtype", ENG_DT_FLOAT, st) || eng_node_set_attr(g, f, "shape", &fs, st) ||
        eng_node_set_attr(g, l, "shape", &ls, st))
        return st->code;
    char out[NAME_MAX_LEN];
    if (trn__forward(m, 1, g, "features", out, sizeof out, st) || loss(g, out, st))
        return st->code;
    const char *zi[1] = {out};
    if (!node(g, "head/predictions/logistic", "Sigmoid", zi, 1, ENG_DT_FLOAT, st))
        return st->code;
    /* gradients of the loss w.r.t. every model variable's read */
    int nmodel = m->nvars;
    const char *xs[MAX_VARS];
    char reads[MAX_VARS][NAME_MAX_LEN + 8];
    for (int i = 0; i < nmodel; i++) {
        snprintf(reads[i], sizeof reads[i], "%s/Read", m->vars[i].name);
        xs[i] = reads[i];
    }
    char *grads[MAX_VARS];
    if (eng_graph_gradients(g, "loss", xs, nmodel, "gradients", grads, st))
        return st->code;
    tsd_code rc = TSD_OK;
    if (scalar_const(g, "training/Adagrad/learning_rate", ENG_DT_FLOAT, c->learning_rate, st) ||
        scalar_const(g, "training/Adagrad/epsilon", ENG_DT_FLOAT, 1e-7, st)) {
        rc = st->code;
        goto out;
    }
    *nupd = 0;
    for (int i = 0; i < nmodel && !rc; i++) {
        if (!grads[i]) {
            rc = tsd_err(st, TSD_INTERNAL, "no gradient for %s", m->vars[i].name);
            break;
        }
        char acc[NAME_MAX_LEN + 32];
        snprintf(acc, sizeof acc, "training/Adagrad/%s/accumulator", m->vars[i].name);
        var v = m->vars[i];
        if (variable(m, g, acc, ENG_DT_FLOAT, v.rank, v.dims, 0, st)) {
            rc = st->code;
            break;
        }
        snprintf(updates[*nupd], sizeof updates[0], "training/Adagrad/update_%d", i);
        const char *ui[5] = {v.name, acc, "training/Adagrad/learning_rate",
                             "training/Adagrad/epsilon", grads[i]};
        if (!node(g, updates[*nupd], "ResourceApplyAdagradV2", ui, 5, ENG_DT_FLOAT, st))
            rc = st->code;
        (*nupd)++;
    }
    int64_t none[1] = {0};
    if (!rc && (variable(m, g, "global_step", ENG_DT_INT64, 0, none, 0, st) ||
                scalar_const(g, "training/one", ENG_DT_INT64, 1, st)))
        rc = st->code;
    if (!rc) {
        const char *gi[2] = {"global_step", "training/one"};
        eng_node *inc =
            node(g, "training/global_step_incr", "AssignAddVariableOp", gi, 2, ENG_DT_INVALID, st);
        if (!inc || attr_type(g, inc, "dtype", ENG_DT_INT64, st))
            rc = st->code;
        snprintf(updates[(*nupd)++], sizeof updates[0], "training/global_step_incr");
    }
out:
    for (int i = 0; i < nmodel; i++)
        free(grads[i]);
    return rc;
}

trn_model *trn_dnn_new(const trn_dnn_config *c, tsd_status *st)
{
    if (c->n_features <= 0 || c->n_hidden < 0 || c->n_hidden > MAX_LAYERS ||
        !(c->learning_rate > 0)) {
        tsd_err(st, TSD_INVALID_ARGUMENT,
                "dnn: need n_features > 0, at most %d hidden layers, learning_rate > 0",
                MAX_LAYERS);
        return NULL;
    }
    trn_model *m = calloc(1, sizeof *m);
    if (!m) {
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    m->cfg = *c;
    for (int i = 0; i < c->n_hidden; i++) {
        if (c->hidden_units[i] <= 0) {
            tsd_err(st, TSD_INVALID_ARGUMENT, "dnn: hidden_units[%d] must be positive", i);
            free(m);
            return NULL;
        }
        m->hidden[i] = c->hidden_units[i];
    }
    m->cfg.hidden_units = m->hidden;
    if (c->n_features > MAX_FEATURES) {
        tsd_err(st, TSD_INVALID_ARGUMENT, "dnn: at most %d features", MAX_FEATURES);
        free(m);
        return NULL;
    }
    for (int i = 0; i < c->n_features; i++) {
        if (c->norm_mean && c->norm_std) {
            if (!(c->norm_std[i] > 0)) {
                tsd_err(st, TSD_INVALID_ARGUMENT, "dnn: norm_std[%d] must be positive", i);
                free(m);
                return NULL;
            }
            m->mean[i] = c->norm_mean[i];
            m->std[i] = c->norm_std[i];
        }
        if (c->feature_names)
            snprintf(m->names[i], sizeof m->names[i], "%s", c->feature_names[i]);
        else
            snprintf(m->names[i], sizeof m->names[i], "feature_%d", i);
        m->name_ptrs[i] = m->names[i];
    }
    m->cfg.norm_mean = c->norm_mean && c->norm_std ? m->mean : NULL;
    m->cfg.norm_std = c->norm_mean && c->norm_std ? m->std : NULL;
    m->cfg.feature_names = (const char *const *)m->name_ptrs;
    eng_graph *g = eng_graph_new();
    char updates[MAX_VARS + 1][NAME_MAX_LEN + 32];
    int nupd = 0;
    if (!g || build(m, g, updates, &nupd, st)) {
        eng_graph_free(g);
        free(m);
        return NULL;
    }
    m->sess = eng_session_new(g, "dnn", NULL, st);
    if (!m->sess || init_vars(m, st))
        goto fail;
    const char *tr_feeds[2] = {"features", "labels"}, *tr_fetch[1] = {"loss"};
    const char *targets[MAX_VARS + 1];
    for (int i = 0; i < nupd; i++)
        targets[i] = updates[i];
    eng_plan_spec ts = {tr_feeds, 2, tr_fetch, 1, targets, nupd};
    const char *pr_fetch[1] = {"head/predictions/logistic"};
    eng_plan_spec ps = {tr_feeds, 1, pr_fetch, 1, NULL, 0};
    m->train = eng_plan_compile(m->sess, &ts, st);
    m->predict = m->train ? eng_plan_compile(m->sess, &ps, st) : NULL;
    const char *ev_fetch[3] = {"head/predictions/logistic", "head/losses/per_example", "loss"};
    eng_plan_spec es = {tr_feeds, 2, ev_fetch, 3, NULL, 0};
    m->eval = m->predict ? eng_plan_compile(m->sess, &es, st) : NULL;
    m->call = eng_call_new();
    if (!m->eval || !m->call)
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
    for (size_t i = 0; i < m->nkept; i++)
        free(m->kept[i]);
    free(m->kept);
    free(m);
}

/* Feeds for features x [batch, n_features] and labels [batch, 1]. */
static void bind(const trn_model *m, const float *x, const float *labels, int64_t batch,
                 eng_tensor feeds[2])
{
    memset(feeds, 0, 2 * sizeof *feeds);
    feeds[0].dtype = feeds[1].dtype = ENG_DT_FLOAT;
    feeds[0].rank = feeds[1].rank = 2;
    feeds[0].dims[0] = batch;
    feeds[0].dims[1] = m->cfg.n_features;
    feeds[0].data = (void *)x;
    feeds[0].nbytes = (size_t)(batch * m->cfg.n_features) * sizeof(float);
    feeds[1].dims[0] = batch;
    feeds[1].dims[1] = 1;
    feeds[1].data = (void *)labels;
    feeds[1].nbytes = (size_t)batch * sizeof(float);
}

tsd_code trn_train_step(trn_model *m, const float *x, const float *labels, int64_t batch,
                        float *loss_out, tsd_status *st)
{
    eng_tensor feeds[2], out;
    bind(m, x, labels, batch, feeds);
    if (eng_plan_run(m->train, m->call, feeds, &out, st))
        return st->code;
    m->step++; /* the run incremented global_step */
    float loss = *(const float *)out.data;
    if (loss_out)
        *loss_out = loss;
    if (!isfinite(loss))
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Model diverged with loss = NaN.");
    if (m->events) {
        int64_t step = m->step; /* after this update */
        if (m->summary_steps > 0 && (step - 1) % m->summary_steps == 0) {
            double now = now_seconds();
            const char *tags[2] = {"loss", "global_step/sec"};
            float v[2] = {loss, 0};
            size_t nv = 1;
            if (m->last_summary_step > 0 && now > m->last_summary_time) {
                v[1] =
                    (float)((double)(step - m->last_summary_step) / (now - m->last_summary_time));
                nv = 2;
            }
            if (ldr_event_writer_scalars(m->events, now, step - 1, tags, v, nv, st))
                return st->code;
            m->last_summary_time = now;
            m->last_summary_step = step;
        }
    }
    return TSD_OK;
}

tsd_code trn_set_summary_dir(trn_model *m, const char *model_dir, int summary_steps, tsd_status *st)
{
    ldr_event_writer_free(m->events);
    m->events = ldr_event_writer_new(model_dir, now_seconds(), st);
    m->summary_steps = summary_steps;
    m->last_summary_step = 0;
    return m->events ? TSD_OK : st->code;
}

tsd_code trn_predict(trn_model *m, const float *x, int64_t batch, float *prob, tsd_status *st)
{
    eng_tensor in = {.dtype = ENG_DT_FLOAT, .rank = 2, .data = (void *)x};
    in.dims[0] = batch;
    in.dims[1] = m->cfg.n_features;
    in.nbytes = (size_t)(batch * m->cfg.n_features) * sizeof(float);
    eng_tensor out;
    if (eng_plan_run(m->predict, m->call, &in, &out, st))
        return st->code;
    memcpy(prob, out.data, (size_t)batch * sizeof(float));
    return TSD_OK;
}

const trn_dnn_config *trn__config(const trn_model *m)
{
    return &m->cfg;
}

eng_session *trn__session(trn_model *m)
{
    return m->sess;
}

int trn__n_features(const trn_model *m)
{
    return m->cfg.n_features;
}

tsd_code trn__eval_batch(trn_model *m, const float *x, const float *labels, int64_t batch,
                         float *prob, float *example_loss, float *batch_loss, tsd_status *st)
{
    eng_tensor feeds[2], outs[3];
    bind(m, x, labels, batch, feeds);
    if (eng_plan_run(m->eval, m->call, feeds, outs, st))
        return st->code;
    memcpy(prob, outs[0].data, (size_t)batch * sizeof(float));
    memcpy(example_loss, outs[1].data, (size_t)batch * sizeof(float));
    *batch_loss = *(const float *)outs[2].data;
    return TSD_OK;
}

int64_t trn_global_step(const trn_model *m)
{
    return m->step;
}

/* The global_step variable itself (after a restore). */
static int64_t read_step(const trn_model *m)
{
    eng_tensor t;
    tsd_status st = TSD_STATUS_INIT;
    if (eng_session_get_variable(m->sess, "global_step", &t, &st))
        return -1;
    int64_t v = *(const int64_t *)t.data;
    eng_tensor_free_data(&t);
    return v;
}

/* ---- checkpoints ------------------------------------------------------------------ */

static int cmp_var(const void *a, const void *b)
{
    return strcmp(((const var *)a)->name, ((const var *)b)->name);
}

static void remove_bundle(const char *dir, const char *rel)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s.index", dir, rel);
    unlink(p);
    snprintf(p, sizeof p, "%s/%s.data-00000-of-00001", dir, rel);
    unlink(p);
}

tsd_code trn_save(trn_model *m, const char *model_dir, int keep_max, tsd_status *st)
{
    char rel[64], prefix[4096];
    snprintf(rel, sizeof rel, "model.ckpt-%lld", (long long)trn_global_step(m));
    snprintf(prefix, sizeof prefix, "%s/%s", model_dir, rel);
    var sorted[MAX_VARS];
    memcpy(sorted, m->vars, (size_t)m->nvars * sizeof *sorted);
    qsort(sorted, (size_t)m->nvars, sizeof *sorted, cmp_var); /* data in key order, as TF */
    ldr_bundle_writer *w = ldr_bundle_writer_new(prefix, st);
    if (!w)
        return st->code;
    tsd_code rc = TSD_OK;
    for (int i = 0; i < m->nvars && !rc; i++) {
        eng_tensor t;
        if ((rc = eng_session_get_variable(m->sess, sorted[i].name, &t, st)))
            break;
        rc = ldr_bundle_writer_add(w, sorted[i].name, &t, st);
        eng_tensor_free_data(&t);
    }
    if (!rc)
        rc = ldr_bundle_writer_finish(w, st);
    ldr_bundle_writer_free(w);
    if (rc)
        return rc;
    /* retention, then the state file (after the bundle is complete) */
    int dup = m->nkept && strcmp(m->kept[m->nkept - 1], rel) == 0;
    if (!dup) {
        char **nk = realloc(m->kept, (m->nkept + 1) * sizeof *nk);
        if (!nk)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        m->kept = nk;
        if (!(m->kept[m->nkept] = strdup(rel)))
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        m->nkept++;
    }
    size_t drop = keep_max > 0 && m->nkept > (size_t)keep_max ? m->nkept - (size_t)keep_max : 0;
    char **old = m->kept;
    if ((rc = ldr_checkpoint_state_write(model_dir, rel, (const char *const *)(old + drop),
                                         m->nkept - drop, st)))
        return rc;
    for (size_t i = 0; i < drop; i++) {
        remove_bundle(model_dir, old[i]);
        free(old[i]);
    }
    memmove(old, old + drop, (m->nkept - drop) * sizeof *old);
    m->nkept -= drop;
    if (m->events &&
        (ldr_event_writer_checkpoint(m->events, now_seconds(), trn_global_step(m), prefix, st) ||
         ldr_event_writer_flush(m->events, st)))
        return st->code;
    return TSD_OK;
}

tsd_code trn_restore(trn_model *m, const char *model_dir, tsd_status *st)
{
    char *latest = NULL, **all = NULL;
    size_t nall = 0;
    tsd_code rc = ldr_checkpoint_state_read(model_dir, &latest, &all, &nall, st);
    if (rc)
        return rc;
    ldr_bundle *b = NULL;
    if ((rc = ldr_bundle_open(latest, &b, st)))
        goto out;
    for (int i = 0; i < m->nvars && !rc; i++) {
        const ldr_bundle_entry *e = ldr_bundle_find(b, m->vars[i].name);
        if (!e) {
            rc = tsd_err(st, TSD_NOT_FOUND, "%s: no tensor '%s'", latest, m->vars[i].name);
            break;
        }
        eng_tensor t;
        if ((rc = ldr_bundle_read(b, e, &t, st)))
            break;
        if ((rc = eng_session_set_variable(m->sess, m->vars[i].name, &t, st)))
            eng_tensor_free_data(&t);
    }
    if (!rc)
        m->step = read_step(m);
    ldr_bundle_close(b);
    if (!rc) { /* retention continues across restarts */
        for (size_t i = 0; i < m->nkept; i++)
            free(m->kept[i]);
        free(m->kept);
        m->kept = calloc(nall ? nall : 1, sizeof *m->kept);
        m->nkept = 0;
        for (size_t i = 0; m->kept && i < nall; i++) {
            const char *base = strrchr(all[i], '/');
            m->kept[m->nkept++] = strdup(base ? base + 1 : all[i]);
        }
    }
out:
    free(latest);
    for (size_t i = 0; i < nall; i++)
        free(all[i]);
    free(all);
    return rc;
}
