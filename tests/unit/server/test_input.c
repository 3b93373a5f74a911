/*
 * test_input.c - srv_input_to_examples: ExampleList and
 * ExampleListWithContext become serialized tf.Examples (the context's bytes
 * first, so an example's own features win when the parser merges them), an
 * empty input is refused with TF Serving's message, and a large context
 * copied into many examples is refused instead of allocated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "server/input.h"

/* An Example with one bytes feature "f" of len bytes of ch. */
typedef struct ex_fixture {
    Tensorflow__Example ex;
    Tensorflow__Features fs;
    Tensorflow__Features__FeatureEntry e, *ep;
    Tensorflow__Feature f;
    Tensorflow__BytesList bl;
    ProtobufCBinaryData bv;
} ex_fixture;

static void make_example(ex_fixture *x, uint8_t *bytes, size_t len)
{
    tensorflow__example__init(&x->ex);
    tensorflow__features__init(&x->fs);
    tensorflow__features__feature_entry__init(&x->e);
    tensorflow__feature__init(&x->f);
    tensorflow__bytes_list__init(&x->bl);
    x->bv = (ProtobufCBinaryData){len, bytes};
    x->bl.n_value = 1;
    x->bl.value = &x->bv;
    x->f.kind_case = TENSORFLOW__FEATURE__KIND_BYTES_LIST;
    x->f.bytes_list = &x->bl;
    x->e.key = (char *)"f";
    x->e.value = &x->f;
    x->ep = &x->e;
    x->fs.n_feature = 1;
    x->fs.feature = &x->ep;
    x->ex.features = &x->fs;
}

static void test_context(void **state)
{
    (void)state;
    static uint8_t ctx_bytes[1 << 20], own[3] = {'a', 'b', 'c'};
    memset(ctx_bytes, 'x', sizeof ctx_bytes);
    ex_fixture ctx, one;
    make_example(&ctx, ctx_bytes, 100);
    make_example(&one, own, sizeof own);
    enum { N = 200 };
    Tensorflow__Example *exs[N];
    for (int i = 0; i < N; i++)
        exs[i] = &one.ex;
    Tensorflow__Serving__ExampleListWithContext lc =
        TENSORFLOW__SERVING__EXAMPLE_LIST_WITH_CONTEXT__INIT;
    lc.context = &ctx.ex;
    lc.examples = exs;
    lc.n_examples = 2;
    Tensorflow__Serving__Input in = TENSORFLOW__SERVING__INPUT__INIT;
    in.kind_case = TENSORFLOW__SERVING__INPUT__KIND_EXAMPLE_LIST_WITH_CONTEXT;
    in.example_list_with_context = &lc;
    eng_tensor t;
    char *storage = NULL;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(srv_input_to_examples(&in, &t, &storage, &st), TSD_OK);
    assert_int_equal(t.dims[0], 2);
    size_t clen = tensorflow__example__get_packed_size(&ctx.ex);
    size_t olen = tensorflow__example__get_packed_size(&one.ex);
    const eng_str *s = t.data;
    assert_int_equal(s[1].len, clen + olen);
    uint8_t packed[256];
    tensorflow__example__pack(&ctx.ex, packed);
    assert_memory_equal(s[1].ptr, packed, clen); /* context first */
    eng_tensor_free_data(&t);
    free(storage);

    /* 1 MiB of context into 200 examples: 200 MiB of copies, refused */
    make_example(&ctx, ctx_bytes, sizeof ctx_bytes);
    lc.n_examples = N;
    assert_int_equal(srv_input_to_examples(&in, &t, &storage, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "ExampleListWithContext: the context"));
    assert_null(storage);

    /* empty */
    lc.n_examples = 0;
    assert_int_equal(srv_input_to_examples(&in, &t, &storage, &st), TSD_INVALID_ARGUMENT);
    assert_string_equal(st.msg, "Input is empty.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_context)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
