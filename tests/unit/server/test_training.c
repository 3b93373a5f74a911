/*
 * test_training.c - embedded training jobs (server/training.c) and their
 * model config: the admin token check, training_job parsing and path
 * resolution, a failing round that records its error without touching
 * serving, a real census round whose export the manager picks up on a
 * rescan (a temp-* directory is not a version), stopping a long round at a
 * checkpoint, and jobs following config changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/pbtext.h"
#include "server/config.h"
#include "server/manager.h"
#include "server/training.h"
#include "tensorflow_serving/config/model_server_config.pb-c.h"
#include "tests/unit/test_util.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Poll model's job until its state is one of a or b (30 s at most). */
static srv_training_state wait_state(srv_training *t, const char *model, srv_training_state a,
                                     srv_training_state b, srv_training_status *s)
{
    tsd_status st = TSD_STATUS_INIT;
    for (int i = 0; i < 3000; i++) {
        assert_int_equal(srv_training_get(t, model, s, &st), TSD_OK);
        if (s->state == a || s->state == b)
            break;
        sleep_ms(10);
    }
    return s->state;
}

/* A census trainer config in dir training max_steps steps into dir/model_dir. */
static void write_census_config(const char *dir, long max_steps, char *path, size_t cap)
{
    char text[4096];
    snprintf(text, sizeof text,
             "data {\n"
             "  train_files: \"%s/datasets/census/adult.data.csv\"\n"
             "  eval_files: \"%s/datasets/census/adult.test.csv\"\n"
             "  column_names: [\"age\", \"workclass\", \"fnlwgt\", \"education\", "
             "\"education_num\", \"marital_status\", \"occupation\", \"relationship\", \"race\", "
             "\"gender\", \"capital_gain\", \"capital_loss\", \"hours_per_week\", "
             "\"native_country\", \"income_bracket\"]\n"
             "  label_column: \"income_bracket\"\n"
             "  label_vocabulary: [\"<=50K\", \">50K\"]\n"
             "  batch_size: 64\n"
             "  max_steps: %ld\n"
             "}\n"
             "feature_columns { name: \"age\" numeric { normalize: true } }\n"
             "feature_columns { name: \"education_num\" numeric { normalize: true } }\n"
             "feature_columns { name: \"hours_per_week\" numeric { normalize: true } }\n"
             "estimator { type: \"DNNClassifier\" hidden_units: [8] learning_rate: 0.05 }\n"
             "run_config { model_dir: \"model_dir\" tf_random_seed: 7 }\n",
             TSD_SOURCE_DIR, TSD_SOURCE_DIR, max_steps);
    snprintf(path, cap, "%s/trainer.config", dir);
    assert_int_equal(tsd_test_write_file(path, text, strlen(text)), 0);
}

static srv_manager *no_poll_manager(void)
{
    srv_manager_options mo;
    memset(&mo, 0, sizeof mo);
    mo.file_system_poll_wait_seconds = -1;
    mo.max_num_load_retries = 0;
    srv_manager *m = srv_manager_new(&mo);
    assert_non_null(m);
    return m;
}

static void test_state_names(void **state)
{
    (void)state;
    assert_string_equal(srv_training_state_name(SRV_TRAINING_IDLE), "idle");
    assert_string_equal(srv_training_state_name(SRV_TRAINING_RUNNING), "running");
    assert_string_equal(srv_training_state_name(SRV_TRAINING_STOPPING), "stopping");
    assert_string_equal(srv_training_state_name(SRV_TRAINING_FAILED), "failed");
    assert_string_equal(srv_training_state_name(SRV_TRAINING_DONE), "done");
}

static void test_authorize(void **state)
{
    (void)state;
    srv_manager *m = no_poll_manager();
    tsd_status st = TSD_STATUS_INIT;
    srv_training_options none = {NULL, 0, 0};
    srv_training *t = srv_training_new(m, &none);
    assert_int_equal(srv_training_authorize(t, "anything", &st), TSD_PERMISSION_DENIED);
    assert_string_equal(st.msg, "training control is disabled (no --training_admin_token)");
    assert_int_equal(srv_training_authorize(NULL, "anything", &st), TSD_PERMISSION_DENIED);
    srv_training_free(t);

    srv_training_options opt = {"s3cret", 0, 0};
    t = srv_training_new(m, &opt);
    assert_int_equal(srv_training_authorize(t, NULL, &st), TSD_PERMISSION_DENIED);
    assert_non_null(strstr(st.msg, "missing admin token"));
    assert_int_equal(srv_training_authorize(t, "", &st), TSD_PERMISSION_DENIED);
    assert_non_null(strstr(st.msg, "missing admin token"));
    const char *bad[] = {"s3creT", "s3cre", "s3crett", "x", "s3cret "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(srv_training_authorize(t, bad[i], &st), TSD_PERMISSION_DENIED);
        assert_string_equal(st.msg, "invalid admin token");
    }
    assert_int_equal(srv_training_authorize(t, "s3cret", &st), TSD_OK);
    srv_training_free(t);
    srv_manager_free(m);
}

static void test_config_training_job(void **state)
{
    (void)state;
    const char *dir = tsd_test_tmpdir();
    char path[512], text[1024];
    snprintf(path, sizeof path, "%s/models.config", dir);
    snprintf(text, sizeof text,
             "model_config_list {\n"
             "  config { name: 'a' base_path: '/m/a' model_platform: 'tensorflow'\n"
             "           training_job { config: 'jobs/a.config' interval_secs: 60 } }\n"
             "  config { name: 'b' base_path: '/m/b' model_platform: 'tensorflow'\n"
             "           training_job { config: '/etc/b.config' manual_start: true } }\n"
             "  config { name: 'c' base_path: '/m/c' model_platform: 'tensorflow' }\n"
             "}\n");
    assert_int_equal(tsd_test_write_file(path, text, strlen(text)), 0);
    srv_flags f;
    srv_flags_defaults(&f);
    free(f.model_config_file);
    f.model_config_file = strdup(path);
    srv_model_config *cfg = NULL;
    size_t n = 0;
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(srv_config_from_flags(&f, &cfg, &n, &st), TSD_OK);
    assert_int_equal(n, 3);
    char want[512];
    snprintf(want, sizeof want, "%s/jobs/a.config", dir);
    assert_string_equal(cfg[0].training_config, want);
    assert_int_equal(cfg[0].training_interval_secs, 60);
    assert_int_equal(cfg[0].training_manual_start, 0);
    assert_string_equal(cfg[1].training_config, "/etc/b.config");
    assert_int_equal(cfg[1].training_manual_start, 1);
    assert_null(cfg[2].training_config);
    srv_config_free(cfg, n);

    /* a config that does not come from a file needs absolute paths */
    ProtobufCMessage *msg = NULL;
    assert_int_equal(tsd_pbtext_parse(&tensorflow__serving__model_server_config__descriptor, text,
                                      strlen(text), &msg, &st),
                     TSD_OK);
    assert_int_equal(srv_config_from_proto((const void *)msg, &cfg, &n, &st), TSD_INVALID_ARGUMENT);
    assert_non_null(strstr(st.msg, "model a: training_job.config must be an absolute path"));
    protobuf_c_message_free_unpacked(msg, NULL);

    const char *bad[] = {
        "model_config_list { config { name: 'a' base_path: '/m/a' model_platform: "
        "'tensorflow' training_job { interval_secs: 5 } } }",
        "model_config_list { config { name: 'a' base_path: '/m/a' model_platform: "
        "'tensorflow' training_job { config: '/x' interval_secs: -1 } } }",
    };
    const char *why[] = {"training_job.config must be set", "interval_secs must be >= 0"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(tsd_pbtext_parse(&tensorflow__serving__model_server_config__descriptor,
                                          bad[i], strlen(bad[i]), &msg, &st),
                         TSD_OK);
        assert_int_equal(srv_config_from_proto((const void *)msg, &cfg, &n, &st),
                         TSD_INVALID_ARGUMENT);
        assert_non_null(strstr(st.msg, why[i]));
        protobuf_c_message_free_unpacked(msg, NULL);
    }
    srv_flags_free(&f);
}

static srv_model_config job_config(const char *name, char *base, char *trainer, int manual)
{
    srv_model_config c;
    memset(&c, 0, sizeof c);
    c.name = (char *)name;
    c.base_path = base;
    c.policy = SRV_POLICY_LATEST;
    c.num_versions = 1;
    c.training_config = trainer;
    c.training_manual_start = manual;
    return c;
}

static void test_failed_round_keeps_serving(void **state)
{
    (void)state;
    const char *dir = tsd_test_tmpdir();
    char base[512], trainer[] = "/nonexistent/trainer.config";
    snprintf(base, sizeof base, "%s/serving", dir);
    srv_manager *m = no_poll_manager();
    srv_training_options opt = {"tok", 1, 10};
    srv_training *t = srv_training_new(m, &opt);
    srv_manager_set_listener(m, srv_training_on_config, t);
    srv_model_config c = job_config("broken", base, trainer, 0);
    tsd_status st = TSD_STATUS_INIT;
    /* no version yet does not fail startup (the job will export), but the
     * model is not ready to serve */
    assert_int_equal(srv_manager_set_config(m, &c, 1, 1, &st), TSD_OK);
    assert_int_equal(srv_manager_ready(m), 0);
    srv_training_status s;
    assert_int_equal(wait_state(t, "broken", SRV_TRAINING_FAILED, SRV_TRAINING_DONE, &s),
                     SRV_TRAINING_FAILED);
    assert_int_equal(s.failures, 1);
    assert_int_equal(s.rounds, 0);
    assert_non_null(strstr(s.last_error, "/nonexistent/trainer.config"));
    assert_int_equal(s.last_version, -1);
    /* the base path was created; nothing is served */
    struct stat sb;
    assert_int_equal(stat(base, &sb), 0);
    srv_handle h;
    assert_int_equal(srv_manager_acquire(m, "broken", 0, 0, NULL, &h, &st), TSD_NOT_FOUND);
    /* a new start runs another round */
    assert_int_equal(srv_training_start(t, "broken", &s, &st), TSD_OK);
    assert_int_equal(wait_state(t, "broken", SRV_TRAINING_FAILED, SRV_TRAINING_DONE, &s),
                     SRV_TRAINING_FAILED);
    assert_int_equal(s.failures, 2);
    /* unknown models and models without a job */
    assert_int_equal(srv_training_get(t, "nosuch", &s, &st), TSD_NOT_FOUND);
    assert_string_equal(st.msg, "Could not find model nosuch");
    assert_int_equal(srv_training_start(t, "nosuch", &s, &st), TSD_NOT_FOUND);
    srv_model_config plain = job_config("plain", base, NULL, 0);
    srv_model_config both[2] = {c, plain};
    assert_int_equal(srv_manager_set_config(m, both, 2, 0, &st), TSD_OK);
    assert_int_equal(srv_training_get(t, "plain", &s, &st), TSD_NOT_FOUND);
    assert_non_null(strstr(st.msg, "Model plain has no training job"));
    /* an unchanged job is kept as it is */
    assert_int_equal(srv_training_get(t, "broken", &s, &st), TSD_OK);
    assert_int_equal(s.failures, 2);
    /* a model gone from the config takes its job along */
    assert_int_equal(srv_manager_set_config(m, &plain, 1, 0, &st), TSD_OK);
    assert_int_equal(srv_training_get(t, "broken", &s, &st), TSD_NOT_FOUND);
    srv_training_status *all;
    assert_int_equal(srv_training_list(t, &all), 0);
    free(all);
    srv_manager_set_listener(m, NULL, NULL);
    srv_training_free(t);
    srv_manager_free(m);
}

static void test_round_exports_a_served_version(void **state)
{
    (void)state;
    const char *dir = tsd_test_tmpdir();
    char base[512], trainer[512], tmp[600];
    snprintf(base, sizeof base, "%s/serving", dir);
    write_census_config(dir, 300, trainer, sizeof trainer);
    /* an export in progress is not a version */
    snprintf(tmp, sizeof tmp, "%s/temp-5", base);
    assert_int_equal(mkdir(base, 0755), 0);
    assert_int_equal(mkdir(tmp, 0755), 0);
    srv_manager *m = no_poll_manager();
    srv_training_options opt = {"tok", 1, 10};
    srv_training *t = srv_training_new(m, &opt);
    srv_manager_set_listener(m, srv_training_on_config, t);
    srv_model_config c = job_config("census", base, trainer, 1);
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(srv_manager_set_config(m, &c, 1, 1, &st), TSD_OK);
    srv_training_status s;
    assert_int_equal(srv_training_get(t, "census", &s, &st), TSD_OK);
    assert_int_equal(s.state, SRV_TRAINING_IDLE); /* manual_start */
    assert_int_equal(s.manual_start, 1);
    assert_int_equal(srv_manager_ready(m), 0);
    assert_int_equal(srv_training_start(t, "census", &s, &st), TSD_OK);
    assert_int_equal(s.state, SRV_TRAINING_RUNNING);
    assert_int_equal(wait_state(t, "census", SRV_TRAINING_FAILED, SRV_TRAINING_DONE, &s),
                     SRV_TRAINING_DONE);
    assert_string_equal(s.last_error, "");
    assert_int_equal(s.rounds, 1);
    assert_int_equal(s.step, 300);
    assert_int_equal(s.max_steps, 300);
    assert_true(s.has_metrics);
    double acc = trn_metrics_get(&s.metrics, "accuracy");
    assert_true(acc > 0.7 && acc <= 1.0);
    assert_true(s.last_version > 0);
    char want[700];
    snprintf(want, sizeof want, "%s/%lld", base, (long long)s.last_version);
    assert_string_equal(s.last_export_dir, want);
    /* rescan after the export: the version is served right away */
    srv_handle h;
    assert_int_equal(srv_manager_acquire(m, "census", 0, 0, NULL, &h, &st), TSD_OK);
    assert_int_equal(h.version, s.last_version);
    srv_handle_release(&h);
    assert_int_equal(srv_manager_ready(m), 1);
    srv_version_status *vs;
    size_t nv;
    assert_int_equal(srv_manager_status(m, "census", 0, 0, &vs, &nv, &st), TSD_OK);
    assert_int_equal(nv, 1);
    free(vs);
    srv_manager_set_listener(m, NULL, NULL);
    srv_training_free(t);
    srv_manager_free(m);
}

static void test_stop_saves_a_checkpoint(void **state)
{
    (void)state;
    const char *dir = tsd_test_tmpdir();
    char base[512], trainer[512], ckpt[600];
    snprintf(base, sizeof base, "%s/serving", dir);
    write_census_config(dir, 100000000L, trainer, sizeof trainer);
    srv_manager *m = no_poll_manager();
    srv_training_options opt = {"tok", 1, 10};
    srv_training *t = srv_training_new(m, &opt);
    srv_manager_set_listener(m, srv_training_on_config, t);
    srv_model_config c = job_config("long", base, trainer, 0);
    tsd_status st = TSD_STATUS_INIT;
    assert_int_equal(srv_manager_set_config(m, &c, 1, 1, &st), TSD_OK);
    srv_training_status s;
    for (int i = 0; i < 3000; i++) {
        assert_int_equal(srv_training_get(t, "long", &s, &st), TSD_OK);
        if (s.step > 100)
            break;
        sleep_ms(10);
    }
    assert_true(s.step > 100);
    assert_int_equal(s.state, SRV_TRAINING_RUNNING);
    assert_int_equal(srv_training_start(t, "long", &s, &st), TSD_ALREADY_EXISTS);
    assert_int_equal(srv_training_stop(t, "long", 30000, &s, &st), TSD_OK);
    assert_int_equal(s.state, SRV_TRAINING_IDLE);
    assert_string_equal(s.phase, "stopped");
    assert_int_equal(s.rounds, 0);
    assert_int_equal(s.failures, 0);
    assert_string_equal(s.last_error, "");
    /* the checkpoint is at the step the status reports */
    snprintf(ckpt, sizeof ckpt, "%s/model_dir/checkpoint", dir);
    char *text = tsd_test_read_file(ckpt, NULL);
    assert_non_null(text);
    char want[128];
    snprintf(want, sizeof want, "model_checkpoint_path: \"model.ckpt-%lld\"\n", (long long)s.step);
    assert_memory_equal(text, want, strlen(want));
    free(text);
    /* stopping again is fine */
    assert_int_equal(srv_training_stop(t, "long", 0, &s, &st), TSD_OK);
    assert_int_equal(s.state, SRV_TRAINING_IDLE);
    /* free stops a running job */
    assert_int_equal(srv_training_start(t, "long", &s, &st), TSD_OK);
    srv_manager_set_listener(m, NULL, NULL);
    srv_training_free(t);
    srv_manager_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_authorize),
        cmocka_unit_test(test_config_training_job),
        cmocka_unit_test(test_failed_round_keeps_serving),
        cmocka_unit_test(test_round_exports_a_served_version),
        cmocka_unit_test(test_stop_saves_a_checkpoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
