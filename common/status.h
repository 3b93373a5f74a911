/*
 * status.h - the one status type used by every tensord layer.
 *
 * Codes carry the same numbers as TensorFlow / gRPC status codes so that the
 * transports can pass them through unchanged. A tsd_status holds the code and
 * a message with context ("model census v3: node 'dnn/logits': ..."); callers
 * add context on the way up with tsd_status_prefix().
 *
 * Convention: a fallible function takes `tsd_status *st` as its last
 * argument and returns TSD_OK (0) or the error code it stored in *st.
 * `st` may be NULL when the caller does not want the message.
 */
#ifndef TSD_COMMON_STATUS_H
#define TSD_COMMON_STATUS_H

#include <stddef.h>

#define TSD_CODE_MAP(X)                                                                            \
    X(OK, 0)                                                                                       \
    X(CANCELLED, 1)                                                                                \
    X(UNKNOWN, 2)                                                                                  \
    X(INVALID_ARGUMENT, 3)                                                                         \
    X(DEADLINE_EXCEEDED, 4)                                                                        \
    X(NOT_FOUND, 5)                                                                                \
    X(ALREADY_EXISTS, 6)                                                                           \
    X(PERMISSION_DENIED, 7)                                                                        \
    X(RESOURCE_EXHAUSTED, 8)                                                                       \
    X(FAILED_PRECONDITION, 9)                                                                      \
    X(ABORTED, 10)                                                                                 \
    X(OUT_OF_RANGE, 11)                                                                            \
    X(UNIMPLEMENTED, 12)                                                                           \
    X(INTERNAL, 13)                                                                                \
    X(UNAVAILABLE, 14)                                                                             \
    X(DATA_LOSS, 15)                                                                               \
    X(UNAUTHENTICATED, 16)

/** Status codes, numbered as tensorflow::error::Code and grpc_status_code. */
typedef enum tsd_code {
#define TSD_CODE_ENUM(name, num) TSD_##name = num,
    TSD_CODE_MAP(TSD_CODE_ENUM)
#undef TSD_CODE_ENUM
} tsd_code;

/** Longest message kept; longer ones are cut (TF Serving cuts at 1024). */
#define TSD_STATUS_MSG_MAX 1024

/** A status: code plus a NUL-terminated message with context. */
typedef struct tsd_status {
    tsd_code code;
    char msg[TSD_STATUS_MSG_MAX];
} tsd_status;

/** Initializer for a status on the stack. */
#define TSD_STATUS_INIT                                                                            \
    {                                                                                              \
        TSD_OK,                                                                                    \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

/** Reset *st to OK with an empty message. */
void tsd_status_clear(tsd_status *st);

/** Store code and a printf-style message in *st (if st != NULL); returns code. */
tsd_code tsd_err(tsd_status *st, tsd_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Prepend printf-style context plus ": " to the message; returns st->code. */
tsd_code tsd_status_prefix(tsd_status *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** Copy src into dst (either may be NULL); returns src's code. */
tsd_code tsd_status_copy(tsd_status *dst, const tsd_status *src);

/** Upper-case code name as TensorFlow spells it ("INVALID_ARGUMENT"). */
const char *tsd_code_name(tsd_code code);

/** Code for an upper-case name, or -1 when unknown. */
int tsd_code_from_name(const char *name);

#endif
