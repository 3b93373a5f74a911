/*
 * session_int.h - engine-private session layout: the adopted graph,
 * variables (name → tensor under a rwlock), resources (lookup tables,
 * created once and published lock-free), host services and the set of
 * variables some graph node writes (which compile may not fold).
 */
#ifndef TSD_ENGINE_SESSION_INT_H
#define TSD_ENGINE_SESSION_INT_H

#include "engine/graph_int.h"
#include "engine/ops/op.h"

#include <pthread.h>
#include <stdatomic.h>

/** A variable slot. `pinned` = some plan borrows `value` as a constant. */
typedef struct eng__var {
    char *name;
    eng_tensor value;
    int bound;
    int pinned;
    int written; /* some non-restore graph node writes it */
} eng__var;

/** A resource in the session's lock-free list (append-only). */
typedef struct eng__res {
    char *key;
    eng_resource *r;
    struct eng__res *next;
} eng__res;

/** A retired variable buffer still borrowed by compiled plans. */
typedef struct eng__retired {
    void *data;
    struct eng__retired *next;
} eng__retired;

struct eng_session {
    eng_graph *g;
    char *name;
    eng_host host;
    pthread_rwlock_t var_lock;
    eng__var *vars; /* open addressing table, power-of-two size */
    size_t nvars, var_slots;
    int unknown_writer; /* a writer whose target could not be traced */
    eng__retired *retired;
    pthread_mutex_t res_lock;
    _Atomic(eng__res *) res_head;
};

/** Find a variable slot (NULL if the name was never bound nor written). */
eng__var *eng__session_var(eng_session *s, const char *name);

/** 1 if compile may treat variable `name` as a constant (bound, not written). */
int eng__session_var_foldable(eng_session *s, const char *name);

/** Borrow a foldable variable's storage for a plan (pins it); 0 on success. */
int eng__session_pin_var(eng_session *s, const char *name, eng_tensor *out);

/** 1 if op writes the variable named by its input 0 (Assign*, *Apply*, ...). */
int eng__is_writer_op(const char *op);

/**
 * Call fn with variable `name`'s current value (borrowed, valid only inside
 * fn) under the read lock; FAILED_PRECONDITION when it is unbound.
 */
tsd_code eng__session_with_var(eng_session *s, const char *name,
                               tsd_code (*fn)(const eng_tensor *v, void *ud), void *ud,
                               tsd_status *st);

/** Lock the variables for writing around a writer step (see exec.c). */
void eng__session_lock_write(eng_session *s);
void eng__session_unlock_write(eng_session *s);

#endif
