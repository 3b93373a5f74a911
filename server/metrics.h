/*
 * metrics.h - process metrics in TF Serving's Prometheus format: metric
 * names from TF's monitoring names (every character outside [A-Za-z0-9_]
 * becomes ':'), only "# TYPE" lines, counters, gauges and histograms with
 * labels.
 *
 * Thread rules: observations are lock-free after a series exists (atomics);
 * creating a series and rendering take a mutex.
 */
#ifndef TSD_SERVER_METRICS_H
#define TSD_SERVER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "server/json_out.h"

typedef struct srv_metric srv_metric;

/** Register a counter / histogram (idempotent by name). Label names are
 *  given once; each observation passes the label values in the same order. */
srv_metric *srv_metric_counter(const char *tf_name, int nlabels, const char *const *labels);
srv_metric *srv_metric_histogram(const char *tf_name, int nlabels, const char *const *labels,
                                 const double *bounds, int nbounds);

/** Register a gauge (idempotent by name): a value that goes up and down. */
srv_metric *srv_metric_gauge(const char *tf_name, int nlabels, const char *const *labels);

/** Set a gauge series to v. */
void srv_metric_set(srv_metric *m, const char *const *values, double v);

/** Current value of a gauge series (0 if absent). */
double srv_metric_gauge_value(srv_metric *m, const char *const *values);

/** Add delta to a counter series. */
void srv_metric_inc(srv_metric *m, const char *const *values, int64_t delta);

/** Record one value in a histogram series. */
void srv_metric_observe(srv_metric *m, const char *const *values, double v);

/** Current value of a counter series (0 if absent; for tests and reload deltas). */
int64_t srv_metric_value(srv_metric *m, const char *const *values);

/** Render every metric in Prometheus text format. */
void srv_metrics_render(srv_buf *out);

/** TF Serving's request-latency buckets: Exponential(10, 1.8, 33). */
const double *srv_metric_latency_bounds(int *n);

/** Free all metrics (at exit). */
void srv_metrics_shutdown(void);

#endif
