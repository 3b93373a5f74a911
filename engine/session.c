/*
 * session.c - a graph plus its state: variables (name → tensor under a
 * rwlock), per-session resources (lookup tables: created once under a
 * mutex, then found lock-free), host services, and the analysis of which
 * variables the graph writes after loading (those are never constant-
 * folded): every Assign, Apply or Scatter node counts except restore ops
 * (value from RestoreV2) and a variable's own initializer ("<var>/Assign").
 */
#include "engine/session_int.h"
#include "engine/plan_int.h"

#include <stdlib.h>
#include <string.h>

/* Set while this thread holds the variable write lock for a writer step. */
static _Thread_local int write_held;

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* ---- variable table (open addressing; caller holds the lock) ---------- */

static eng__var *var_find(eng_session *s, const char *name)
{
    if (!s->var_slots)
        return NULL;
    size_t mask = s->var_slots - 1;
    for (size_t i = (size_t)eng__hash(name, strlen(name)) & mask;; i = (i + 1) & mask) {
        if (!s->vars[i].name)
            return NULL;
        if (strcmp(s->vars[i].name, name) == 0)
            return &s->vars[i];
    }
}

static eng__var *var_insert(eng_session *s, const char *name)
{
    eng__var *v = var_find(s, name);
    if (v)
        return v;
    if ((s->nvars + 1) * 2 > s->var_slots) {
        size_t ns = s->var_slots ? s->var_slots * 2 : 16;
        eng__var *nv = calloc(ns, sizeof *nv);
        if (!nv)
            return NULL;
        for (size_t i = 0; i < s->var_slots; i++) {
            if (!s->vars[i].name)
                continue;
            size_t j = (size_t)eng__hash(s->vars[i].name, strlen(s->vars[i].name)) & (ns - 1);
            while (nv[j].name)
                j = (j + 1) & (ns - 1);
            nv[j] = s->vars[i];
        }
        free(s->vars);
        s->vars = nv;
        s->var_slots = ns;
    }
    size_t mask = s->var_slots - 1;
    size_t i = (size_t)eng__hash(name, strlen(name)) & mask;
    while (s->vars[i].name)
        i = (i + 1) & mask;
    s->vars[i].name = dup_n(name, strlen(name));
    if (!s->vars[i].name)
        return NULL;
    s->nvars++;
    return &s->vars[i];
}

eng__var *eng__session_var(eng_session *s, const char *name)
{
    return var_find(s, name);
}

/* ---- which variables does the graph write? ---------------------------- */

int eng__is_writer_op(const char *op)
{
    static const char *const prefixes[] = {
        "Assign",          "ResourceApply", "Apply",
        "ResourceScatter", "Scatter",       "ResourceSparseApply",
        "SparseApply",     "CountUpTo",     "ResourceCountUpTo",
    };
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(op, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

static int is_passthrough(const char *op)
{
    return !strcmp(op, "Identity") || !strcmp(op, "RefIdentity") || !strcmp(op, "Snapshot") ||
           !strcmp(op, "IdentityN");
}

/* Follow input string `in` through identities; returns the source node. */
static const eng_node *trace(const eng_graph *g, const char *in)
{
    for (size_t hops = 0; hops <= g->n; hops++) {
        eng__input_ref r;
        if (eng__parse_input(in, &r) || r.control)
            return NULL;
        const eng_node *n = eng__graph_find_n(g, r.name, r.len);
        if (!n)
            return NULL;
        if (!is_passthrough(n->op))
            return n;
        int k = !strcmp(n->op, "IdentityN") ? r.index : 0;
        int data = 0;
        const char *next = NULL;
        for (int i = 0; i < n->ninputs; i++) {
            if (n->inputs[i][0] == '^')
                continue;
            if (data++ == k) {
                next = n->inputs[i];
                break;
            }
        }
        if (!next)
            return NULL;
        in = next;
    }
    return NULL;
}

static int is_var_op(const char *op)
{
    return !strcmp(op, "VariableV2") || !strcmp(op, "Variable") || !strcmp(op, "VarHandleOp") ||
           !strcmp(op, "TemporaryVariable");
}

static int is_restore_op(const char *op)
{
    return !strcmp(op, "RestoreV2") || !strcmp(op, "Restore") || !strcmp(op, "RestoreSlice");
}

/*
 * The variable's own initializer ("<var>/Assign", what
 * global_variables_initializer runs). A loaded model restores its variables
 * instead, or runs initializers only as init ops before plans are compiled,
 * so it does not make the variable mutable for serving.
 */
static int is_initializer(const eng_node *w, const eng_node *var)
{
    size_t vl = strlen(var->name);
    return (!strcmp(w->op, "Assign") || !strcmp(w->op, "AssignVariableOp")) &&
           strncmp(w->name, var->name, vl) == 0 && !strcmp(w->name + vl, "/Assign");
}

/*
 * How many leading inputs an optimizer update writes: the variable and its
 * slots (accumulator, linear; m, v). Other writers write input 0 only.
 */
static int written_inputs(const char *op)
{
    if (strstr(op, "ApplyFtrl") || strstr(op, "ApplyAdam") || strstr(op, "ApplyAdadelta"))
        return 3;
    if (strstr(op, "ApplyAdagrad") || strstr(op, "ApplyMomentum") || strstr(op, "ApplyRMSProp"))
        return 2;
    return 1;
}

static int analyse_writers(eng_session *s)
{
    const eng_graph *g = s->g;
    for (size_t i = 0; i < g->n; i++) {
        const eng_node *n = g->nodes[i];
        if (!eng__is_writer_op(n->op) || n->ninputs < 1 || n->inputs[0][0] == '^')
            continue;
        if (n->ninputs >= 2 && n->inputs[1][0] != '^') {
            const eng_node *src = trace(g, n->inputs[1]);
            if (src && is_restore_op(src->op))
                continue;
        }
        int nw = written_inputs(n->op);
        for (int k = 0; k < nw && k < n->ninputs && n->inputs[k][0] != '^'; k++) {
            const eng_node *var = trace(g, n->inputs[k]);
            if (!var || !is_var_op(var->op)) {
                s->unknown_writer = 1;
                continue;
            }
            if (is_initializer(n, var))
                continue;
            eng__var *v = var_insert(s, var->name);
            if (!v)
                return -1;
            v->written = 1;
        }
    }
    return 0;
}

/* ---- sessions ----------------------------------------------------------- */

eng_session *eng_session_new(eng_graph *g, const char *name, const eng_host *host, tsd_status *st)
{
    if (!g) {
        tsd_err(st, TSD_INVALID_ARGUMENT, "session: no graph");
        return NULL;
    }
    eng_session *s = calloc(1, sizeof *s);
    if (!s) {
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory creating a session");
        return NULL;
    }
    const char *nm = name ? name : "";
    s->name = dup_n(nm, strlen(nm));
    if (host)
        s->host = *host;
    pthread_rwlock_init(&s->var_lock, NULL);
    pthread_mutex_init(&s->res_lock, NULL);
    atomic_init(&s->res_head, NULL);
    s->g = g;
    if (!s->name || analyse_writers(s)) {
        s->g = NULL;
        eng_session_free(s);
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory creating a session");
        return NULL;
    }
    return s;
}

void eng_session_free(eng_session *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->var_slots; i++) {
        free(s->vars[i].name);
        eng_tensor_free_data(&s->vars[i].value);
    }
    free(s->vars);
    for (eng__retired *r = s->retired, *nx; r; r = nx) {
        nx = r->next;
        free(r->data);
        free(r);
    }
    for (eng__res *r = atomic_load(&s->res_head), *nx; r; r = nx) {
        nx = r->next;
        if (r->r && r->r->free)
            r->r->free(r->r);
        free(r->key);
        free(r);
    }
    pthread_rwlock_destroy(&s->var_lock);
    pthread_mutex_destroy(&s->res_lock);
    eng_graph_free(s->g);
    free(s->name);
    free(s);
}

/* Replace a slot's value, keeping the old buffer alive if plans borrow it. */
static void replace_value(eng_session *s, eng__var *v, const eng_tensor *nv)
{
    if (v->bound && v->value.data) {
        eng__retired *r = v->pinned ? malloc(sizeof *r) : NULL;
        if (r) {
            r->data = v->value.data;
            r->next = s->retired;
            s->retired = r;
        } else if (!v->pinned) {
            free(v->value.data);
        }
        /* a pinned buffer whose retire record cannot be allocated leaks */
    }
    v->value = *nv;
    v->bound = 1;
    v->pinned = 0;
}

tsd_code eng_session_set_variable(eng_session *s, const char *var_node, eng_tensor *value,
                                  tsd_status *st)
{
    if (!s || !var_node || !value)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "set variable: missing argument");
    if (eng__tensor_check(value, st))
        return tsd_status_prefix(st, "model %s: variable '%s'", s->name, var_node);
    pthread_rwlock_wrlock(&s->var_lock);
    eng__var *v = var_insert(s, var_node);
    if (!v) {
        pthread_rwlock_unlock(&s->var_lock);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory binding variable");
    }
    replace_value(s, v, value);
    pthread_rwlock_unlock(&s->var_lock);
    value->data = NULL;
    value->nbytes = 0;
    return TSD_OK;
}

tsd_code eng_session_get_variable(eng_session *s, const char *var_node, eng_tensor *out,
                                  tsd_status *st)
{
    if (!s || !var_node || !out)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "get variable: missing argument");
    pthread_rwlock_rdlock(&s->var_lock);
    eng__var *v = var_find(s, var_node);
    tsd_code rc;
    if (!v || !v->bound)
        rc = tsd_err(st, TSD_FAILED_PRECONDITION,
                     "model %s: Attempting to use uninitialized value %s", s->name, var_node);
    else
        rc = eng_tensor_copy(out, &v->value, st);
    pthread_rwlock_unlock(&s->var_lock);
    return rc;
}

int eng__session_var_foldable(eng_session *s, const char *name)
{
    pthread_rwlock_rdlock(&s->var_lock);
    eng__var *v = var_find(s, name);
    int ok = !s->unknown_writer && v && v->bound && !v->written;
    pthread_rwlock_unlock(&s->var_lock);
    return ok;
}

int eng__session_pin_var(eng_session *s, const char *name, eng_tensor *out)
{
    pthread_rwlock_wrlock(&s->var_lock);
    eng__var *v = var_find(s, name);
    int rc = -1;
    if (!s->unknown_writer && v && v->bound && !v->written) {
        v->pinned = 1;
        *out = v->value;
        rc = 0;
    }
    pthread_rwlock_unlock(&s->var_lock);
    return rc;
}

tsd_code eng__session_with_var(eng_session *s, const char *name,
                               tsd_code (*fn)(const eng_tensor *v, void *ud), void *ud,
                               tsd_status *st)
{
    if (!write_held)
        pthread_rwlock_rdlock(&s->var_lock);
    eng__var *v = var_find(s, name);
    tsd_code rc = !v || !v->bound ? tsd_err(st, TSD_FAILED_PRECONDITION,
                                            "Attempting to use uninitialized value %s", name)
                                  : fn(&v->value, ud);
    if (!write_held)
        pthread_rwlock_unlock(&s->var_lock);
    return rc;
}

void eng__session_lock_write(eng_session *s)
{
    pthread_rwlock_wrlock(&s->var_lock);
    write_held = 1;
}

void eng__session_unlock_write(eng_session *s)
{
    write_held = 0;
    pthread_rwlock_unlock(&s->var_lock);
}

/* ---- kernel access to state ------------------------------------------- */

tsd_code eng_kctx_read_var(eng_kctx *ctx, const char *var, eng_tensor *out)
{
    eng_session *s = ctx->sess;
    eng__kimpl *im = ctx->impl;
    if (!s)
        return tsd_err(ctx->st, TSD_INTERNAL, "no session for variable '%s'", var);
    if (!write_held)
        pthread_rwlock_rdlock(&s->var_lock);
    eng__var *v = var_find(s, var);
    tsd_code rc = TSD_OK;
    if (!v || !v->bound) {
        rc = tsd_err(ctx->st, TSD_FAILED_PRECONDITION, "Attempting to use uninitialized value %s",
                     var);
        goto out;
    }
    *out = v->value;
    size_t total = v->value.nbytes;
    int64_t n = eng_tensor_num_elements(&v->value);
    int str = eng__dtype_is_str(v->value.dtype);
    if (str) {
        const eng_str *src = v->value.data;
        for (int64_t i = 0; i < n; i++)
            total += src[i].len;
    }
    char *p = eng__call_bump(im->call, total, 64, ctx->st);
    if (!p) {
        rc = ctx->st->code;
        goto out;
    }
    if (str) {
        const eng_str *src = v->value.data;
        eng_str *d = (eng_str *)p;
        char *bytes = p + v->value.nbytes;
        for (int64_t i = 0; i < n; i++) {
            if (src[i].len)
                memcpy(bytes, src[i].ptr, src[i].len);
            d[i].ptr = bytes;
            d[i].len = src[i].len;
            bytes += src[i].len;
        }
    } else if (total) {
        memcpy(p, v->value.data, total);
    }
    out->data = p;
out:
    if (!write_held)
        pthread_rwlock_unlock(&s->var_lock);
    return rc;
}

/* dst += src element-wise for numeric dtypes; -1 if the dtype can't add. */
static int add_into(eng_tensor *dst, const eng_tensor *src)
{
    int64_t n = eng_tensor_num_elements(dst);
    switch (dst->dtype) {
#define ADD_CASE(DT, T)                                                                            \
    case DT: {                                                                                     \
        T *d = dst->data;                                                                          \
        const T *a = src->data;                                                                    \
        for (int64_t i = 0; i < n; i++)                                                            \
            d[i] = (T)(d[i] + a[i]);                                                               \
        return 0;                                                                                  \
    }
        ADD_CASE(ENG_DT_FLOAT, float)
        ADD_CASE(ENG_DT_DOUBLE, double)
        ADD_CASE(ENG_DT_INT32, int32_t)
        ADD_CASE(ENG_DT_INT64, int64_t)
        ADD_CASE(ENG_DT_INT16, int16_t)
        ADD_CASE(ENG_DT_INT8, int8_t)
        ADD_CASE(ENG_DT_UINT8, uint8_t)
#undef ADD_CASE
    default:
        return -1;
    }
}

static int same_shape(const eng_tensor *a, const eng_tensor *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return 0;
    return 1;
}

tsd_code eng_kctx_var_mut(eng_kctx *ctx, const char *var, eng_tensor **out)
{
    eng_session *s = ctx->sess;
    if (!s)
        return tsd_err(ctx->st, TSD_INTERNAL, "no session for variable '%s'", var);
    if (!write_held)
        return tsd_err(ctx->st, TSD_INTERNAL, "variable '%s' updated outside a writer step", var);
    eng__var *v = var_find(s, var);
    if (!v || !v->bound)
        return tsd_err(ctx->st, TSD_FAILED_PRECONDITION, "Attempting to use uninitialized value %s",
                       var);
    *out = &v->value;
    return TSD_OK;
}

tsd_code eng_kctx_write_var(eng_kctx *ctx, const char *var, const eng_tensor *val, int add)
{
    eng_session *s = ctx->sess;
    if (!s)
        return tsd_err(ctx->st, TSD_INTERNAL, "no session for variable '%s'", var);
    if (eng__tensor_check(val, ctx->st))
        return ctx->st->code;
    if (!write_held)
        pthread_rwlock_wrlock(&s->var_lock);
    tsd_code rc = TSD_OK;
    eng__var *v = var_insert(s, var);
    if (!v) {
        rc = tsd_err(ctx->st, TSD_RESOURCE_EXHAUSTED, "out of memory binding variable");
        goto out;
    }
    if (add) {
        if (!v->bound) {
            rc = tsd_err(ctx->st, TSD_FAILED_PRECONDITION,
                         "Attempting to use uninitialized value %s", var);
            goto out;
        }
        if (v->value.dtype != val->dtype || !same_shape(&v->value, val)) {
            char a[64], b[64];
            rc = tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                         "cannot add %s %s to variable '%s' of %s %s", eng_dtype_name(val->dtype),
                         eng_shape_str(val->dims, val->rank, a, sizeof a), var,
                         eng_dtype_name(v->value.dtype),
                         eng_shape_str(v->value.dims, v->value.rank, b, sizeof b));
            goto out;
        }
        if (v->pinned) {
            eng_tensor nv;
            if (eng_tensor_copy(&nv, &v->value, ctx->st)) {
                rc = ctx->st->code;
                goto out;
            }
            replace_value(s, v, &nv);
        }
        if (add_into(&v->value, val))
            rc = tsd_err(ctx->st, TSD_INVALID_ARGUMENT, "cannot add to a variable of dtype %s",
                         eng_dtype_name(val->dtype));
        goto out;
    }
    if (v->bound && v->value.dtype != val->dtype) {
        rc = tsd_err(ctx->st, TSD_INVALID_ARGUMENT,
                     "cannot assign a %s value to variable '%s' of dtype %s",
                     eng_dtype_name(val->dtype), var, eng_dtype_name(v->value.dtype));
        goto out;
    }
    if (v->bound && !v->pinned && !eng__dtype_is_str(val->dtype) &&
        v->value.nbytes == val->nbytes && v->value.data) {
        if (val->nbytes)
            memcpy(v->value.data, val->data, val->nbytes);
        v->value.rank = val->rank;
        memcpy(v->value.dims, val->dims, sizeof v->value.dims);
        goto out;
    }
    eng_tensor nv;
    if (eng_tensor_copy(&nv, val, ctx->st)) {
        rc = ctx->st->code;
        goto out;
    }
    replace_value(s, v, &nv);
out:
    if (!write_held)
        pthread_rwlock_unlock(&s->var_lock);
    return rc;
}

static eng__res *res_find(eng_session *s, const char *key)
{
    for (eng__res *r = atomic_load_explicit(&s->res_head, memory_order_acquire); r; r = r->next)
        if (strcmp(r->key, key) == 0)
            return r;
    return NULL;
}

tsd_code eng_kctx_resource(eng_kctx *ctx, const char *key, eng_resource *(*create)(void),
                           eng_resource **out)
{
    eng_session *s = ctx->sess;
    if (!s)
        return tsd_err(ctx->st, TSD_INTERNAL, "no session for resource '%s'", key);
    eng__res *r = res_find(s, key);
    if (r) {
        *out = r->r;
        return TSD_OK;
    }
    if (!create)
        return tsd_err(ctx->st, TSD_NOT_FOUND, "resource '%s' does not exist", key);
    pthread_mutex_lock(&s->res_lock);
    r = res_find(s, key);
    if (!r) {
        r = calloc(1, sizeof *r);
        if (r) {
            r->key = dup_n(key, strlen(key));
            r->r = r->key ? create() : NULL;
        }
        if (!r || !r->r) {
            if (r)
                free(r->key);
            free(r);
            pthread_mutex_unlock(&s->res_lock);
            return tsd_err(ctx->st, TSD_RESOURCE_EXHAUSTED, "cannot create resource '%s'", key);
        }
        r->next = atomic_load_explicit(&s->res_head, memory_order_relaxed);
        atomic_store_explicit(&s->res_head, r, memory_order_release);
    }
    pthread_mutex_unlock(&s->res_lock);
    *out = r->r;
    return TSD_OK;
}

tsd_code eng_kctx_read_file(eng_kctx *ctx, const char *path, char **data, size_t *len)
{
    eng_session *s = ctx->sess;
    if (!s || !s->host.read_file)
        return tsd_err(ctx->st, TSD_UNIMPLEMENTED, "no host file reader to read '%s'", path);
    return s->host.read_file(s->host.ud, path, data, len, ctx->st);
}
