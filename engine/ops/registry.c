/*
 * registry.c - the one op registry: every family table, merged and sorted
 * by TensorFlow op name on first use, looked up by binary search.
 */
#include "engine/ops/op.h"
#include "engine/ops/families.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The family tables, each terminated by an entry with name == NULL. */
static const eng_op_def *const families[] = {
    eng_ops_math,  eng_ops_nn,    eng_ops_array, eng_ops_sparse, eng_ops_string,
    eng_ops_parse, eng_ops_state, eng_ops_train, eng_ops_grad,
};

static const eng_op_def **sorted;
static size_t nsorted;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int cmp_def(const void *a, const void *b)
{
    const eng_op_def *x = *(const eng_op_def *const *)a;
    const eng_op_def *y = *(const eng_op_def *const *)b;
    return strcmp(x->name, y->name);
}

static void build(void)
{
    size_t n = 0;
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
        for (const eng_op_def *d = families[f]; d->name; d++)
            n++;
    sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted)
        return;
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
        for (const eng_op_def *d = families[f]; d->name; d++)
            sorted[nsorted++] = d;
    qsort(sorted, nsorted, sizeof *sorted, cmp_def);
}

const eng_op_def *eng_op_find(const char *name)
{
    pthread_once(&once, build);
    size_t lo = 0, hi = nsorted;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, sorted[mid]->name);
        if (c == 0)
            return sorted[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

int eng_op_supported(const char *op)
{
    return eng_op_find(op) != NULL;
}

size_t eng_op_count(void)
{
    pthread_once(&once, build);
    return nsorted;
}

const char *eng_op_name(size_t i)
{
    pthread_once(&once, build);
    return i < nsorted ? sorted[i]->name : NULL;
}
