/*
 * slice.c - "shape_and_slice" specs as RestoreV2 receives them
 * ("51 100 0,51:0,100": the full shape, then start,length or "-" per
 * dimension) and reading a slice of a bundle entry.
 */
#include <stdlib.h>
#include <string.h>

#include "loader/bundle_int.h"

/* Parse a non-negative decimal int64 from [s, e); -1 on error/overflow. */
static int64_t parse_nonneg(const char *s, const char *e)
{
    if (s == e)
        return -1;
    int64_t v = 0;
    for (; s < e; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        int d = *s - '0';
        if (v > (INT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    return v;
}

/* Parse one "start,length" or "-" extent of dimension i. */
static tsd_code parse_extent(const char *s, const char *e, int i, const char *spec,
                             ldr_slice_spec *out, tsd_status *st)
{
    if (e - s == 1 && *s == '-') {
        out->start[i] = 0;
        out->length[i] = -1;
        return TSD_OK;
    }
    const char *comma = memchr(s, ',', (size_t)(e - s));
    int64_t a = comma ? parse_nonneg(s, comma) : -1;
    int64_t l = comma ? parse_nonneg(comma + 1, e) : -1;
    if (a < 0 || l <= 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "shape_and_slice '%s': dimension %d: expected 'start,length' with "
                       "start >= 0 and length > 0, or '-', got '%.*s'",
                       spec, i, (int)(e - s), s);
    if (a > out->full[i] || l > out->full[i] - a)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "shape_and_slice '%s': dimension %d: extent %lld,%lld exceeds the size "
                       "%lld",
                       spec, i, (long long)a, (long long)l, (long long)out->full[i]);
    out->start[i] = a;
    out->length[i] = l;
    return TSD_OK;
}

tsd_code ldr_slice_spec_parse(const char *s, ldr_slice_spec *out, tsd_status *st)
{
    memset(out, 0, sizeof *out);
    if (*s == '\0')
        return TSD_OK;
    /* Split on single spaces: dims..., then the slice part. */
    const char *tok[ENG_MAX_RANK + 1], *tend[ENG_MAX_RANK + 1];
    int ntok = 0;
    const char *p = s;
    for (;;) {
        const char *sp = strchr(p, ' ');
        const char *e = sp ? sp : p + strlen(p);
        if (ntok == ENG_MAX_RANK + 1)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "shape_and_slice '%s': rank exceeds the maximum %d", s, ENG_MAX_RANK);
        if (e == p)
            return tsd_err(st, TSD_INVALID_ARGUMENT, "shape_and_slice '%s': empty field", s);
        tok[ntok] = p;
        tend[ntok++] = e;
        if (!sp)
            break;
        p = sp + 1;
    }
    if (ntok < 2)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "shape_and_slice '%s': expected the full shape followed by a slice", s);
    int rank = ntok - 1;
    for (int i = 0; i < rank; i++) {
        out->full[i] = parse_nonneg(tok[i], tend[i]);
        if (out->full[i] < 0)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "shape_and_slice '%s': bad dimension size '%.*s'", s,
                           (int)(tend[i] - tok[i]), tok[i]);
    }
    /* The slice: rank extents separated by ':'. */
    const char *q = tok[rank], *qe = tend[rank];
    for (int i = 0; i < rank; i++) {
        const char *colon = memchr(q, ':', (size_t)(qe - q));
        const char *e = colon ? colon : qe;
        if ((i < rank - 1) != (colon != NULL))
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "shape_and_slice '%s': slice has a different rank than the shape (%d)",
                           s, rank);
        tsd_code rc = parse_extent(q, e, i, s, out, st);
        if (rc != TSD_OK)
            return rc;
        q = e + 1;
    }
    out->rank = rank;
    return TSD_OK;
}

/* Copy the sub-box of `full` selected by spec into out (already allocated). */
static void copy_box(const eng_tensor *full, const ldr_slice_spec *sp, eng_tensor *out, size_t es)
{
    int r = full->rank;
    int64_t idx[ENG_MAX_RANK] = {0};
    int64_t stride[ENG_MAX_RANK];
    int64_t acc = 1;
    for (int i = r - 1; i >= 0; i--) {
        stride[i] = acc;
        acc *= full->dims[i];
    }
    int64_t n = eng_tensor_num_elements(out);
    const uint8_t *src = full->data;
    uint8_t *dst = out->data;
    /* Copy contiguous rows along the last dimension. */
    int64_t row = out->dims[r - 1];
    for (int64_t done = 0; done < n; done += row) {
        int64_t off = 0;
        for (int i = 0; i < r; i++)
            off += (sp->start[i] + idx[i]) * stride[i];
        memcpy(dst + (size_t)done * es, src + (size_t)off * es, (size_t)row * es);
        for (int i = r - 2; i >= 0; i--) {
            if (++idx[i] < out->dims[i])
                break;
            idx[i] = 0;
        }
    }
}

tsd_code ldr_bundle_read_slice(ldr_bundle *b, const char *key, const char *shape_and_slice,
                               eng_tensor *out, tsd_status *st)
{
    memset(out, 0, sizeof *out);
    const ldr_bundle_entry *e = ldr_bundle_find(b, key);
    if (!e)
        return tsd_err(st, TSD_NOT_FOUND, "%s: key '%s' not found", ldr__bundle_name(b), key);
    if (e->nslices > 0)
        return tsd_err(st, TSD_UNIMPLEMENTED,
                       "%s: key '%s': partitioned entries (%d slices) are not supported",
                       ldr__bundle_name(b), key, e->nslices);
    ldr_slice_spec sp;
    tsd_code rc = ldr_slice_spec_parse(shape_and_slice, &sp, st);
    if (rc != TSD_OK) {
        tsd_status_prefix(st, "%s: key '%s'", ldr__bundle_name(b), key);
        return rc;
    }
    if (sp.rank == 0)
        return ldr_bundle_read(b, e, out, st);
    int whole = sp.rank == e->rank;
    for (int i = 0; whole && i < sp.rank; i++)
        whole = sp.full[i] == e->dims[i];
    if (!whole) {
        char have[128], want[128];
        eng_shape_str(e->dims, e->rank, have, sizeof have);
        eng_shape_str(sp.full, sp.rank, want, sizeof want);
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "%s: key '%s': shape_and_slice '%s' names shape %s but the checkpoint "
                       "holds %s",
                       ldr__bundle_name(b), key, shape_and_slice, want, have);
    }
    int64_t dims[ENG_MAX_RANK];
    int covers = 1;
    for (int i = 0; i < sp.rank; i++) {
        dims[i] = sp.length[i] < 0 ? e->dims[i] : sp.length[i];
        if (sp.length[i] >= 0 && (sp.start[i] != 0 || sp.length[i] != e->dims[i]))
            covers = 0;
        if (sp.length[i] < 0)
            sp.start[i] = 0;
    }
    if (covers)
        return ldr_bundle_read(b, e, out, st);
    eng_tensor full;
    rc = ldr_bundle_read(b, e, &full, st);
    if (rc != TSD_OK)
        return rc;
    rc = eng_tensor_alloc(out, e->dtype, sp.rank, dims, st);
    if (rc == TSD_OK && eng_tensor_num_elements(out) > 0) {
        if (e->dtype == ENG_DT_STRING) {
            /* copy the eng_str views, then deep-copy into one owned block */
            eng_tensor view = *out;
            copy_box(&full, &sp, &view, sizeof(eng_str));
            eng_tensor owned;
            rc = eng_tensor_copy(&owned, &view, st);
            eng_tensor_free_data(out);
            if (rc == TSD_OK)
                *out = owned;
            else
                memset(out, 0, sizeof *out);
        } else {
            copy_box(&full, &sp, out, eng_dtype_size(e->dtype));
        }
    }
    eng_tensor_free_data(&full);
    if (rc != TSD_OK)
        tsd_status_prefix(st, "%s: key '%s'", ldr__bundle_name(b), key);
    return rc;
}
