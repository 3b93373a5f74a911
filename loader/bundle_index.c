/*
 * bundle_index.c - decodes a tensor bundle's ".index" file: the table
 * (table.c), the BundleHeaderProto under key "" (version, endianness, shard
 * count) and one BundleEntryProto per tensor into ldr_bundle_entry.
 */
#include <stdlib.h>
#include <string.h>

#include "loader/bundle_int.h"
#include "loader/table_int.h"
#include "tensorflow/core/protobuf/tensor_bundle.pb-c.h"

/* Reader constants of the bundle format (formats.md §1.4). */
#define BUNDLE_CONSUMER_VERSION 1
#define BUNDLE_MIN_PRODUCER 0

const char *ldr__bundle_display_name(const char *path)
{
    const char *last = strrchr(path, '/');
    if (!last)
        return path;
    const char *p = last;
    while (p > path && p[-1] != '/')
        p--;
    return p;
}

void ldr__bundle_index_clear(ldr__bundle_index *ix)
{
    for (size_t i = 0; i < ix->nentries; i++)
        free((char *)ix->entries[i].key);
    free(ix->entries);
    memset(ix, 0, sizeof *ix);
}

/* Check and apply the header entry. */
static tsd_code parse_header(const ldr__table_entry *te, const char *name, ldr__bundle_index *ix,
                             tsd_status *st)
{
    Tensorflow__BundleHeaderProto *h =
        tensorflow__bundle_header_proto__unpack(NULL, te->value_len, te->value);
    if (!h)
        return tsd_err(st, TSD_DATA_LOSS, "%s: header entry: cannot parse BundleHeaderProto", name);
    tsd_code rc = TSD_OK;
    const Tensorflow__VersionDef *v = h->version;
    if (h->num_shards < 1 || h->num_shards > LDR_BUNDLE_MAX_SHARDS) {
        rc = tsd_err(st, TSD_DATA_LOSS, "%s: header entry: bad num_shards %d", name,
                     (int)h->num_shards);
    } else if (h->endianness != TENSORFLOW__BUNDLE_HEADER_PROTO__ENDIANNESS__LITTLE &&
               h->endianness != TENSORFLOW__BUNDLE_HEADER_PROTO__ENDIANNESS__BIG) {
        rc = tsd_err(st, TSD_DATA_LOSS, "%s: header entry: unknown endianness %d", name,
                     (int)h->endianness);
    } else if (v && v->min_consumer > BUNDLE_CONSUMER_VERSION) {
        rc = tsd_err(st, TSD_FAILED_PRECONDITION,
                     "%s: header entry: bundle requires reader version >= %d (this reader is "
                     "version %d)",
                     name, (int)v->min_consumer, BUNDLE_CONSUMER_VERSION);
    } else if (v && v->producer < BUNDLE_MIN_PRODUCER) {
        rc = tsd_err(st, TSD_FAILED_PRECONDITION,
                     "%s: header entry: producer version %d is older than the minimum %d", name,
                     (int)v->producer, BUNDLE_MIN_PRODUCER);
    } else if (v) {
        for (size_t i = 0; i < v->n_bad_consumers; i++)
            if (v->bad_consumers[i] == BUNDLE_CONSUMER_VERSION)
                rc = tsd_err(st, TSD_FAILED_PRECONDITION,
                             "%s: header entry: reader version %d is listed as a bad consumer",
                             name, BUNDLE_CONSUMER_VERSION);
    }
    if (rc == TSD_OK) {
        ix->num_shards = h->num_shards;
        ix->big_endian = h->endianness == TENSORFLOW__BUNDLE_HEADER_PROTO__ENDIANNESS__BIG;
    }
    tensorflow__bundle_header_proto__free_unpacked(h, NULL);
    return rc;
}

/* Decode one BundleEntryProto into *e (key already set by the caller). */
static tsd_code parse_entry(const ldr__table_entry *te, const char *name, int num_shards,
                            ldr_bundle_entry *e, tsd_status *st)
{
    const char *key = te->key;
    Tensorflow__BundleEntryProto *p =
        tensorflow__bundle_entry_proto__unpack(NULL, te->value_len, te->value);
    if (!p)
        return tsd_err(st, TSD_DATA_LOSS, "%s: entry '%s': cannot parse BundleEntryProto", name,
                       key);
    tsd_code rc = TSD_OK;
    e->dtype = (eng_dtype)p->dtype;
    e->rank = 0;
    e->shard_id = p->shard_id;
    e->crc32c = p->crc32c;
    e->nslices = (int)(p->n_slices > INT32_MAX ? INT32_MAX : p->n_slices);
    if (p->shape) {
        if (p->shape->unknown_rank)
            rc = tsd_err(st, TSD_DATA_LOSS, "%s: entry '%s': shape has unknown rank", name, key);
        else if (p->shape->n_dim > ENG_MAX_RANK)
            rc = tsd_err(st, TSD_UNIMPLEMENTED, "%s: entry '%s': rank %zu exceeds the maximum %d",
                         name, key, p->shape->n_dim, ENG_MAX_RANK);
        for (size_t i = 0; rc == TSD_OK && i < p->shape->n_dim; i++) {
            int64_t d = p->shape->dim[i]->size;
            if (d < 0)
                rc = tsd_err(st, TSD_DATA_LOSS, "%s: entry '%s': dimension %zu has size %lld", name,
                             key, i, (long long)d);
            e->dims[i] = d;
        }
        if (rc == TSD_OK)
            e->rank = (int)p->shape->n_dim;
    }
    if (rc == TSD_OK && (p->offset < 0 || p->size < 0))
        rc = tsd_err(st, TSD_DATA_LOSS, "%s: entry '%s': negative offset %lld or size %lld", name,
                     key, (long long)p->offset, (long long)p->size);
    if (rc == TSD_OK && p->n_slices == 0 && (p->shard_id < 0 || p->shard_id >= num_shards))
        rc = tsd_err(st, TSD_DATA_LOSS, "%s: entry '%s': shard_id %d out of range [0, %d)", name,
                     key, (int)p->shard_id, num_shards);
    e->offset = (uint64_t)p->offset;
    e->size = (uint64_t)p->size;
    tensorflow__bundle_entry_proto__free_unpacked(p, NULL);
    return rc;
}

tsd_code ldr__bundle_index_parse(const uint8_t *data, size_t len, const char *name,
                                 unsigned table_flags, ldr__bundle_index *out, tsd_status *st)
{
    memset(out, 0, sizeof *out);
    ldr__table *t = NULL;
    tsd_code rc = ldr__table_open_mem(data, len, name, table_flags, &t, st);
    if (rc != TSD_OK)
        return rc;
    if (t->nentries == 0 || t->entries[0].key_len != 0) {
        ldr__table_free(t);
        return tsd_err(st, TSD_DATA_LOSS, "%s: no header entry (empty key)", name);
    }
    rc = parse_header(&t->entries[0], name, out, st);
    if (rc == TSD_OK && t->nentries > 1) {
        out->entries = calloc(t->nentries - 1, sizeof *out->entries);
        if (!out->entries)
            rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: out of memory", name);
    }
    for (size_t i = 1; rc == TSD_OK && i < t->nentries; i++) {
        const ldr__table_entry *te = &t->entries[i];
        if (memchr(te->key, '\0', te->key_len)) {
            rc = tsd_err(st, TSD_DATA_LOSS, "%s: entry '%s': key contains a NUL byte", name,
                         te->key);
            break;
        }
        ldr_bundle_entry *e = &out->entries[out->nentries];
        rc = parse_entry(te, name, out->num_shards, e, st);
        if (rc != TSD_OK)
            break;
        char *k = strdup(te->key);
        if (!k) {
            rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: out of memory", name);
            break;
        }
        e->key = k;
        out->nentries++;
    }
    ldr__table_free(t);
    if (rc != TSD_OK)
        ldr__bundle_index_clear(out);
    return rc;
}
