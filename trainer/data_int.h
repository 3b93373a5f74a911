/*
 * data_int.h - trainer-private: the dataset struct and what its readers
 * (data.c: TFRecord, parallel reading, order; data_csv.c: CSV) share.
 */
#ifndef TSD_TRAINER_DATA_INT_H
#define TSD_TRAINER_DATA_INT_H

#include "trainer/model_int.h"

struct trn_data {
    uint8_t *buf; /* serialized examples back to back */
    size_t len, cap;
    int64_t *off; /* n + 1 offsets into buf */
    eng_str *ex;  /* n examples (set by finish) */
    float *labels, *weights;
    int label_dim;
    int64_t n, rows_cap;
};

/** Append one serialized example with its labels (label_dim floats; NULL: set later) and weight. */
tsd_code trn__data_append(trn_data *d, const uint8_t *ex, size_t len, const float *labels,
                          float weight, tsd_status *st);

/** Class id of label string v: its label_vocabulary index (a trailing '.' ignored), or -1. */
int trn__label_index(const trn_config *c, char *v);

/** Read CSV files (paths as trn_data_read resolved them) into d. */
tsd_code trn__read_csv(const trn_config *c, char **files, size_t nfiles, trn_data *d,
                       tsd_status *st);

#endif
