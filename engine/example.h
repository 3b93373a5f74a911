/*
 * example.h - a bounded, zero-copy decoder of serialized tf.Example
 * protos, written directly on the protobuf wire format (the engine does not
 * link protobuf-c). Used by the ParseExample kernels.
 *
 * Wire layout decoded here:
 *   Example  { Features features = 1; }             (repeated: concatenations merge)
 *   Features { map<string, Feature> feature = 1; }   (entry: key = 1, value = 2)
 *   Feature  { oneof kind { BytesList = 1; FloatList = 2; Int64List = 3; } }
 *   *List    { repeated value = 1; }                 (float/int64 packed or not)
 * Everything returned points into the caller's buffer; nothing is allocated.
 * Errors are INVALID_ARGUMENT naming the byte offset and what is wrong.
 */
#ifndef TSD_ENGINE_EXAMPLE_H
#define TSD_ENGINE_EXAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "engine/engine.h"

/** Which list a Feature holds (the oneof field number); NONE when unset. */
typedef enum eng_ex_kind {
    ENG_EX_NONE = 0,
    ENG_EX_BYTES = 1,
    ENG_EX_FLOAT = 2,
    ENG_EX_INT64 = 3,
} eng_ex_kind;

/** One feature-map entry: the key and the undecoded Feature message. */
typedef struct eng_ex_entry {
    const char *key;
    size_t key_len;
    const uint8_t *feature; /* serialized Feature (may be empty) */
    size_t feature_len;
    size_t offset; /* offset of the entry in the Example, for messages */
} eng_ex_entry;

/** A decoded Feature: its kind and the body of its list message. */
typedef struct eng_ex_list {
    eng_ex_kind kind;
    const uint8_t *data;
    size_t len;
} eng_ex_list;

/** Called for each entry in wire order; return non-zero to stop the walk. */
typedef int (*eng_ex_visit_fn)(void *ud, const eng_ex_entry *e);

/**
 * Walk every feature-map entry of a serialized Example in wire order
 * (later entries with the same key override earlier ones by proto rules).
 * Unknown fields are skipped. Fails on truncated or malformed framing.
 */
tsd_code eng_example_walk(const void *buf, size_t len, eng_ex_visit_fn fn, void *ud,
                          tsd_status *st);

/**
 * Decode a Feature message: which oneof member is set (the last one on the
 * wire wins) and where its list body is. An empty Feature gives ENG_EX_NONE.
 */
tsd_code eng_ex_feature(const uint8_t *p, size_t len, eng_ex_list *out, tsd_status *st);

/** "string", "float", "int64" (TensorFlow dtype names of the kinds), "none". */
const char *eng_ex_kind_name(eng_ex_kind k);

/**
 * Count and (when out is non-NULL) decode the values of a list. `cap` is
 * the room at out; values beyond cap are counted but not stored. For FLOAT
 * out is float*, for INT64 int64_t*, for BYTES eng_str* (pointing into the
 * serialized buffer). *count receives the number of values in the list.
 */
tsd_code eng_ex_values(const eng_ex_list *l, void *out, size_t cap, size_t *count, tsd_status *st);

#endif
