/*
 * table_int.h - private API of the loader's reader for TensorFlow's copy of
 * the LevelDB table format (the ".index" file of a tensor bundle), plus the
 * little-endian / varint helpers shared by the bundle and TFRecord readers.
 *
 * A table is decoded eagerly from a memory buffer: footer, index block,
 * metaindex block and every data block (raw or Snappy), with every block
 * CRC, length and restart point checked. Entries are then available in key
 * order. Index files are small, so eager decoding keeps the code simple.
 */
#ifndef TSD_LOADER_TABLE_INT_H
#define TSD_LOADER_TABLE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

/** Footer size and magic (LevelDB's kTableMagicNumber). */
#define LDR_TABLE_FOOTER_LEN 48
#define LDR_TABLE_MAGIC 0xdb4775248b80fb57ull
/** Bytes following every block: type byte + fixed32 masked CRC. */
#define LDR_TABLE_TRAILER_LEN 5
/** Largest decompressed block accepted (Snappy length header). */
#define LDR_TABLE_MAX_BLOCK ((size_t)64 << 20)
/** Largest total of materialised key bytes (prefix compression can blow up). */
#define LDR_TABLE_MAX_KEY_BYTES ((size_t)64 << 20)

/** One block as referenced by a BlockHandle, with its trailer. */
typedef struct ldr__table_block {
    uint64_t offset;       /* BlockHandle offset in the file */
    uint64_t size;         /* BlockHandle size (contents only, no trailer) */
    uint8_t type;          /* 0 = raw, 1 = Snappy */
    uint32_t masked_crc;   /* trailer CRC as stored */
    uint32_t num_restarts; /* restart array length of the (decompressed) block */
    uint32_t *restarts;    /* restart offsets */
    char *index_key;       /* separator key of this data block in the index block */
    size_t index_key_len;
} ldr__table_block;

/** One key/value entry of the table. */
typedef struct ldr__table_entry {
    char *key; /* NUL-terminated copy; may hold NULs, use key_len */
    size_t key_len;
    const uint8_t *value; /* into the caller's buffer or a decompressed block */
    size_t value_len;
    size_t block; /* index of the data block holding the entry */
} ldr__table_entry;

/** A decoded table. Read-only after ldr__table_open_mem. */
typedef struct ldr__table {
    char *name; /* file name used as error context */
    ldr__table_block metaindex;
    ldr__table_block index;
    size_t nblocks; /* data blocks, in index order */
    ldr__table_block *blocks;
    size_t nentries; /* entries, in strictly increasing key order */
    ldr__table_entry *entries;
    size_t nowned; /* decompressed block buffers */
    uint8_t **owned;
} ldr__table;

/** ldr__table_open_mem flag: do not verify block CRCs (fuzzing only, so
 *  that mutated inputs reach the block decoders). */
#define LDR_TABLE_NO_CRC 1u

/**
 * Decode a whole table held in data[0..len). `name` is used as context in
 * errors ("variables.index: block at offset 0: checksum mismatch"). The
 * buffer must outlive the table (raw block values point into it). `flags`
 * is 0 or LDR_TABLE_NO_CRC.
 */
tsd_code ldr__table_open_mem(const uint8_t *data, size_t len, const char *name, unsigned flags,
                             ldr__table **out, tsd_status *st);

/** Free a table from ldr__table_open_mem (NULL is fine). */
void ldr__table_free(ldr__table *t);

/**
 * Decode a protobuf base-128 varint from [*p, end) into *v and advance *p.
 * Returns 0 on success, -1 if truncated or longer than 10 bytes / 64 bits.
 */
int ldr__get_varint64(const uint8_t **p, const uint8_t *end, uint64_t *v);

/** Little-endian loads. */
static inline uint32_t ldr__le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t ldr__le64(const uint8_t *p)
{
    return (uint64_t)ldr__le32(p) | (uint64_t)ldr__le32(p + 4) << 32;
}

/* ---- writing (table_write.c) ---------------------------------------------- */

/** A growable byte buffer; `oom` is set (and appends stop) on allocation failure. */
typedef struct ldr__buf {
    uint8_t *p;
    size_t n, cap;
    int oom;
} ldr__buf;

void ldr__buf_put(ldr__buf *b, const void *d, size_t n);
void ldr__buf_varint(ldr__buf *b, uint64_t v);
void ldr__buf_fixed32(ldr__buf *b, uint32_t v);
void ldr__buf_fixed64(ldr__buf *b, uint64_t v);
void ldr__buf_free(ldr__buf *b);

/** One key/value pair to write. */
typedef struct ldr__kv {
    const char *key;
    size_t key_len;
    const uint8_t *value;
    size_t value_len;
} ldr__kv;

/**
 * Encode a table of n entries, which must be in strictly increasing key
 * order (memcmp), exactly as TensorFlow's TableBuilder does for a bundle
 * index: 256 KiB blocks, restart interval 16 (1 in the index block), no
 * compression, shortest separators, an empty metaindex block, the 48-byte
 * footer. Output is appended to out.
 */
tsd_code ldr__table_build(const ldr__kv *kv, size_t n, ldr__buf *out, tsd_status *st);

#endif
