/*
 * fuzz_tensor_proto.c - libFuzzer driver for the TensorProto decoder:
 * unpack arbitrary bytes as a TensorProto, decode it to an engine tensor,
 * encode that back (both field styles) and check the re-decoded tensor is
 * identical.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "loader/tensor_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode p again and compare with t; abort on any difference. */
static void check_same(const Tensorflow__TensorProto *p, const eng_tensor *t)
{
    eng_tensor back;
    if (ldr_tensor_from_proto(p, &back, NULL) != TSD_OK)
        abort(); /* what we encode must decode */
    if (back.dtype != t->dtype || back.rank != t->rank ||
        memcmp(back.dims, t->dims, sizeof(int64_t) * (size_t)t->rank) != 0)
        abort();
    int64_t n = eng_tensor_num_elements(t);
    if (t->dtype == ENG_DT_STRING) {
        const eng_str *a = t->data, *b = back.data;
        for (int64_t i = 0; i < n; i++)
            if (a[i].len != b[i].len || (a[i].len && memcmp(a[i].ptr, b[i].ptr, a[i].len)))
                abort();
    } else if (n > 0 && memcmp(t->data, back.data, (size_t)n * eng_dtype_size(t->dtype))) {
        abort();
    }
    eng_tensor_free_data(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Tensorflow__TensorProto *tp = tensorflow__tensor_proto__unpack(NULL, size, data);
    if (!tp)
        return 0;
    /* A few bytes can declare a shape of up to LDR_TENSOR_MAX_BYTES that a
     * single value fills (TensorProto's repeat-the-last-value rule), and the
     * round trip below holds several copies: skip shapes beyond 1 M
     * elements (strings cost 16 bytes an element before their bytes), which the decoder's own limit
     * tests cover, so the run stays within the fuzzer's memory limit. */
    int64_t elems = 1;
    for (size_t i = 0; tp->tensor_shape && i < tp->tensor_shape->n_dim; i++) {
        int64_t d = tp->tensor_shape->dim[i]->size;
        if (d < 0 || (d && elems > (INT64_C(1) << 20) / d)) {
            elems = -1;
            break;
        }
        elems *= d;
    }
    if (elems < 0 || elems > (INT64_C(1) << 20)) {
        tensorflow__tensor_proto__free_unpacked(tp, NULL);
        return 0;
    }
    eng_tensor t;
    if (ldr_tensor_from_proto(tp, &t, NULL) == TSD_OK) {
        for (int content = 0; content < 2; content++) {
            Tensorflow__TensorProto *p;
            if (ldr_tensor_to_proto(&t, content, &p, NULL) != TSD_OK)
                abort();
            check_same(p, &t);
            tensorflow__tensor_proto__free_unpacked(p, NULL);
        }
        eng_tensor_free_data(&t);
    }
    tensorflow__tensor_proto__free_unpacked(tp, NULL);
    return 0;
}
