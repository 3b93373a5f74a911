/*
 * evaluate.c - Estimator.evaluate(): the eval plan over a dataset in
 * batches, the head's metrics under TF's keys (formats: eval metrics) and
 * the eval/ summary. Binary heads get the full set (accuracy, AUCs,
 * precision, recall, means); multi-class heads accuracy and losses;
 * regressors losses and means. `loss` is the mean over batches of each
 * batch's loss, `average_loss` the weighted mean of per-example losses.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "loader/loader.h"
#include "trainer/model_int.h"

static void add(trn_metrics *m, const char *key, double v)
{
    if (m->n < (int)(sizeof m->m / sizeof m->m[0])) {
        snprintf(m->m[m->n].key, sizeof m->m[m->n].key, "%s", key);
        m->m[m->n++].value = v;
    }
}

double trn_metrics_get(const trn_metrics *m, const char *key)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->m[i].key, key) == 0)
            return m->m[i].value;
    return NAN;
}

static int cmp_metric(const void *a, const void *b)
{
    return strcmp(((const trn_metric *)a)->key, ((const trn_metric *)b)->key);
}

static void head_metrics(const trn_config *c, const float *pred, const float *labels,
                         const float *w, const float *el, int64_t n, int dim, trn_metrics *out)
{
    if (c->head == TRN_HEAD_BINARY) {
        trn_binary_metrics bm;
        trn_binary_metrics_compute(pred, labels, w, el, n, 200, &bm);
        add(out, "accuracy", bm.accuracy);
        add(out, "accuracy_baseline", bm.accuracy_baseline);
        add(out, "auc", bm.auc);
        add(out, "auc_precision_recall", bm.auc_precision_recall);
        add(out, "average_loss", bm.average_loss);
        add(out, "label/mean", bm.label_mean);
        add(out, "precision", bm.precision);
        add(out, "prediction/mean", bm.prediction_mean);
        add(out, "recall", bm.recall);
        return;
    }
    double sw = 0, swl = 0, right = 0, slab = 0, spred = 0;
    for (int64_t i = 0; i < n; i++) {
        double wi = w[i];
        sw += wi;
        if (c->head == TRN_HEAD_MULTI) {
            const float *p = pred + i * c->n_classes;
            int best = 0;
            for (int k = 1; k < c->n_classes; k++)
                if (p[k] > p[best])
                    best = k;
            right += wi * (best == (int)labels[i]);
            swl += wi * el[i];
        } else {
            for (int k = 0; k < dim; k++) {
                swl += wi * el[i * dim + k] / dim;
                slab += wi * labels[i * dim + k] / dim;
                spred += wi * pred[i * dim + k] / dim;
            }
        }
    }
    sw = sw > 0 ? sw : 1;
    add(out, "average_loss", swl / sw);
    if (c->head == TRN_HEAD_MULTI) {
        add(out, "accuracy", right / sw);
    } else {
        add(out, "label/mean", slab / sw);
        add(out, "prediction/mean", spred / sw);
    }
}

tsd_code trn_evaluate(trn_model *m, const trn_data *d, int64_t batch_size, const char *model_dir,
                      trn_metrics *out, tsd_status *st)
{
    const trn_config *c = trn__config(m);
    int64_t n = trn_data_rows(d);
    memset(out, 0, sizeof *out);
    if (n <= 0 || batch_size <= 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "evaluate: no examples");
    int od = trn_output_dim(m), ld = c->head == TRN_HEAD_REGRESSION ? c->logits_dim : 1;
    float *pred = malloc((size_t)(n * od) * sizeof *pred);
    float *el = malloc((size_t)(n * ld) * sizeof *el);
    if (!pred || !el) {
        free(pred);
        free(el);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    double batch_loss_sum = 0;
    int64_t nbatches = 0;
    tsd_code rc = TSD_OK;
    for (int64_t at = 0; at < n && !rc; at += batch_size, nbatches++) {
        int64_t b = n - at < batch_size ? n - at : batch_size;
        float bl;
        rc = trn__eval_batch(m, d, at, b, pred + at * od, el + at * ld, &bl, st);
        batch_loss_sum += bl;
    }
    if (!rc) {
        head_metrics(c, pred, trn__data_labels(d), trn__data_weights(d), el, n, ld, out);
        add(out, "loss", batch_loss_sum / (double)nbatches);
        add(out, "global_step", (double)trn_global_step(m));
        qsort(out->m, (size_t)out->n, sizeof *out->m, cmp_metric);
    }
    free(pred);
    free(el);
    if (rc || !model_dir)
        return rc;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/eval", model_dir);
    mkdir(dir, 0755);
    ldr_event_writer *w = ldr_event_writer_new(dir, (double)time(NULL), st);
    if (!w)
        return st->code;
    const char *tags[24];
    float v[24];
    size_t nv = 0;
    for (int i = 0; i < out->n; i++)
        if (strcmp(out->m[i].key, "global_step") != 0) {
            tags[nv] = out->m[i].key;
            v[nv++] = (float)out->m[i].value;
        }
    rc = ldr_event_writer_scalars(w, (double)time(NULL), trn_global_step(m), tags, v, nv, st);
    if (!rc)
        rc = ldr_event_writer_flush(w, st);
    ldr_event_writer_free(w);
    return rc;
}
