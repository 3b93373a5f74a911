/*
 * run.c - one training run from a text-format tensord.TrainerConfig, as
 * `estimator.train(); estimator.evaluate(); estimator.export_saved_model()`:
 * read the data, build the model, resume from the latest checkpoint in
 * model_dir, train on the data repeated num_epochs times and batched
 * (Dataset.shuffle(buffer).repeat(epochs).batch(batch_size): batches span
 * epoch boundaries, each epoch reshuffled), checkpoint and write summaries
 * on the run config's cadence, evaluate on the eval files and export a
 * SavedModel. The step count alone says where a resumed run continues:
 * the epoch orders are seeded by (seed, epoch).
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trainer/model_int.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const trn_run_options *o, const char *phase, int64_t step, int64_t max_steps,
                   int64_t epoch, double loss, double eps)
{
    if (o->on_progress) {
        trn_progress p = {phase, step, max_steps, epoch, loss, eps};
        o->on_progress(o->ud, &p);
    }
}

/* Whether dir holds a version directory (a name of digits only). */
static int has_version(const char *dir)
{
    DIR *d = opendir(dir);
    int found = 0;
    for (struct dirent *e; d && !found && (e = readdir(d));)
        found = e->d_name[0] && strspn(e->d_name, "0123456789") == strlen(e->d_name);
    if (d)
        closedir(d);
    return found;
}

/* The rows of global batch `step` of the repeated, shuffled stream. */
typedef struct stream {
    int64_t n, batch, buffer, epoch;
    uint64_t seed;
    int64_t *order;
} stream;

static void batch_rows(stream *s, int64_t step, int64_t *rows, int64_t *count, int64_t total)
{
    int64_t at = step * s->batch, k = 0;
    for (; k < s->batch && at + k < total; k++) {
        int64_t pos = at + k, epoch = pos / s->n;
        if (epoch != s->epoch) {
            trn__data_order(s->n, s->seed, epoch, s->buffer, s->order);
            s->epoch = epoch;
        }
        rows[k] = s->order[pos % s->n];
    }
    *count = k;
}

tsd_code trn_run(const char *config_path, const trn_run_options *opts, trn_metrics *out,
                 char **export_dir, tsd_status *st)
{
    static const trn_run_options none;
    const trn_run_options *o = opts ? opts : &none;
    FILE *progress = o->log;
    *export_dir = NULL;
    memset(out, 0, sizeof *out);
    report(o, "reading", 0, 0, 0, 0, 0);
    trn_config *c = trn_config_load(config_path, st);
    if (!c)
        return st->code;
    const Tensord__DataConfig *d = c->pb->data;
    const Tensord__RunConfig *rcfg = c->pb->run_config;
    trn_data *train = NULL, *eval = NULL;
    trn_model *m = NULL;
    stream s = {0};
    int64_t *rows = NULL;
    tsd_code rc = TSD_OK;
    if (!d->n_train_files) {
        rc = tsd_err(st, TSD_INVALID_ARGUMENT, "%s: data.train_files is empty", config_path);
        goto out;
    }
    if (o->mode == TRN_RUN_EVALUATE && !d->n_eval_files) {
        rc = tsd_err(st, TSD_INVALID_ARGUMENT, "%s: data.eval_files is empty", config_path);
        goto out;
    }
    if (!(train = trn_data_read(c, 0, st)) ||
        (d->n_eval_files && o->mode != TRN_RUN_EXPORT && !(eval = trn_data_read(c, 1, st)))) {
        rc = st->code;
        goto out;
    }
    if (trn_data_rows(train) == 0) {
        rc = tsd_err(st, TSD_INVALID_ARGUMENT, "%s: no training rows", config_path);
        goto out;
    }
    if (!(m = trn_model_new(c, train, st))) {
        rc = st->code;
        goto out;
    }
    char dir[4096];
    trn__config_path(c, rcfg->model_dir, dir, sizeof dir);
    mkdir(dir, 0755);
    if ((rc = trn_restore(m, dir, st)) == TSD_OK) {
        if (progress)
            fprintf(progress, "resuming from global_step %lld\n", (long long)trn_global_step(m));
    } else if (rc != TSD_NOT_FOUND) {
        goto out;
    } else if (o->mode != TRN_RUN_TRAIN) {
        rc = tsd_err(st, TSD_NOT_FOUND, "%s: no checkpoint in %s to %s; train first", config_path,
                     dir, o->mode == TRN_RUN_EVALUATE ? "evaluate" : "export");
        goto out;
    }
    rc = TSD_OK;
    int64_t summary = rcfg->save_summary_steps > 0 ? rcfg->save_summary_steps : 100;
    if (o->mode == TRN_RUN_TRAIN && (rc = trn_set_summary_dir(m, dir, (int)summary, st)))
        goto out;
    int64_t n = trn_data_rows(train);
    int64_t b = d->batch_size > 0 ? d->batch_size : 32;
    int64_t epochs = d->num_epochs > 0 ? d->num_epochs : 1;
    int64_t steps = d->max_steps > 0 ? d->max_steps : (n * epochs + b - 1) / b;
    int64_t total = d->max_steps > 0 ? INT64_MAX : n * epochs; /* rows in the stream */
    int64_t step = trn_global_step(m), first = step;
    int64_t max_steps = o->mode != TRN_RUN_TRAIN ? step
                        : o->continue_training   ? step + steps
                                                 : steps;
    int64_t every = rcfg->save_checkpoints_steps;
    double every_s = rcfg->save_checkpoints_secs > 0 ? (double)rcfg->save_checkpoints_secs
                     : every > 0                     ? 0
                                                     : 600;
    int keep = rcfg->keep_checkpoint_max > 0 ? rcfg->keep_checkpoint_max : 5;
    int64_t log_every = rcfg->log_step_count_steps > 0 ? rcfg->log_step_count_steps : 100;
    s = (stream){n, b, d->shuffle_buffer_size, -1, c->seed, malloc((size_t)n * sizeof(int64_t))};
    rows = malloc((size_t)b * sizeof *rows);
    if (!s.order || !rows) {
        rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        goto out;
    }
    if (o->mode == TRN_RUN_TRAIN && step >= max_steps && progress)
        fprintf(progress, "Skipping training since max_steps has already saved.\n");
    report(o, "training", step, max_steps, (step * b) / n + 1, 0, 0);
    double t0 = now_s(), last = 0, last_save = t0;
    int tty = progress && isatty(fileno(progress));
    for (; step < max_steps; step++) {
        int64_t k;
        /* continuous rounds restart the stream at their first step */
        batch_rows(&s, o->continue_training ? step - first : step, rows, &k, total);
        float loss;
        if ((rc = trn_train_step(m, train, rows, k, &loss, st)))
            goto out;
        int64_t done = step + 1;
        double t = now_s();
        int save = done == max_steps ? 0 : every > 0 ? done % every == 0 : t - last_save >= every_s;
        if (save) {
            if ((rc = trn_save(m, dir, keep, st)))
                goto out;
            last_save = t;
        }
        if (o->should_stop && o->should_stop(o->ud)) {
            if ((rc = trn_save(m, dir, keep, st)) == TSD_OK)
                rc = tsd_err(st, TSD_CANCELLED, "training stopped at global_step %lld",
                             (long long)done);
            goto out;
        }
        int64_t seen = done * b < total ? done * b : total;
        int64_t epoch = (seen - 1) / n + 1;
        if (t - last > 0.5 || done == max_steps || (!tty && done % log_every == 0)) {
            double eps = (double)((done - first) * b) / fmax(t - t0, 1e-9);
            double eta = (double)(max_steps - done) * (t - t0) / (double)(done - first);
            report(o, "training", done, max_steps, epoch, loss, eps);
            if (progress && (tty || done % log_every == 0 || done == max_steps)) {
                fprintf(progress,
                        "%sstep %lld/%lld epoch %lld loss %.4f examples/s %.0f eta %.0fs%s",
                        tty ? "\r" : "", (long long)done, (long long)max_steps, (long long)epoch,
                        loss, eps, eta, tty ? "" : "\n");
                fflush(progress);
            }
            last = t;
        }
    }
    if (tty && o->mode == TRN_RUN_TRAIN)
        fputc('\n', progress);
    if (o->mode == TRN_RUN_TRAIN && (rc = trn_save(m, dir, keep, st)))
        goto out;
    if (eval && o->mode != TRN_RUN_EXPORT) {
        report(o, "evaluating", trn_global_step(m), max_steps, 0, 0, 0);
        if ((rc = trn_evaluate(m, eval, 512, dir, out, st)))
            goto out;
    }
    if (o->mode == TRN_RUN_EVALUATE) {
        report(o, "done", trn_global_step(m), max_steps, 0, 0, 0);
        goto out;
    }
    char base[4200];
    if (o->export_dir_base)
        snprintf(base, sizeof base, "%s", o->export_dir_base);
    else if (*rcfg->export_dir_base)
        trn__config_path(c, rcfg->export_dir_base, base, sizeof base);
    else
        snprintf(base, sizeof base, "%s/export", dir);
    if (o->skip_export_if_untrained && trn_global_step(m) == first && has_version(base)) {
        if (progress)
            fprintf(progress, "training was complete and %s has a version: not exported again\n",
                    base);
        report(o, "done", trn_global_step(m), max_steps, 0, 0, 0);
        goto out;
    }
    report(o, "exporting", trn_global_step(m), max_steps, 0, 0, 0);
    rc = trn_export(m, base, export_dir, st);
    if (!rc)
        report(o, "done", trn_global_step(m), max_steps, 0, 0, 0);
out:
    free(rows);
    free(s.order);
    trn_model_free(m);
    trn_data_free(train);
    trn_data_free(eval);
    trn_config_free(c);
    return rc;
}
