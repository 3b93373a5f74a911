/*
 * graph_int.h - engine-private graph IR: node and graph layout, the name
 * hash table, attr deep copy/free and a few tensor helpers shared by the
 * engine's own files. Not for kernels (they use op.h) nor for the loader.
 */
#ifndef TSD_ENGINE_GRAPH_INT_H
#define TSD_ENGINE_GRAPH_INT_H

#include "engine/engine.h"

/** One named attribute of a node. */
typedef struct eng__attr_entry {
    char *name;
    eng_attr v;
} eng__attr_entry;

/** A node: name, op, raw input strings and attrs sorted by name. */
struct eng_node {
    char *name;
    char *op;
    char **inputs; /* "node", "node:1", "^node" as given */
    int ninputs;
    eng__attr_entry *attrs; /* sorted by name */
    int nattrs;
    int cap_attrs;
    size_t id; /* index in the graph's node array */
};

/** A graph: nodes in insertion order plus an open-addressing name table. */
struct eng_graph {
    eng_node **nodes;
    size_t n, cap;
    size_t *slots; /* node id + 1; 0 = empty */
    size_t nslots; /* power of two */
};

/** A parsed input string. */
typedef struct eng__input_ref {
    const char *name; /* not NUL-terminated: use len */
    size_t len;
    int index;   /* output index (0 for "node" and control edges) */
    int control; /* 1 for "^node" */
} eng__input_ref;

/** Parse "node", "node:3" or "^node"; returns 0, or -1 when malformed. */
int eng__parse_input(const char *s, eng__input_ref *r);

/** Find a node by a name that is not NUL-terminated (NULL if absent). */
eng_node *eng__graph_find_n(const eng_graph *g, const char *name, size_t len);

/** String hash (FNV-1a) used by the engine's tables. */
uint64_t eng__hash(const char *s, size_t len);

/** Deep copy / free an attr value (graph-owned storage). */
tsd_code eng__attr_copy(eng_attr *dst, const eng_attr *src, tsd_status *st);
void eng__attr_free(eng_attr *a);

/** 1 for dtypes whose elements are eng_str (string, resource). */
int eng__dtype_is_str(eng_dtype dt);

/** Element count of a shape with every dim checked (>= 0, within limits). */
tsd_code eng__checked_elements(int rank, const int64_t *dims, int64_t *out, tsd_status *st);

/** Check that a tensor's nbytes and data agree with its dtype and shape. */
tsd_code eng__tensor_check(const eng_tensor *t, tsd_status *st);

#endif
