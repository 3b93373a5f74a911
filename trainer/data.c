/*
 * data.c - training and evaluation data in memory (see trainer.h): every
 * row as a serialized tf.Example, the way a client would send it to the
 * exported model, plus its label(s) and weight.
 *
 * CSV rows are converted with the type the parse spec gives each column
 * (FixedLen float: float_list; VarLen string: bytes_list; VarLen int64:
 * int64_list); an empty cell is a missing feature, as TF's CSV readers
 * leave it to the column's default. TFRecord files hold serialized
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
#include "tensorflow/core/example/example.pb-c.h"
#include "trainer/gb.h"
#include "trainer/model_int.h"
#include "trainer/spec.h"

#define MAX_CSV_COLS 512
#define PARSE_CHUNK 1024

struct trn_data {
    uint8_t *buf; /* serialized examples back to back */
    size_t len, cap;
    int64_t *off; /* n + 1 offsets into buf */
    eng_str *ex;  /* n examples (set by finish) */
    float *labels, *weights;
    int label_dim;
    int64_t n, rows_cap;
};

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

static tsd_code append(trn_data *d, const uint8_t *ex, size_t len, const float *labels,
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

static void resolve(const trn_config *c, const char *file, char *out, size_t len)
{
    if (file[0] == '/')
        snprintf(out, len, "%s", file);
    else
        snprintf(out, len, "%s/%s", c->dir, file);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* Class id of a label string: its vocabulary index (a trailing '.' ignored). */
static int label_index(const trn_config *c, char *v)
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

/* A label cell: vocabulary index, class id or (regression) a number. */
static tsd_code csv_label(const trn_config *c, char *v, float *out, const char *where,
                          tsd_status *st)
{
    if (c->pb->data->n_label_vocabulary) {
        int k = label_index(c, v);
        if (k < 0)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: label '%s' is not in label_vocabulary",
                           where, v);
        *out = (float)k;
        return TSD_OK;
    }
    char *end;
    double x = strtod(v, &end);
    if (!*v || *end || !isfinite(x))
        return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: label '%s' is not a number", where, v);
    if (c->head != TRN_HEAD_REGRESSION && (x != floor(x) || x < 0 || x >= c->n_classes))
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "%s: label %s is not a class id in [0, %d) (set label_vocabulary for "
                       "string labels)",
                       where, v, c->n_classes);
    *out = (float)x;
    return TSD_OK;
}

/* Per CSV column: the parse-spec feature it feeds (or NULL). */
typedef struct csv_plan {
    int ncols, label, weight;
    const trn_feature *feat[MAX_CSV_COLS];
} csv_plan;

static tsd_code plan_csv(const trn_config *c, csv_plan *p, tsd_status *st)
{
    const Tensord__DataConfig *d = c->pb->data;
    memset(p, 0, sizeof *p);
    p->ncols = (int)d->n_column_names;
    p->label = p->weight = -1;
    if (p->ncols > MAX_CSV_COLS)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: more than %d CSV columns", c->path,
                       MAX_CSV_COLS);
    for (int i = 0; i < p->ncols; i++) {
        const char *name = d->column_names[i];
        if (strcmp(name, d->label_column) == 0)
            p->label = i;
        else if (*d->weight_column && strcmp(name, d->weight_column) == 0)
            p->weight = i;
        p->feat[i] = trn__feature(c, name);
    }
    if (p->label < 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: label_column '%s' is not a CSV column",
                       c->path, d->label_column);
    if (*d->weight_column && p->weight < 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: weight_column '%s' is not a CSV column",
                       c->path, d->weight_column);
    if (c->logits_dim > 1 && c->head == TRN_HEAD_REGRESSION)
        return tsd_err(st, TSD_UNIMPLEMENTED,
                       "%s: CSV input has one label column; use TFRecord for label_dimension > 1",
                       c->path);
    for (int f = 0; f < c->nfeatures; f++) {
        int found = 0;
        for (int i = 0; i < p->ncols; i++)
            found |= p->feat[i] == &c->features[f];
        if (!found)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: feature '%s' is not a CSV column",
                           c->path, c->features[f].key);
    }
    return TSD_OK;
}

/* One CSV row as a serialized tf.Example. */
static tsd_code csv_row(const csv_plan *p, char **fields, const char *where, uint8_t **buf,
                        size_t *cap, size_t *len, tsd_status *st)
{
    Tensorflow__Features__FeatureEntry ent[MAX_CSV_COLS], *entp[MAX_CSV_COLS];
    Tensorflow__Feature feat[MAX_CSV_COLS];
    Tensorflow__FloatList fl[MAX_CSV_COLS];
    Tensorflow__Int64List il[MAX_CSV_COLS];
    Tensorflow__BytesList bl[MAX_CSV_COLS];
    float fv[MAX_CSV_COLS];
    int64_t iv[MAX_CSV_COLS];
    ProtobufCBinaryData bv[MAX_CSV_COLS];
    size_t n = 0;
    for (int i = 0; i < p->ncols; i++) {
        const trn_feature *f = p->feat[i];
        char *v = trim(fields[i]);
        if (!f || !*v)
            continue;
        tensorflow__features__feature_entry__init(&ent[n]);
        tensorflow__feature__init(&feat[n]);
        ent[n].key = (char *)f->key;
        ent[n].value = &feat[n];
        char *end;
        if (f->dtype == ENG_DT_FLOAT) {
            fv[n] = strtof(v, &end);
            if (*end)
                return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: column '%s': '%s' is not a number",
                               where, f->key, v);
            tensorflow__float_list__init(&fl[n]);
            fl[n].n_value = 1;
            fl[n].value = &fv[n];
            feat[n].kind_case = TENSORFLOW__FEATURE__KIND_FLOAT_LIST;
            feat[n].float_list = &fl[n];
        } else if (f->dtype == ENG_DT_INT64) {
            errno = 0;
            iv[n] = strtoll(v, &end, 10);
            if (*end || errno)
                return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: column '%s': '%s' is not an integer",
                               where, f->key, v);
            tensorflow__int64_list__init(&il[n]);
            il[n].n_value = 1;
            il[n].value = &iv[n];
            feat[n].kind_case = TENSORFLOW__FEATURE__KIND_INT64_LIST;
            feat[n].int64_list = &il[n];
        } else {
            tensorflow__bytes_list__init(&bl[n]);
            bv[n] = (ProtobufCBinaryData){strlen(v), (uint8_t *)v};
            bl[n].n_value = 1;
            bl[n].value = &bv[n];
            feat[n].kind_case = TENSORFLOW__FEATURE__KIND_BYTES_LIST;
            feat[n].bytes_list = &bl[n];
        }
        entp[n] = &ent[n];
        n++;
    }
    Tensorflow__Features fs = TENSORFLOW__FEATURES__INIT;
    fs.n_feature = n;
    fs.feature = entp;
    Tensorflow__Example ex = TENSORFLOW__EXAMPLE__INIT;
    ex.features = &fs;
    size_t need = tensorflow__example__get_packed_size(&ex);
    if (need > *cap) {
        uint8_t *b = realloc(*buf, need * 2);
        if (!b)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        *buf = b;
        *cap = need * 2;
    }
    *len = tensorflow__example__pack(&ex, *buf);
    return TSD_OK;
}

static tsd_code read_csv(const trn_config *c, char **files, size_t nfiles, trn_data *d,
                         tsd_status *st)
{
    csv_plan p;
    if (plan_csv(c, &p, st))
        return st->code;
    const Tensord__DataConfig *dc = c->pb->data;
    char path[4096], where[4200];
    char *line = malloc(1 << 20);
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0;
    tsd_code rc = line ? TSD_OK : tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t fi = 0; fi < nfiles && !rc; fi++) {
        resolve(c, files[fi], path, sizeof path);
        FILE *f = fopen(path, "r");
        if (!f) {
            rc = tsd_err(st, TSD_NOT_FOUND, "%s: cannot open: %s", path, strerror(errno));
            break;
        }
        int64_t lineno = 0;
        while (!rc && fgets(line, 1 << 20, f)) {
            lineno++;
            if (lineno == 1 && dc->header)
                continue;
            char *fields[MAX_CSV_COLS];
            int nf = 0;
            for (char *q = line; nf < MAX_CSV_COLS;) {
                char *comma = strchr(q, ',');
                fields[nf++] = q;
                if (!comma)
                    break;
                *comma = '\0';
                q = comma + 1;
            }
            if (nf != p.ncols)
                continue; /* blank lines and the Adult test file's comment line */
            snprintf(where, sizeof where, "%s:%lld", path, (long long)lineno);
            float label, weight = 1;
            if ((rc = csv_label(c, trim(fields[p.label]), &label, where, st)))
                break;
            if (p.weight >= 0) {
                char *end, *v = trim(fields[p.weight]);
                weight = strtof(v, &end);
                if (!*v || *end) {
                    rc = tsd_err(st, TSD_INVALID_ARGUMENT, "%s: weight '%s' is not a number", where,
                                 v);
                    break;
                }
            }
            if ((rc = csv_row(&p, fields, where, &buf, &cap, &len, st)) ||
                (rc = append(d, buf, len, &label, weight, st)))
                break;
        }
        fclose(f);
    }
    free(line);
    free(buf);
    return rc;
}

/* ---- TFRecord ---------------------------------------------------------------------- */

/* Labels and weights of d's rows [from, n), parsed from the examples themselves. */
static tsd_code parse_labels(const trn_config *c, trn_data *d, int64_t from, tsd_status *st)
{
    const Tensord__DataConfig *dc = c->pb->data;
    int vocab = dc->n_label_vocabulary > 0, reg = c->head == TRN_HEAD_REGRESSION;
    eng_dtype lt = vocab ? ENG_DT_STRING : reg ? ENG_DT_FLOAT : ENG_DT_INT64;
    int has_w = *dc->weight_column != '\0';
    eng_graph *g = eng_graph_new();
    if (!g)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    trn_gb b;
    trn_gb_init(&b, g, st);
    eng_node *ph = trn_gb_add(&b, "examples", "Placeholder", NULL, 0);
    trn_gb_type(&b, ph, "dtype", ENG_DT_STRING);
    trn_gb_strs(&b, "names", NULL, 0);
    const char *keys[2] = {dc->label_column, dc->weight_column};
    int nk = has_w ? 2 : 1;
    /* dense keys sorted, as ParseExample's callers pass them */
    int li = 0;
    if (has_w && strcmp(keys[1], keys[0]) < 0) {
        keys[0] = dc->weight_column;
        keys[1] = dc->label_column;
        li = 1;
    }
    const char *ins[6] = {"examples", "names"};
    eng_dtype types[2];
    eng_shape shapes[2];
    for (int k = 0; k < nk; k++) {
        ins[2 + k] = trn_gb_strs(&b, trn_gb_name(&b, "key_%d", k), &keys[k], -1);
        types[k] = k == li ? lt : ENG_DT_FLOAT;
        shapes[k] = (eng_shape){.rank = 1, .dims = {k == li ? c->logits_dim * reg + !reg : 1}};
        eng_tensor none = {.dtype = types[k], .rank = 1};
        ins[2 + nk + k] = trn_gb_const(&b, trn_gb_name(&b, "default_%d", k), &none);
    }
    eng_node *pe = trn_gb_add(&b, "parse", "ParseExample", ins, 2 + 2 * nk);
    trn_gb_int(&b, pe, "Nsparse", 0);
    trn_gb_int(&b, pe, "Ndense", nk);
    trn_gb_attr(&b, pe, "sparse_types", (eng_attr){.kind = ENG_ATTR_LIST_TYPE, .n = 0});
    trn_gb_attr(&b, pe, "Tdense",
                (eng_attr){.kind = ENG_ATTR_LIST_TYPE, .n = (size_t)nk, .types = types});
    trn_gb_attr(&b, pe, "dense_shapes",
                (eng_attr){.kind = ENG_ATTR_LIST_SHAPE, .n = (size_t)nk, .shapes = shapes});
    int failed = b.failed;
    trn_gb_free(&b);
    if (failed) {
        eng_graph_free(g);
        return st->code;
    }
    eng_session *s = eng_session_new(g, "labels", NULL, st);
    if (!s)
        return st->code;
    const char *feeds[1] = {"examples"}, *fetch[2] = {"parse:0", "parse:1"};
    eng_plan_spec ps = {feeds, 1, fetch, nk, NULL, 0};
    eng_plan *plan = eng_plan_compile(s, &ps, st);
    eng_call *call = eng_call_new();
    tsd_code rc = plan && call ? TSD_OK : st->code;
    for (int64_t at = from; !rc && at < d->n; at += PARSE_CHUNK) {
        int64_t n = d->n - at < PARSE_CHUNK ? d->n - at : PARSE_CHUNK;
        eng_str ex[PARSE_CHUNK];
        for (int64_t i = 0; i < n; i++)
            ex[i] = (eng_str){(const char *)d->buf + d->off[at + i],
                              (size_t)(d->off[at + i + 1] - d->off[at + i])};
        eng_tensor in = {
            .dtype = ENG_DT_STRING, .rank = 1, .data = ex, .nbytes = (size_t)n * sizeof *ex};
        in.dims[0] = n;
        eng_tensor out[2];
        eng_call_clear(call);
        if ((rc = eng_plan_run(plan, call, &in, out, st))) {
            tsd_err(st, rc, "examples %lld..%lld: %s", (long long)at, (long long)(at + n - 1),
                    st->msg);
            break;
        }
        const eng_tensor *lab = &out[li];
        for (int64_t i = 0; i < n && !rc; i++) {
            float *dst = d->labels + (at + i) * d->label_dim;
            if (lt == ENG_DT_STRING) {
                const eng_str *sv = &((const eng_str *)lab->data)[i];
                char v[256];
                snprintf(v, sizeof v, "%.*s", (int)sv->len, sv->ptr);
                int k = label_index(c, v);
                if (k < 0)
                    rc = tsd_err(st, TSD_INVALID_ARGUMENT,
                                 "example %lld: label '%s' is not in label_vocabulary",
                                 (long long)(at + i), v);
                dst[0] = (float)k;
            } else if (lt == ENG_DT_INT64) {
                int64_t k = ((const int64_t *)lab->data)[i];
                if (k < 0 || k >= c->n_classes)
                    rc = tsd_err(st, TSD_INVALID_ARGUMENT,
                                 "example %lld: label %lld is not a class id in [0, %d)",
                                 (long long)(at + i), (long long)k, c->n_classes);
                dst[0] = (float)k;
            } else {
                memcpy(dst, (const float *)lab->data + i * d->label_dim,
                       (size_t)d->label_dim * sizeof *dst);
            }
            if (has_w)
                d->weights[at + i] = ((const float *)out[1 - li].data)[i];
        }
    }
    eng_call_free(call);
    eng_plan_free(plan);
    eng_session_free(s);
    return rc;
}

static tsd_code read_tfrecord(const trn_config *c, char **files, size_t nfiles, trn_data *d,
                              tsd_status *st)
{
    char path[4096];
    tsd_code rc = TSD_OK;
    for (size_t fi = 0; fi < nfiles && !rc; fi++) {
        resolve(c, files[fi], path, sizeof path);
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
            if (rc || (rc = append(d, data, len, NULL, 1, st)))
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
                            : read_csv(r->c, &r->files[i], 1, r->parts[i], &r->st);
    }
    return NULL;
}

/* Append part's rows to d. */
static tsd_code concat(trn_data *d, const trn_data *part, tsd_status *st)
{
    for (int64_t i = 0; i < part->n; i++)
        if (append(d, part->buf + part->off[i], (size_t)(part->off[i + 1] - part->off[i]),
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
        resolve(c, in[i], path, sizeof path);
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
    else if (threads == 1)
        rc = tfrecord ? read_tfrecord(c, files, n, d, st) : read_csv(c, files, n, d, st);
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
