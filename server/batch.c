/*
 * batch.c - the batch scheduler (see batch.h): one queue per plan, open
 * batches that fill up to max_batch_size, a shared pool of batch threads
 * that take a batch when it is full, when its timeout has passed, or at
 * once with batch_timeout_micros 0 (so batches form while threads are busy),
 * as TF's SharedBatchScheduler does.
 *
 * Lifetimes: a request blocks in srv_batcher_run while its task is queued
 * or running, holding its model version, so the plan, the inputs and the
 * request's eng_call stay valid. A queue exists only while it has batches
 * queued or running; it is freed when it empties.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sem_clockwait */
#endif
#include "server/batch.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/batch_int.h"
#include "server/metrics.h"

#define MAX_FEEDS 16
#define MAX_FETCHES 32

typedef struct task {
    const eng_tensor *feeds;
    eng_tensor *outs;
    eng_call *call;
    int64_t size;
    int64_t enq_ns;
    int64_t deadline_ns; /* 0 = none */
    /* result, written by the batch thread before it posts `done` */
    int alone; /* run it on its own (the batched run failed) */
    tsd_code code;
    tsd_status st;
    sem_t done; /* no mutex: waking a request costs one futex call */
    struct task *next;
} task;

typedef struct batch {
    task *head, *tail;
    size_t ntasks;
    int64_t size;
    int64_t first_ns;
    int closed;
    int taken; /* a batch thread is running it */
    struct batch *next;
} batch;

typedef struct queue {
    const eng_plan *plan;
    srv_batch_params p;
    char model[128], signature[128];
    batch *head, *tail;
    int64_t nbatches; /* queued, not running */
    int running;
    struct queue *next;
} queue;

struct srv_batcher {
    srv_batch_params p;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    queue *queues;
    queue *rr; /* where the next search starts */
    int stop;
    pthread_t *threads;
    int nthreads;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec to_ts(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    return ts;
}

static void init_cond(pthread_cond_t *cv)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &a);
    pthread_condattr_destroy(&a);
}

/* ---- metrics ------------------------------------------------------------ */

static const double size_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};

/* The batching metrics, registered once (series lookups then take no lock). */
static struct {
    srv_metric *queuing, *model_queuing, *input_size, *processed_size, *padding, *runs, *model_size;
} mx;

static void init_metrics(void)
{
    static const char *const l_pool[] = {"thread_pool_name"};
    static const char *const l_pad[] = {"execution_batch_size"};
    static const char *const l_model[] = {"model_name", "signature"};
    static double qbounds[52];
    double v = 100; /* Exponential(100, 1.2, 52) as TF Serving's queuing_latency */
    for (int i = 0; i < 52; i++, v *= 1.2)
        qbounds[i] = v;
    int nsb = (int)(sizeof size_bounds / sizeof *size_bounds), nlb;
    const double *lbounds = srv_metric_latency_bounds(&nlb);
    mx.queuing = srv_metric_histogram("/tensorflow/serving/batching_session/queuing_latency", 1,
                                      l_pool, qbounds, 52);
    mx.model_queuing =
        srv_metric_histogram("/tensord/batching/queuing_latency", 2, l_model, lbounds, nlb);
    mx.input_size = srv_metric_histogram("/tensorflow/serving/batching_session/input_batch_size", 0,
                                         NULL, size_bounds, nsb);
    mx.processed_size = srv_metric_histogram(
        "/tensorflow/serving/batching_session/processed_batch_size", 0, NULL, size_bounds, nsb);
    mx.padding = srv_metric_histogram("/tensorflow/serving/batching_session/padding_size", 1, l_pad,
                                      size_bounds, nsb);
    mx.runs = srv_metric_counter("/tensorflow/serving/batching_session/wrapped_run_count", 0, NULL);
    mx.model_size =
        srv_metric_histogram("/tensord/batching/batch_size", 2, l_model, size_bounds, nsb);
}

static void record_batch(const queue *q, const batch *b, int64_t rows, int64_t start_ns)
{
    const char *pool[] = {q->p.thread_pool_name};
    const char *mv[] = {q->model, q->signature};
    for (const task *t = b->head; t; t = t->next) {
        double us = (double)(start_ns - t->enq_ns) / 1e3;
        srv_metric_observe(mx.queuing, pool, us);
        srv_metric_observe(mx.model_queuing, mv, us);
    }
    char rows_s[32];
    snprintf(rows_s, sizeof rows_s, "%" PRId64, rows);
    const char *pad[] = {rows_s};
    srv_metric_observe(mx.input_size, NULL, (double)b->size);
    srv_metric_observe(mx.processed_size, NULL, (double)rows);
    srv_metric_observe(mx.padding, pad, (double)(rows - b->size));
    srv_metric_inc(mx.runs, NULL, 1);
    srv_metric_observe(mx.model_size, mv, (double)b->size);
}

/* A batch thread's buffers, reused from batch to batch. */
typedef struct scratch {
    srv__bbuf buf;            /* merged inputs */
    const eng_tensor **feeds; /* the tasks' feed arrays */
    size_t cap;
} scratch;

/* ---- running one batch -------------------------------------------------- */

/* Finish a batch: wake every request (each task lives on its request's
 * stack, so it is not touched after its post). */
static void finish(batch *b)
{
    for (task *t = b->head, *next; t; t = next) {
        next = t->next;
        sem_post(&t->done);
    }
}

static void run_batch(queue *q, batch *b, eng_call *wcall, scratch *sc)
{
    const eng_plan *plan = q->plan;
    int64_t start = now_ns();
    int64_t rows = srv__batch_round(&q->p, b->size);
    int nfeeds = eng_plan_num_feeds(plan);
    record_batch(q, b, rows, start);

    eng_tensor merged[MAX_FEEDS], outs[MAX_FETCHES];
    tsd_status st = TSD_STATUS_INIT;
    tsd_code rc = TSD_OK;
    if (b->ntasks > sc->cap) { /* grows to max_batch_size at most, once */
        const eng_tensor **nf = realloc(sc->feeds, b->ntasks * sizeof *nf);
        if (nf) {
            sc->feeds = nf;
            sc->cap = b->ntasks;
        } else {
            rc = tsd_err(&st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        }
    }
    const eng_tensor **tf = sc->feeds;
    if (!rc) {
        size_t i = 0;
        int64_t deadline = 0;
        for (task *t = b->head; t; t = t->next) {
            tf[i++] = t->feeds;
            if (!t->deadline_ns)
                deadline = -1;
            else if (deadline >= 0 && t->deadline_ns > deadline)
                deadline = t->deadline_ns;
        }
        eng_call_set_deadline(wcall, deadline > 0 ? deadline : 0);
        rc = srv__batch_merge(tf, b->ntasks, nfeeds, rows, q->p.pad_variable_length_inputs,
                              &sc->buf, merged, &st);
    }
    if (!rc)
        rc = eng_plan_run(plan, wcall, merged, outs, &st);
    int nfetch = eng_plan_num_fetches(plan);
    /* Every output must have the batch's rows in dim 0. */
    for (int k = 0; !rc && k < nfetch; k++)
        if (outs[k].rank < 1 || outs[k].dims[0] != rows)
            rc = tsd_err(&st, TSD_FAILED_PRECONDITION,
                         outs[k].rank < 1 ? "Batched output tensor has 0 dimensions"
                                          : "Batched output tensor's 0th dimension does not "
                                            "equal the sum of the 0th dimension sizes of the "
                                            "input tensors");
    int retry = rc && rc != TSD_DEADLINE_EXCEEDED && (b->ntasks > 1 || rows != b->size);
    int64_t off = 0;
    for (task *t = b->head; t; t = t->next) {
        if (retry) {
            t->alone = 1;
            continue;
        }
        if (rc) {
            t->code = rc;
            t->st = st;
            continue;
        }
        eng_call_clear(t->call);
        t->code = TSD_OK;
        for (int k = 0; k < nfetch && !t->code; k++)
            t->code = srv__batch_slice(&outs[k], off, t->size, t->call, &t->outs[k], &t->st);
        off += t->size;
    }
    finish(b);
}

/* ---- the batch threads -------------------------------------------------- */

static int ready(const queue *q, const batch *b, int64_t now, int stop)
{
    return b->closed || stop || b->size >= q->p.max_batch_size ||
           now - b->first_ns >= q->p.batch_timeout_micros * 1000;
}

static void unlink_queue(srv_batcher *bt, queue *q)
{
    for (queue **pp = &bt->queues; *pp; pp = &(*pp)->next)
        if (*pp == q) {
            *pp = q->next;
            break;
        }
    if (bt->rr == q)
        bt->rr = NULL;
    free(q);
}

static void maybe_free_queue(srv_batcher *bt, queue *q)
{
    if (!q->head && q->running == 0)
        unlink_queue(bt, q);
}

static void *worker(void *arg)
{
    srv_batcher *bt = arg;
    eng_call *wcall = eng_call_new();
    scratch sc = {0};
    pthread_mutex_lock(&bt->mu);
    for (;;) {
        int64_t now = now_ns(), wake = 0;
        queue *pick = NULL;
        queue *start = bt->rr ? bt->rr : bt->queues;
        queue *q = start;
        while (q && !pick) {
            if (q->head && !q->head->taken) {
                if (ready(q, q->head, now, bt->stop))
                    pick = q;
                else {
                    int64_t w = q->head->first_ns + q->p.batch_timeout_micros * 1000;
                    if (!wake || w < wake)
                        wake = w;
                }
            }
            q = q->next ? q->next : bt->queues;
            if (q == start)
                break;
        }
        if (!pick) {
            if (bt->stop && !bt->queues)
                break;
            if (wake) {
                struct timespec ts = to_ts(wake);
                pthread_cond_timedwait(&bt->cv, &bt->mu, &ts);
            } else {
                pthread_cond_wait(&bt->cv, &bt->mu);
            }
            continue;
        }
        batch *b = pick->head;
        pick->head = b->next;
        if (!pick->head)
            pick->tail = NULL;
        pick->nbatches--;
        pick->running++;
        b->taken = 1;
        bt->rr = pick->next;
        pthread_mutex_unlock(&bt->mu);
        if (wcall)
            run_batch(pick, b, wcall, &sc);
        else {
            for (task *t = b->head; t; t = t->next)
                t->alone = 1;
            finish(b);
        }
        pthread_mutex_lock(&bt->mu);
        free(b);
        pick->running--;
        maybe_free_queue(bt, pick);
    }
    pthread_mutex_unlock(&bt->mu);
    srv__bbuf_free(&sc.buf);
    free(sc.feeds);
    eng_call_free(wcall);
    return NULL;
}

srv_batcher *srv_batcher_new(const srv_batch_params *p, tsd_status *st)
{
    srv_batcher *bt = calloc(1, sizeof *bt);
    if (!bt) {
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory creating the batcher");
        return NULL;
    }
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_metrics);
    bt->p = *p;
    pthread_mutex_init(&bt->mu, NULL);
    init_cond(&bt->cv);
    bt->threads = calloc((size_t)p->num_batch_threads, sizeof *bt->threads);
    for (int i = 0; bt->threads && i < p->num_batch_threads; i++) {
        if (pthread_create(&bt->threads[i], NULL, worker, bt) != 0)
            break;
        bt->nthreads++;
    }
    if (bt->nthreads == 0) {
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "cannot start batch threads");
        srv_batcher_free(bt);
        return NULL;
    }
    return bt;
}

const srv_batch_params *srv_batcher_params(const srv_batcher *b)
{
    return &b->p;
}

void srv_batcher_free(srv_batcher *bt)
{
    if (!bt)
        return;
    pthread_mutex_lock(&bt->mu);
    bt->stop = 1;
    pthread_cond_broadcast(&bt->cv);
    pthread_mutex_unlock(&bt->mu);
    for (int i = 0; i < bt->nthreads; i++)
        pthread_join(bt->threads[i], NULL);
    free(bt->threads);
    pthread_cond_destroy(&bt->cv);
    pthread_mutex_destroy(&bt->mu);
    free(bt);
}

/* ---- requests ----------------------------------------------------------- */

/*
 * Batch size of a request, or -1 when it can't be batched: no inputs, a
 * scalar input, dim 0 differing between inputs, a dtype the plan won't take
 * (the engine words that error), or an output without a batch dimension.
 */
static int64_t task_size(const eng_plan *plan, const eng_tensor *feeds, int *nfeeds_out)
{
    int nfeeds = eng_plan_num_feeds(plan), nfetches = eng_plan_num_fetches(plan);
    *nfeeds_out = nfeeds;
    if (nfeeds == 0 || nfeeds > MAX_FEEDS || nfetches > MAX_FETCHES)
        return -1;
    int64_t size = -1;
    for (int f = 0; f < nfeeds; f++) {
        eng_dtype want = eng_plan_feed_dtype(plan, f);
        if (feeds[f].rank < 1 || (want != ENG_DT_INVALID && feeds[f].dtype != want))
            return -1;
        if (size >= 0 && feeds[f].dims[0] != size)
            return -1;
        size = feeds[f].dims[0];
    }
    for (int k = 0; k < nfetches; k++) {
        eng_shape s = eng_plan_fetch_shape(plan, k);
        if (s.rank == 0 || (s.rank > 0 && s.dims[0] >= 0))
            return -1; /* scalar, or a fixed dim 0: not per-example */
    }
    return size;
}

/* 1 if t can join batch b (same shapes beyond dim 0, unless padding). */
static int fits(const queue *q, const batch *b, const task *t, int nfeeds)
{
    if (b->closed || b->size + t->size > q->p.max_batch_size)
        return 0;
    for (int f = 0; f < nfeeds; f++)
        if (!srv__batch_compatible(&t->feeds[f], &b->head->feeds[f],
                                   q->p.pad_variable_length_inputs))
            return 0;
    return 1;
}

static queue *get_queue(srv_batcher *bt, const srv_batch_target *tg)
{
    for (queue *q = bt->queues; q; q = q->next)
        if (q->plan == tg->plan)
            return q;
    queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->plan = tg->plan;
    q->p = tg->params ? *tg->params : bt->p;
    snprintf(q->model, sizeof q->model, "%s", tg->model_name ? tg->model_name : "");
    snprintf(q->signature, sizeof q->signature, "%s", tg->signature ? tg->signature : "");
    q->next = bt->queues;
    bt->queues = q;
    return q;
}

/* Take task t out of its queued batch (deadline passed while waiting). */
static void withdraw(srv_batcher *bt, queue *q, task *t)
{
    for (batch **bp = &q->head, *prev = NULL; *bp; prev = *bp, bp = &(*bp)->next) {
        batch *b = *bp;
        task **pp = &b->head, *tprev = NULL;
        while (*pp && *pp != t) {
            tprev = *pp;
            pp = &(*pp)->next;
        }
        if (!*pp)
            continue;
        *pp = t->next;
        if (b->tail == t)
            b->tail = tprev;
        b->ntasks--;
        b->size -= t->size;
        if (!b->head) {
            *bp = b->next;
            if (q->tail == b)
                q->tail = prev;
            q->nbatches--;
            free(b);
        }
        break;
    }
    maybe_free_queue(bt, q);
}

tsd_code srv_batcher_run(srv_batcher *bt, const srv_batch_target *tg, eng_call *call,
                         const eng_tensor *feeds, eng_tensor *outs, tsd_status *st)
{
    int nfeeds;
    int64_t size = task_size(tg->plan, feeds, &nfeeds);
    if (size <= 0)
        return eng_plan_run(tg->plan, call, feeds, outs, st);
    const srv_batch_params *p = tg->params ? tg->params : &bt->p;
    if (size > p->max_batch_size)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "Task size %" PRId64 " is larger than maximum input batch size %" PRId64,
                       size, p->max_batch_size);
    task t;
    memset(&t, 0, sizeof t);
    t.feeds = feeds;
    t.outs = outs;
    t.call = call;
    t.size = size;
    t.enq_ns = now_ns();
    t.deadline_ns = eng_call_deadline(call);
    sem_init(&t.done, 0, 0);

    pthread_mutex_lock(&bt->mu);
    queue *q = get_queue(bt, tg);
    if (!q) {
        pthread_mutex_unlock(&bt->mu);
        sem_destroy(&t.done);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory queueing a batch task");
    }
    batch *b = q->tail;
    if (!b || b->taken || !fits(q, b, &t, nfeeds)) {
        if (b)
            b->closed = 1;
        if (q->nbatches >= q->p.max_enqueued_batches || !(b = calloc(1, sizeof *b))) {
            pthread_cond_signal(&bt->cv); /* the batch closed above is ready */
            maybe_free_queue(bt, q);
            pthread_mutex_unlock(&bt->mu);
            sem_destroy(&t.done);
            return tsd_err(st, TSD_UNAVAILABLE,
                           "The batch scheduling queue to which this task was submitted is full");
        }
        b->first_ns = t.enq_ns;
        if (q->tail)
            q->tail->next = b;
        else
            q->head = b;
        q->tail = b;
        q->nbatches++;
    }
    if (b->tail)
        b->tail->next = &t;
    else
        b->head = &t;
    b->tail = &t;
    b->ntasks++;
    b->size += size;
    if (b->size >= q->p.max_batch_size)
        b->closed = 1;
    pthread_cond_signal(&bt->cv);
    pthread_mutex_unlock(&bt->mu);

    tsd_code rc = TSD_OK;
    if (t.deadline_ns) {
        struct timespec ts = to_ts(t.deadline_ns);
        int r;
        while ((r = sem_clockwait(&t.done, CLOCK_MONOTONIC, &ts)) != 0 && errno == EINTR)
            ;
        if (r != 0) {
            /* Deadline passed. Under mu, b is alive unless our post came;
             * a batch not yet taken will never post, so leave it. */
            pthread_mutex_lock(&bt->mu);
            int posted = sem_trywait(&t.done) == 0;
            int waiting = !posted && b->taken, gone = !posted && !b->taken;
            if (gone) {
                withdraw(bt, q, &t);
                rc = tsd_err(st, TSD_DEADLINE_EXCEEDED,
                             "Run() timeout exceeded while waiting in batching queue");
            }
            pthread_mutex_unlock(&bt->mu);
            if (waiting)
                while (sem_wait(&t.done) != 0 && errno == EINTR)
                    ;
        }
    } else {
        while (sem_wait(&t.done) != 0 && errno == EINTR)
            ;
    }
    sem_destroy(&t.done);
    if (rc)
        return rc;
    if (t.alone)
        return eng_plan_run(tg->plan, call, feeds, outs, st);
    if (t.code && st)
        *st = t.st;
    return t.code;
}
