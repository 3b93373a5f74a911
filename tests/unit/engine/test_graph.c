/*
 * test_graph.c - graph building and compilation: duplicate names, lookup,
 * input resolution errors, pruning (unreachable unsupported ops are fine,
 * reachable ones fail with the exact message), feeding a tensor in the
 * middle of the graph cuts its producer off, cycles, constant folding and
 * identity elimination (step counts).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "engine/engine.h"
#include "core_helpers.h"

static void test_build_and_find(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    char name[32];
    /* Enough nodes to force several hash-table growths. */
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof name, "n%d", i);
        const char *in = i ? "n0" : NULL;
        assert_int_equal(eng_graph_add_node(g, name, "Identity", &in, i ? 1 : 0, NULL, &st),
                         TSD_OK);
    }
    assert_int_equal(eng_graph_num_nodes(g), 3000);
    eng_node *n = eng_graph_find(g, "n2999");
    assert_non_null(n);
    assert_string_equal(eng_node_name(n), "n2999");
    assert_string_equal(eng_node_op(n), "Identity");
    assert_null(eng_graph_find(g, "n3000"));
    assert_null(eng_graph_find(g, "n"));
    /* duplicates are rejected */
    assert_int_equal(eng_graph_add_node(g, "n17", "NoOp", NULL, 0, NULL, &st),
                     TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "duplicate node name 'n17'"));
    /* malformed input strings are rejected */
    const char *bad = "^";
    assert_int_equal(eng_graph_add_node(g, "x", "NoOp", &bad, 1, NULL, &st), TSD_INVALID_ARGUMENT);
    eng_graph_free(g);
}

static void test_unknown_input_node(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    h_ph(g, "x", ENG_DT_FLOAT, 0, NULL);
    h_bin(g, "y", "Mul", "x", "ghost:1");
    eng_session *s = eng_session_new(g, "m", NULL, &st);
    const char *fetch[] = {"y:0"}, *feed[] = {"x:0"};
    eng_plan *p = h_compile(s, feed, 1, fetch, 1, NULL, 0, &st);
    assert_null(p);
    assert_int_equal(st.code, TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "model m: node 'y'"));
    assert_non_null(strstr(st.msg, "'ghost'"));
    /* feeds/fetches/targets naming no node */
    const char *f2[] = {"nope:0"};
    assert_null(h_compile(s, f2, 1, fetch, 1, NULL, 0, &st));
    assert_non_null(strstr(st.msg, "'nope:0'"));
    assert_null(h_compile(s, feed, 1, f2, 1, NULL, 0, &st));
    assert_null(h_compile(s, feed, 1, NULL, 0, f2, 1, &st));
    /* a fetch of an output index the node doesn't have */
    const char *f3[] = {"x:3"};
    assert_null(h_compile(s, NULL, 0, f3, 1, NULL, 0, &st));
    assert_non_null(strstr(st.msg, "'x:3'"));
    /* feeding the same tensor twice */
    const char *f4[] = {"x:0", "x"};
    assert_null(h_compile(s, f4, 2, fetch, 1, NULL, 0, &st));
    assert_non_null(strstr(st.msg, "fed twice"));
    eng_session_free(s);
}

static void test_prune_unsupported(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    h_ph(g, "x", ENG_DT_FLOAT, 0, NULL);
    h_node(g, "y", "Identity", "x", NULL);
    /* An unsupported op hanging off the graph, and one feeding z. */
    h_node(g, "summary", "ScalarSummaryFancy", "y", NULL);
    h_node(g, "weird", "FancyOp", "x", NULL);
    h_node(g, "z", "Identity", "weird", NULL);
    eng_session *s = eng_session_new(g, "census", NULL, &st);
    assert_non_null(s);
    const char *feed[] = {"x:0"}, *fy[] = {"y:0"}, *fz[] = {"z:0"};
    eng_plan *p = h_compile(s, feed, 1, fy, 1, NULL, 0, &st);
    assert_non_null(p);
    eng_plan_free(p);
    p = h_compile(s, feed, 1, fz, 1, NULL, 0, &st);
    assert_null(p);
    assert_string_equal(st.msg, "model census: node 'weird': op 'FancyOp' is not supported");
    /* Feeding the unsupported node's output cuts it off. */
    const char *feed2[] = {"weird:0"};
    tsd_status_clear(&st);
    p = h_compile(s, feed2, 1, fz, 1, NULL, 0, &st);
    assert_non_null(p);
    eng_plan_free(p);
    eng_session_free(s);
}

static void test_feed_cuts_producer(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    /* raw (unfed Placeholder, would fail) -> mid (Identity) -> out = mid * 2 */
    int64_t d[1] = {-1};
    h_ph(g, "raw", ENG_DT_FLOAT, 1, d);
    h_node(g, "mid", "Identity", "raw", NULL);
    h_scalarf(g, "two", 2.0f);
    h_bin(g, "out", "Mul", "mid", "two");
    eng_session *s = eng_session_new(g, "m", NULL, &st);
    const char *fout[] = {"out:0"}, *fmid[] = {"mid:0"};
    /* Without a feed, running fails in the Placeholder with TF's message. */
    eng_plan *p = h_compile(s, NULL, 0, fout, 1, NULL, 0, &st);
    assert_non_null(p);
    eng_call *c = eng_call_new();
    eng_tensor res[1];
    assert_int_equal(eng_plan_run(p, c, NULL, res, &st), TSD_INVALID_ARGUMENT);
    assert_string_equal(st.msg, "model m: node 'raw': You must feed a value for placeholder "
                                "tensor 'raw' with dtype float");
    eng_plan_free(p);
    /* Feeding mid:0 cuts raw off. */
    p = h_compile(s, fmid, 1, fout, 1, NULL, 0, &st);
    assert_non_null(p);
    assert_int_equal(eng_plan_feed_dtype(p, 0), ENG_DT_FLOAT);
    eng_shape fs = eng_plan_feed_shape(p, 0);
    assert_int_equal(fs.rank, 1);
    assert_int_equal(fs.dims[0], ENG_DIM_BATCH);
    float x[3] = {1.5f, -2.0f, 4.0f};
    int64_t xd[1] = {3};
    eng_tensor feed = h_tf(x, 1, xd);
    assert_int_equal(eng_plan_run(p, c, &feed, res, &st), TSD_OK);
    assert_int_equal(res[0].dtype, ENG_DT_FLOAT);
    assert_int_equal(res[0].dims[0], 3);
    const float *r = res[0].data;
    assert_true(r[0] == 3.0f && r[1] == -4.0f && r[2] == 8.0f);
    /* A feed of the wrong dtype is rejected with context. */
    int32_t xi[3] = {1, 2, 3};
    eng_tensor bad = eng_test_tensor(ENG_DT_INT32, 1, xd, xi);
    assert_int_equal(eng_plan_run(p, c, &bad, res, &st), TSD_INVALID_ARGUMENT);
    assert_string_equal(st.msg, "model m: input 'mid:0': expected dtype float but got int32");
    /* A feed whose byte count disagrees with its shape is rejected. */
    eng_tensor lie = feed;
    lie.dims[0] = 1000000000;
    assert_int_equal(eng_plan_run(p, c, &lie, res, &st), TSD_INVALID_ARGUMENT);
    /* Fetching the fed tensor itself returns the feed. */
    eng_plan_free(p);
    p = h_compile(s, fmid, 1, fmid, 1, NULL, 0, &st);
    assert_non_null(p);
    assert_int_equal(eng_plan_num_steps(p), 0);
    assert_int_equal(eng_plan_run(p, c, &feed, res, &st), TSD_OK);
    assert_true(((float *)res[0].data)[2] == 4.0f);
    eng_plan_free(p);
    eng_call_free(c);
    eng_session_free(s);
}

static void test_cycle(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    h_ph(g, "x", ENG_DT_FLOAT, 0, NULL);
    h_bin(g, "a", "Add", "x", "c");
    h_node(g, "b", "Identity", "a", NULL);
    h_un(g, "c", "Identity", "b"); /* T attr: the feed's dtype when c can't be inferred */
    h_node(g, "d", "Identity", "x", "^d", NULL); /* self control loop */
    eng_session *s = eng_session_new(g, "m", NULL, &st);
    const char *feed[] = {"x:0"}, *fb[] = {"b:0"}, *fd[] = {"d:0"};
    assert_null(h_compile(s, feed, 1, fb, 1, NULL, 0, &st));
    assert_int_equal(st.code, TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "cycle"));
    assert_null(h_compile(s, feed, 1, fd, 1, NULL, 0, &st));
    assert_non_null(strstr(st.msg, "cycle"));
    /* Feeding c:0 breaks the cycle. */
    const char *feed2[] = {"x:0", "c:0"};
    tsd_status_clear(&st);
    eng_plan *p = h_compile(s, feed2, 2, fb, 1, NULL, 0, &st);
    assert_non_null(p);
    eng_plan_free(p);
    eng_session_free(s);
}

static void test_constant_folding(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    h_ph(g, "x", ENG_DT_FLOAT, 0, NULL);
    h_scalarf(g, "c1", 3.0f);
    h_scalarf(g, "c2", 4.0f);
    h_bin(g, "sum", "Add", "c1", "c2");       /* folds to 7 */
    h_node(g, "id", "Identity", "sum", NULL); /* folds (alias of a constant) */
    h_bin(g, "y", "Mul", "id", "x");          /* the one step */
    h_node(g, "yid", "Identity", "y", NULL);  /* alias, no step */
    eng_session *s = eng_session_new(g, "m", NULL, &st);
    const char *feed[] = {"x:0"}, *fetch[] = {"yid:0"};
    eng_plan *p = h_compile(s, feed, 1, fetch, 1, NULL, 0, &st);
    assert_non_null(p);
    assert_int_equal(eng_plan_num_steps(p), 1);
    eng_call *c = eng_call_new();
    float x = 0.5f;
    eng_tensor fx = h_tf(&x, 0, NULL), out;
    assert_int_equal(eng_plan_run(p, c, &fx, &out, &st), TSD_OK);
    assert_true(*(float *)out.data == 3.5f);
    eng_plan_free(p);
    /* A fetch of a folded value needs no step at all. */
    const char *fsum[] = {"sum:0"};
    p = h_compile(s, NULL, 0, fsum, 1, NULL, 0, &st);
    assert_non_null(p);
    assert_int_equal(eng_plan_num_steps(p), 0);
    assert_int_equal(eng_plan_run(p, c, NULL, &out, &st), TSD_OK);
    assert_true(*(float *)out.data == 7.0f);
    eng_shape sh = eng_plan_fetch_shape(p, 0);
    assert_int_equal(sh.rank, 0);
    eng_plan_free(p);
    eng_call_free(c);
    eng_session_free(s);
}

static void test_control_edges_and_targets(void **state)
{
    (void)state;
    tsd_status st = TSD_STATUS_INIT;
    eng_graph *g = eng_graph_new();
    h_ph(g, "unfed", ENG_DT_FLOAT, 0, NULL);
    h_node(g, "dep", "Identity", "unfed", NULL);
    h_scalarf(g, "k", 1.0f);
    h_node(g, "out", "Identity", "k", "^dep", NULL);
    h_node(g, "group", "NoOp", "^dep", NULL);
    eng_session *s = eng_session_new(g, "m", NULL, &st);
    /* The control edge pulls in dep, whose unfed Placeholder then fails. */
    const char *fetch[] = {"out:0"}, *tgt[] = {"group"};
    eng_plan *p = h_compile(s, NULL, 0, fetch, 1, NULL, 0, &st);
    assert_non_null(p);
    eng_call *c = eng_call_new();
    eng_tensor out;
    assert_int_equal(eng_plan_run(p, c, NULL, &out, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "You must feed a value for placeholder tensor 'unfed'"));
    eng_plan_free(p);
    /* Same through a target; feeding unfed satisfies it. */
    p = h_compile(s, NULL, 0, NULL, 0, tgt, 1, &st);
    assert_non_null(p);
    assert_int_equal(eng_plan_run(p, c, NULL, NULL, &st), TSD_INVALID_ARGUMENT);
    eng_plan_free(p);
    const char *feed[] = {"unfed"};
    float v = 2.0f;
    eng_tensor fv = h_tf(&v, 0, NULL);
    tsd_status_clear(&st);
    eng_plan_spec spec = {feed, 1, NULL, 0, tgt, 1};
    assert_int_equal(eng_session_run(s, &spec, &fv, &st), TSD_OK);
    eng_call_free(c);
    eng_session_free(s);
}

static uint64_t rand_below(uint64_t *rng, uint64_t n)
{
    *rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (*rng >> 33) % n;
}

/* Random small graphs (fixed seed): compile and run must fail cleanly or
 * succeed, never crash or hang, whatever the wiring. */
static void test_random_graphs(void **state)
{
    (void)state;
    static const char *const ops[] = {"Identity",    "Add",  "Mul",       "Const",
                                      "Placeholder", "NoOp", "IdentityN", "Bogus"};
    uint64_t rng = 0x9e3779b97f4a7c15ULL;
#define RAND(n) rand_below(&rng, (n))
    for (int iter = 0; iter < 300; iter++) {
        tsd_status st = TSD_STATUS_INIT;
        eng_graph *g = eng_graph_new();
        int n = 2 + (int)RAND(12);
        char names[16][8], ins[3][24];
        for (int i = 0; i < n; i++) {
            snprintf(names[i], sizeof names[i], "n%d", i);
            const char *op = ops[RAND(8)];
            const char *inp[3];
            int k = (int)RAND(4);
            for (int j = 0; j < k; j++) {
                int src = (int)RAND((uint64_t)n + 1); /* n = an unknown node */
                int kind = (int)RAND(4);
                snprintf(ins[j], sizeof ins[j], "%sn%d%s", kind == 0 ? "^" : "", src,
                         kind == 1 ? ":1" : "");
                inp[j] = ins[j];
            }
            eng_node *nd;
            assert_int_equal(eng_graph_add_node(g, names[i], op, inp, k, &nd, &st), TSD_OK);
            float v = (float)i;
            if (!strcmp(op, "Const")) {
                eng_tensor t = h_tf(&v, 0, NULL);
                h_attr(g, nd, "value", eng_test_attr_tensor(&t));
            }
            if (RAND(2))
                h_attr(g, nd, RAND(2) ? "T" : "dtype", eng_test_attr_type(ENG_DT_FLOAT));
        }
        eng_session *s = eng_session_new(g, "fuzz", NULL, &st);
        assert_non_null(s);
        char f0[16], f1[16];
        snprintf(f0, sizeof f0, "n%d", (int)RAND((uint64_t)n));
        snprintf(f1, sizeof f1, "n%d:%d", (int)RAND((uint64_t)n), (int)RAND(2));
        const char *fetch[] = {f0}, *feed[] = {f1};
        int nf = (int)RAND(2);
        eng_plan *p = h_compile(s, feed, nf, fetch, 1, NULL, 0, &st);
        if (p) {
            eng_call *c = eng_call_new();
            float x = 1.0f;
            eng_tensor fx = h_tf(&x, 0, NULL), out;
            tsd_code rc = eng_plan_run(p, c, &fx, &out, &st);
            assert_true(rc == TSD_OK || st.msg[0] != '\0');
            eng_call_free(c);
            eng_plan_free(p);
        } else {
            assert_int_not_equal(st.code, TSD_OK);
            assert_non_null(strstr(st.msg, "model fuzz"));
        }
        eng_session_free(s);
    }
#undef RAND
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_and_find),
        cmocka_unit_test(test_unknown_input_node),
        cmocka_unit_test(test_prune_unsupported),
        cmocka_unit_test(test_feed_cuts_producer),
        cmocka_unit_test(test_cycle),
        cmocka_unit_test(test_constant_folding),
        cmocka_unit_test(test_control_edges_and_targets),
        cmocka_unit_test(test_random_graphs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
