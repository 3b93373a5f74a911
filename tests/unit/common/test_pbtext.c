/*
 * test_pbtext.c - the generic text-format parser on TF Serving's config
 * messages: the documented example config, error wording with line:column,
 * escapes, lists, enums, limits, and print/parse round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/pbtext.h"
#include "tensorflow_serving/config/model_server_config.pb-c.h"

#include "../test_util.h"

typedef Tensorflow__Serving__ModelServerConfig msc_t;

static msc_t *parse_ok(const char *text)
{
    ProtobufCMessage *m = NULL;
    tsd_status st = TSD_STATUS_INIT;
    tsd_code c = tsd_pbtext_parse(&tensorflow__serving__model_server_config__descriptor, text,
                                  strlen(text), &m, &st);
    if (c != TSD_OK)
        fprintf(stderr, "unexpected error: %s\n", st.msg);
    assert_int_equal(c, TSD_OK);
    assert_non_null(m);
    return (msc_t *)m;
}

static void parse_err(const char *text, const char *want)
{
    ProtobufCMessage *m = (ProtobufCMessage *)1;
    tsd_status st = TSD_STATUS_INIT;
    tsd_code c = tsd_pbtext_parse(&tensorflow__serving__model_server_config__descriptor, text,
                                  strlen(text), &m, &st);
    assert_int_equal(c, TSD_INVALID_ARGUMENT);
    assert_null(m);
    if (!strstr(st.msg, want))
        fprintf(stderr, "message '%s' lacks '%s'\n", st.msg, want);
    assert_non_null(strstr(st.msg, want));
    assert_non_null(
        strstr(st.msg, "Error parsing text-format tensorflow.serving.ModelServerConfig"));
}

/* The example config of TF Serving's serving_config documentation. */
static void test_documented_example(void **state)
{
    (void)state;
    const char *text =
        "model_config_list {\n"
        "  config { name: 'a' base_path: '/models/a' model_platform: 'tensorflow'\n"
        "           model_version_policy { specific { versions: 42 versions: 43 } }\n"
        "           version_labels { key: 'stable' value: 42 }\n"
        "           version_labels { key: 'canary' value: 43 } }\n"
        "  config { name: 'b' base_path: '/models/b' model_platform: 'tensorflow' }\n"
        "}\n";
    msc_t *c = parse_ok(text);
    assert_int_equal(c->config_case,
                     TENSORFLOW__SERVING__MODEL_SERVER_CONFIG__CONFIG_MODEL_CONFIG_LIST);
    Tensorflow__Serving__ModelConfigList *l = c->model_config_list;
    assert_int_equal(l->n_config, 2);
    assert_string_equal(l->config[0]->name, "a");
    assert_string_equal(l->config[0]->base_path, "/models/a");
    assert_string_equal(l->config[0]->model_platform, "tensorflow");
    Tensorflow__Serving__FileSystemStoragePathSourceConfig__ServableVersionPolicy *p =
        l->config[0]->model_version_policy;
    assert_non_null(p);
    assert_non_null(p->specific);
    assert_int_equal(p->specific->n_versions, 2);
    assert_int_equal(p->specific->versions[0], 42);
    assert_int_equal(p->specific->versions[1], 43);
    assert_int_equal(l->config[0]->n_version_labels, 2);
    assert_string_equal(l->config[0]->version_labels[0]->key, "stable");
    assert_int_equal(l->config[0]->version_labels[0]->value, 42);
    assert_string_equal(l->config[0]->version_labels[1]->key, "canary");
    assert_string_equal(l->config[1]->name, "b");
    protobuf_c_message_free_unpacked(&c->base, NULL);
}

static void test_syntax_variants(void **state)
{
    (void)state;
    /* colon before '{', angle brackets, list syntax, separators, comments,
     * double quotes with escapes and adjacent string concatenation */
    const char *text = "# leading comment\n"
                       "model_config_list: <\n"
                       "  config: { name: \"m\\x41\\101\\n\" \"-tail\"; base_path: \"/x\",\n"
                       "    model_version_policy { specific { versions: [1, 2, 0x10] } } }\n"
                       ">\n";
    msc_t *c = parse_ok(text);
    Tensorflow__Serving__ModelConfig *m = c->model_config_list->config[0];
    assert_string_equal(m->name, "mAA\n-tail");
    assert_string_equal(m->base_path, "/x");
    assert_int_equal(m->model_version_policy->specific->n_versions, 3);
    assert_int_equal(m->model_version_policy->specific->versions[2], 16);
    protobuf_c_message_free_unpacked(&c->base, NULL);
}

static void test_enum_and_bool(void **state)
{
    (void)state;
    msc_t *c = parse_ok("model_config_list { config { name: 'x' model_type: TENSORFLOW } }");
    assert_int_equal(c->model_config_list->config[0]->model_type,
                     TENSORFLOW__SERVING__MODEL_TYPE__TENSORFLOW);
    protobuf_c_message_free_unpacked(&c->base, NULL);
    parse_err("model_config_list { config { model_type: PYTORCH } }",
              "Unknown enumeration value of \"PYTORCH\" for field \"model_type\".");
}

static void test_errors(void **state)
{
    (void)state;
    parse_err("garbage", "1:1: Message type \"tensorflow.serving.ModelServerConfig\" has no "
                         "field named \"garbage\".");
    parse_err("model_config_list: 5", "1:20: Expected \"{\", found \"5\".");
    parse_err("model_config_list { config { name 'a' } }", "1:35: Expected \":\", found \"'a'\".");
    parse_err("model_config_list {\n  config { nme: 'a' }\n}",
              "2:12: Message type \"tensorflow.serving.ModelConfig\" has no field named \"nme\".");
    parse_err("model_config_list { config { name: 'a' }", "Expected \"}\".");
    parse_err("model_config_list { config { name: 'unterminated } }", "Unexpected end of string.");
    parse_err("model_config_list { config { name: 42 } }", "Expected string, got: 42");
    parse_err("model_config_list { config { model_version_policy { specific { versions: "
              "99999999999999999999 } } } }",
              "Integer out of range");
    parse_err("model_config_list { config { model_version_policy { specific { versions: x } } } }",
              "Expected integer, got: x");
    parse_err("[ext] { }", "Extensions and Any expansions are not supported.");
}

static void test_depth_limit(void **state)
{
    (void)state;
    /* custom_model_config is google.protobuf.Any; nest ModelConfigList via a
     * deep chain of repeated '{' to hit the limit without a crash. */
    size_t n = 100000;
    char *text = malloc(n * 2 + 64);
    assert_non_null(text);
    char *p = text;
    p += sprintf(p, "model_config_list ");
    for (size_t i = 0; i < n; i++)
        *p++ = '{';
    *p = '\0';
    ProtobufCMessage *m = NULL;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(tsd_pbtext_parse(&tensorflow__serving__model_server_config__descriptor, text,
                                      strlen(text), &m, &st),
                     TSD_INVALID_ARGUMENT);
    assert_null(m);
    free(text);
}

static void test_round_trip(void **state)
{
    (void)state;
    msc_t *c = parse_ok("model_config_list { config { name: 'a\"b' base_path: '/m' "
                        "model_version_policy { latest { num_versions: 3 } } "
                        "version_labels { key: 'x' value: 7 } } }");
    char *text = tsd_pbtext_print(&c->base);
    assert_non_null(text);
    assert_non_null(strstr(text, "num_versions: 3"));
    assert_non_null(strstr(text, "name: \"a\\\"b\""));
    msc_t *c2 = parse_ok(text);
    char *text2 = tsd_pbtext_print(&c2->base);
    assert_string_equal(text, text2);
    /* binary encodings agree too */
    size_t n1 = protobuf_c_message_get_packed_size(&c->base);
    size_t n2 = protobuf_c_message_get_packed_size(&c2->base);
    assert_int_equal(n1, n2);
    uint8_t *b1 = malloc(n1), *b2 = malloc(n2);
    protobuf_c_message_pack(&c->base, b1);
    protobuf_c_message_pack(&c2->base, b2);
    assert_memory_equal(b1, b2, n1);
    free(b1);
    free(b2);
    free(text);
    free(text2);
    protobuf_c_message_free_unpacked(&c->base, NULL);
    protobuf_c_message_free_unpacked(&c2->base, NULL);
}

static void test_file(void **state)
{
    (void)state;
    const char *dir = tsd_test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/models.config", dir);
    const char *text = "model_config_list { config { name: 'f' base_path: '/f' } }\n";
    assert_int_equal(tsd_test_write_file(path, text, strlen(text)), 0);
    ProtobufCMessage *m = NULL;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(
        tsd_pbtext_parse_file(&tensorflow__serving__model_server_config__descriptor, path, &m, &st),
        TSD_OK);
    protobuf_c_message_free_unpacked(m, NULL);
    unlink(path);
    assert_int_equal(
        tsd_pbtext_parse_file(&tensorflow__serving__model_server_config__descriptor, path, &m, &st),
        TSD_NOT_FOUND);
    assert_non_null(strstr(st.msg, path));
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_documented_example),
        cmocka_unit_test(test_syntax_variants),
        cmocka_unit_test(test_enum_and_bool),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
