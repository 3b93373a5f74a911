/*
 * data.c - training and evaluation data in memory (see trainer.h): every
 * row as a serialized tf.Example, the way a client would send it to the
 * exported model, plus its label(s) and weight.
 *
 * CSV rows are converted by data_csv.c. TFRecord files hold serialized
 * tf.Example already (gzip detected); their labels and weights are parsed
 * out of each record with ParseExample on the engine, so the features the
 * model sees are exactly the file's.
 *
 * Also the per-epoch order: TF's Dataset.shuffle(buffer_size) with
 * reshuffle_each_iteration, seeded by (seed, epoch) so a resumed run
 * continues the same sequence.
 */
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"
#include "trainer/data_int.h"
#include "trainer/spec.h"

int64_t trn_data_rows(const trn_data *d)
{
    return d->n;
}

float trn_data_label(const trn_data *d, int64_t i)
{
    return d->labels[i * d->label_dim];
}

const eng_str *trn__data_examples(const trn_data *d)
{
    return d->ex;
}

const float *trn__data_labels(const trn_data *d)
{
    return d->labels;
}

const float *trn__data_weights(const trn_data *d)
{
    return d->weights;
}

void trn_data_free(trn_data *d)
{
    if (!d)
        return;
    free(d->buf);
    free(d->off);
    free(d->ex);
    free(d->labels);
    free(d->weights);
    free(d);
}

tsd_code trn__data_append(trn_data *d, const uint8_t *ex, size_t len, const float *labels,
                          float weight, tsd_status *st)
{
    if (d->n + 1 >= d->rows_cap) {
        int64_t cap = d->rows_cap ? 2 * d->rows_cap : 4096;
        int64_t *off = realloc(d->off, (size_t)(cap + 1) * sizeof *off);
        if (off)
            d->off = off;
        float *lb = off ? realloc(d->labels, (size_t)(cap * d->label_dim) * sizeof *lb) : NULL;
        if (lb)
            d->labels = lb;
        float *w = lb ? realloc(d->weights, (size_t)cap * sizeof *w) : NULL;
        if (!w)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory reading the data");
        d->weights = w;
        d->rows_cap = cap;
    }
    if (d->len + len > d->cap) {
        size_t cap = d->cap ? d->cap : 1 << 20;
        while (cap < d->len + len)
            cap *= 2;
        uint8_t *b = realloc(d->buf, cap);
        if (!b)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory reading the data");
        d->buf = b;
        d->cap = cap;
    }
    if (d->n == 0)
        d->off[0] = 0;
    memcpy(d->buf + d->len, ex, len);
    d->len += len;
    d->off[d->n + 1] = (int64_t)d->len;
    if (labels)
        memcpy(d->labels + d->n * d->label_dim, labels, (size_t)d->label_dim * sizeof *labels);
    d->weights[d->n] = weight;
    d->n++;
    return TSD_OK;
}

static tsd_code finish(trn_data *d, tsd_status *st)
{
    d->ex = calloc((size_t)(d->n ? d->n : 1), sizeof *d->ex);
    if (!d->ex)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory reading the data");
    for (int64_t i = 0; i < d->n; i++)
        d->ex[i] = (eng_str){(const char *)d->buf + d->off[i], (size_t)(d->off[i + 1] - d->off[i])};
    return TSD_OK;
}

/* Class id of a label string: its vocabulary index (a trailing '.' ignored). */
int trn__label_index(const trn_config *c, char *v)
{
    const Tensord__DataConfig *d = c->pb->data;
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

/* ---- TFRecord ---------------------------------------------------------------------- */

/* Labels (and weights) of rows [from, n) of a dataset, from their examples. */
typedef struct label_job {
    const trn_config *c;
    trn_data *d;
    int64_t from;
    eng_dtype lt;
    int has_w;
} label_job;

static tsd_code store_labels(void *ud, int64_t first, int64_t n, const eng_tensor *out,
                             tsd_status *st)
{
    label_job *j = ud;
    trn_data *d = j->d;
    for (int64_t i = 0; i < n; i++) {
        int64_t row = j->from + first + i;
        float *dst = d->labels + row * d->label_dim;
        if (j->lt == ENG_DT_STRING) {
            const eng_str *sv = &((const eng_str *)out[0].data)[i];
            char v[256];
            snprintf(v, sizeof v, "%.*s", (int)sv->len, sv->ptr);
            int k = trn__label_index(j->c, v);
            if (k < 0)
                return tsd_err(st, TSD_INVALID_ARGUMENT,
                               "example %lld: label '%s' is not in label_vocabulary",
                               (long long)row, v);
            dst[0] = (float)k;
        } else if (j->lt == ENG_DT_INT64) {
            int64_t k = ((const int64_t *)out[0].data)[i];
            if (k < 0 || k >= j->c->n_classes)
                return tsd_err(st, TSD_INVALID_ARGUMENT,
                               "example %lld: label %lld is not a class id in [0, %d)",
                               (long long)row, (long long)k, j->c->n_classes);
            dst[0] = (float)k;
        } else {
            memcpy(dst, (const float *)out[0].data + i * d->label_dim,
                   (size_t)d->label_dim * sizeof *dst);
        }
        if (j->has_w)
            d->weights[row] = ((const float *)out[1].data)[i];
    }
    return TSD_OK;
}

/* Labels and weights of d's rows [from, n), parsed from the examples themselves. */
static tsd_code parse_labels(const trn_config *c, trn_data *d, int64_t from, tsd_status *st)
{
    const Tensord__DataConfig *dc = c->pb->data;
    int reg = c->head == TRN_HEAD_REGRESSION;
    label_job j = {c, d, from,
                   dc->n_label_vocabulary ? ENG_DT_STRING
                   : reg                  ? ENG_DT_FLOAT
                                          : ENG_DT_INT64,
                   *dc->weight_column != '\0'};
    trn_dense_key keys[2] = {{dc->label_column, j.lt, d->label_dim, NULL},
                             {dc->weight_column, ENG_DT_FLOAT, 1, NULL}};
    int64_t n = d->n - from;
    eng_str *ex = malloc((size_t)(n ? n : 1) * sizeof *ex);
    if (!ex)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (int64_t i = 0; i < n; i++)
        ex[i] = (eng_str){(const char *)d->buf + d->off[from + i],
                          (size_t)(d->off[from + i + 1] - d->off[from + i])};
    tsd_code rc = trn__parse_dense(ex, n, keys, j.has_w ? 2 : 1, store_labels, &j, st);
    free(ex);
    return rc;
}

static tsd_code read_tfrecord(const trn_config *c, char **files, size_t nfiles, trn_data *d,
                              tsd_status *st)
{
    tsd_code rc = TSD_OK;
    for (size_t fi = 0; fi < nfiles && !rc; fi++) {
        const char *path = files[fi]; /* resolved by trn_data_read */
        ldr_tfrecord *r = NULL;
        if ((rc = ldr_tfrecord_open(path, &r, st)))
            break;
        int64_t from = d->n;
        for (;;) {
            const uint8_t *data;
            size_t len;
            rc = ldr_tfrecord_next(r, &data, &len, 0, st);
            if (rc == TSD_OUT_OF_RANGE) {
                rc = TSD_OK;
                break;
            }
            if (rc || (rc = trn__data_append(d, data, len, NULL, 1, st)))
                break;
        }
        ldr_tfrecord_close(r);
        if (!rc && (rc = parse_labels(c, d, from, st)))
            tsd_err(st, rc, "%s: %s", path, st->msg);
    }
    return rc;
}

/* One reader thread: the files i, i + nthreads, ... into parts[i], parts[i + n], ... */
typedef struct reader {
    const trn_config *c;
    char **files;
    size_t nfiles, first, stride;
    int tfrecord;
    trn_data **parts; /* one per file */
    tsd_status st;
    tsd_code rc;
} reader;

static trn_data *new_data(const trn_config *c)
{
    trn_data *d = calloc(1, sizeof *d);
    if (d)
        d->label_dim = c->head == TRN_HEAD_REGRESSION ? c->logits_dim : 1;
    return d;
}

static void *read_files(void *arg)
{
    reader *r = arg;
    for (size_t i = r->first; i < r->nfiles && !r->rc; i += r->stride) {
        if (!(r->parts[i] = new_data(r->c))) {
            r->rc = tsd_err(&r->st, TSD_RESOURCE_EXHAUSTED, "out of memory");
            break;
        }
        r->rc = r->tfrecord ? read_tfrecord(r->c, &r->files[i], 1, r->parts[i], &r->st)
                            : trn__read_csv(r->c, &r->files[i], 1, r->parts[i], &r->st);
    }
    return NULL;
}

/* Append part's rows to d. */
static tsd_code concat(trn_data *d, const trn_data *part, tsd_status *st)
{
    for (int64_t i = 0; i < part->n; i++)
        if (trn__data_append(d, part->buf + part->off[i], (size_t)(part->off[i + 1] - part->off[i]),
                             part->labels + i * part->label_dim, part->weights[i], st))
            return st->code;
    return TSD_OK;
}

/* The files: each entry resolved against the config's directory, glob
 * patterns ("data/part-*.csv") expanded in sorted order, so a continuous
 * training job sees files added since its last round. */
static tsd_code expand_files(const trn_config *c, char *const *in, size_t n, char ***out,
                             size_t *nout, tsd_status *st)
{
    *out = NULL;
    *nout = 0;
    size_t cap = 0;
    char path[4096];
    for (size_t i = 0; i < n; i++) {
        trn__config_path(c, in[i], path, sizeof path);
        glob_t g = {0};
        int pattern = strpbrk(in[i], "*?[") != NULL;
        if (pattern) {
            int r = glob(path, 0, NULL, &g);
            if (r != 0) {
                globfree(&g);
                return tsd_err(st, TSD_NOT_FOUND, "%s: no file matches %s", c->path, path);
            }
        }
        size_t k = pattern ? g.gl_pathc : 1;
        for (size_t j = 0; j < k; j++) {
            if (*nout == cap) {
                cap = cap ? 2 * cap : 16;
                char **o = realloc(*out, cap * sizeof *o);
                if (!o) {
                    globfree(&g);
                    return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
                }
                *out = o;
            }
            if (!((*out)[(*nout)++] = strdup(pattern ? g.gl_pathv[j] : path))) {
                globfree(&g);
                return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
            }
        }
        globfree(&g);
    }
    return TSD_OK;
}

static void free_files(char **f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(f[i]);
    free(f);
}

trn_data *trn_data_read(const trn_config *c, int eval, tsd_status *st)
{
    const Tensord__DataConfig *dc = c->pb->data;
    trn_data *d = new_data(c);
    if (!d) {
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    char **files = NULL;
    size_t n = 0;
    if (expand_files(c, eval ? dc->eval_files : dc->train_files,
                     eval ? dc->n_eval_files : dc->n_train_files, &files, &n, st)) {
        free_files(files, n);
        trn_data_free(d);
        return NULL;
    }
    int tfrecord = strcmp(dc->format, "tfrecord") == 0 || (!*dc->format && !dc->n_column_names);
    size_t threads = dc->reader_threads > 1 ? (size_t)dc->reader_threads : 1;
    if (threads > n)
        threads = n ? n : 1;
    tsd_code rc = TSD_OK;
    if (*dc->format && strcmp(dc->format, "tfrecord") != 0 && strcmp(dc->format, "csv") != 0)
        rc = tsd_err(st, TSD_INVALID_ARGUMENT, "%s: data.format '%s' is not csv or tfrecord",
                     c->path, dc->format);
    else if (!tfrecord && !dc->n_column_names)
        rc = tsd_err(st, TSD_INVALID_ARGUMENT, "%s: CSV data needs column_names", c->path);
    else if (*dc->compression && strcmp(dc->compression, "GZIP") != 0 &&
             strcmp(dc->compression, "NONE") != 0)
        rc = tsd_err(st, TSD_INVALID_ARGUMENT,
                     "%s: data.compression '%s' is not GZIP or NONE (gzip is also detected)",
                     c->path, dc->compression);
    else if (threads == 1)
        rc = tfrecord ? read_tfrecord(c, files, n, d, st) : trn__read_csv(c, files, n, d, st);
    else { /* files read in parallel, rows kept in file order */
        trn_data **parts = calloc(n, sizeof *parts);
        reader *rs = calloc(threads, sizeof *rs);
        pthread_t *tids = calloc(threads, sizeof *tids);
        size_t started = 0;
        if (!parts || !rs || !tids)
            rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        for (size_t t = 0; !rc && t < threads; t++) {
            rs[t] = (reader){c, files, n, t, threads, tfrecord, parts, TSD_STATUS_INIT, TSD_OK};
            if (pthread_create(&tids[t], NULL, read_files, &rs[t]) != 0)
                rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "cannot start a reader thread");
            else
                started++;
        }
        for (size_t t = 0; t < started; t++) {
            pthread_join(tids[t], NULL);
            if (rs[t].rc && !rc) {
                rc = rs[t].rc;
                *st = rs[t].st;
            }
        }
        for (size_t i = 0; !rc && i < n; i++)
            rc = concat(d, parts[i], st);
        for (size_t i = 0; parts && i < n; i++)
            trn_data_free(parts[i]);
        free(parts);
        free(rs);
        free(tids);
    }
    free_files(files, n);
    if (!rc)
        rc = finish(d, st);
    if (rc) {
        trn_data_free(d);
        return NULL;
    }
    return d;
}

/* ---- order ----------------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void trn__data_order(int64_t n, uint64_t seed, int64_t epoch, int64_t buffer, int64_t *order)
{
    if (buffer <= 1) {
        for (int64_t i = 0; i < n; i++)
            order[i] = i;
        return;
    }
    if (buffer > n)
        buffer = n;
    uint64_t s = seed * 0x100000001B3ull ^ (uint64_t)epoch * 0x9E3779B97F4A7C15ull;
    /* Dataset.shuffle: fill a buffer, emit a random slot and refill it from the input */
    int64_t *tmp = malloc((size_t)buffer * sizeof *tmp);
    if (!tmp) { /* no memory: keep the file order rather than fail a training run */
        for (int64_t i = 0; i < n; i++)
            order[i] = i;
        return;
    }
    int64_t fill = 0, next = 0, out = 0;
    while (fill < buffer)
        tmp[fill++] = next++;
    while (fill > 0) {
        int64_t k = (int64_t)(splitmix(&s) % (uint64_t)fill);
        order[out++] = tmp[k];
        if (next < n)
            tmp[k] = next++;
        else
            tmp[k] = tmp[--fill];
    }
    free(tmp);
}
