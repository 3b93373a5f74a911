/*
 * test_proto_wire.c - the generated protobuf-c code against hand-computed
 * wire bytes: the tensor bundle header and event records of formats.md
 * decode and re-encode byte for byte, serving requests, tf.Example and
 * config messages encode/decode with the upstream field numbers, unknown
 * fields are skipped, and malformed input is rejected instead of crashing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tensorflow/core/example/example.pb-c.h"
#include "tensorflow/core/protobuf/saved_model.pb-c.h"
#include "tensorflow/core/protobuf/tensor_bundle.pb-c.h"
#include "tensorflow/core/util/event.pb-c.h"
#include "tensorflow_serving/apis/get_model_status.pb-c.h"
#include "tensorflow_serving/apis/predict.pb-c.h"
#include "tensorflow_serving/apis/prediction_log.pb-c.h"
#include "tensorflow_serving/config/model_server_config.pb-c.h"

#include "../test_util.h"

enum { F = TENSORFLOW__DATA_TYPE__DT_FLOAT };

/* formats.md 1.4: the header every real bundle carries, both directions. */
static void test_bundle_header(void **state)
{
    (void)state;
    static const uint8_t bytes[] = {0x08, 0x01, 0x1a, 0x02, 0x08, 0x01};
    Tensorflow__BundleHeaderProto *h =
        tensorflow__bundle_header_proto__unpack(NULL, sizeof bytes, bytes);
    assert_non_null(h);
    assert_int_equal(h->num_shards, 1);
    assert_int_equal(h->endianness, TENSORFLOW__BUNDLE_HEADER_PROTO__ENDIANNESS__LITTLE);
    assert_non_null(h->version);
    assert_int_equal(h->version->producer, 1);
    assert_int_equal(h->version->min_consumer, 0);
    tensorflow__bundle_header_proto__free_unpacked(h, NULL);

    Tensorflow__VersionDef v = TENSORFLOW__VERSION_DEF__INIT;
    v.producer = 1;
    Tensorflow__BundleHeaderProto out = TENSORFLOW__BUNDLE_HEADER_PROTO__INIT;
    out.num_shards = 1;
    out.version = &v;
    uint8_t buf[16];
    assert_int_equal(tensorflow__bundle_header_proto__get_packed_size(&out), sizeof bytes);
    assert_int_equal(tensorflow__bundle_header_proto__pack(&out, buf), sizeof bytes);
    assert_memory_equal(buf, bytes, sizeof bytes);

    /* An unknown field (15, varint) between known ones is skipped. */
    static const uint8_t extra[] = {0x08, 0x02, 0x78, 0x05, 0x10, 0x01, 0x1a, 0x02, 0x08, 0x01};
    h = tensorflow__bundle_header_proto__unpack(NULL, sizeof extra, extra);
    assert_non_null(h);
    assert_int_equal(h->num_shards, 2);
    assert_int_equal(h->endianness, TENSORFLOW__BUNDLE_HEADER_PROTO__ENDIANNESS__BIG);
    assert_int_equal(h->version->producer, 1);
    tensorflow__bundle_header_proto__free_unpacked(h, NULL);
}

/* A BundleEntryProto with every field set, encoded by hand. */
static void test_bundle_entry(void **state)
{
    (void)state;
    static const uint8_t bytes[] = {
        0x08, 0x01,                         /* dtype DT_FLOAT */
        0x12, 0x04, 0x12, 0x02, 0x08, 0x03, /* shape {dim {size 3}} */
        0x18, 0x01,                         /* shard_id 1 */
        0x20, 0x80, 0x01,                   /* offset 128 */
        0x28, 0x0c,                         /* size 12 */
        0x35, 0x78, 0x56, 0x34, 0x12,       /* crc32c fixed32 0x12345678 */
    };
    Tensorflow__BundleEntryProto *e =
        tensorflow__bundle_entry_proto__unpack(NULL, sizeof bytes, bytes);
    assert_non_null(e);
    assert_int_equal(e->dtype, F);
    assert_int_equal(e->shape->n_dim, 1);
    assert_int_equal(e->shape->dim[0]->size, 3);
    assert_int_equal(e->shard_id, 1);
    assert_int_equal(e->offset, 128);
    assert_int_equal(e->size, 12);
    assert_int_equal(e->crc32c, 0x12345678u);
    assert_int_equal(e->n_slices, 0);
    uint8_t buf[64];
    assert_int_equal(tensorflow__bundle_entry_proto__pack(e, buf), sizeof bytes);
    assert_memory_equal(buf, bytes, sizeof bytes);
    tensorflow__bundle_entry_proto__free_unpacked(e, NULL);
}

/* formats.md 1.10: the first two entries of the counter fixture's
 * variables.index data block are (shared 0, unshared, value length, key,
 * value) with the header and the "counter" BundleEntryProto as values. */
static void test_real_bundle_index(void **state)
{
    (void)state;
    size_t len = 0;
    char *buf = tsd_test_read_file(
        tsd_test_path("models/tfserving/saved_model_counter/00000123/variables/variables.index"),
        &len);
    assert_non_null(buf);
    assert_int_equal(len, 123);
    const uint8_t *b = (const uint8_t *)buf;
    assert_int_equal(b[0], 0);
    assert_int_equal(b[1], 0);
    assert_int_equal(b[2], 6);
    Tensorflow__BundleHeaderProto *h = tensorflow__bundle_header_proto__unpack(NULL, 6, b + 3);
    assert_non_null(h);
    assert_int_equal(h->num_shards, 1);
    assert_int_equal(h->version->producer, 1);
    tensorflow__bundle_header_proto__free_unpacked(h, NULL);

    const uint8_t *e2 = b + 9;
    assert_int_equal(e2[0], 0);
    assert_int_equal(e2[1], 7);
    assert_int_equal(e2[2], 11);
    assert_memory_equal(e2 + 3, "counter", 7);
    const uint8_t *val = e2 + 10;
    Tensorflow__BundleEntryProto *e = tensorflow__bundle_entry_proto__unpack(NULL, 11, val);
    assert_non_null(e);
    assert_int_equal(e->dtype, F);
    assert_non_null(e->shape); /* present but empty: a scalar */
    assert_int_equal(e->shape->n_dim, 0);
    assert_int_equal(e->shard_id, 0);
    assert_int_equal(e->offset, 0);
    assert_int_equal(e->size, 4);
    assert_int_equal(e->crc32c, 0x3a117ba6u);
    uint8_t out[16];
    assert_int_equal(tensorflow__bundle_entry_proto__pack(e, out), 11);
    assert_memory_equal(out, val, 11);
    tensorflow__bundle_entry_proto__free_unpacked(e, NULL);
    free(buf);
}

/* PredictRequest{model_spec{name:"m" version{3}} inputs{"x": float [1] {2.0}}
 * output_filter:"y"}, with every byte computed by hand from the field tags. */
static void test_predict_request_bytes(void **state)
{
    (void)state;
    static const uint8_t want[] = {
        0x0a, 0x07, 0x0a, 0x01, 'm',  0x12, 0x02, 0x08, 0x03, /* model_spec */
        0x12, 0x13, 0x0a, 0x01, 'x',  0x12, 0x0e,             /* inputs entry */
        0x08, 0x01, 0x12, 0x04, 0x12, 0x02, 0x08, 0x01,       /* dtype, shape */
        0x2a, 0x04, 0x00, 0x00, 0x00, 0x40,                   /* float_val */
        0x1a, 0x01, 'y',                                      /* output_filter */
    };
    Google__Protobuf__Int64Value ver = GOOGLE__PROTOBUF__INT64_VALUE__INIT;
    ver.value = 3;
    Tensorflow__Serving__ModelSpec spec = TENSORFLOW__SERVING__MODEL_SPEC__INIT;
    spec.name = "m";
    spec.version_choice_case = TENSORFLOW__SERVING__MODEL_SPEC__VERSION_CHOICE_VERSION;
    spec.version = &ver;
    Tensorflow__TensorShapeProto__Dim dim = TENSORFLOW__TENSOR_SHAPE_PROTO__DIM__INIT;
    dim.size = 1;
    Tensorflow__TensorShapeProto__Dim *dims[] = {&dim};
    Tensorflow__TensorShapeProto shape = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT;
    shape.n_dim = 1;
    shape.dim = dims;
    float val = 2.0f;
    Tensorflow__TensorProto t = TENSORFLOW__TENSOR_PROTO__INIT;
    t.dtype = TENSORFLOW__DATA_TYPE__DT_FLOAT;
    t.tensor_shape = &shape;
    t.n_float_val = 1;
    t.float_val = &val;
    Tensorflow__Serving__PredictRequest__InputsEntry entry =
        TENSORFLOW__SERVING__PREDICT_REQUEST__INPUTS_ENTRY__INIT;
    entry.key = "x";
    entry.value = &t;
    Tensorflow__Serving__PredictRequest__InputsEntry *entries[] = {&entry};
    char *filter[] = {"y"};
    Tensorflow__Serving__PredictRequest req = TENSORFLOW__SERVING__PREDICT_REQUEST__INIT;
    req.model_spec = &spec;
    req.n_inputs = 1;
    req.inputs = entries;
    req.n_output_filter = 1;
    req.output_filter = filter;

    uint8_t buf[64];
    assert_int_equal(tensorflow__serving__predict_request__get_packed_size(&req), sizeof want);
    assert_int_equal(tensorflow__serving__predict_request__pack(&req, buf), sizeof want);
    assert_memory_equal(buf, want, sizeof want);

    Tensorflow__Serving__PredictRequest *back =
        tensorflow__serving__predict_request__unpack(NULL, sizeof want, want);
    assert_non_null(back);
    assert_string_equal(back->model_spec->name, "m");
    assert_int_equal(back->model_spec->version_choice_case,
                     TENSORFLOW__SERVING__MODEL_SPEC__VERSION_CHOICE_VERSION);
    assert_int_equal(back->model_spec->version->value, 3);
    assert_int_equal(back->n_inputs, 1);
    assert_string_equal(back->inputs[0]->key, "x");
    assert_int_equal(back->inputs[0]->value->n_float_val, 1);
    assert_true(back->inputs[0]->value->float_val[0] == 2.0f);
    assert_string_equal(back->output_filter[0], "y");
    tensorflow__serving__predict_request__free_unpacked(back, NULL);

    /* ModelSpec.version_label is field 4 and signature_name field 3. */
    static const uint8_t label[] = {0x0a, 0x01, 'm', 0x1a, 0x01, 's', 0x22, 0x01, 'c'};
    Tensorflow__Serving__ModelSpec *ms =
        tensorflow__serving__model_spec__unpack(NULL, sizeof label, label);
    assert_non_null(ms);
    assert_int_equal(ms->version_choice_case,
                     TENSORFLOW__SERVING__MODEL_SPEC__VERSION_CHOICE_VERSION_LABEL);
    assert_string_equal(ms->version_label, "c");
    assert_string_equal(ms->signature_name, "s");
    tensorflow__serving__model_spec__free_unpacked(ms, NULL);
}

/* tf.Example {x: float_list [2.0]} (models.md 3.1 request) by hand; an
 * empty Feature (bytes 12 00, models.md 2.8) decodes with no kind set. */
static void test_example_bytes(void **state)
{
    (void)state;
    static const uint8_t want[] = {
        0x0a, 0x0f,                         /* features */
        0x0a, 0x0d, 0x0a, 0x01, 'x',        /* feature entry, key */
        0x12, 0x08, 0x12, 0x06,             /* value, float_list */
        0x0a, 0x04, 0x00, 0x00, 0x00, 0x40, /* packed value 2.0 */
    };
    Tensorflow__Example *ex = tensorflow__example__unpack(NULL, sizeof want, want);
    assert_non_null(ex);
    assert_int_equal(ex->features->n_feature, 1);
    const Tensorflow__Feature *f = ex->features->feature[0]->value;
    assert_string_equal(ex->features->feature[0]->key, "x");
    assert_int_equal(f->kind_case, TENSORFLOW__FEATURE__KIND_FLOAT_LIST);
    assert_int_equal(f->float_list->n_value, 1);
    assert_true(f->float_list->value[0] == 2.0f);
    uint8_t buf[32];
    assert_int_equal(tensorflow__example__pack(ex, buf), sizeof want);
    assert_memory_equal(buf, want, sizeof want);
    tensorflow__example__free_unpacked(ex, NULL);

    static const uint8_t empty[] = {0x0a, 0x07, 0x0a, 0x05, 0x0a, 0x01, 'c', 0x12, 0x00};
    ex = tensorflow__example__unpack(NULL, sizeof empty, empty);
    assert_non_null(ex);
    assert_int_equal(ex->features->feature[0]->value->kind_case,
                     TENSORFLOW__FEATURE__KIND__NOT_SET);
    tensorflow__example__free_unpacked(ex, NULL);
}

/* formats.md 2.4: the payloads of the two event-file test records. */
static void test_event_records(void **state)
{
    (void)state;
    static const uint8_t rec1[] = {0x09, 0x00, 0x00, 0x00, 0x40, 0xfc, 0x54, 0xd9,
                                   0x41, 0x1a, 0x0d, 'b',  'r',  'a',  'i',  'n',
                                   '.',  'E',  'v',  'e',  'n',  't',  ':',  '2'};
    static const uint8_t rec2[] = {0x09, 0x00, 0x00, 0x60, 0x40, 0xfc, 0x54, 0xd9, 0x41,
                                   0x10, 0x64, 0x2a, 0x0d, 0x0a, 0x0b, 0x0a, 0x04, 'l',
                                   'o',  's',  's',  0x15, 0x00, 0x00, 0x80, 0x3e};
    Tensorflow__Event *e = tensorflow__event__unpack(NULL, sizeof rec1, rec1);
    assert_non_null(e);
    assert_true(e->wall_time == 1700000000.0);
    assert_int_equal(e->what_case, TENSORFLOW__EVENT__WHAT_FILE_VERSION);
    assert_string_equal(e->file_version, "brain.Event:2");
    tensorflow__event__free_unpacked(e, NULL);

    e = tensorflow__event__unpack(NULL, sizeof rec2, rec2);
    assert_non_null(e);
    assert_true(e->wall_time == 1700000001.5);
    assert_int_equal(e->step, 100);
    assert_int_equal(e->what_case, TENSORFLOW__EVENT__WHAT_SUMMARY);
    assert_int_equal(e->summary->n_value, 1);
    const Tensorflow__Summary__Value *v = e->summary->value[0];
    assert_string_equal(v->tag, "loss");
    assert_int_equal(v->value_case, TENSORFLOW__SUMMARY__VALUE__VALUE_SIMPLE_VALUE);
    assert_true(v->simple_value == 0.25f);
    uint8_t buf[64];
    assert_int_equal(tensorflow__event__pack(e, buf), sizeof rec2);
    assert_memory_equal(buf, rec2, sizeof rec2);
    tensorflow__event__free_unpacked(e, NULL);
}

/* Config and status messages: field numbers that are easy to get wrong. */
static void test_serving_messages(void **state)
{
    (void)state;
    /* ModelConfig{name:"a" model_version_policy{specific{versions:42}}
     * version_labels{"stable":42}}: policy is field 7, labels field 8, and
     * the policy choices are 100..102. */
    static const uint8_t cfg[] = {
        0x0a, 0x18,                               /* model_config_list */
        0x0a, 0x16, 0x0a, 0x01, 'a',              /* config, name */
        0x3a, 0x05, 0xb2, 0x06, 0x02, 0x08, 0x2a, /* policy 7, specific 102 */
        0x42, 0x0a, 0x0a, 0x06, 's',  't',  'a',  'b', 'l', 'e', 0x10, 0x2a,
    };
    Tensorflow__Serving__ModelServerConfig *c =
        tensorflow__serving__model_server_config__unpack(NULL, sizeof cfg, cfg);
    assert_non_null(c);
    assert_int_equal(c->config_case,
                     TENSORFLOW__SERVING__MODEL_SERVER_CONFIG__CONFIG_MODEL_CONFIG_LIST);
    const Tensorflow__Serving__ModelConfig *mc = c->model_config_list->config[0];
    assert_string_equal(mc->name, "a");
#define POLICY_SPECIFIC                                                                            \
    TENSORFLOW__SERVING__FILE_SYSTEM_STORAGE_PATH_SOURCE_CONFIG__SERVABLE_VERSION_POLICY__\
POLICY_CHOICE_SPECIFIC
    assert_int_equal(mc->model_version_policy->policy_choice_case, POLICY_SPECIFIC);
    assert_int_equal(mc->model_version_policy->specific->n_versions, 1);
    assert_int_equal(mc->model_version_policy->specific->versions[0], 42);
    assert_int_equal(mc->n_version_labels, 1);
    assert_string_equal(mc->version_labels[0]->key, "stable");
    assert_int_equal(mc->version_labels[0]->value, 42);
    tensorflow__serving__model_server_config__free_unpacked(c, NULL);

    /* ModelVersionStatus{version 123, state AVAILABLE(30), status{code 5}}. */
    static const uint8_t mvs[] = {0x08, 0x7b, 0x10, 0x1e, 0x1a, 0x02, 0x08, 0x05};
    Tensorflow__Serving__ModelVersionStatus *s =
        tensorflow__serving__model_version_status__unpack(NULL, sizeof mvs, mvs);
    assert_non_null(s);
    assert_int_equal(s->version, 123);
    assert_int_equal(s->state, TENSORFLOW__SERVING__MODEL_VERSION_STATUS__STATE__AVAILABLE);
    assert_int_equal(s->status->error_code, TENSORFLOW__ERROR__CODE__NOT_FOUND);
    tensorflow__serving__model_version_status__free_unpacked(s, NULL);

    /* PredictionLog{predict_log{request{model_spec{name:"m"}}}}: field 6. */
    static const uint8_t log[] = {0x32, 0x07, 0x0a, 0x05, 0x0a, 0x03, 0x0a, 0x01, 'm'};
    Tensorflow__Serving__PredictionLog *pl =
        tensorflow__serving__prediction_log__unpack(NULL, sizeof log, log);
    assert_non_null(pl);
    assert_int_equal(pl->log_type_case, TENSORFLOW__SERVING__PREDICTION_LOG__LOG_TYPE_PREDICT_LOG);
    assert_string_equal(pl->predict_log->request->model_spec->name, "m");
    tensorflow__serving__prediction_log__free_unpacked(pl, NULL);
}

/* Truncated and malformed inputs are rejected with NULL, never a crash. */
static void test_malformed(void **state)
{
    (void)state;
    static const uint8_t overlong[] = {0x1a, 0x05, 0x08, 0x01}; /* length 5 > 2 left */
    static const uint8_t bad_wire[] = {0x0f};                   /* wire type 7 */
    static const uint8_t cut_varint[] = {0x08, 0x80};           /* varint never ends */
    assert_null(tensorflow__bundle_header_proto__unpack(NULL, sizeof overlong, overlong));
    assert_null(tensorflow__bundle_header_proto__unpack(NULL, sizeof bad_wire, bad_wire));
    assert_null(tensorflow__bundle_header_proto__unpack(NULL, sizeof cut_varint, cut_varint));

    /* Every strict prefix of a real saved_model.pb that cuts a field fails;
     * sample cut points across the file (a cut between top-level fields
     * legitimately decodes, so only require no crash there). */
    size_t len = 0;
    char *buf = tsd_test_read_file(
        tsd_test_path("models/tfserving/saved_model_counter/00000123/saved_model.pb"), &len);
    assert_non_null(buf);
    assert_true(len > 100);
    const uint8_t *bytes = (const uint8_t *)buf;
    Tensorflow__SavedModel *sm = tensorflow__saved_model__unpack(NULL, len - 1, bytes);
    assert_null(sm);
    for (size_t cut = 1; cut < len; cut += len / 37 + 1) {
        sm = tensorflow__saved_model__unpack(NULL, cut, bytes);
        if (sm)
            tensorflow__saved_model__free_unpacked(sm, NULL);
    }
    /* A length prefix of 2^32 - 1 bytes (far beyond the file) is rejected. */
    uint8_t *bad = malloc(len);
    assert_non_null(bad);
    memcpy(bad, buf, len);
    assert_int_equal(bad[0], 0x08); /* schema version varint */
    static const uint8_t huge[] = {0x12, 0xff, 0xff, 0xff, 0xff, 0x0f};
    memcpy(bad, huge, sizeof huge); /* meta_graphs, length 2^32-1 */
    sm = tensorflow__saved_model__unpack(NULL, len, bad);
    assert_null(sm);
    free(bad);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundle_header),     cmocka_unit_test(test_bundle_entry),
        cmocka_unit_test(test_real_bundle_index), cmocka_unit_test(test_predict_request_bytes),
        cmocka_unit_test(test_example_bytes),     cmocka_unit_test(test_event_records),
        cmocka_unit_test(test_serving_messages),  cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
