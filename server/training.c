/*
 * training.c - embedded training jobs (see training.h): one thread per
 * running job calls trn_run() round after round, exporting into the model's
 * base path; the manager picks the versions up by its polling (or by a
 * rescan asked for after each export).
 *
 * Locks: `ctl` serializes control operations (set_config, start, stop,
 * free), which may join threads, so the job list only changes under it;
 * `mu` guards the jobs' status and is never held while joining or while
 * the trainer runs. The job threads take only `mu`.
 */
#include "server/training.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "server/log.h"
#include "server/metrics.h"

typedef struct job {
    struct srv_training *t;
    char *model, *config, *base_path;
    int64_t interval;
    pthread_t thread;
    int joinable;    /* a thread was started and is not joined yet (ctl) */
    atomic_int stop; /* polled by the trainer every step */
    /* the job thread's own: the round's first step and the trainer's polls
     * of should_stop since (one per step), for the step a stop ends at */
    int64_t first_step, polls;
    int training_seen;
    srv_training_status s; /* mu */
    double next_round_at;  /* mu; monotonic seconds while waiting */
    struct job *next;
} job;

struct srv_training {
    srv_manager *mgr;
    char *token;
    int rescan, nice;
    pthread_mutex_t ctl;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a job stopped or was asked to stop */
    job *jobs;         /* in config order */
    srv_metric *m_step, *m_running, *m_rounds, *m_failures, *m_eval;
};

const char *srv_training_state_name(srv_training_state s)
{
    switch (s) {
    case SRV_TRAINING_IDLE:
        return "idle";
    case SRV_TRAINING_RUNNING:
        return "running";
    case SRV_TRAINING_STOPPING:
        return "stopping";
    case SRV_TRAINING_FAILED:
        return "failed";
    case SRV_TRAINING_DONE:
        return "done";
    }
    return "unknown";
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct timespec mono_at(double t)
{
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static void set_phase(job *j, const char *phase)
{
    snprintf(j->s.phase, sizeof j->s.phase, "%s", phase);
}

/* ---- the job thread ------------------------------------------------------- */

/* mkdir -p for an absolute path. */
static void mkdir_p(const char *path)
{
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
        return;
    for (char *c = p + 1; *c; c++)
        if (*c == '/') {
            *c = '\0';
            mkdir(p, 0755);
            *c = '/';
        }
    mkdir(p, 0755);
}

/* Run the calling thread below the serving threads: SCHED_BATCH and nice. */
static void lower_priority(int nice_inc, const char *model)
{
    pid_t tid = (pid_t)syscall(SYS_gettid);
    struct sched_param sp;
    memset(&sp, 0, sizeof sp);
    if (sched_setscheduler(tid, SCHED_BATCH, &sp) != 0)
        srv_log(SRV_LOG_DEBUG, "training job %s: SCHED_BATCH: %s", model, strerror(errno));
    if (nice_inc <= 0)
        return;
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, (id_t)tid);
    if (errno == 0 && setpriority(PRIO_PROCESS, (id_t)tid, cur + nice_inc) != 0)
        srv_log(SRV_LOG_DEBUG, "training job %s: setpriority: %s", model, strerror(errno));
}

static int should_stop(void *ud)
{
    job *j = ud;
    j->polls++;
    return atomic_load(&j->stop);
}

static void on_progress(void *ud, const trn_progress *p)
{
    job *j = ud;
    srv_training *t = j->t;
    if (strcmp(p->phase, "training") == 0 && !j->training_seen) {
        j->training_seen = 1;
        j->first_step = p->step;
        j->polls = 0;
    }
    pthread_mutex_lock(&t->mu);
    set_phase(j, p->phase);
    if (p->step > 0 || strcmp(p->phase, "reading") != 0)
        j->s.step = p->step;
    if (p->max_steps > 0)
        j->s.max_steps = p->max_steps;
    if (p->epoch > 0)
        j->s.epoch = p->epoch;
    if (strcmp(p->phase, "training") == 0 && p->step > 0 && p->examples_per_sec > 0) {
        j->s.loss = p->loss;
        j->s.examples_per_sec = p->examples_per_sec;
    }
    pthread_mutex_unlock(&t->mu);
    const char *v[] = {j->model};
    if (p->step > 0)
        srv_metric_set(t->m_step, v, (double)p->step);
}

/* The version number of an export directory (its last component). */
static int64_t version_of(const char *dir)
{
    const char *slash = strrchr(dir, '/');
    const char *b = slash ? slash + 1 : dir;
    char *end;
    errno = 0;
    long long v = strtoll(b, &end, 10);
    return *b && !*end && !errno && v >= 0 ? (int64_t)v : -1;
}

/* One round; returns its code. Updates the status and metrics. */
static tsd_code run_round(job *j)
{
    srv_training *t = j->t;
    const char *v[] = {j->model};
    trn_run_options o;
    memset(&o, 0, sizeof o);
    o.export_dir_base = j->base_path;
    o.continue_training = j->interval > 0;
    o.skip_export_if_untrained = j->interval <= 0; /* a restart of a finished one-round job */
    o.should_stop = should_stop;
    o.on_progress = on_progress;
    o.ud = j;
    trn_metrics met;
    char *dir = NULL;
    tsd_status st = TSD_STATUS_INIT;
    j->training_seen = 0;
    srv_metric_set(t->m_running, v, 1);
    srv_log(SRV_LOG_INFO, "training job %s: round started (%s)", j->model, j->config);
    tsd_code rc = trn_run(j->config, &o, &met, &dir, &st);
    srv_metric_set(t->m_running, v, 0);
    int stopped = atomic_load(&j->stop);
    pthread_mutex_lock(&t->mu);
    if (rc == TSD_OK) {
        j->s.rounds++;
        if (dir) { /* else: training was complete and a version exists */
            snprintf(j->s.last_export_dir, sizeof j->s.last_export_dir, "%s", dir);
            j->s.last_version = version_of(dir);
        }
        j->s.metrics = met;
        j->s.has_metrics = met.n > 0;
        j->s.last_error[0] = '\0';
    } else if (rc == TSD_CANCELLED && stopped) {
        set_phase(j, "stopped");
        if (j->training_seen) /* the step the checkpoint was saved at */
            j->s.step = j->first_step + j->polls;
    } else {
        j->s.failures++;
        snprintf(j->s.last_error, sizeof j->s.last_error, "%s", st.msg);
    }
    int64_t version = j->s.last_version, step = j->s.step;
    pthread_mutex_unlock(&t->mu);
    if (step > 0)
        srv_metric_set(t->m_step, v, (double)step);
    if (rc == TSD_OK) {
        srv_metric_inc(t->m_rounds, v, 1);
        for (int i = 0; i < met.n; i++) {
            const char *ev[] = {j->model, met.m[i].key};
            srv_metric_set(t->m_eval, ev, met.m[i].value);
        }
        double acc = trn_metrics_get(&met, "accuracy");
        if (dir)
            srv_log(SRV_LOG_INFO, "training job %s: exported version %" PRId64 " to %s%s%.4f",
                    j->model, version, dir, isnan(acc) ? "" : ", accuracy ",
                    isnan(acc) ? 0.0 : acc);
        else
            srv_log(SRV_LOG_INFO,
                    "training job %s: training was already complete; serving the existing "
                    "versions",
                    j->model);
        if (t->rescan)
            srv_manager_poll_once(t->mgr);
    } else if (rc == TSD_CANCELLED && stopped) {
        srv_log(SRV_LOG_INFO, "training job %s: %s", j->model, st.msg);
    } else {
        srv_metric_inc(t->m_failures, v, 1);
        srv_log(SRV_LOG_ERROR, "training job %s: round failed: %s", j->model, st.msg);
    }
    free(dir);
    return rc;
}

static void *job_main(void *arg)
{
    job *j = arg;
    srv_training *t = j->t;
    pthread_setname_np(pthread_self(), "tsd-train");
    lower_priority(t->nice, j->model);
    mkdir_p(j->base_path);
    for (;;) {
        tsd_code rc = run_round(j);
        pthread_mutex_lock(&t->mu);
        if (atomic_load(&j->stop)) {
            j->s.state = SRV_TRAINING_IDLE;
            set_phase(j, "stopped");
            break;
        }
        if (j->interval <= 0) {
            j->s.state = rc ? SRV_TRAINING_FAILED : SRV_TRAINING_DONE;
            set_phase(j, rc ? "failed" : "done");
            break;
        }
        /* continuous: wait for the next round (or a stop) */
        set_phase(j, "waiting");
        j->next_round_at = mono_now() + (double)j->interval;
        struct timespec at = mono_at(j->next_round_at);
        while (!atomic_load(&j->stop) && pthread_cond_timedwait(&t->cv, &t->mu, &at) != ETIMEDOUT)
            ;
        if (atomic_load(&j->stop)) {
            j->s.state = SRV_TRAINING_IDLE;
            set_phase(j, "stopped");
            break;
        }
        pthread_mutex_unlock(&t->mu);
    }
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

/* ---- control ---------------------------------------------------------------- */

srv_training *srv_training_new(srv_manager *mgr, const srv_training_options *opt)
{
    srv_training *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->mgr = mgr;
    t->token = opt->admin_token && *opt->admin_token ? strdup(opt->admin_token) : NULL;
    t->rescan = opt->rescan_after_export;
    t->nice = opt->nice;
    pthread_mutex_init(&t->ctl, NULL);
    pthread_mutex_init(&t->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cv, &ca);
    pthread_condattr_destroy(&ca);
    static const char *const l1[] = {"model"};
    static const char *const l2[] = {"model", "metric"};
    t->m_step = srv_metric_gauge("/tensord/training/global_step", 1, l1);
    t->m_running = srv_metric_gauge("/tensord/training/running", 1, l1);
    t->m_rounds = srv_metric_counter("/tensord/training/rounds_total", 1, l1);
    t->m_failures = srv_metric_counter("/tensord/training/failures_total", 1, l1);
    t->m_eval = srv_metric_gauge("/tensord/training/eval_metric", 2, l2);
    return t;
}

/* Start j's thread. Caller holds ctl (not mu); j is not running. */
static tsd_code start_job(srv_training *t, job *j, tsd_status *st)
{
    if (j->joinable) {
        pthread_join(j->thread, NULL);
        j->joinable = 0;
    }
    atomic_store(&j->stop, 0);
    pthread_mutex_lock(&t->mu);
    j->s.state = SRV_TRAINING_RUNNING;
    set_phase(j, "starting");
    j->s.last_error[0] = '\0';
    pthread_mutex_unlock(&t->mu);
    int e = pthread_create(&j->thread, NULL, job_main, j);
    if (e != 0) {
        pthread_mutex_lock(&t->mu);
        j->s.state = SRV_TRAINING_FAILED;
        set_phase(j, "failed");
        snprintf(j->s.last_error, sizeof j->s.last_error, "cannot start the training thread: %s",
                 strerror(e));
        pthread_mutex_unlock(&t->mu);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "model %s: cannot start the training thread: %s",
                       j->model, strerror(e));
    }
    j->joinable = 1;
    return TSD_OK;
}

static void job_free(job *j)
{
    free(j->model);
    free(j->config);
    free(j->base_path);
    free(j);
}

static job *job_new(srv_training *t, const srv_model_config *c)
{
    job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->t = t;
    j->model = strdup(c->name);
    j->config = strdup(c->training_config);
    j->base_path = strdup(c->base_path);
    j->interval = c->training_interval_secs;
    if (!j->model || !j->config || !j->base_path) {
        job_free(j);
        return NULL;
    }
    atomic_init(&j->stop, 0);
    snprintf(j->s.model, sizeof j->s.model, "%s", c->name);
    snprintf(j->s.config, sizeof j->s.config, "%s", c->training_config);
    j->s.interval_secs = c->training_interval_secs;
    j->s.manual_start = c->training_manual_start;
    j->s.state = SRV_TRAINING_IDLE;
    set_phase(j, "idle");
    j->s.last_version = -1;
    j->s.next_round_in_secs = -1;
    return j;
}

/* The config entry of j's model when its job is the same; NULL otherwise. */
static const srv_model_config *same_job(const job *j, const srv_model_config *cfg, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cfg[i].name, j->model) == 0)
            return cfg[i].training_config && strcmp(cfg[i].training_config, j->config) == 0 &&
                           strcmp(cfg[i].base_path, j->base_path) == 0 &&
                           cfg[i].training_interval_secs == j->interval
                       ? &cfg[i]
                       : NULL;
    return NULL;
}

void srv_training_set_config(srv_training *t, const srv_model_config *cfg, size_t n)
{
    pthread_mutex_lock(&t->ctl);
    /* jobs whose model is gone or whose job changed: stop, join, drop */
    job *gone = NULL, **pp = &t->jobs;
    pthread_mutex_lock(&t->mu);
    while (*pp) {
        job *j = *pp;
        const srv_model_config *c = same_job(j, cfg, n);
        if (c) {
            j->s.manual_start = c->training_manual_start;
            pp = &j->next;
            continue;
        }
        *pp = j->next;
        atomic_store(&j->stop, 1);
        j->next = gone;
        gone = j;
    }
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
    while (gone) {
        job *j = gone;
        gone = j->next;
        if (j->joinable) {
            srv_log(SRV_LOG_INFO, "training job %s: stopping (removed from the config)", j->model);
            pthread_join(j->thread, NULL);
        }
        job_free(j);
    }
    /* new jobs */
    for (size_t i = 0; i < n; i++) {
        if (!cfg[i].training_config)
            continue;
        job **tail = &t->jobs;
        int exists = 0;
        for (; *tail; tail = &(*tail)->next)
            if (strcmp((*tail)->model, cfg[i].name) == 0)
                exists = 1;
        if (exists)
            continue;
        job *j = job_new(t, &cfg[i]);
        if (!j) {
            srv_log(SRV_LOG_ERROR, "training job %s: out of memory", cfg[i].name);
            continue;
        }
        pthread_mutex_lock(&t->mu);
        *tail = j;
        pthread_mutex_unlock(&t->mu);
        srv_log(SRV_LOG_INFO, "training job %s: %s, %s (%s)", j->model,
                j->interval > 0 ? "continuous" : "one round",
                cfg[i].training_manual_start ? "waits for :start" : "starting", j->config);
        tsd_status st = TSD_STATUS_INIT;
        if (!cfg[i].training_manual_start && start_job(t, j, &st))
            srv_log(SRV_LOG_ERROR, "training job %s: %s", j->model, st.msg);
    }
    pthread_mutex_unlock(&t->ctl);
}

void srv_training_on_config(void *ud, const srv_model_config *cfg, size_t n)
{
    srv_training_set_config(ud, cfg, n);
}

tsd_code srv_training_authorize(const srv_training *t, const char *token, tsd_status *st)
{
    if (!t || !t->token)
        return tsd_err(st, TSD_PERMISSION_DENIED,
                       "training control is disabled (no --training_admin_token)");
    if (!token || !*token)
        return tsd_err(st, TSD_PERMISSION_DENIED,
                       "missing admin token: send the header 'Authorization: Bearer <token>' "
                       "with the --training_admin_token value");
    /* constant time in the token's contents */
    size_t a = strlen(t->token), b = strlen(token);
    unsigned char diff = a != b;
    for (size_t i = 0; i < a; i++)
        diff |= (unsigned char)(t->token[i] ^ token[i < b ? i : 0]);
    if (diff)
        return tsd_err(st, TSD_PERMISSION_DENIED, "invalid admin token");
    return TSD_OK;
}

/* Copy j's status (caller holds mu). */
static void snapshot(const job *j, srv_training_status *out)
{
    *out = j->s;
    out->next_round_in_secs = -1;
    if (strcmp(j->s.phase, "waiting") == 0) {
        double left = j->next_round_at - mono_now();
        out->next_round_in_secs = left > 0 ? (int64_t)ceil(left) : 0;
    }
}

static job *find_job(srv_training *t, const char *model)
{
    for (job *j = t ? t->jobs : NULL; j; j = j->next)
        if (strcmp(j->model, model) == 0)
            return j;
    return NULL;
}

/* NOT_FOUND for a model without a job, worded by whether the model exists. */
static tsd_code no_job(srv_training *t, const char *model, tsd_status *st)
{
    int known = 0;
    if (t) {
        char **names;
        size_t n = srv_manager_model_names(t->mgr, &names);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(names[i], model) == 0)
                known = 1;
            free(names[i]);
        }
        free(names);
    }
    if (!known)
        return tsd_err(st, TSD_NOT_FOUND, "Could not find model %s", model);
    return tsd_err(st, TSD_NOT_FOUND,
                   "Model %s has no training job (add a training_job to its model config)", model);
}

tsd_code srv_training_get(srv_training *t, const char *model, srv_training_status *out,
                          tsd_status *st)
{
    if (!t)
        return no_job(t, model, st);
    pthread_mutex_lock(&t->mu);
    job *j = find_job(t, model);
    if (j)
        snapshot(j, out);
    pthread_mutex_unlock(&t->mu);
    return j ? TSD_OK : no_job(t, model, st);
}

size_t srv_training_list(srv_training *t, srv_training_status **out)
{
    *out = NULL;
    if (!t)
        return 0;
    pthread_mutex_lock(&t->mu);
    size_t n = 0;
    for (job *j = t->jobs; j; j = j->next)
        n++;
    srv_training_status *arr = calloc(n ? n : 1, sizeof *arr);
    size_t k = 0;
    for (job *j = t->jobs; arr && j; j = j->next)
        snapshot(j, &arr[k++]);
    pthread_mutex_unlock(&t->mu);
    *out = arr;
    return k;
}

tsd_code srv_training_start(srv_training *t, const char *model, srv_training_status *out,
                            tsd_status *st)
{
    if (!t)
        return no_job(t, model, st);
    pthread_mutex_lock(&t->ctl);
    pthread_mutex_lock(&t->mu);
    job *j = find_job(t, model);
    srv_training_state s = j ? j->s.state : SRV_TRAINING_IDLE;
    pthread_mutex_unlock(&t->mu);
    tsd_code rc = TSD_OK;
    if (!j)
        rc = no_job(t, model, st);
    else if (s == SRV_TRAINING_RUNNING || s == SRV_TRAINING_STOPPING)
        rc = tsd_err(st, TSD_ALREADY_EXISTS, "The training job of model %s is already %s", model,
                     srv_training_state_name(s));
    else
        rc = start_job(t, j, st);
    if (!rc && out) {
        pthread_mutex_lock(&t->mu);
        snapshot(j, out);
        pthread_mutex_unlock(&t->mu);
    }
    pthread_mutex_unlock(&t->ctl);
    return rc;
}

tsd_code srv_training_stop(srv_training *t, const char *model, int64_t wait_ms,
                           srv_training_status *out, tsd_status *st)
{
    if (!t)
        return no_job(t, model, st);
    pthread_mutex_lock(&t->ctl);
    pthread_mutex_lock(&t->mu);
    job *j = find_job(t, model);
    if (!j) {
        pthread_mutex_unlock(&t->mu);
        pthread_mutex_unlock(&t->ctl);
        return no_job(t, model, st);
    }
    if (j->s.state == SRV_TRAINING_RUNNING) {
        srv_log(SRV_LOG_INFO, "training job %s: stopping", model);
        atomic_store(&j->stop, 1);
        j->s.state = SRV_TRAINING_STOPPING;
        pthread_cond_broadcast(&t->cv);
    }
    struct timespec at = mono_at(mono_now() + (double)(wait_ms > 0 ? wait_ms : 0) / 1e3);
    while (j->s.state == SRV_TRAINING_STOPPING &&
           pthread_cond_timedwait(&t->cv, &t->mu, &at) != ETIMEDOUT)
        ;
    int ended = j->s.state != SRV_TRAINING_STOPPING;
    if (out)
        snapshot(j, out);
    pthread_mutex_unlock(&t->mu);
    if (ended && j->joinable) {
        pthread_join(j->thread, NULL);
        j->joinable = 0;
    }
    pthread_mutex_unlock(&t->ctl);
    return TSD_OK;
}

void srv_training_stop_all(srv_training *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    for (job *j = t->jobs; j; j = j->next) {
        atomic_store(&j->stop, 1);
        if (j->s.state == SRV_TRAINING_RUNNING)
            j->s.state = SRV_TRAINING_STOPPING;
    }
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

void srv_training_free(srv_training *t)
{
    if (!t)
        return;
    srv_training_stop_all(t);
    pthread_mutex_lock(&t->ctl);
    job *j = t->jobs;
    t->jobs = NULL;
    pthread_mutex_unlock(&t->ctl);
    while (j) {
        job *next = j->next;
        if (j->joinable)
            pthread_join(j->thread, NULL);
        job_free(j);
        j = next;
    }
    free(t->token);
    pthread_mutex_destroy(&t->ctl);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t);
}
