/*
 * status.c - tsd_status helpers: formatting, prefixing, code names.
 */
#include "common/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void tsd_status_clear(tsd_status *st)
{
    if (!st)
        return;
    st->code = TSD_OK;
    st->msg[0] = '\0';
}

tsd_code tsd_err(tsd_status *st, tsd_code code, const char *fmt, ...)
{
    if (!st)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->msg, sizeof st->msg, fmt, ap);
    va_end(ap);
    st->code = code;
    return code;
}

tsd_code tsd_status_prefix(tsd_status *st, const char *fmt, ...)
{
    if (!st)
        return TSD_UNKNOWN;
    char prefix[TSD_STATUS_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    if (n < 0)
        return st->code;
    /* prefix + ": " + message, cut to the message size */
    size_t pl = strnlen(prefix, sizeof prefix - 1);
    size_t ml = strnlen(st->msg, sizeof st->msg - 1);
    char joined[TSD_STATUS_MSG_MAX];
    size_t o = 0;
    for (size_t i = 0; i < pl && o + 1 < sizeof joined; i++)
        joined[o++] = prefix[i];
    for (size_t i = 0; i < 2 && o + 1 < sizeof joined; i++)
        joined[o++] = ": "[i];
    for (size_t i = 0; i < ml && o + 1 < sizeof joined; i++)
        joined[o++] = st->msg[i];
    joined[o] = '\0';
    memcpy(st->msg, joined, o + 1);
    return st->code;
}

tsd_code tsd_status_copy(tsd_status *dst, const tsd_status *src)
{
    if (!src)
        return TSD_OK;
    if (dst && dst != src)
        memcpy(dst, src, sizeof *dst);
    return src->code;
}

const char *tsd_code_name(tsd_code code)
{
    switch (code) {
#define TSD_CODE_CASE(name, num)                                                                   \
    case TSD_##name:                                                                               \
        return #name;
        TSD_CODE_MAP(TSD_CODE_CASE)
#undef TSD_CODE_CASE
    }
    return "UNKNOWN";
}

int tsd_code_from_name(const char *name)
{
#define TSD_CODE_CMP(cname, num)                                                                   \
    if (strcmp(name, #cname) == 0)                                                                 \
        return num;
    TSD_CODE_MAP(TSD_CODE_CMP)
#undef TSD_CODE_CMP
    return -1;
}
