/*
 * bench_plan.c - executor overhead per op. Builds chains of K element-wise
 * Add steps on a 1-element tensor (x + 1 + 1 ...; not foldable because x
 * is fed), runs each plan many times and reports the time per executed
 * step, next to a baseline that calls the same kernel directly K times
 * (same call arena, no plan). Usage: bench_plan [iterations-scale]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "engine/ops/op.h"
#include "engine/plan_int.h"
#include "engine/testkit.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int die(const char *what, const tsd_status *st)
{
    fprintf(stderr, "bench_plan: %s: %s\n", what, st->msg);
    return 1;
}

static void set_attr(eng_graph *g, eng_node *n, const char *name, eng_attr a)
{
    eng_node_set_attr(g, n, name, &a, NULL);
}

/* x → y0 = x + one → y1 = y0 + one → ... → y{K-1}. */
static eng_session *chain(int k, tsd_status *st)
{
    eng_graph *g = eng_graph_new();
    eng_node *n;
    eng_graph_add_node(g, "x", "Placeholder", NULL, 0, &n, st);
    set_attr(g, n, "dtype", eng_test_attr_type(ENG_DT_FLOAT));
    set_attr(g, n, "shape", eng_test_attr_shape(1, (int64_t[]){1}));
    static float one = 1.0f;
    eng_tensor t = eng_test_tensor(ENG_DT_FLOAT, 1, (int64_t[]){1}, &one);
    eng_graph_add_node(g, "one", "Const", NULL, 0, &n, st);
    set_attr(g, n, "dtype", eng_test_attr_type(ENG_DT_FLOAT));
    set_attr(g, n, "value", eng_test_attr_tensor(&t));
    char prev[32] = "x", name[32];
    for (int i = 0; i < k; i++) {
        snprintf(name, sizeof name, "y%d", i);
        const char *ins[2] = {prev, "one"};
        if (eng_graph_add_node(g, name, "Add", ins, 2, &n, st))
            return NULL;
        set_attr(g, n, "T", eng_test_attr_type(ENG_DT_FLOAT));
        memcpy(prev, name, sizeof prev);
    }
    return eng_session_new(g, "bench", NULL, st);
}

int main(int argc, char **argv)
{
    int scale = argc > 1 ? atoi(argv[1]) : 1;
    if (scale < 1)
        scale = 1;
    tsd_status st = TSD_STATUS_INIT;
    const eng_op_def *add = eng_op_find("Add");
    if (!add) {
        fprintf(stderr, "bench_plan: op Add is not registered\n");
        return 1;
    }
    printf("%8s %10s %14s %14s %14s\n", "K", "runs", "plan us/run", "plan ns/op", "direct ns/op");
    const int ks[3] = {10, 100, 1000};
    for (int ki = 0; ki < 3; ki++) {
        int k = ks[ki];
        int runs = scale * 200000 / k;
        eng_session *s = chain(k, &st);
        if (!s)
            return die("build", &st);
        char last[32];
        snprintf(last, sizeof last, "y%d:0", k - 1);
        const char *feed[] = {"x:0"}, *fetch[] = {last};
        eng_plan_spec spec = {feed, 1, fetch, 1, NULL, 0};
        eng_plan *p = eng_plan_compile(s, &spec, &st);
        if (!p)
            return die("compile", &st);
        eng_call *c = eng_call_new();
        float x = 0.0f;
        eng_tensor fx = eng_test_tensor(ENG_DT_FLOAT, 1, (int64_t[]){1}, &x), out;
        if (eng_plan_run(p, c, &fx, &out, &st))
            return die("run", &st);
        if (*(float *)out.data != (float)k) {
            fprintf(stderr, "bench_plan: wrong result %g for K=%d\n", *(float *)out.data, k);
            return 1;
        }
        double t0 = now_us();
        for (int r = 0; r < runs; r++)
            eng_plan_run(p, c, &fx, &out, &st);
        double plan_us = (now_us() - t0) / runs;

        /* Baseline: the kernel alone, K times per "run", same arena. */
        const eng_node *node = eng_graph_find(s->g, "y0");
        static float one = 1.0f;
        eng_tensor in[2] = {fx, eng_test_tensor(ENG_DT_FLOAT, 1, (int64_t[]){1}, &one)}, o;
        eng_call *dc = eng_call_new();
        t0 = now_us();
        for (int r = 0; r < runs; r++) {
            eng__call_reset(dc);
            for (int i = 0; i < k; i++) {
                if (eng__run_kernel(s, add, node, NULL, in, 2, &o, 1, dc, &st))
                    return die("direct", &st);
                in[0] = o;
            }
            in[0] = fx;
        }
        double direct_us = (now_us() - t0) / runs;
        printf("%8d %10d %14.2f %14.1f %14.1f\n", k, runs, plan_us, plan_us * 1e3 / k,
               direct_us * 1e3 / k);
        eng_call_free(dc);
        eng_call_free(c);
        eng_plan_free(p);
        eng_session_free(s);
    }
    return 0;
}
