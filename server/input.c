/*
 * input.c - serialize the examples of a tensorflow.serving.Input (see
 * input.h).
 */
#include "server/input.h"

#include <stdlib.h>
#include <string.h>

tsd_code srv_input_to_examples(const Tensorflow__Serving__Input *in, eng_tensor *out,
                               char **storage, tsd_status *st)
{
    *storage = NULL;
    memset(out, 0, sizeof *out);
    Tensorflow__Example **ex = NULL;
    size_t n = 0;
    const Tensorflow__Example *ctx = NULL;
    if (in && in->kind_case == TENSORFLOW__SERVING__INPUT__KIND_EXAMPLE_LIST) {
        ex = in->example_list->examples;
        n = in->example_list->n_examples;
    } else if (in && in->kind_case == TENSORFLOW__SERVING__INPUT__KIND_EXAMPLE_LIST_WITH_CONTEXT) {
        ex = in->example_list_with_context->examples;
        n = in->example_list_with_context->n_examples;
        ctx = in->example_list_with_context->context;
    }
    if (n == 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "Input is empty.");
    size_t clen = ctx ? tensorflow__example__get_packed_size(ctx) : 0;
    if (clen && n > SRV_INPUT_MAX_CONTEXT_COPY_BYTES / clen)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "ExampleListWithContext: the context (%zu bytes) copied into each of %zu "
                       "examples would take more than %zu bytes",
                       clen, n, (size_t)SRV_INPUT_MAX_CONTEXT_COPY_BYTES);
    size_t total = 0;
    size_t *lens = malloc(n * sizeof *lens);
    if (!lens)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < n; i++) {
        lens[i] = clen + (ex[i] ? tensorflow__example__get_packed_size(ex[i]) : 0);
        total += lens[i];
    }
    char *buf = malloc(total ? total : 1);
    int64_t dim = (int64_t)n;
    tsd_code c = buf ? eng_tensor_alloc(out, ENG_DT_STRING, 1, &dim, st)
                     : tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    if (c) {
        free(buf);
        free(lens);
        return c;
    }
    eng_str *s = out->data;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        s[i].ptr = buf + off;
        s[i].len = lens[i];
        if (ctx)
            tensorflow__example__pack(ctx, (uint8_t *)buf + off);
        if (ex[i])
            tensorflow__example__pack(ex[i], (uint8_t *)buf + off + clen);
        off += lens[i];
    }
    free(lens);
    *storage = buf;
    return TSD_OK;
}
