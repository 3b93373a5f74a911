/*
 * run.c - one training run from a text-format tensord.TrainerConfig, as
 * `estimator.train(); estimator.evaluate(); estimator.export_saved_model()`:
 * read the CSV data, compute the normalizers, resume from the latest
 * checkpoint in model_dir (training stops at num_epochs worth of steps,
 * across restarts), checkpoint and write summaries on the run config's
 * cadence, evaluate on the eval files and export a SavedModel.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/pbtext.h"
#include "tensord/trainer_config.pb-c.h"
#include "trainer/trainer.h"

#define MAX_FEATURES 256

typedef struct dataset {
    float *x, *y;
    int64_t n, cap;
} dataset;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* file relative to the config's directory unless absolute */
static void resolve(const char *config, const char *file, char *out, size_t len)
{
    const char *slash = strrchr(config, '/');
    if (file[0] == '/' || !slash)
        snprintf(out, len, "%s", file);
    else
        snprintf(out, len, "%.*s/%s", (int)(slash - config), config, file);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* Label index of value v in the vocabulary (a trailing '.' ignored), -1 if none. */
static int label_of(const Tensord__DataConfig *d, char *v)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < d->n_label_vocabulary; i++)
            if (strcmp(v, d->label_vocabulary[i]) == 0)
                return (int)i;
        size_t n = strlen(v);
        if (!n || v[n - 1] != '.')
            break;
        v[n - 1] = '\0';
    }
    return -1;
}

static tsd_code read_csv(const char *config, const Tensord__DataConfig *d, char **files,
                         size_t nfiles, const int *cols, int nf, int label_col, dataset *ds,
                         tsd_status *st)
{
    char path[4096], line[65536];
    for (size_t fi = 0; fi < nfiles; fi++) {
        resolve(config, files[fi], path, sizeof path);
        FILE *f = fopen(path, "r");
        if (!f)
            return tsd_err(st, TSD_NOT_FOUND, "%s: cannot open: %s", path, strerror(errno));
        int64_t lineno = 0;
        while (fgets(line, sizeof line, f)) {
            lineno++;
            if (lineno == 1 && d->header)
                continue;
            char *fields[512];
            size_t nfld = 0;
            for (char *p = line; nfld < 512;) {
                char *c = strchr(p, ',');
                fields[nfld++] = p;
                if (!c) {
                    char *nl = strchr(p, '\n');
                    if (nl)
                        *nl = '\0';
                    break;
                }
                *c = '\0';
                p = c + 1;
            }
            if (nfld != d->n_column_names)
                continue; /* blank or malformed line */
            if (ds->n == ds->cap) {
                int64_t cap = ds->cap ? ds->cap * 2 : 4096;
                float *nx = realloc(ds->x, (size_t)(cap * nf) * sizeof *nx);
                float *ny = nx ? realloc(ds->y, (size_t)cap * sizeof *ny) : NULL;
                if (nx)
                    ds->x = nx;
                if (!ny) {
                    fclose(f);
                    return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory reading %s", path);
                }
                ds->y = ny;
                ds->cap = cap;
            }
            for (int k = 0; k < nf; k++) {
                char *end, *v = trim(fields[cols[k]]);
                float val = strtof(v, &end);
                if (!*v || *end) {
                    fclose(f);
                    return tsd_err(st, TSD_INVALID_ARGUMENT,
                                   "%s:%lld: column '%s': '%s' is not a number", path,
                                   (long long)lineno, d->column_names[cols[k]], v);
                }
                ds->x[ds->n * nf + k] = val;
            }
            char *lv = trim(fields[label_col]);
            int lab = label_of(d, lv);
            if (lab < 0) {
                fclose(f);
                return tsd_err(st, TSD_INVALID_ARGUMENT,
                               "%s:%lld: label '%s' is not in label_vocabulary", path,
                               (long long)lineno, lv);
            }
            ds->y[ds->n++] = (float)lab;
        }
        fclose(f);
    }
    return TSD_OK;
}

double trn_metrics_get(const trn_metrics *m, const char *key)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->m[i].key, key) == 0)
            return m->m[i].value;
    return NAN;
}

static void metrics_add(trn_metrics *m, const char *key, double v)
{
    if (m->n < (int)(sizeof m->m / sizeof m->m[0])) {
        snprintf(m->m[m->n].key, sizeof m->m[m->n].key, "%s", key);
        m->m[m->n++].value = v;
    }
}

static void report(const trn_run_options *o, const char *phase, int64_t step, int64_t max_steps,
                   int64_t epoch, double loss, double eps)
{
    if (o->on_progress) {
        trn_progress p = {phase, step, max_steps, epoch, loss, eps};
        o->on_progress(o->ud, &p);
    }
}

tsd_code trn_run(const char *config_path, const trn_run_options *opts, trn_metrics *out,
                 char **export_dir, tsd_status *st)
{
    static const trn_run_options none;
    const trn_run_options *o = opts ? opts : &none;
    FILE *progress = o->log;
    trn_binary_metrics bm, *metrics = &bm;
    *export_dir = NULL;
    memset(metrics, 0, sizeof *metrics);
    memset(out, 0, sizeof *out);
    report(o, "reading", 0, 0, 0, 0, 0);
    ProtobufCMessage *msg = NULL;
    if (tsd_pbtext_parse_file(&tensord__trainer_config__descriptor, config_path, &msg, st))
        return st->code;
    const Tensord__TrainerConfig *cfg = (const void *)msg;
    const Tensord__DataConfig *d = cfg->data;
    const Tensord__EstimatorConfig *est = cfg->estimator;
    const Tensord__RunConfig *rc_cfg = cfg->run_config;
    dataset train = {0}, eval = {0};
    trn_model *m = NULL;
    tsd_code rc = TSD_OK;
    int cols[MAX_FEATURES], nf = 0, label_col = -1;
    const char *names[MAX_FEATURES];
    if (!d || !d->n_train_files || !est || !rc_cfg || !rc_cfg->model_dir || !*rc_cfg->model_dir) {
        rc = tsd_err(st, TSD_INVALID_ARGUMENT,
                     "%s: data.train_files, estimator and run_config.model_dir are required",
                     config_path);
        goto out;
    }
    if (strcmp(est->type, "DNNClassifier") != 0) {
        rc = tsd_err(st, TSD_UNIMPLEMENTED,
                     "%s: estimator type '%s' is not supported yet "
                     "(DNNClassifier is)",
                     config_path, est->type);
        goto out;
    }
    if (d->n_label_vocabulary != 2) {
        rc = tsd_err(st, TSD_INVALID_ARGUMENT,
                     "%s: label_vocabulary needs the two classes, negative first", config_path);
        goto out;
    }
    for (size_t i = 0; i < d->n_column_names; i++)
        if (strcmp(d->column_names[i], d->label_column) == 0)
            label_col = (int)i;
    if (label_col < 0) {
        rc = tsd_err(st, TSD_INVALID_ARGUMENT, "%s: label_column '%s' is not a column", config_path,
                     d->label_column);
        goto out;
    }
    for (size_t i = 0; i < cfg->n_feature_columns && nf < MAX_FEATURES; i++) {
        const Tensord__FeatureColumn *fc = cfg->feature_columns[i];
        if (fc->kind_case != TENSORD__FEATURE_COLUMN__KIND_NUMERIC) {
            rc = tsd_err(st, TSD_UNIMPLEMENTED,
                         "%s: feature column '%s': only numeric columns are supported yet",
                         config_path, fc->name);
            goto out;
        }
        int c = -1;
        for (size_t k = 0; k < d->n_column_names; k++)
            if (strcmp(d->column_names[k], fc->name) == 0)
                c = (int)k;
        if (c < 0) {
            rc = tsd_err(st, TSD_INVALID_ARGUMENT, "%s: feature column '%s' is not a column",
                         config_path, fc->name);
            goto out;
        }
        cols[nf] = c;
        names[nf++] = fc->name;
    }
    if (!nf) {
        rc = tsd_err(st, TSD_INVALID_ARGUMENT, "%s: no feature_columns", config_path);
        goto out;
    }
    if ((rc = read_csv(config_path, d, d->train_files, d->n_train_files, cols, nf, label_col,
                       &train, st)) ||
        (rc = read_csv(config_path, d, d->eval_files, d->n_eval_files, cols, nf, label_col, &eval,
                       st)))
        goto out;
    if (train.n == 0) {
        rc = tsd_err(st, TSD_INVALID_ARGUMENT, "%s: no training rows", config_path);
        goto out;
    }
    /* normalizers from the training data */
    float mean[MAX_FEATURES], sd[MAX_FEATURES];
    for (int k = 0; k < nf; k++) {
        double s = 0, s2 = 0;
        for (int64_t i = 0; i < train.n; i++)
            s += train.x[i * nf + k];
        double mu = s / (double)train.n;
        for (int64_t i = 0; i < train.n; i++) {
            double dv = train.x[i * nf + k] - mu;
            s2 += dv * dv;
        }
        int norm = cfg->feature_columns[k]->numeric->normalize;
        mean[k] = norm ? (float)mu : 0.0f;
        sd[k] = norm && s2 > 0 ? (float)sqrt(s2 / (double)train.n) : 1.0f;
    }
    int hidden[16];
    int nh = (int)(est->n_hidden_units < 16 ? est->n_hidden_units : 16);
    for (int i = 0; i < nh; i++)
        hidden[i] = est->hidden_units[i];
    trn_dnn_config mc = {.n_features = nf,
                         .hidden_units = hidden,
                         .n_hidden = nh,
                         .learning_rate = est->learning_rate > 0 ? est->learning_rate : 0.05f,
                         .seed = rc_cfg->tf_random_seed,
                         .feature_names = names,
                         .norm_mean = mean,
                         .norm_std = sd};
    if (!(m = trn_dnn_new(&mc, st))) {
        rc = st->code;
        goto out;
    }
    char dir[4096];
    resolve(config_path, rc_cfg->model_dir, dir, sizeof dir);
    mkdir(dir, 0755);
    if ((rc = trn_restore(m, dir, st)) == TSD_OK) {
        if (progress)
            fprintf(progress, "resuming from global_step %lld\n", (long long)trn_global_step(m));
    } else if (rc != TSD_NOT_FOUND) {
        goto out;
    }
    rc = TSD_OK;
    int64_t summary = rc_cfg->save_summary_steps > 0 ? rc_cfg->save_summary_steps : 100;
    if ((rc = trn_set_summary_dir(m, dir, (int)summary, st)))
        goto out;
    int64_t b = d->batch_size > 0 ? d->batch_size : 32;
    int64_t per_epoch = (train.n + b - 1) / b, epochs = d->num_epochs > 0 ? d->num_epochs : 1;
    int64_t max_steps = d->max_steps > 0 ? d->max_steps : per_epoch * epochs;
    int64_t every = rc_cfg->save_checkpoints_steps;
    int keep = rc_cfg->keep_checkpoint_max > 0 ? rc_cfg->keep_checkpoint_max : 5;
    int64_t step = trn_global_step(m), first = step;
    if (o->continue_training)
        max_steps += step;
    report(o, "training", step, max_steps, step / per_epoch + 1, 0, 0);
    if (step >= max_steps && progress)
        fprintf(progress, "Skipping training since max_steps has already saved.\n");
    double t0 = now_s(), last = 0;
    int tty = progress && isatty(fileno(progress));
    for (; step < max_steps; step++) {
        int64_t at = (step % per_epoch) * b, n = train.n - at < b ? train.n - at : b;
        float loss;
        if ((rc = trn_train_step(m, train.x + at * nf, train.y + at, n, &loss, st)))
            goto out;
        int64_t done = step + 1;
        if ((every > 0 && done % every == 0) || (every <= 0 && done % per_epoch == 0))
            if ((rc = trn_save(m, dir, keep, st)))
                goto out;
        if (o->should_stop && o->should_stop(o->ud)) {
            if ((rc = trn_save(m, dir, keep, st)) == TSD_OK)
                rc = tsd_err(st, TSD_CANCELLED, "training stopped at global_step %lld",
                             (long long)done);
            goto out;
        }
        double t = now_s();
        if (t - last > 0.5 || done == max_steps) {
            double eps = (double)((done - first) * b) / fmax(t - t0, 1e-9);
            last = t;
            report(o, "training", done, max_steps, step / per_epoch + 1, loss, eps);
        }
        if (progress && (t - last > 0.5 || done == max_steps)) {
            double eps = (double)((done - first) * b) / fmax(t - t0, 1e-9);
            double eta = (double)(max_steps - done) * (t - t0) / (double)(done - first);
            fprintf(progress, "%sstep %lld/%lld epoch %lld loss %.4f examples/s %.0f eta %.0fs%s",
                    tty ? "\r" : "", (long long)done, (long long)max_steps,
                    (long long)(step / per_epoch + 1), loss, eps, eta, tty ? "" : "\n");
            fflush(progress);
            last = t;
        }
    }
    if (tty)
        fputc('\n', progress);
    if ((rc = trn_save(m, dir, keep, st)))
        goto out;
    if (eval.n > 0) {
        report(o, "evaluating", trn_global_step(m), max_steps, 0, 0, 0);
        if ((rc = trn_evaluate(m, eval.x, eval.y, eval.n, 512, dir, metrics, st)))
            goto out;
        metrics_add(out, "accuracy", metrics->accuracy);
        metrics_add(out, "accuracy_baseline", metrics->accuracy_baseline);
        metrics_add(out, "auc", metrics->auc);
        metrics_add(out, "auc_precision_recall", metrics->auc_precision_recall);
        metrics_add(out, "average_loss", metrics->average_loss);
        metrics_add(out, "global_step", (double)metrics->global_step);
        metrics_add(out, "label/mean", metrics->label_mean);
        metrics_add(out, "loss", metrics->loss);
        metrics_add(out, "precision", metrics->precision);
        metrics_add(out, "prediction/mean", metrics->prediction_mean);
        metrics_add(out, "recall", metrics->recall);
    }
    report(o, "exporting", trn_global_step(m), max_steps, 0, 0, 0);
    char base[4200];
    if (o->export_dir_base)
        snprintf(base, sizeof base, "%s", o->export_dir_base);
    else if (rc_cfg->export_dir_base && *rc_cfg->export_dir_base)
        resolve(config_path, rc_cfg->export_dir_base, base, sizeof base);
    else
        snprintf(base, sizeof base, "%s/export", dir);
    rc = trn_export(m, base, export_dir, st);
    if (!rc)
        report(o, "done", trn_global_step(m), max_steps, 0, 0, 0);
out:
    trn_model_free(m);
    free(train.x);
    free(train.y);
    free(eval.x);
    free(eval.y);
    protobuf_c_message_free_unpacked(msg, NULL);
    return rc;
}
