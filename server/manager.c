/*
 * manager.c - model manager: version discovery under base paths, version
 * policies and labels, background loading with retries, availability-
 * preserving swap and refcounted handles (see manager.h).
 *
 * One mutex guards the model and version lists; it is held only to pick a
 * version and bump its refcount, never while loading or freeing a model.
 */
#include "server/manager.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/log.h"
#include "server/metrics.h"
#include "server/warmup.h"

typedef struct version {
    int64_t num;
    char *path;
    srv_state state;
    tsd_code err;
    char errmsg[TSD_STATUS_MSG_MAX];
    ldr_model *model;
    srv_batch_params *bparams; /* per-model batching parameters (owned) */
    const srv_batch_params *batching;
    int refs;    /* handles out + 1 while published (AVAILABLE) */
    int aspired; /* scratch during a poll */
    struct srv_manager *mgr;
    struct version *next;
} version;

typedef struct model {
    srv_model_config cfg;
    version *versions; /* newest first */
    int removed;
    struct model *next;
} model;

struct srv_manager {
    srv_manager_options opt;
    char **tags;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    model *models;
    pthread_t thread;
    int thread_started;
    int stop;
    void (*listener)(void *ud, const srv_model_config *cfg, size_t n);
    void *listener_ud;
};

const char *srv_state_name(srv_state s)
{
    switch (s) {
    case SRV_STATE_START:
        return "START";
    case SRV_STATE_LOADING:
        return "LOADING";
    case SRV_STATE_AVAILABLE:
        return "AVAILABLE";
    case SRV_STATE_UNLOADING:
        return "UNLOADING";
    case SRV_STATE_END:
        return "END";
    default:
        return "UNKNOWN";
    }
}

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

void srv_model_config_clear(srv_model_config *c)
{
    free(c->name);
    free(c->base_path);
    free(c->versions);
    for (size_t i = 0; i < c->nlabels; i++)
        free(c->labels[i].label);
    free(c->labels);
    free(c->training_config);
    memset(c, 0, sizeof *c);
}

static int config_copy(srv_model_config *dst, const srv_model_config *src)
{
    memset(dst, 0, sizeof *dst);
    dst->name = xstrdup(src->name);
    dst->base_path = xstrdup(src->base_path);
    dst->policy = src->policy;
    dst->num_versions = src->num_versions;
    dst->training_config = xstrdup(src->training_config);
    dst->training_interval_secs = src->training_interval_secs;
    dst->training_manual_start = src->training_manual_start;
    if (src->nversions) {
        dst->versions = malloc(src->nversions * sizeof *dst->versions);
        if (dst->versions)
            memcpy(dst->versions, src->versions, src->nversions * sizeof *dst->versions);
        dst->nversions = dst->versions ? src->nversions : 0;
    }
    if (src->nlabels) {
        dst->labels = calloc(src->nlabels, sizeof *dst->labels);
        if (dst->labels) {
            for (size_t i = 0; i < src->nlabels; i++) {
                dst->labels[i].label = xstrdup(src->labels[i].label);
                dst->labels[i].version = src->labels[i].version;
            }
            dst->nlabels = src->nlabels;
        }
    }
    return dst->name && dst->base_path && (dst->training_config || !src->training_config) ? 0 : -1;
}

srv_manager *srv_manager_new(const srv_manager_options *opt)
{
    srv_manager *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->opt = *opt;
    if (opt->ntags > 0) {
        m->tags = calloc((size_t)opt->ntags, sizeof *m->tags);
        for (int i = 0; m->tags && i < opt->ntags; i++)
            m->tags[i] = xstrdup(opt->tags[i]);
        m->opt.tags = (const char *const *)m->tags;
    }
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    return m;
}

static void version_free(version *v)
{
    if (v->model)
        ldr_model_free(v->model);
    free(v->bparams);
    free(v->path);
    free(v);
}

void srv_manager_free(srv_manager *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->mu);
    m->stop = 1;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    if (m->thread_started)
        pthread_join(m->thread, NULL);
    pthread_mutex_lock(&m->mu);
    /* wait for outstanding handles */
    for (;;) {
        int busy = 0;
        for (model *md = m->models; md; md = md->next)
            for (version *v = md->versions; v; v = v->next)
                if (v->refs > (v->state == SRV_STATE_AVAILABLE ? 1 : 0))
                    busy = 1;
        if (!busy)
            break;
        pthread_cond_wait(&m->cv, &m->mu);
    }
    pthread_mutex_unlock(&m->mu);
    model *md = m->models;
    while (md) {
        model *nm = md->next;
        version *v = md->versions;
        while (v) {
            version *nv = v->next;
            version_free(v);
            v = nv;
        }
        srv_model_config_clear(&md->cfg);
        free(md);
        md = nm;
    }
    for (int i = 0; m->tags && i < m->opt.ntags; i++)
        free(m->tags[i]);
    free(m->tags);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    free(m);
}

static model *find_model(srv_manager *m, const char *name)
{
    for (model *md = m->models; md; md = md->next)
        if (strcmp(md->cfg.name, name) == 0)
            return md;
    return NULL;
}

/* ---- discovery ---------------------------------------------------------- */

typedef struct found {
    int64_t num;
    char *path;
} found;

static int cmp_found_desc(const void *a, const void *b)
{
    const found *x = a, *y = b;
    return x->num < y->num ? 1 : x->num > y->num ? -1 : 0;
}

/*
 * Numeric subdirectories of base (int64, leading zeros allowed), newest
 * first; anything else (a trainer's temp-<ts> export in progress) is not a
 * version. `training`: the model's training job will create versions, so a
 * missing or empty base path is expected (logged at debug level).
 */
static size_t list_versions(const char *name, const char *base, int training, found **out)
{
    *out = NULL;
    srv_log_level quiet = training ? SRV_LOG_DEBUG : SRV_LOG_WARN;
    DIR *d = opendir(base);
    if (!d) {
        srv_log(quiet, "Could not find base path %s for servable %s with error %s", base, name,
                strerror(errno));
        return 0;
    }
    size_t n = 0, cap = 0;
    found *arr = NULL;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *s = e->d_name;
        if (!*s)
            continue;
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (*end || errno || v < 0 || s[0] == '-' || s[0] == '+')
            continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", base, s) >= (int)sizeof path)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            found *na = realloc(arr, cap * sizeof *arr);
            if (!na)
                break;
            arr = na;
        }
        arr[n].num = v;
        arr[n].path = strdup(path);
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(arr, n, sizeof *arr, cmp_found_desc);
    if (n == 0)
        srv_log(quiet,
                "No versions of servable %s found under base path %s. Did you forget to name "
                "your leaf directory as a number (eg. '/1/')?",
                name, base);
    *out = arr;
    return n;
}

static int policy_wants(const srv_model_config *c, const found *f, size_t i)
{
    switch (c->policy) {
    case SRV_POLICY_ALL:
        return 1;
    case SRV_POLICY_SPECIFIC:
        for (size_t k = 0; k < c->nversions; k++)
            if (c->versions[k] == f[i].num)
                return 1;
        return 0;
    case SRV_POLICY_LATEST:
    default: {
        int64_t keep = c->num_versions > 0 ? c->num_versions : 1;
        return (int64_t)i < keep;
    }
    }
}

/* Insert v into md's list keeping newest first. Caller holds mu. */
static void insert_version(model *md, version *v)
{
    version **pp = &md->versions;
    while (*pp && (*pp)->num > v->num)
        pp = &(*pp)->next;
    v->next = *pp;
    *pp = v;
}

static void sleep_interruptible(srv_manager *m, int64_t micros)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += micros / 1000000;
    ts.tv_nsec += (long)(micros % 1000000) * 1000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&m->mu);
    while (!m->stop && pthread_cond_timedwait(&m->cv, &m->mu, &ts) == 0)
        ;
    pthread_mutex_unlock(&m->mu);
}

/*
 * The batching parameters of a version at path: the batcher's, or with
 * per-model batching those of path/batching_params.pbtxt (*owned; none when
 * the file is absent, as TF Serving). A bad file fails the version.
 */
static tsd_code batching_params(srv_manager *m, const char *path, srv_batch_params **owned,
                                const srv_batch_params **out, tsd_status *st)
{
    *owned = NULL;
    *out = NULL;
    if (!m->opt.batcher)
        return TSD_OK;
    if (!m->opt.per_model_batching) {
        *out = srv_batcher_params(m->opt.batcher);
        return TSD_OK;
    }
    char file[4096];
    snprintf(file, sizeof file, "%s/batching_params.pbtxt", path);
    if (access(file, F_OK) != 0)
        return TSD_OK;
    srv_batch_params *p = malloc(sizeof *p);
    if (!p)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    *p = *srv_batcher_params(m->opt.batcher);
    if (srv_batch_params_load(file, p, st)) {
        free(p);
        return st->code;
    }
    *owned = p;
    *out = p;
    return TSD_OK;
}

/* Load version v (state LOADING, not yet visible to requests). */
static void load_version(srv_manager *m, const char *name, version *v)
{
    char ctx[256];
    snprintf(ctx, sizeof ctx, "%s v%" PRId64, name, v->num);
    ldr_load_options lo = {m->opt.tags, m->opt.ntags, ctx};
    int attempts = m->opt.max_num_load_retries >= 0 ? m->opt.max_num_load_retries + 1 : 1;
    tsd_status st = TSD_STATUS_INIT;
    ldr_model *lm = NULL;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    srv_batch_params *bp = NULL;
    const srv_batch_params *batching = NULL;
    if (batching_params(m, v->path, &bp, &batching, &st)) {
        srv_log(SRV_LOG_ERROR, "Loading servable: {name: %s version: %" PRId64 "} failed: %s", name,
                v->num, st.msg);
        attempts = 0;
    }
    for (int a = 0; a < attempts; a++) {
        tsd_status_clear(&st);
        srv_log(SRV_LOG_INFO, "Loading servable: {name: %s version: %" PRId64 "} from %s", name,
                v->num, v->path);
        if (ldr_model_load(v->path, &lo, &lm, &st) == TSD_OK) {
            int nrec = 0;
            if (!m->opt.enable_model_warmup ||
                srv_warmup(lm, v->path, m->opt.num_request_iterations_for_warmup, &nrec, &st) ==
                    TSD_OK) {
                if (nrec)
                    srv_log(SRV_LOG_INFO,
                            "Finished reading warmup data for model at %s. Number "
                            "of warmup records read: %d.",
                            v->path, nrec);
                break;
            }
            ldr_model_free(lm);
        }
        lm = NULL;
        srv_log(SRV_LOG_ERROR, "Loading servable: {name: %s version: %" PRId64 "} failed: %s", name,
                v->num, st.msg);
        if (a + 1 < attempts) {
            pthread_mutex_lock(&m->mu);
            int stop = m->stop;
            pthread_mutex_unlock(&m->mu);
            if (stop)
                break;
            sleep_interruptible(m, m->opt.load_retry_interval_micros);
        }
    }
    {
        static const char *const l1[] = {"model_path", "status"};
        static const char *const l2[] = {"model_path"};
        int nb;
        const double *bounds = srv_metric_latency_bounds(&nb);
        const char *vals[] = {v->path, lm ? "success" : tsd_code_name(st.code)};
        srv_metric_inc(srv_metric_counter("/tensorflow/cc/saved_model/load_attempt_count", 2, l1),
                       vals, 1);
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double us = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
        srv_metric_observe(
            srv_metric_histogram("/tensorflow/cc/saved_model/load_latency", 1, l2, bounds, nb),
            vals, us);
    }
    pthread_mutex_lock(&m->mu);
    if (lm) {
        v->model = lm;
        free(v->bparams);
        v->bparams = bp;
        v->batching = batching;
        bp = NULL;
        v->state = SRV_STATE_AVAILABLE;
        v->refs = 1;
        v->err = TSD_OK;
        v->errmsg[0] = '\0';
        srv_log(SRV_LOG_INFO,
                "Successfully loaded servable version {name: %s version: %" PRId64 "}", name,
                v->num);
    } else {
        v->state = SRV_STATE_END;
        v->err = st.code ? st.code : TSD_UNKNOWN;
        snprintf(v->errmsg, sizeof v->errmsg, "%s", st.msg);
    }
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    free(bp);
}

/* Drop the published reference of v; returns the model to free (or NULL).
 * Caller holds mu. */
static ldr_model *retire_locked(version *v)
{
    if (v->state != SRV_STATE_AVAILABLE)
        return NULL;
    v->state = SRV_STATE_UNLOADING;
    if (--v->refs > 0)
        return NULL;
    v->state = SRV_STATE_END;
    ldr_model *lm = v->model;
    v->model = NULL;
    return lm;
}

static void poll_model(srv_manager *m, const char *name)
{
    pthread_mutex_lock(&m->mu);
    model *md = find_model(m, name);
    if (!md || md->removed) {
        pthread_mutex_unlock(&m->mu);
        return;
    }
    char *base = strdup(md->cfg.base_path);
    srv_model_config cfg;
    config_copy(&cfg, &md->cfg);
    pthread_mutex_unlock(&m->mu);

    found *f = NULL;
    size_t n = base ? list_versions(name, base, cfg.training_config != NULL, &f) : 0;
    free(base);

    /* Create entries for newly aspired versions (newest first). */
    version *to_load[64];
    size_t nload = 0;
    pthread_mutex_lock(&m->mu);
    for (version *v = md->versions; v; v = v->next)
        v->aspired = 0;
    for (size_t i = 0; i < n; i++) {
        if (!policy_wants(&cfg, f, i))
            continue;
        version *v = md->versions;
        while (v && v->num != f[i].num)
            v = v->next;
        if (v) {
            v->aspired = 1;
            /* A version unloaded earlier (not failed) is loaded again when it
             * becomes aspired again; a failed one is not retried. */
            if (v->state == SRV_STATE_END && v->err == TSD_OK && !v->model && v->refs == 0 &&
                nload < sizeof to_load / sizeof to_load[0])
                to_load[nload++] = v;
            continue;
        }
        v = calloc(1, sizeof *v);
        if (!v)
            continue;
        v->num = f[i].num;
        v->mgr = m;
        v->path = strdup(f[i].path);
        v->state = SRV_STATE_START;
        v->aspired = 1;
        insert_version(md, v);
        if (nload < sizeof to_load / sizeof to_load[0])
            to_load[nload++] = v;
    }
    for (size_t i = 0; i < nload; i++)
        to_load[i]->state = SRV_STATE_LOADING;
    pthread_mutex_unlock(&m->mu);
    for (size_t i = 0; i < n; i++)
        free(f[i].path);
    free(f);
    srv_model_config_clear(&cfg);

    for (size_t i = 0; i < nload; i++)
        load_version(m, name, to_load[i]);

    /* Retire versions no longer aspired, keeping the last AVAILABLE one
     * while an aspired version has not become available. */
    ldr_model *dead[64];
    size_t ndead = 0;
    pthread_mutex_lock(&m->mu);
    int aspired_available = 0, aspired_any = 0;
    for (version *v = md->versions; v; v = v->next)
        if (v->aspired) {
            aspired_any = 1;
            if (v->state == SRV_STATE_AVAILABLE)
                aspired_available = 1;
        }
    for (version *v = md->versions; v; v = v->next) {
        if (v->aspired || v->state != SRV_STATE_AVAILABLE)
            continue;
        if (aspired_any && !aspired_available)
            continue; /* availability-preserving */
        ldr_model *lm = retire_locked(v);
        if (lm && ndead < sizeof dead / sizeof dead[0])
            dead[ndead++] = lm;
        else if (lm)
            ldr_model_free(lm);
        srv_log(SRV_LOG_INFO, "Unloading servable version {name: %s version: %" PRId64 "}", name,
                v->num);
    }
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    for (size_t i = 0; i < ndead; i++)
        ldr_model_free(dead[i]);
    if (ndead)
        malloc_trim(0); /* give the old version's pages back to the OS */
}

void srv_manager_poll_once(srv_manager *m)
{
    char **names = NULL;
    size_t n = srv_manager_model_names(m, &names);
    for (size_t i = 0; i < n; i++) {
        poll_model(m, names[i]);
        free(names[i]);
    }
    free(names);
}

static void *poll_thread(void *arg)
{
    srv_manager *m = arg;
    for (;;) {
        pthread_mutex_lock(&m->mu);
        int stop = m->stop;
        pthread_mutex_unlock(&m->mu);
        if (stop)
            break;
        sleep_interruptible(m, (int64_t)m->opt.file_system_poll_wait_seconds * 1000000);
        pthread_mutex_lock(&m->mu);
        stop = m->stop;
        pthread_mutex_unlock(&m->mu);
        if (stop)
            break;
        srv_manager_poll_once(m);
    }
    return NULL;
}

tsd_code srv_manager_start(srv_manager *m, tsd_status *st)
{
    if (m->opt.file_system_poll_wait_seconds <= 0)
        return TSD_OK; /* 0: polled once at start; <0: never */
    if (pthread_create(&m->thread, NULL, poll_thread, m) != 0)
        return tsd_err(st, TSD_INTERNAL, "cannot start the model poll thread");
    m->thread_started = 1;
    return TSD_OK;
}

tsd_code srv_manager_set_config(srv_manager *m, const srv_model_config *cfg, size_t n, int wait,
                                tsd_status *st)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg[i].name, cfg[j].name) == 0)
                return tsd_err(st, TSD_INVALID_ARGUMENT,
                               "Illegal to list model %s multiple times in config list",
                               cfg[i].name);
    ldr_model *dead[256];
    size_t ndead = 0;
    pthread_mutex_lock(&m->mu);
    for (model *md = m->models; md; md = md->next) {
        int keep = 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(md->cfg.name, cfg[i].name) == 0)
                keep = 1;
        if (!keep && !md->removed) {
            md->removed = 1;
            for (version *v = md->versions; v; v = v->next) {
                ldr_model *lm = retire_locked(v);
                if (lm && ndead < sizeof dead / sizeof dead[0])
                    dead[ndead++] = lm;
                else if (lm)
                    ldr_model_free(lm);
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        model *md = find_model(m, cfg[i].name);
        if (!md) {
            md = calloc(1, sizeof *md);
            if (!md)
                continue;
            md->next = m->models;
            m->models = md;
        } else {
            srv_model_config_clear(&md->cfg);
        }
        config_copy(&md->cfg, &cfg[i]);
        md->removed = 0;
    }
    void (*listener)(void *, const srv_model_config *, size_t) = m->listener;
    void *listener_ud = m->listener_ud;
    pthread_mutex_unlock(&m->mu);
    for (size_t i = 0; i < ndead; i++)
        ldr_model_free(dead[i]);
    if (listener)
        listener(listener_ud, cfg, n);
    if (!wait)
        return TSD_OK;

    for (size_t i = 0; i < n; i++)
        poll_model(m, cfg[i].name);

    /* Report models without an AVAILABLE version. */
    char detail[TSD_STATUS_MSG_MAX] = "";
    size_t off = 0;
    int failed = 0;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < n; i++) {
        model *md = find_model(m, cfg[i].name);
        int ok = 0;
        version *bad = NULL;
        for (version *v = md ? md->versions : NULL; v; v = v->next) {
            if (v->state == SRV_STATE_AVAILABLE)
                ok = 1;
            else if (v->state == SRV_STATE_END && v->err && !bad)
                bad = v;
        }
        if (ok || (!bad && cfg[i].training_config))
            continue; /* its training job will export the first version */
        failed++;
        if (bad)
            off += (size_t)snprintf(detail + off, off < sizeof detail ? sizeof detail - off : 0,
                                    "%s{name: %s version: %" PRId64 "} due to error: %s",
                                    failed > 1 ? ", " : "", cfg[i].name, bad->num, bad->errmsg);
        else
            off += (size_t)snprintf(detail + off, off < sizeof detail ? sizeof detail - off : 0,
                                    "%s{name: %s} due to error: no versions found under %s",
                                    failed > 1 ? ", " : "", cfg[i].name, cfg[i].base_path);
    }
    pthread_mutex_unlock(&m->mu);
    if (failed)
        return tsd_err(st, TSD_UNKNOWN, "%d servable(s) did not become available: {%s}", failed,
                       detail);
    return TSD_OK;
}

tsd_code srv_manager_acquire(srv_manager *m, const char *name, int has_version, int64_t vnum,
                             const char *label, srv_handle *h, tsd_status *st)
{
    memset(h, 0, sizeof *h);
    pthread_mutex_lock(&m->mu);
    model *md = find_model(m, name);
    if (md && md->removed)
        md = NULL;
    if (label && md) {
        size_t i = 0;
        for (; i < md->cfg.nlabels; i++)
            if (strcmp(md->cfg.labels[i].label, label) == 0)
                break;
        if (i == md->cfg.nlabels) {
            pthread_mutex_unlock(&m->mu);
            return tsd_err(st, TSD_INVALID_ARGUMENT, "Unrecognized servable version label: %s",
                           label);
        }
        has_version = 1;
        vnum = md->cfg.labels[i].version;
    } else if (label) {
        pthread_mutex_unlock(&m->mu);
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Unrecognized servable version label: %s", label);
    }
    version *pick = NULL;
    for (version *v = md ? md->versions : NULL; v; v = v->next) {
        if (v->state != SRV_STATE_AVAILABLE)
            continue;
        if (has_version ? v->num == vnum : 1) {
            pick = v;
            break;
        }
    }
    if (!pick) {
        pthread_mutex_unlock(&m->mu);
        if (has_version)
            return tsd_err(st, TSD_NOT_FOUND,
                           "Servable not found for request: Specific(%s, %" PRId64 ")", name, vnum);
        return tsd_err(st, TSD_NOT_FOUND, "Servable not found for request: Latest(%s)", name);
    }
    pick->refs++;
    h->model_name = md->cfg.name;
    h->version = pick->num;
    h->model = pick->model;
    h->batching = pick->batching;
    h->impl = pick;
    pthread_mutex_unlock(&m->mu);
    return TSD_OK;
}

void srv_handle_release(srv_handle *h)
{
    version *v = h->impl;
    if (!v)
        return;
    srv_manager *m = v->mgr;
    ldr_model *lm = NULL;
    pthread_mutex_lock(&m->mu);
    if (--v->refs == 0 && v->state == SRV_STATE_UNLOADING) {
        v->state = SRV_STATE_END;
        lm = v->model;
        v->model = NULL;
    }
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    if (lm) {
        ldr_model_free(lm);
        malloc_trim(0);
    }
    h->impl = NULL;
    h->model = NULL;
    h->batching = NULL;
}

tsd_code srv_manager_status(srv_manager *m, const char *name, int has_version, int64_t vnum,
                            srv_version_status **out, size_t *n, tsd_status *st)
{
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&m->mu);
    model *md = find_model(m, name);
    size_t cnt = 0;
    for (version *v = md ? md->versions : NULL; v; v = v->next)
        if (!has_version || v->num == vnum)
            cnt++;
    if (cnt == 0) {
        pthread_mutex_unlock(&m->mu);
        if (has_version && md)
            return tsd_err(st, TSD_NOT_FOUND, "Could not find version %" PRId64 " of model %s",
                           vnum, name);
        return tsd_err(st, TSD_NOT_FOUND, "Could not find any versions of model %s", name);
    }
    srv_version_status *arr = calloc(cnt, sizeof *arr);
    if (!arr) {
        pthread_mutex_unlock(&m->mu);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    size_t k = 0;
    for (version *v = md->versions; v; v = v->next) {
        if (has_version && v->num != vnum)
            continue;
        arr[k].version = v->num;
        arr[k].state = v->state;
        arr[k].error_code = v->err;
        snprintf(arr[k].error_message, sizeof arr[k].error_message, "%s", v->errmsg);
        k++;
    }
    pthread_mutex_unlock(&m->mu);
    *out = arr;
    *n = cnt;
    return TSD_OK;
}

size_t srv_manager_model_names(srv_manager *m, char ***names)
{
    pthread_mutex_lock(&m->mu);
    size_t n = 0;
    for (model *md = m->models; md; md = md->next)
        if (!md->removed)
            n++;
    char **arr = calloc(n ? n : 1, sizeof *arr);
    size_t k = 0;
    for (model *md = m->models; arr && md; md = md->next)
        if (!md->removed)
            arr[k++] = strdup(md->cfg.name);
    pthread_mutex_unlock(&m->mu);
    *names = arr;
    return arr ? k : 0;
}

int srv_manager_ready(srv_manager *m)
{
    pthread_mutex_lock(&m->mu);
    int ready = 1, any = 0;
    for (model *md = m->models; md; md = md->next) {
        if (md->removed)
            continue;
        any = 1;
        int ok = 0;
        for (version *v = md->versions; v; v = v->next)
            if (v->state == SRV_STATE_AVAILABLE)
                ok = 1;
        if (!ok)
            ready = 0;
    }
    pthread_mutex_unlock(&m->mu);
    return ready && any;
}

void srv_manager_set_listener(srv_manager *m,
                              void (*fn)(void *ud, const srv_model_config *cfg, size_t n), void *ud)
{
    pthread_mutex_lock(&m->mu);
    m->listener = fn;
    m->listener_ud = ud;
    pthread_mutex_unlock(&m->mu);
}

srv_batcher *srv_manager_batcher(srv_manager *m)
{
    return m->opt.batcher;
}
