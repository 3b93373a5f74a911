/*
 * parse_dense.c - dense features of many serialized tf.Examples through the
 * engine's ParseExample, in chunks: what the data reader needs for the
 * labels and weights of TFRecord rows, and the model for the normalizer
 * statistics of numeric columns. The features the trainer sees are then
 * exactly what the parsing serving input reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/model_int.h"

#define CHUNK 4096

tsd_code trn__parse_dense(const eng_str *ex, int64_t n, const trn_dense_key *keys, int nk,
                          trn_dense_fn fn, void *ud, tsd_status *st)
{
    if (nk < 1 || nk > 8)
        return tsd_err(st, TSD_INTERNAL, "parse_dense: %d keys", nk);
    int order[8]; /* ParseExample takes its dense keys sorted */
    for (int k = 0; k < nk; k++)
        order[k] = k;
    for (int a = 1; a < nk; a++)
        for (int b = a; b > 0 && strcmp(keys[order[b - 1]].key, keys[order[b]].key) > 0; b--) {
            int t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    eng_graph *g = eng_graph_new();
    if (!g)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    trn_gb b;
    trn_gb_init(&b, g, st);
    eng_node *ph = trn_gb_add(&b, "examples", "Placeholder", NULL, 0);
    trn_gb_type(&b, ph, "dtype", ENG_DT_STRING);
    const char *ins[2 + 16] = {"examples", trn_gb_strs(&b, "names", NULL, 0)};
    eng_dtype types[8];
    eng_shape shapes[8];
    for (int i = 0; i < nk; i++) {
        const trn_dense_key *k = &keys[order[i]];
        ins[2 + i] = trn_gb_strs(&b, trn_gb_name(&b, "key_%d", i), &k->key, -1);
        types[i] = k->dtype;
        shapes[i] = (eng_shape){.rank = 1, .dims = {k->width}};
        if (k->defaults) {
            ins[2 + nk + i] =
                trn_gb_f32(&b, trn_gb_name(&b, "default_%d", i), k->defaults, k->width);
        } else { /* required */
            eng_tensor none = {.dtype = k->dtype, .rank = 1};
            ins[2 + nk + i] = trn_gb_const(&b, trn_gb_name(&b, "default_%d", i), &none);
        }
    }
    eng_node *pe = trn_gb_add(&b, "parse", "ParseExample", ins, 2 + 2 * nk);
    trn_gb_int(&b, pe, "Nsparse", 0);
    trn_gb_int(&b, pe, "Ndense", nk);
    trn_gb_attr(&b, pe, "sparse_types", (eng_attr){.kind = ENG_ATTR_LIST_TYPE, .n = 0});
    trn_gb_attr(&b, pe, "Tdense",
                (eng_attr){.kind = ENG_ATTR_LIST_TYPE, .n = (size_t)nk, .types = types});
    trn_gb_attr(&b, pe, "dense_shapes",
                (eng_attr){.kind = ENG_ATTR_LIST_SHAPE, .n = (size_t)nk, .shapes = shapes});
    const char *fetch[8];
    for (int i = 0; i < nk; i++)
        fetch[i] = trn_gb_name(&b, "parse:%d", i);
    if (b.failed) {
        trn_gb_free(&b);
        eng_graph_free(g);
        return st->code;
    }
    eng_session *s = eng_session_new(g, "parse", NULL, st);
    const char *feeds[1] = {"examples"};
    eng_plan_spec ps = {feeds, 1, fetch, nk, NULL, 0};
    eng_plan *plan = s ? eng_plan_compile(s, &ps, st) : NULL;
    trn_gb_free(&b);
    eng_call *call = eng_call_new();
    tsd_code rc = plan && call ? TSD_OK : st->code;
    for (int64_t at = 0; !rc && at < n; at += CHUNK) {
        int64_t c = n - at < CHUNK ? n - at : CHUNK;
        eng_tensor in = {.dtype = ENG_DT_STRING,
                         .rank = 1,
                         .data = (void *)(ex + at),
                         .nbytes = (size_t)c * sizeof *ex};
        in.dims[0] = c;
        eng_tensor out[8], mine[8];
        eng_call_clear(call);
        if ((rc = eng_plan_run(plan, call, &in, out, st))) {
            tsd_err(st, rc, "examples %lld..%lld: %s", (long long)at, (long long)(at + c - 1),
                    st->msg);
            break;
        }
        for (int i = 0; i < nk; i++) /* back in the caller's key order */
            mine[order[i]] = out[i];
        rc = fn(ud, at, c, mine, st);
    }
    eng_call_free(call);
    eng_plan_free(plan);
    eng_session_free(s);
    return rc;
}
