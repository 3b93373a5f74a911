/*
 * log.c - one-line structured logging to stderr (see log.h).
 */
#include "server/log.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/status.h"
#include "server/json_out.h"

static srv_log_level g_min = SRV_LOG_INFO;
static int g_json;

void srv_log_setup(srv_log_level min, int json)
{
    g_min = min;
    g_json = json;
}

int srv_log_level_from_name(const char *name)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

void srv_log(srv_log_level level, const char *fmt, ...)
{
    if (level < g_min)
        return;
    static const char *const lv[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[64];
    snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)tv.tv_usec);
    srv_buf b = {0};
    if (g_json) {
        srv_buf_printf(&b, "{\"time\": \"%s\", \"level\": \"%s\", \"msg\": ", ts, lv[level]);
        srv_json_string(&b, msg, strlen(msg));
        srv_buf_puts(&b, "}\n");
    } else {
        srv_buf_printf(&b, "%s %s %s\n", ts, lv[level], msg);
    }
    if (!b.oom && b.data) {
        ssize_t w = write(STDERR_FILENO, b.data, b.len);
        (void)w;
    }
    srv_buf_free(&b);
}

static double g_sample;

void srv_log_requests_setup(double sample_rate)
{
    g_sample = sample_rate < 0 ? 0 : sample_rate > 1 ? 1 : sample_rate;
}

/* Per-thread xorshift: sampling without a shared lock. */
static double next_uniform(void)
{
    static __thread uint64_t x;
    if (!x)
        x = (uint64_t)(uintptr_t)&x ^ (uint64_t)time(NULL) ^ 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return (double)(x >> 11) / 9007199254740992.0;
}

void srv_log_request(const char *entry, const char *model, long long version, const char *api,
                     int code, double latency_us)
{
    if (g_sample <= 0 || next_uniform() >= g_sample)
        return;
    srv_log(SRV_LOG_INFO,
            "request entrypoint=%s model=%s version=%lld api=%s status=%s latency_us=%.0f", entry,
            model ? model : "-", version, api ? api : "-", tsd_code_name((tsd_code)code),
            latency_us);
}
