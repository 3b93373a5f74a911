/*
 * batch_int.h - private parts of the batcher: merging requests' inputs into
 * one batch and slicing a batched output back (batch_merge.c). Pure
 * functions over tensors, unit-tested on their own.
 */
#ifndef TSD_SERVER_BATCH_INT_H
#define TSD_SERVER_BATCH_INT_H

#include "server/batch.h"

/** A growable buffer owned by one batch thread, reused across batches. */
typedef struct srv__bbuf {
    char *data;
    size_t cap;
} srv__bbuf;

/** Free a buffer's storage. */
void srv__bbuf_free(srv__bbuf *b);

/**
 * 1 if feed tensors a and b of two requests may go in one batch: same dtype
 * and rank >= 1, and equal dims beyond dim 0 (any dims when pad != 0).
 */
int srv__batch_compatible(const eng_tensor *a, const eng_tensor *b, int pad);

/**
 * Concatenate feed f of every task along dim 0 into merged[f], for f <
 * nfeeds: task_feeds[t] is task t's feed array. With pad_var, dims beyond 0
 * are padded to the largest among the tasks with the task's first element
 * (TF Serving's AddPadding). Rows from the tasks' total up to `rows` are
 * copies of the last task's first row (TF Serving's batch padding). Data
 * lives in buf (strings keep pointing at the tasks' bytes).
 */
tsd_code srv__batch_merge(const eng_tensor *const *task_feeds, size_t ntasks, int nfeeds,
                          int64_t rows, int pad_var, srv__bbuf *buf, eng_tensor *merged,
                          tsd_status *st);

/**
 * Copy rows [off, off + n) of t into call's memory (string bytes too) as
 * *out. t must have rank >= 1 and at least off + n rows.
 */
tsd_code srv__batch_slice(const eng_tensor *t, int64_t off, int64_t n, eng_call *call,
                          eng_tensor *out, tsd_status *st);

/** Smallest allowed batch size >= n (n itself without allowed sizes). */
int64_t srv__batch_round(const srv_batch_params *p, int64_t n);

#endif
