/*
 * event_write.c - TensorBoard event files: TFRecord framing of serialized
 * tensorflow.Event protos, named and started as TensorFlow's EventsWriter
 * does (formats: event files). Records are buffered and written on flush.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loader/loader.h"
#include "tensorflow/core/util/event.pb-c.h"

struct ldr_event_writer {
    char *path;
    int fd;
    uint8_t *buf; /* framed records not yet written */
    size_t len;
};

static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int ldr_tfrecord_frame(const void *data, size_t n, uint8_t **out, size_t *len)
{
    uint8_t *b = realloc(*out, *len + n + 16);
    if (!b)
        return -1;
    uint8_t *p = b + *len;
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)((uint64_t)n >> (8 * i));
    le32(p + 8, ldr_crc32c_mask(ldr_crc32c(p, 8)));
    if (n)
        memcpy(p + 12, data, n);
    le32(p + 12 + n, ldr_crc32c_mask(ldr_crc32c(data, n)));
    *out = b;
    *len += n + 16;
    return 0;
}

/* Serialize and frame one event into the pending buffer. */
static tsd_code append(ldr_event_writer *w, const Tensorflow__Event *ev, tsd_status *st)
{
    size_t n = tensorflow__event__get_packed_size(ev);
    uint8_t *tmp = malloc(n ? n : 1);
    if (!tmp)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    tensorflow__event__pack(ev, tmp);
    int rc = ldr_tfrecord_frame(tmp, n, &w->buf, &w->len);
    free(tmp);
    return rc ? tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory") : TSD_OK;
}

ldr_event_writer *ldr_event_writer_new(const char *dir, double wall_time, tsd_status *st)
{
    char host[256] = "localhost";
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    ldr_event_writer *w = calloc(1, sizeof *w);
    size_t n = strlen(dir) + strlen(host) + 64;
    char *path = malloc(n);
    if (!w || !path) {
        free(w);
        free(path);
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    snprintf(path, n, "%s/events.out.tfevents.%010lld.%s", dir, (long long)wall_time, host);
    w->path = path;
    w->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        tsd_err(st, TSD_NOT_FOUND, "%s: cannot create: %s", path, strerror(errno));
        ldr_event_writer_free(w);
        return NULL;
    }
    Tensorflow__Event ev = TENSORFLOW__EVENT__INIT;
    ev.wall_time = (double)(long long)wall_time;
    ev.what_case = TENSORFLOW__EVENT__WHAT_FILE_VERSION;
    ev.file_version = (char *)"brain.Event:2";
    if (append(w, &ev, st) || ldr_event_writer_flush(w, st)) {
        ldr_event_writer_free(w);
        return NULL;
    }
    return w;
}

const char *ldr_event_writer_path(const ldr_event_writer *w)
{
    return w->path;
}

tsd_code ldr_event_writer_scalars(ldr_event_writer *w, double wall_time, int64_t step,
                                  const char *const *tags, const float *values, size_t n,
                                  tsd_status *st)
{
    Tensorflow__Summary__Value *vals = calloc(n ? n : 1, sizeof *vals);
    Tensorflow__Summary__Value **pv = calloc(n ? n : 1, sizeof *pv);
    if (!vals || !pv) {
        free(vals);
        free(pv);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        tensorflow__summary__value__init(&vals[i]);
        vals[i].tag = (char *)tags[i];
        vals[i].value_case = TENSORFLOW__SUMMARY__VALUE__VALUE_SIMPLE_VALUE;
        vals[i].simple_value = values[i];
        pv[i] = &vals[i];
    }
    Tensorflow__Summary sum = TENSORFLOW__SUMMARY__INIT;
    sum.n_value = n;
    sum.value = pv;
    Tensorflow__Event ev = TENSORFLOW__EVENT__INIT;
    ev.wall_time = wall_time;
    ev.step = step;
    ev.what_case = TENSORFLOW__EVENT__WHAT_SUMMARY;
    ev.summary = &sum;
    tsd_code c = append(w, &ev, st);
    free(vals);
    free(pv);
    return c;
}

tsd_code ldr_event_writer_checkpoint(ldr_event_writer *w, double wall_time, int64_t step,
                                     const char *checkpoint_path, tsd_status *st)
{
    Tensorflow__SessionLog sl = TENSORFLOW__SESSION_LOG__INIT;
    sl.status = TENSORFLOW__SESSION_LOG__SESSION_STATUS__CHECKPOINT;
    sl.checkpoint_path = (char *)checkpoint_path;
    Tensorflow__Event ev = TENSORFLOW__EVENT__INIT;
    ev.wall_time = wall_time;
    ev.step = step;
    ev.what_case = TENSORFLOW__EVENT__WHAT_SESSION_LOG;
    ev.session_log = &sl;
    return append(w, &ev, st);
}

tsd_code ldr_event_writer_flush(ldr_event_writer *w, tsd_status *st)
{
    size_t off = 0;
    while (off < w->len) {
        ssize_t n = write(w->fd, w->buf + off, w->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return tsd_err(st, TSD_INTERNAL, "%s: write failed: %s", w->path, strerror(errno));
        off += (size_t)n;
    }
    w->len = 0;
    if (fsync(w->fd) != 0)
        return tsd_err(st, TSD_INTERNAL, "%s: cannot sync: %s", w->path, strerror(errno));
    return TSD_OK;
}

void ldr_event_writer_free(ldr_event_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0) {
        if (w->len)
            ldr_event_writer_flush(w, NULL);
        close(w->fd);
    }
    free(w->buf);
    free(w->path);
    free(w);
}
