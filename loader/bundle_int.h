/*
 * bundle_int.h - private API of the tensor-bundle reader: decoding a bundle's
 * ".index" file from memory (header + BundleEntryProtos) without touching the
 * data shards. Used by bundle.c and by the fuzz driver.
 */
#ifndef TSD_LOADER_BUNDLE_INT_H
#define TSD_LOADER_BUNDLE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "loader/loader.h"

/** Largest number of data shards accepted in a header. */
#define LDR_BUNDLE_MAX_SHARDS 100000
/** Largest index file read into memory. */
#define LDR_BUNDLE_MAX_INDEX ((size_t)1 << 30)

/** A decoded bundle index: header fields and the tensor entries. */
typedef struct ldr__bundle_index {
    int num_shards;
    int big_endian;            /* tensor bytes are big-endian */
    size_t nentries;           /* header entry "" excluded */
    ldr_bundle_entry *entries; /* sorted by key; keys are malloc'ed */
} ldr__bundle_index;

/**
 * Decode an index file held in data[0..len): table structure and CRCs, the
 * header (version, endianness, shard count) and every BundleEntryProto.
 * `name` is the file name used as error context; `table_flags` is passed to
 * ldr__table_open_mem (0 normally).
 */
tsd_code ldr__bundle_index_parse(const uint8_t *data, size_t len, const char *name,
                                 unsigned table_flags, ldr__bundle_index *out, tsd_status *st);

/** Free what ldr__bundle_index_parse allocated (and zero *ix). */
void ldr__bundle_index_clear(ldr__bundle_index *ix);

/** Display name of a bundle's index file ("variables/variables.index"). */
const char *ldr__bundle_name(const ldr_bundle *b);

/** Short display name of a path: its last two components ("variables/x.index"). */
const char *ldr__bundle_display_name(const char *path);

#endif
