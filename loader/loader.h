/*
 * loader.h - public API of the loader, the only layer that knows TensorFlow
 * file formats: SavedModel (saved_model.pb), tensor bundles (checkpoints:
 * variables.index + variables.data-*), TFRecord files, and the mapping from
 * graph variables to checkpoint keys. It builds engine graphs and sessions.
 *
 * Thread rules: an ldr_bundle may be read from several threads at once
 * (reads are positional on an mmap). Everything else is built by one thread
 * and then only read.
 */
#ifndef TSD_LOADER_LOADER_H
#define TSD_LOADER_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "engine/engine.h"

/* ---- CRC32C ---------------------------------------------------------------- */

/** CRC-32C (Castagnoli) of data, continuing from crc (start with 0). */
uint32_t ldr_crc32c_extend(uint32_t crc, const void *data, size_t n);
static inline uint32_t ldr_crc32c(const void *data, size_t n)
{
    return ldr_crc32c_extend(0, data, n);
}
/** TensorFlow's masked CRC (rotate right 15, add 0xa282ead8) and inverse. */
uint32_t ldr_crc32c_mask(uint32_t crc);
uint32_t ldr_crc32c_unmask(uint32_t masked);

/* ---- tensor bundles (checkpoints) ------------------------------------------ */

typedef struct ldr_bundle ldr_bundle;

/** One tensor of a bundle as its BundleEntryProto describes it. */
typedef struct ldr_bundle_entry {
    const char *key;
    eng_dtype dtype;
    int rank; /* 0 for scalars (also when the shape field is absent) */
    int64_t dims[ENG_MAX_RANK];
    int shard_id;
    uint64_t offset;
    uint64_t size;
    uint32_t crc32c; /* masked, as stored */
    int nslices;     /* > 0 for partitioned entries (not read by this loader) */
} ldr_bundle_entry;

/**
 * Open the bundle with this prefix (".../variables/variables"): read and
 * verify the index (footer magic, block CRCs, Snappy blocks, header), mmap
 * the data shards. Errors name the file and offset/entry.
 */
tsd_code ldr_bundle_open(const char *prefix, ldr_bundle **out, tsd_status *st);

/** Close a bundle. */
void ldr_bundle_close(ldr_bundle *b);

/** Number of tensor entries (the header entry "" excluded), in key order. */
size_t ldr_bundle_num_entries(const ldr_bundle *b);
const ldr_bundle_entry *ldr_bundle_entry_at(const ldr_bundle *b, size_t i);

/** Entry by exact key (NULL if absent). */
const ldr_bundle_entry *ldr_bundle_find(const ldr_bundle *b, const char *key);

/**
 * Read an entry's tensor, verifying size and CRC32C. *out owns its storage
 * (free with eng_tensor_free_data).
 */
tsd_code ldr_bundle_read(ldr_bundle *b, const ldr_bundle_entry *e, eng_tensor *out, tsd_status *st);

/** A parsed "shape_and_slice" spec: "51 100 0,51:0,100" (or "" = whole). */
typedef struct ldr_slice_spec {
    int rank;                   /* 0 when the spec is empty */
    int64_t full[ENG_MAX_RANK]; /* full shape */
    int64_t start[ENG_MAX_RANK];
    int64_t length[ENG_MAX_RANK]; /* -1 = whole dimension ("-") */
} ldr_slice_spec;

/** Parse a shape_and_slice string. */
tsd_code ldr_slice_spec_parse(const char *s, ldr_slice_spec *out, tsd_status *st);

/**
 * Read key restricted to a slice spec (as RestoreV2 does). An empty spec
 * reads the whole tensor; otherwise the full shape must match the entry and
 * the slice is copied out.
 */
tsd_code ldr_bundle_read_slice(ldr_bundle *b, const char *key, const char *shape_and_slice,
                               eng_tensor *out, tsd_status *st);

/* ---- writing checkpoints ---------------------------------------------------- */

typedef struct ldr_bundle_writer ldr_bundle_writer;

/**
 * Start a bundle at `prefix` (P.index, P.data-00000-of-00001) as
 * TensorFlow's BundleWriter writes it, byte for byte: tensors are appended
 * to the data file in the order added (add them in key order, as the Saver
 * does), the index is written at finish. Until finish everything goes to
 * temporary files next to the prefix, so a crash never leaves a partial
 * bundle under the real names.
 */
ldr_bundle_writer *ldr_bundle_writer_new(const char *prefix, tsd_status *st);

/** Append a tensor (numeric, bool or string) under key. Keys must be unique. */
tsd_code ldr_bundle_writer_add(ldr_bundle_writer *w, const char *key, const eng_tensor *t,
                               tsd_status *st);

/**
 * Write the index, fsync both files, rename them into place (data first,
 * index last: the index's presence marks a complete bundle), fsync the
 * directory.
 */
tsd_code ldr_bundle_writer_finish(ldr_bundle_writer *w, tsd_status *st);

/** Free a writer; an unfinished bundle's temporary files are removed. */
void ldr_bundle_writer_free(ldr_bundle_writer *w);

/**
 * Write dir/checkpoint (text-format CheckpointState, as the Saver writes it:
 * model_checkpoint_path then every all_model_checkpoint_paths entry, paths
 * relative to dir) atomically: temporary file, fsync, rename, fsync dir.
 */
tsd_code ldr_checkpoint_state_write(const char *dir, const char *latest, const char *const *all,
                                    size_t nall, tsd_status *st);

/**
 * Read dir/checkpoint: *latest = model_checkpoint_path made absolute (malloc'ed),
 * *all / *nall the retained list (malloc'ed array of malloc'ed strings; may
 * be NULL). NOT_FOUND when there is no state file or the latest bundle's
 * .index is missing (a crash between bundle and state never happens the
 * other way round).
 */
tsd_code ldr_checkpoint_state_read(const char *dir, char **latest, char ***all, size_t *nall,
                                   tsd_status *st);

/* ---- writing graphs ----------------------------------------------------------- */

/**
 * Serialize every node of g (inputs and attrs as they are) as a
 * tensorflow.GraphDef with versions.producer 27. *out is malloc'ed.
 */
tsd_code ldr_graph_export(const eng_graph *g, uint8_t **out, size_t *len, tsd_status *st);

/* ---- TensorBoard event files ------------------------------------------------ */

typedef struct ldr_event_writer ldr_event_writer;

/**
 * Create dir/events.out.tfevents.<%010d seconds>.<hostname> and write its
 * first record, Event{wall_time, file_version: "brain.Event:2"}, as
 * TensorFlow's EventsWriter does. wall_time is seconds since the epoch.
 */
ldr_event_writer *ldr_event_writer_new(const char *dir, double wall_time, tsd_status *st);

/** Path of the event file. */
const char *ldr_event_writer_path(const ldr_event_writer *w);

/**
 * Append one Event at `step` with a Summary of scalars in the legacy form
 * Estimator writes (Value{tag, simple_value}).
 */
tsd_code ldr_event_writer_scalars(ldr_event_writer *w, double wall_time, int64_t step,
                                  const char *const *tags, const float *values, size_t n,
                                  tsd_status *st);

/** Append Event{step, session_log{status: CHECKPOINT, checkpoint_path}}. */
tsd_code ldr_event_writer_checkpoint(ldr_event_writer *w, double wall_time, int64_t step,
                                     const char *checkpoint_path, tsd_status *st);

/** Push what was appended to disk (write + fsync). */
tsd_code ldr_event_writer_flush(ldr_event_writer *w, tsd_status *st);

/** Flush and close. */
void ldr_event_writer_free(ldr_event_writer *w);

/**
 * Frame data as one TFRecord record (fixed64 length, masked CRC of the
 * length, data, masked CRC of the data) appended to a malloc'ed buffer
 * *out of *len bytes (realloc'ed). Returns -1 on allocation failure.
 */
int ldr_tfrecord_frame(const void *data, size_t n, uint8_t **out, size_t *len);

/* ---- TFRecord --------------------------------------------------------------- */

typedef struct ldr_tfrecord ldr_tfrecord;

/** Open a TFRecord file; gzip-compressed files are detected and inflated. */
tsd_code ldr_tfrecord_open(const char *path, ldr_tfrecord **out, tsd_status *st);

/**
 * Next record: *data valid until the next call. Returns TSD_OUT_OF_RANGE at
 * a clean end of file, DATA_LOSS on a bad CRC or a truncated record.
 * Records larger than max_len (0 = 256 MiB) are refused.
 */
tsd_code ldr_tfrecord_next(ldr_tfrecord *r, const uint8_t **data, size_t *len, size_t max_len,
                           tsd_status *st);
void ldr_tfrecord_close(ldr_tfrecord *r);

/* ---- SavedModel ------------------------------------------------------------- */

typedef struct ldr_saved_model ldr_saved_model;

/** A signature's tensor: map key, graph tensor name, declared dtype/shape. */
typedef struct ldr_tensor_info {
    const char *key;
    const char *name; /* "x:0"; NULL for sparse (coo) tensors */
    eng_dtype dtype;  /* as declared (may be wrong: trust the graph) */
    eng_shape shape;  /* rank -1 = unknown rank */
} ldr_tensor_info;

/** A SignatureDef; inputs and outputs sorted by key. */
typedef struct ldr_signature {
    const char *key;
    const char *method_name;
    size_t ninputs;
    const ldr_tensor_info *inputs;
    size_t noutputs;
    const ldr_tensor_info *outputs;
} ldr_signature;

/** A graph variable and where its value lives in the checkpoint. */
typedef struct ldr_var_binding {
    const char *node;  /* VariableV2 / VarHandleOp node name in the graph */
    const char *key;   /* bundle key */
    const char *slice; /* shape_and_slice spec ("" = whole tensor) */
} ldr_var_binding;

/** An asset: the tensor fed with its path at load time. */
typedef struct ldr_asset {
    const char *tensor;   /* "Const:0" */
    const char *filename; /* "foo.txt" */
    const char *path;     /* "<dir>/assets/foo.txt" */
} ldr_asset;

/**
 * Read <dir>/saved_model.pb (or .pbtxt is refused with a clear error) and
 * select the MetaGraphDef whose tag set equals `tags` (NULL = {"serve"}).
 */
tsd_code ldr_saved_model_open(const char *dir, const char *const *tags, int ntags,
                              ldr_saved_model **out, tsd_status *st);
void ldr_saved_model_free(ldr_saved_model *sm);

/** Export directory, TensorFlow version string, 1 if TF2 object graph. */
const char *ldr_saved_model_dir(const ldr_saved_model *sm);
const char *ldr_saved_model_tf_version(const ldr_saved_model *sm);
int ldr_saved_model_is_tf2(const ldr_saved_model *sm);

/** All tag sets in the file, each as a comma-joined string ("serve,gpu"). */
size_t ldr_saved_model_num_tag_sets(const ldr_saved_model *sm);
const char *ldr_saved_model_tag_set(const ldr_saved_model *sm, size_t i);

/** Signatures of the selected MetaGraphDef, sorted by key. */
size_t ldr_saved_model_num_signatures(const ldr_saved_model *sm);
const ldr_signature *ldr_saved_model_signature(const ldr_saved_model *sm, size_t i);
const ldr_signature *ldr_saved_model_find_signature(const ldr_saved_model *sm, const char *key);

/** Assets (from asset_file_def, else the saved_model_assets collection). */
size_t ldr_saved_model_num_assets(const ldr_saved_model *sm);
const ldr_asset *ldr_saved_model_asset(const ldr_saved_model *sm, size_t i);

/**
 * Variable bindings, found by interpreting the saver's restore subgraph
 * (TF1 RestoreV2 -> Assign/AssignVariableOp, partitioned `part_0` slices)
 * or, for TF2 object graphs, the restore function. Empty when the export
 * has no variables/ directory.
 */
size_t ldr_saved_model_num_vars(const ldr_saved_model *sm);
const ldr_var_binding *ldr_saved_model_var(const ldr_saved_model *sm, size_t i);

/** Init op node name (signature __saved_model_init_op, main_op, legacy_init_op, or NULL),
 *  plus the table_initializer collection. */
const char *ldr_saved_model_init_op(const ldr_saved_model *sm);
size_t ldr_saved_model_num_table_inits(const ldr_saved_model *sm);
const char *ldr_saved_model_table_init(const ldr_saved_model *sm, size_t i);

/** The bundle of <dir>/variables/variables, opened lazily (NULL if none). */
ldr_bundle *ldr_saved_model_bundle(ldr_saved_model *sm, tsd_status *st);

/* ---- model loading (SavedModel -> engine session + plans) --------------------- */

typedef struct ldr_model ldr_model;

/**
 * The engine host that reads files from the local file system (table
 * initializers from text files, as SavedModel assets or a trainer's
 * vocabulary files), refusing huge ones.
 */
const eng_host *ldr_file_host(void);

/** Options for ldr_model_load. */
typedef struct ldr_load_options {
    const char *const *tags; /* NULL = {"serve"} */
    int ntags;
    const char *name; /* context for messages, e.g. "model census v3" */
} ldr_load_options;

/**
 * Load a SavedModel: build the engine graph (functions inlined), restore
 * variables, substitute asset paths, run the init ops, and compile a plan
 * for every signature. Errors carry "model <name>: ..." context.
 */
tsd_code ldr_model_load(const char *dir, const ldr_load_options *opt, ldr_model **out,
                        tsd_status *st);
void ldr_model_free(ldr_model *m);

/** The SavedModel description and the engine session of a loaded model. */
const ldr_saved_model *ldr_model_saved_model(const ldr_model *m);
eng_session *ldr_model_session(ldr_model *m);

/**
 * The compiled plan of a signature: feeds are the signature inputs and
 * fetches the outputs, both in the (sorted) order of ldr_signature. NULL with
 * NOT_FOUND if the key is unknown.
 */
const eng_plan *ldr_model_plan(const ldr_model *m, const char *sig_key, tsd_status *st);

#endif
