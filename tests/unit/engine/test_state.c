/*
 * test_state.c - state ops: the counter model of models.md §3.4 rebuilt by
 * hand (get → 0, incr → 1, reset → 0, incr → 1, incr_by(3) → 4), resource
 * variables, uninitialised-variable errors, ResourceGather, and lookup
 * tables filled by InitializeTableV2 and InitializeTableFromTextFileV2
 * (through a host read_file callback).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "core_helpers.h"

/* Bind a float scalar variable. */
static void bind_scalar(eng_session *s, const char *name, float v)
{
    tsd_status st = TSD_STATUS_INIT;
    eng_tensor t;
    assert_int_equal(eng_tensor_alloc(&t, ENG_DT_FLOAT, 0, NULL, &st), TSD_OK);
    *(float *)t.data = v;
    assert_int_equal(eng_session_set_variable(s, name, &t, &st), TSD_OK);
}

/* Run a no-feed/one-feed plan fetching a float scalar. */
static float run_scalar(eng_plan *p, eng_call *c, const eng_tensor *feed)
{
    tsd_status st = TSD_STATUS_INIT;
    eng_tensor out;
    tsd_code rc = eng_plan_run(p, c, feed, &out, &st);
    if (rc)
        fail_msg("run failed: %s", st.msg);
    assert_int_equal(out.dtype, ENG_DT_FLOAT);
    assert_int_equal(out.rank, 0);
    return *(const float *)out.data;
}

static void test_counter(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    eng_node *v = h_node(g, "counter", "VariableV2", NULL);
    h_attr(g, v, "dtype", eng_test_attr_type(ENG_DT_FLOAT));
    h_attr(g, v, "shape", eng_test_attr_shape(0, NULL));
    h_scalarf(g, "incr_counter_op/value", 1.0f);
    h_bin(g, "incr_counter_op/AssignAdd", "AssignAdd", "counter", "incr_counter_op/value");
    h_ph(g, "delta", ENG_DT_FLOAT, -1, NULL);
    h_bin(g, "incr_counter_by_op/AssignAdd", "AssignAdd", "counter", "delta");
    h_scalarf(g, "reset_counter_op/value", 0.0f);
    h_bin(g, "reset_counter_op/Assign", "Assign", "counter", "reset_counter_op/value");
    /* The variable's initializer: not a serving writer, but the ops above are. */
    h_scalarf(g, "counter/Initializer/zeros", 0.0f);
    h_bin(g, "counter/Assign", "Assign", "counter", "counter/Initializer/zeros");
    eng_session *s = eng_session_new(g, "counter", NULL, &st);
    assert_non_null(s);
    bind_scalar(s, "counter", 0.0f);

    /* Compile all signatures up front, as the loader does. */
    const char *fget[] = {"counter:0"}, *fincr[] = {"incr_counter_op/AssignAdd:0"},
               *fby[] = {"incr_counter_by_op/AssignAdd:0"},
               *freset[] = {"reset_counter_op/Assign:0"}, *feed[] = {"delta:0"};
    eng_plan *get = h_compile(s, NULL, 0, fget, 1, NULL, 0, &st);
    eng_plan *incr = h_compile(s, NULL, 0, fincr, 1, NULL, 0, &st);
    eng_plan *by = h_compile(s, feed, 1, fby, 1, NULL, 0, &st);
    eng_plan *reset = h_compile(s, NULL, 0, freset, 1, NULL, 0, &st);
    assert_non_null(get);
    assert_non_null(incr);
    assert_non_null(by);
    assert_non_null(reset);
    assert_int_equal(eng_plan_fetch_dtype(get, 0), ENG_DT_FLOAT);
    assert_int_equal(eng_plan_fetch_dtype(incr, 0), ENG_DT_FLOAT);
    eng_call *c = eng_call_new();
    float three = 3.0f;
    eng_tensor d = h_tf(&three, 0, NULL);
    assert_true(run_scalar(get, c, NULL) == 0.0f);
    assert_true(run_scalar(incr, c, NULL) == 1.0f);
    assert_true(run_scalar(reset, c, NULL) == 0.0f);
    assert_true(run_scalar(incr, c, NULL) == 1.0f);
    assert_true(run_scalar(by, c, &d) == 4.0f);
    /* The variable is not folded into the get plan: it sees the updates. */
    assert_true(run_scalar(get, c, NULL) == 4.0f);
    eng_tensor cur;
    assert_int_equal(eng_session_get_variable(s, "counter", &cur, &st), TSD_OK);
    assert_true(*(float *)cur.data == 4.0f);
    eng_tensor_free_data(&cur);
    /* incr_by with a mismatched shape is an error, not a crash. */
    float two[2] = {1, 2};
    int64_t d2[1] = {2};
    eng_tensor bad = h_tf(two, 1, d2);
    eng_tensor out;
    assert_int_equal(eng_plan_run(by, c, &bad, &out, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "node 'incr_counter_by_op/AssignAdd'"));
    eng_plan_free(get);
    eng_plan_free(incr);
    eng_plan_free(by);
    eng_plan_free(reset);
    eng_call_free(c);
    eng_session_free(s);
}

typedef struct incr_worker {
    const eng_plan *incr;
    int n, errors;
} incr_worker;

static void *incr_main(void *arg)
{
    incr_worker *w = arg;
    eng_call *c = eng_call_new();
    tsd_status st = TSD_STATUS_INIT;
    eng_tensor out;
    float last = 0.0f;
    for (int i = 0; i < w->n; i++) {
        if (eng_plan_run(w->incr, c, NULL, &out, &st)) {
            w->errors++;
            continue;
        }
        float v = *(float *)out.data;
        if (v <= last) /* each increment returns a fresh, larger value */
            w->errors++;
        last = v;
    }
    eng_call_free(c);
    return NULL;
}

/* AssignAdd from 4 threads: every increment lands exactly once. */
static void test_concurrent_increments(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    eng_node *v = h_node(g, "counter", "VariableV2", NULL);
    h_attr(g, v, "dtype", eng_test_attr_type(ENG_DT_FLOAT));
    h_attr(g, v, "shape", eng_test_attr_shape(0, NULL));
    h_scalarf(g, "one", 1.0f);
    h_bin(g, "incr", "AssignAdd", "counter", "one");
    eng_session *s = eng_session_new(g, "counter", NULL, &st);
    bind_scalar(s, "counter", 0.0f);
    const char *f[] = {"incr:0"};
    eng_plan *p = h_compile(s, NULL, 0, f, 1, NULL, 0, &st);
    assert_non_null(p);
    pthread_t th[4];
    incr_worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (incr_worker){p, 250, 0};
        assert_int_equal(pthread_create(&th[i], NULL, incr_main, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].errors, 0);
    }
    eng_tensor cur;
    assert_int_equal(eng_session_get_variable(s, "counter", &cur, &st), TSD_OK);
    assert_true(*(float *)cur.data == 1000.0f);
    eng_tensor_free_data(&cur);
    eng_plan_free(p);
    eng_session_free(s);
}

static void test_uninitialized_and_init(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    eng_node *v = h_node(g, "v", "VariableV2", NULL);
    h_attr(g, v, "dtype", eng_test_attr_type(ENG_DT_FLOAT));
    h_attr(g, v, "shape", eng_test_attr_shape(0, NULL));
    h_scalarf(g, "init_value", 5.0f);
    h_bin(g, "v/Assign", "Assign", "v", "init_value");
    h_node(g, "init", "NoOp", "^v/Assign", NULL);
    h_un(g, "read", "Identity", "v");
    eng_session *s = eng_session_new(g, "m", NULL, &st);
    const char *fetch[] = {"read:0"}, *tgt[] = {"init"};
    eng_plan *p = h_compile(s, NULL, 0, fetch, 1, NULL, 0, &st);
    assert_non_null(p);
    eng_call *c = eng_call_new();
    eng_tensor out;
    assert_int_equal(eng_plan_run(p, c, NULL, &out, &st), TSD_FAILED_PRECONDITION);
    assert_string_equal(st.msg, "model m: node 'v': Attempting to use uninitialized value v");
    assert_int_equal(eng_session_get_variable(s, "v", &out, &st), TSD_FAILED_PRECONDITION);
    /* The init op assigns the unbound variable without reading it. */
    eng_plan_spec init = {NULL, 0, NULL, 0, tgt, 1};
    assert_int_equal(eng_session_run(s, &init, NULL, &st), TSD_OK);
    assert_true(run_scalar(p, c, NULL) == 5.0f);
    eng_plan_free(p);
    eng_call_free(c);
    eng_session_free(s);
}

static void test_resource_variables(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    eng_node *h = h_node(g, "w", "VarHandleOp", NULL);
    h_attr(g, h, "dtype", eng_test_attr_type(ENG_DT_FLOAT));
    h_attr(g, h, "shape", eng_test_attr_shape(0, NULL));
    eng_node *r = h_node(g, "w/Read", "ReadVariableOp", "w", NULL);
    h_attr(g, r, "dtype", eng_test_attr_type(ENG_DT_FLOAT));
    h_scalarf(g, "two", 2.0f);
    h_node(g, "w/AddTwo", "AssignAddVariableOp", "w", "two", NULL);
    h_node(g, "w/SubTwo", "AssignSubVariableOp", "w", "two", NULL);
    h_node(g, "w/Set", "AssignVariableOp", "w", "two", NULL);
    h_node(g, "w/IsInit", "VarIsInitializedOp", "w", NULL);
    eng_session *s = eng_session_new(g, "m", NULL, &st);
    const char *fr[] = {"w/Read:0"}, *fi[] = {"w/IsInit:0"};
    const char *tadd[] = {"w/AddTwo"}, *tsub[] = {"w/SubTwo"}, *tset[] = {"w/Set"};
    eng_plan *read = h_compile(s, NULL, 0, fr, 1, NULL, 0, &st);
    eng_plan *isinit = h_compile(s, NULL, 0, fi, 1, NULL, 0, &st);
    assert_non_null(read);
    assert_non_null(isinit);
    eng_call *c = eng_call_new();
    eng_tensor out;
    assert_int_equal(eng_plan_run(isinit, c, NULL, &out, &st), TSD_OK);
    assert_int_equal(*(uint8_t *)out.data, 0);
    assert_int_equal(eng_plan_run(read, c, NULL, &out, &st), TSD_FAILED_PRECONDITION);
    assert_non_null(strstr(st.msg, "uninitialized value w"));
    eng_plan_spec set = {NULL, 0, NULL, 0, tset, 1}, add = {NULL, 0, NULL, 0, tadd, 1},
                  sub = {NULL, 0, NULL, 0, tsub, 1};
    assert_int_equal(eng_session_run(s, &set, NULL, &st), TSD_OK);
    assert_int_equal(eng_plan_run(isinit, c, NULL, &out, &st), TSD_OK);
    assert_int_equal(*(uint8_t *)out.data, 1);
    assert_true(run_scalar(read, c, NULL) == 2.0f);
    assert_int_equal(eng_session_run(s, &add, NULL, &st), TSD_OK);
    assert_int_equal(eng_session_run(s, &add, NULL, &st), TSD_OK);
    assert_true(run_scalar(read, c, NULL) == 6.0f);
    assert_int_equal(eng_session_run(s, &sub, NULL, &st), TSD_OK);
    assert_true(run_scalar(read, c, NULL) == 4.0f);
    eng_plan_free(read);
    eng_plan_free(isinit);
    eng_call_free(c);
    eng_session_free(s);
}

static void test_folded_variable_and_gather(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    eng_node *h = h_node(g, "emb", "VarHandleOp", NULL);
    h_attr(g, h, "dtype", eng_test_attr_type(ENG_DT_FLOAT));
    eng_node *r = h_node(g, "emb/Read", "ReadVariableOp", "emb", NULL);
    h_attr(g, r, "dtype", eng_test_attr_type(ENG_DT_FLOAT));
    h_un(g, "emb/Id", "Identity", "emb/Read");
    int64_t idd[1] = {-1};
    h_ph(g, "ids", ENG_DT_INT64, 1, idd);
    eng_node *ga = h_node(g, "gather", "ResourceGather", "emb", "ids", NULL);
    h_attr(g, ga, "dtype", eng_test_attr_type(ENG_DT_FLOAT));
    eng_session *s = eng_session_new(g, "m", NULL, &st);
    eng_tensor t;
    int64_t dims[2] = {3, 2};
    assert_int_equal(eng_tensor_alloc(&t, ENG_DT_FLOAT, 2, dims, &st), TSD_OK);
    for (int i = 0; i < 6; i++)
        ((float *)t.data)[i] = (float)(10 * (i / 2) + i % 2);
    assert_int_equal(eng_session_set_variable(s, "emb", &t, &st), TSD_OK);
    /* Nothing writes emb: the read folds into a constant (no steps). */
    const char *fid[] = {"emb/Id:0"};
    eng_plan *p = h_compile(s, NULL, 0, fid, 1, NULL, 0, &st);
    assert_non_null(p);
    assert_int_equal(eng_plan_num_steps(p), 0);
    eng_shape sh = eng_plan_fetch_shape(p, 0);
    assert_int_equal(sh.rank, 2);
    assert_int_equal(sh.dims[0], 3);
    eng_call *c = eng_call_new();
    eng_tensor out;
    assert_int_equal(eng_plan_run(p, c, NULL, &out, &st), TSD_OK);
    assert_true(((float *)out.data)[5] == 21.0f);
    eng_plan_free(p);
    /* ResourceGather rows 2, 0, 2. */
    const char *feed[] = {"ids:0"}, *fg[] = {"gather:0"};
    p = h_compile(s, feed, 1, fg, 1, NULL, 0, &st);
    assert_non_null(p);
    int64_t ids[3] = {2, 0, 2}, n3[1] = {3};
    eng_tensor fi = eng_test_tensor(ENG_DT_INT64, 1, n3, ids);
    assert_int_equal(eng_plan_run(p, c, &fi, &out, &st), TSD_OK);
    assert_int_equal(out.rank, 2);
    assert_int_equal(out.dims[0], 3);
    assert_int_equal(out.dims[1], 2);
    const float expect[6] = {20, 21, 0, 1, 20, 21};
    assert_memory_equal(out.data, expect, sizeof expect);
    ids[1] = 3; /* out of range */
    assert_int_equal(eng_plan_run(p, c, &fi, &out, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "node 'gather'"));
    eng_plan_free(p);
    eng_call_free(c);
    eng_session_free(s);
}

/* ---- lookup tables ---- */

typedef struct files {
    const char *path[3];
    const char *data[3];
} files;

static tsd_code read_file(void *ud, const char *path, char **data, size_t *len, tsd_status *st)
{
    const files *f = ud;
    for (int i = 0; i < 3; i++)
        if (f->path[i] && !strcmp(path, f->path[i])) {
            *len = strlen(f->data[i]);
            *data = malloc(*len + 1);
            memcpy(*data, f->data[i], *len + 1);
            return TSD_OK;
        }
    return tsd_err(st, TSD_NOT_FOUND, "no file %s", path);
}

static eng_node *h_str_const(eng_graph *g, const char *name, const char *const *v, int n)
{
    eng_str s[8];
    for (int i = 0; i < (n < 0 ? 1 : n); i++) {
        s[i].ptr = v[i];
        s[i].len = strlen(v[i]);
    }
    int64_t d[1] = {n};
    eng_tensor t = eng_test_tensor(ENG_DT_STRING, n < 0 ? 0 : 1, d, s);
    eng_node *c = h_node(g, name, "Const", NULL);
    h_attr(g, c, "dtype", eng_test_attr_type(ENG_DT_STRING));
    h_attr(g, c, "value", eng_test_attr_tensor(&t));
    return c;
}

static eng_node *h_i64_const(eng_graph *g, const char *name, const int64_t *v, int rank, int n)
{
    int64_t d[1] = {n};
    eng_tensor t = eng_test_tensor(ENG_DT_INT64, rank, d, (void *)v);
    eng_node *c = h_node(g, name, "Const", NULL);
    h_attr(g, c, "dtype", eng_test_attr_type(ENG_DT_INT64));
    h_attr(g, c, "value", eng_test_attr_tensor(&t));
    return c;
}

static void add_table(eng_graph *g, const char *name, const char *shared)
{
    eng_node *t = h_node(g, name, "HashTableV2", NULL);
    h_attr(g, t, "key_dtype", eng_test_attr_type(ENG_DT_STRING));
    h_attr(g, t, "value_dtype", eng_test_attr_type(ENG_DT_INT64));
    h_attr(g, t, "shared_name", eng_test_attr_string(shared));
}

static void add_find(eng_graph *g, const char *name, const char *table, const char *keys)
{
    static const int64_t minus1 = -1;
    char dname[128];
    snprintf(dname, sizeof dname, "%s/default", name);
    h_i64_const(g, dname, &minus1, 0, 1);
    eng_node *f = h_node(g, name, "LookupTableFindV2", table, keys, dname, NULL);
    h_attr(g, f, "Tin", eng_test_attr_type(ENG_DT_STRING));
    h_attr(g, f, "Tout", eng_test_attr_type(ENG_DT_INT64));
}

/* Look up 4 keys through plan p (feed "q:0" → fetch). */
static void lookup4(eng_plan *p, eng_call *c, const char *const *keys, const int64_t *expect)
{
    tsd_status st = TSD_STATUS_INIT;
    eng_str s[4];
    for (int i = 0; i < 4; i++) {
        s[i].ptr = keys[i];
        s[i].len = strlen(keys[i]);
    }
    int64_t d[1] = {4};
    eng_tensor q = eng_test_tensor(ENG_DT_STRING, 1, d, s), out;
    if (eng_plan_run(p, c, &q, &out, &st))
        fail_msg("lookup failed: %s", st.msg);
    assert_int_equal(out.dtype, ENG_DT_INT64);
    assert_int_equal(out.dims[0], 4);
    assert_memory_equal(out.data, expect, 4 * sizeof(int64_t));
}

static void test_table_from_tensors(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    add_table(g, "table", "vocab_a");
    add_table(g, "table_again", "vocab_a"); /* same shared_name → same table */
    const char *keys[] = {"Bachelors", "Masters", "Doctorate"};
    const int64_t vals[] = {0, 1, 2};
    h_str_const(g, "keys", keys, 3);
    h_i64_const(g, "vals", vals, 1, 3);
    h_node(g, "table_init", "InitializeTableV2", "table", "keys", "vals", NULL);
    int64_t qd[1] = {-1};
    h_ph(g, "q", ENG_DT_STRING, 1, qd);
    add_find(g, "find", "table_again", "q");
    h_node(g, "size", "LookupTableSizeV2", "table", NULL);
    eng_session *s = eng_session_new(g, "census", NULL, &st);
    const char *feed[] = {"q:0"}, *ff[] = {"find:0"}, *fs[] = {"size:0"}, *tinit[] = {"table_init"};
    eng_plan *find = h_compile(s, feed, 1, ff, 1, NULL, 0, &st);
    eng_plan *size = h_compile(s, NULL, 0, fs, 1, NULL, 0, &st);
    assert_non_null(find);
    assert_non_null(size);
    eng_call *c = eng_call_new();
    /* Before init: lookups fail cleanly, size is 0. */
    const char *q[] = {"Masters", "HS-grad", "Bachelors", "Doctorate"};
    eng_str s4[4] = {{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}};
    int64_t d4[1] = {4};
    eng_tensor qt = eng_test_tensor(ENG_DT_STRING, 1, d4, s4), out;
    assert_int_equal(eng_plan_run(find, c, &qt, &out, &st), TSD_FAILED_PRECONDITION);
    assert_non_null(strstr(st.msg, "Table not initialized"));
    assert_int_equal(eng_plan_run(size, c, NULL, &out, &st), TSD_OK);
    assert_int_equal(*(int64_t *)out.data, 0);
    eng_plan_spec init = {NULL, 0, NULL, 0, tinit, 1};
    assert_int_equal(eng_session_run(s, &init, NULL, &st), TSD_OK);
    assert_int_equal(eng_session_run(s, &init, NULL, &st), TSD_OK); /* idempotent */
    const int64_t expect[4] = {1, -1, 0, 2};
    lookup4(find, c, q, expect);
    assert_int_equal(eng_plan_run(size, c, NULL, &out, &st), TSD_OK);
    assert_int_equal(*(int64_t *)out.data, 3);
    /* wrong key dtype */
    int64_t ik[4] = {1, 2, 3, 4};
    eng_tensor bad = eng_test_tensor(ENG_DT_INT64, 1, d4, ik);
    assert_int_equal(eng_plan_run(find, c, &bad, &out, &st), TSD_INVALID_ARGUMENT);
    eng_plan_free(find);
    eng_plan_free(size);
    eng_call_free(c);
    eng_session_free(s);
}

static void test_table_from_text_file(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    files f = {{"/assets/vocab.txt", "/assets/cols.tsv", "/assets/holes.txt"},
               {"apple\nbanana\r\ncherry\ndate", "a\t10\tx\nb\t20\ty\nc\t30\tz\n", "a\n\nb\n"}};
    eng_host host = {&f, read_file};
    eng_graph *g = eng_graph_new();
    const char *p1[] = {"/assets/vocab.txt"}, *p2[] = {"/assets/cols.tsv"};
    h_str_const(g, "path1", p1, -1);
    h_str_const(g, "path2", p2, -1);
    add_table(g, "t1", "t1");
    add_table(g, "t2", "t2");
    add_table(g, "t3", "t3");
    eng_node *i1 = h_node(g, "init1", "InitializeTableFromTextFileV2", "t1", "path1", NULL);
    h_attr(g, i1, "key_index", eng_test_attr_int(-2));
    h_attr(g, i1, "value_index", eng_test_attr_int(-1));
    h_attr(g, i1, "vocab_size", eng_test_attr_int(-1));
    eng_node *i2 = h_node(g, "init2", "InitializeTableFromTextFileV2", "t2", "path2", NULL);
    h_attr(g, i2, "key_index", eng_test_attr_int(0));
    h_attr(g, i2, "value_index", eng_test_attr_int(1));
    h_attr(g, i2, "vocab_size", eng_test_attr_int(2));
    h_attr(g, i2, "delimiter", eng_test_attr_string("\t"));
    eng_node *i3 = h_node(g, "init3", "InitializeTableFromTextFileV2", "t3", "path2", NULL);
    h_attr(g, i3, "key_index", eng_test_attr_int(0));
    h_attr(g, i3, "value_index", eng_test_attr_int(2)); /* strings: not int64 */
    h_node(g, "group_deps", "NoOp", "^init1", "^init2", NULL);
    int64_t qd[1] = {-1};
    h_ph(g, "q", ENG_DT_STRING, 1, qd);
    add_find(g, "find1", "t1", "q");
    add_find(g, "find2", "t2", "q");
    eng_session *s = eng_session_new(g, "taxi", &host, &st);
    const char *tg[] = {"group_deps"}, *t3[] = {"init3"};
    eng_plan_spec init = {NULL, 0, NULL, 0, tg, 1}, init3 = {NULL, 0, NULL, 0, t3, 1};
    assert_int_equal(eng_session_run(s, &init, NULL, &st), TSD_OK);
    assert_int_equal(eng_session_run(s, &init3, NULL, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "node 'init3'"));
    const char *feed[] = {"q:0"}, *f1[] = {"find1:0"}, *f2[] = {"find2:0"};
    eng_plan *p1p = h_compile(s, feed, 1, f1, 1, NULL, 0, &st);
    eng_plan *p2p = h_compile(s, feed, 1, f2, 1, NULL, 0, &st);
    assert_non_null(p1p);
    assert_non_null(p2p);
    eng_call *c = eng_call_new();
    /* Whole lines → line numbers; "\r" is stripped; no final newline needed. */
    const char *q1[] = {"cherry", "banana", "date", "fig"};
    const int64_t e1[4] = {2, 1, 3, -1};
    lookup4(p1p, c, q1, e1);
    const char *q1b[] = {"", "apple", "banana\r", "Apple"};
    const int64_t e1b[4] = {-1, 0, -1, -1};
    lookup4(p1p, c, q1b, e1b);
    /* Columns 0 → 1 parsed as int64, only vocab_size = 2 lines. */
    const char *q2[] = {"a", "b", "c", "10"};
    const int64_t e2[4] = {10, 20, -1, -1};
    lookup4(p2p, c, q2, e2);
    eng_plan_free(p1p);
    eng_plan_free(p2p);
    eng_call_free(c);
    eng_session_free(s);

    /* An empty line, and vocab_size larger than the file, are errors;
     * offset shifts the line numbers. */
    g = eng_graph_new();
    const char *p3[] = {"/assets/holes.txt"};
    h_str_const(g, "path1", p1, -1);
    h_str_const(g, "path3", p3, -1);
    add_table(g, "t4", "t4");
    add_table(g, "t5", "t5");
    add_table(g, "t6", "t6");
    h_node(g, "init4", "InitializeTableFromTextFileV2", "t4", "path3", NULL);
    eng_node *i5 = h_node(g, "init5", "InitializeTableFromTextFileV2", "t5", "path1", NULL);
    h_attr(g, i5, "vocab_size", eng_test_attr_int(5));
    eng_node *i6 = h_node(g, "init6", "InitializeTableFromTextFileV2", "t6", "path1", NULL);
    h_attr(g, i6, "offset", eng_test_attr_int(100));
    h_attr(g, i6, "vocab_size", eng_test_attr_int(2));
    h_ph(g, "q", ENG_DT_STRING, 1, qd);
    add_find(g, "find6", "t6", "q");
    s = eng_session_new(g, "m", &host, &st);
    const char *t4[] = {"init4"}, *t5[] = {"init5"}, *t6[] = {"init6"};
    eng_plan_spec in4 = {NULL, 0, NULL, 0, t4, 1}, in5 = {NULL, 0, NULL, 0, t5, 1},
                  in6 = {NULL, 0, NULL, 0, t6, 1};
    assert_int_equal(eng_session_run(s, &in4, NULL, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "empty line found"));
    assert_int_equal(eng_session_run(s, &in5, NULL, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "Invalid vocab_size"));
    assert_int_equal(eng_session_run(s, &in6, NULL, &st), TSD_OK);
    const char *f6[] = {"find6:0"};
    eng_plan *p6 = h_compile(s, feed, 1, f6, 1, NULL, 0, &st);
    assert_non_null(p6);
    c = eng_call_new();
    const char *q6[] = {"banana", "apple", "cherry", "x"};
    const int64_t e6[4] = {101, 100, -1, -1};
    lookup4(p6, c, q6, e6);
    eng_call_free(c);
    eng_plan_free(p6);
    eng_session_free(s);

    /* Without a host, the initialiser fails with a clear error. */
    g = eng_graph_new();
    h_str_const(g, "path1", p1, -1);
    add_table(g, "t1", "t1");
    h_node(g, "init1", "InitializeTableFromTextFileV2", "t1", "path1", NULL);
    s = eng_session_new(g, "m", NULL, &st);
    const char *ti[] = {"init1"};
    eng_plan_spec in1 = {NULL, 0, NULL, 0, ti, 1};
    assert_int_equal(eng_session_run(s, &in1, NULL, &st), TSD_UNIMPLEMENTED);
    assert_non_null(strstr(st.msg, "/assets/vocab.txt"));
    eng_session_free(s);
}

static void test_table_conflicting_duplicates(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    add_table(g, "table", "");
    const char *keys[] = {"x", "y", "x"};
    const int64_t vals[] = {0, 1, 2};
    h_str_const(g, "keys", keys, 3);
    h_i64_const(g, "vals", vals, 1, 3);
    h_node(g, "init", "InitializeTableV2", "table", "keys", "vals", NULL);
    eng_session *s = eng_session_new(g, "m", NULL, &st);
    const char *ti[] = {"init"};
    eng_plan_spec in = {NULL, 0, NULL, 0, ti, 1};
    assert_int_equal(eng_session_run(s, &in, NULL, &st), TSD_FAILED_PRECONDITION);
    assert_non_null(strstr(st.msg, "different value for same key"));
    eng_session_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter),
        cmocka_unit_test(test_concurrent_increments),
        cmocka_unit_test(test_uninitialized_and_init),
        cmocka_unit_test(test_resource_variables),
        cmocka_unit_test(test_folded_variable_and_gather),
        cmocka_unit_test(test_table_from_tensors),
        cmocka_unit_test(test_table_from_text_file),
        cmocka_unit_test(test_table_conflicting_duplicates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
