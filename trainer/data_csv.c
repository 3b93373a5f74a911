/*
 * data_csv.c - CSV input: each row becomes a serialized tf.Example with the
 * type the parse spec gives each column (FixedLen float: float_list; VarLen
 * string: bytes_list; VarLen int64: int64_list); an empty cell is a
 * missing feature, as TF's CSV readers leave it to the column's default.
 * Labels come from the label column (vocabulary index, class id or number),
 * weights from the weight column. Errors name the file and line.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorflow/core/example/example.pb-c.h"
#include "trainer/data_int.h"

#define MAX_CSV_COLS 512

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

/* A label cell: vocabulary index, class id or (regression) a number. */
static tsd_code csv_label(const trn_config *c, char *v, float *out, const char *where,
                          tsd_status *st)
{
    if (c->pb->data->n_label_vocabulary) {
        int k = trn__label_index(c, v);
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

tsd_code trn__read_csv(const trn_config *c, char **files, size_t nfiles, trn_data *d,
                       tsd_status *st)
{
    csv_plan p;
    if (plan_csv(c, &p, st))
        return st->code;
    const Tensord__DataConfig *dc = c->pb->data;
    char where[4200];
    char *line = malloc(1 << 20);
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0;
    tsd_code rc = line ? TSD_OK : tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t fi = 0; fi < nfiles && !rc; fi++) {
        const char *path = files[fi]; /* resolved by trn_data_read */
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
                (rc = trn__data_append(d, buf, len, &label, weight, st)))
                break;
        }
        fclose(f);
    }
    free(line);
    free(buf);
    return rc;
}
