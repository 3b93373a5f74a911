/*
 * metrics.c - counters, gauges and histograms with labels, rendered in TF
 * Serving's Prometheus text format (see metrics.h).
 */
#include "server/metrics.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LABELS 6

typedef struct series {
    char *key; /* label values joined by '\x1f' */
    char **values;
    _Atomic int64_t count;     /* counter value, or histogram count */
    _Atomic uint64_t sum_bits; /* histogram sum / gauge value as double bits */
    _Atomic int64_t *buckets;  /* nbounds + 1 */
    struct series *next;
} series;

struct srv_metric {
    char *name; /* Prometheus name */
    int histogram;
    int gauge;
    int nlabels;
    char *labels[MAX_LABELS];
    double *bounds;
    int nbounds;
    _Atomic(series *) head;
    struct srv_metric *next;
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static srv_metric *g_metrics;

static char *prom_name(const char *tf)
{
    size_t n = strlen(tf);
    char *s = malloc(n + 2);
    if (!s)
        return NULL;
    size_t o = 0;
    if (n && tf[0] >= '0' && tf[0] <= '9')
        s[o++] = '_';
    for (size_t i = 0; i < n; i++) {
        char c = tf[i];
        int ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        s[o++] = ok ? c : ':';
    }
    s[o] = '\0';
    return s;
}

static srv_metric *get_metric(const char *tf_name, int hist, int gauge, int nlabels,
                              const char *const *labels, const double *bounds, int nbounds)
{
    char *name = prom_name(tf_name);
    if (!name)
        return NULL;
    pthread_mutex_lock(&g_mu);
    for (srv_metric *m = g_metrics; m; m = m->next)
        if (strcmp(m->name, name) == 0) {
            pthread_mutex_unlock(&g_mu);
            free(name);
            return m;
        }
    srv_metric *m = calloc(1, sizeof *m);
    if (!m) {
        pthread_mutex_unlock(&g_mu);
        free(name);
        return NULL;
    }
    m->name = name;
    m->histogram = hist;
    m->gauge = gauge;
    m->nlabels = nlabels < MAX_LABELS ? nlabels : MAX_LABELS;
    for (int i = 0; i < m->nlabels; i++)
        m->labels[i] = strdup(labels[i]);
    if (hist && nbounds > 0) {
        m->bounds = malloc((size_t)nbounds * sizeof *m->bounds);
        if (m->bounds) {
            memcpy(m->bounds, bounds, (size_t)nbounds * sizeof *bounds);
            m->nbounds = nbounds;
        }
    }
    m->next = g_metrics;
    g_metrics = m;
    pthread_mutex_unlock(&g_mu);
    return m;
}

srv_metric *srv_metric_counter(const char *tf_name, int nlabels, const char *const *labels)
{
    return get_metric(tf_name, 0, 0, nlabels, labels, NULL, 0);
}

srv_metric *srv_metric_gauge(const char *tf_name, int nlabels, const char *const *labels)
{
    return get_metric(tf_name, 0, 1, nlabels, labels, NULL, 0);
}

srv_metric *srv_metric_histogram(const char *tf_name, int nlabels, const char *const *labels,
                                 const double *bounds, int nbounds)
{
    return get_metric(tf_name, 1, 0, nlabels, labels, bounds, nbounds);
}

static int key_matches(const series *s, const srv_metric *m, const char *const *values)
{
    for (int i = 0; i < m->nlabels; i++)
        if (strcmp(s->values[i], values[i]) != 0)
            return 0;
    return 1;
}

static series *find_series(srv_metric *m, const char *const *values, int create)
{
    for (series *s = atomic_load(&m->head); s; s = s->next)
        if (key_matches(s, m, values))
            return s;
    if (!create)
        return NULL;
    pthread_mutex_lock(&g_mu);
    for (series *s = atomic_load(&m->head); s; s = s->next)
        if (key_matches(s, m, values)) {
            pthread_mutex_unlock(&g_mu);
            return s;
        }
    series *s = calloc(1, sizeof *s);
    if (s) {
        s->values = calloc((size_t)(m->nlabels ? m->nlabels : 1), sizeof *s->values);
        for (int i = 0; s->values && i < m->nlabels; i++)
            s->values[i] = strdup(values[i] ? values[i] : "");
        if (m->histogram)
            s->buckets = calloc((size_t)m->nbounds + 1, sizeof *s->buckets);
        s->next = atomic_load(&m->head);
        atomic_store(&m->head, s); /* publish after full init */
    }
    pthread_mutex_unlock(&g_mu);
    return s;
}

void srv_metric_inc(srv_metric *m, const char *const *values, int64_t delta)
{
    if (!m)
        return;
    series *s = find_series(m, values, 1);
    if (s)
        atomic_fetch_add(&s->count, delta);
}

void srv_metric_observe(srv_metric *m, const char *const *values, double v)
{
    if (!m)
        return;
    series *s = find_series(m, values, 1);
    if (!s || !s->buckets)
        return;
    int b = 0;
    while (b < m->nbounds && v > m->bounds[b])
        b++;
    atomic_fetch_add(&s->buckets[b], 1);
    atomic_fetch_add(&s->count, 1);
    uint64_t old = atomic_load(&s->sum_bits), nw;
    do {
        double d;
        memcpy(&d, &old, sizeof d);
        d += v;
        memcpy(&nw, &d, sizeof nw);
    } while (!atomic_compare_exchange_weak(&s->sum_bits, &old, nw));
}

void srv_metric_set(srv_metric *m, const char *const *values, double v)
{
    if (!m)
        return;
    series *s = find_series(m, values, 1);
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    if (s)
        atomic_store(&s->sum_bits, bits);
}

double srv_metric_gauge_value(srv_metric *m, const char *const *values)
{
    if (!m)
        return 0;
    series *s = find_series(m, values, 0);
    if (!s)
        return 0;
    uint64_t bits = atomic_load(&s->sum_bits);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

int64_t srv_metric_value(srv_metric *m, const char *const *values)
{
    if (!m)
        return 0;
    series *s = find_series(m, values, 0);
    return s ? atomic_load(&s->count) : 0;
}

static void put_label_value(srv_buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            srv_buf_put(b, "\\", 1);
        if (*v == '\n') {
            srv_buf_puts(b, "\\n");
            continue;
        }
        srv_buf_put(b, v, 1);
    }
}

static void put_labels(srv_buf *b, const srv_metric *m, const series *s, const char *le)
{
    if (m->nlabels == 0 && !le)
        return;
    srv_buf_put(b, "{", 1);
    for (int i = 0; i < m->nlabels; i++) {
        if (i)
            srv_buf_put(b, ",", 1);
        srv_buf_printf(b, "%s=\"", m->labels[i]);
        put_label_value(b, s->values[i]);
        srv_buf_put(b, "\"", 1);
    }
    if (le)
        srv_buf_printf(b, "%sle=\"%s\"", m->nlabels ? "," : "", le);
    srv_buf_put(b, "}", 1);
}

/* " <v>\n" in Prometheus' spelling (NaN, +Inf), shortest round-trip form. */
static void put_double(srv_buf *b, double v)
{
    if (isnan(v)) {
        srv_buf_puts(b, " NaN\n");
        return;
    }
    if (isinf(v)) {
        srv_buf_puts(b, v > 0 ? " +Inf\n" : " -Inf\n");
        return;
    }
    char s[64];
    snprintf(s, sizeof s, "%.15g", v);
    if (strtod(s, NULL) != v)
        snprintf(s, sizeof s, "%.17g", v);
    srv_buf_printf(b, " %s\n", s);
}

void srv_metrics_render(srv_buf *out)
{
    pthread_mutex_lock(&g_mu);
    for (srv_metric *m = g_metrics; m; m = m->next) {
        const char *type = m->histogram ? "histogram" : m->gauge ? "gauge" : "counter";
        srv_buf_printf(out, "# TYPE %s %s\n", m->name, type);
        for (series *s = atomic_load(&m->head); s; s = s->next) {
            if (m->gauge) {
                uint64_t bits = atomic_load(&s->sum_bits);
                double v;
                memcpy(&v, &bits, sizeof v);
                srv_buf_puts(out, m->name);
                put_labels(out, m, s, NULL);
                put_double(out, v);
                continue;
            }
            if (!m->histogram) {
                srv_buf_puts(out, m->name);
                put_labels(out, m, s, NULL);
                srv_buf_printf(out, " %" PRId64 "\n", atomic_load(&s->count));
                continue;
            }
            int64_t cum = 0;
            for (int bk = 0; bk <= m->nbounds; bk++) {
                cum += atomic_load(&s->buckets[bk]);
                char le[64];
                if (bk < m->nbounds)
                    snprintf(le, sizeof le, "%.17g", m->bounds[bk]);
                else
                    snprintf(le, sizeof le, "+Inf");
                srv_buf_printf(out, "%s_bucket", m->name);
                put_labels(out, m, s, le);
                srv_buf_printf(out, " %" PRId64 "\n", cum);
            }
            uint64_t bits = atomic_load(&s->sum_bits);
            double sum;
            memcpy(&sum, &bits, sizeof sum);
            srv_buf_printf(out, "%s_sum", m->name);
            put_labels(out, m, s, NULL);
            srv_buf_printf(out, " %.17g\n", sum);
            srv_buf_printf(out, "%s_count", m->name);
            put_labels(out, m, s, NULL);
            srv_buf_printf(out, " %" PRId64 "\n", atomic_load(&s->count));
        }
    }
    pthread_mutex_unlock(&g_mu);
}

static double g_latency_bounds[33];
static pthread_once_t g_latency_once = PTHREAD_ONCE_INIT;

static void init_latency_bounds(void)
{
    double v = 10.0;
    for (int i = 0; i < 33; i++) {
        g_latency_bounds[i] = v;
        v *= 1.8;
    }
}

const double *srv_metric_latency_bounds(int *n)
{
    *n = 33;
    pthread_once(&g_latency_once, init_latency_bounds);
    return g_latency_bounds;
}

void srv_metrics_shutdown(void)
{
    pthread_mutex_lock(&g_mu);
    srv_metric *m = g_metrics;
    g_metrics = NULL;
    pthread_mutex_unlock(&g_mu);
    while (m) {
        srv_metric *nm = m->next;
        series *s = atomic_load(&m->head);
        while (s) {
            series *ns = s->next;
            for (int i = 0; s->values && i < m->nlabels; i++)
                free(s->values[i]);
            free(s->values);
            free((void *)s->buckets);
            free(s->key);
            free(s);
            s = ns;
        }
        for (int i = 0; i < m->nlabels; i++)
            free(m->labels[i]);
        free(m->bounds);
        free(m->name);
        free(m);
        m = nm;
    }
}
