/*
 * config.c - the model set from flags: --model_name/--model_base_path, or a
 * text-format ModelServerConfig file, validated as TF Serving validates it
 * (absolute base paths, unique names, platform "tensorflow"), plus tensord's
 * training_job extension (trainer config paths resolved against the config
 * file's directory).
 */
#include "server/config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/pbtext.h"
#include "tensorflow_serving/config/model_server_config.pb-c.h"

void srv_config_free(srv_model_config *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++)
        srv_model_config_clear(&c[i]);
    free(c);
}

/* Reject relative paths and ".." components. */
static tsd_code check_base_path(const char *name, const char *p, tsd_status *st)
{
    if (!p || p[0] != '/')
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "Expected model %s to have an absolute path or URI; got base_path()=%s",
                       name, p ? p : "");
    for (const char *s = p; (s = strstr(s, "..")) != NULL; s += 2)
        if (s[-1] == '/' && (s[2] == '/' || s[2] == '\0'))
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "model %s: base_path %s must not contain '..' components", name, p);
    return TSD_OK;
}

static tsd_code check_name(const char *name, tsd_status *st)
{
    if (!name || !*name)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "model name must not be empty");
    for (const char *c = name; *c; c++)
        if (*c == '/' || *c == ':' || (unsigned char)*c < 0x20)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "model name '%s' must not contain '/', ':' or control characters", name);
    return TSD_OK;
}

/*
 * The training job of model d (tensord.TrainingJob): config path made
 * absolute against base_dir (NULL: the path must be absolute already).
 */
static tsd_code training_job(const Tensord__TrainingJob *tj, const char *base_dir,
                             srv_model_config *d, tsd_status *st)
{
    if (!tj->config || !*tj->config)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "model %s: training_job.config must be set",
                       d->name);
    if (tj->interval_secs < 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "model %s: training_job.interval_secs must be >= 0; got %lld", d->name,
                       (long long)tj->interval_secs);
    char path[PATH_MAX];
    if (tj->config[0] == '/') {
        snprintf(path, sizeof path, "%s", tj->config);
    } else if (!base_dir) {
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "model %s: training_job.config must be an absolute path when the config "
                       "does not come from a file; got '%s'",
                       d->name, tj->config);
    } else if (snprintf(path, sizeof path, "%s/%s", base_dir, tj->config) >= (int)sizeof path) {
        return tsd_err(st, TSD_INVALID_ARGUMENT, "model %s: training_job.config path too long",
                       d->name);
    }
    d->training_config = strdup(path);
    if (!d->training_config)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    d->training_interval_secs = tj->interval_secs;
    d->training_manual_start = tj->manual_start;
    return TSD_OK;
}

/* srv_config_from_proto with relative trainer config paths resolved
 * against base_dir (NULL: refused). */
static tsd_code from_proto(const Tensorflow__Serving__ModelServerConfig *msc, const char *base_dir,
                           srv_model_config **out, size_t *n, tsd_status *st)
{
    *out = NULL;
    *n = 0;
    if (msc->config_case != TENSORFLOW__SERVING__MODEL_SERVER_CONFIG__CONFIG_MODEL_CONFIG_LIST)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "ServerModelConfig type not supported. Only ModelConfigList is currently "
                       "supported");
    const Tensorflow__Serving__ModelConfigList *l = msc->model_config_list;
    srv_model_config *cfg = calloc(l->n_config ? l->n_config : 1, sizeof *cfg);
    if (!cfg)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    tsd_code c = TSD_OK;
    size_t k = 0;
    for (; k < l->n_config && !c; k++) {
        const Tensorflow__Serving__ModelConfig *mc = l->config[k];
        srv_model_config *d = &cfg[k];
        if ((c = check_name(mc->name, st)))
            break;
        for (size_t j = 0; j < k; j++)
            if (strcmp(cfg[j].name, mc->name) == 0) {
                c = tsd_err(st, TSD_INVALID_ARGUMENT,
                            "Illegal to list model %s multiple times in config list", mc->name);
                break;
            }
        if (c)
            break;
        if ((!mc->model_platform || !*mc->model_platform) && mc->model_type == 0) {
            c = tsd_err(st, TSD_INVALID_ARGUMENT,
                        "Illegal setting neither ModelServerConfig::model_type (deprecated) nor "
                        "ModelServerConfig::model_platform, model name is %s",
                        mc->name);
            break;
        }
        if (mc->model_platform && *mc->model_platform && strcmp(mc->model_platform, "tensorflow")) {
            c = tsd_err(st, TSD_INVALID_ARGUMENT,
                        "model %s: model_platform '%s' is not supported (only 'tensorflow')",
                        mc->name, mc->model_platform);
            break;
        }
        if ((c = check_base_path(mc->name, mc->base_path, st)))
            break;
        d->name = strdup(mc->name);
        d->base_path = strdup(mc->base_path);
        d->policy = SRV_POLICY_LATEST;
        d->num_versions = 1;
        const Tensorflow__Serving__FileSystemStoragePathSourceConfig__ServableVersionPolicy *p =
            mc->model_version_policy;
        if (p &&
            p->policy_choice_case ==
                TENSORFLOW__SERVING__FILE_SYSTEM_STORAGE_PATH_SOURCE_CONFIG__SERVABLE_VERSION_POLICY__POLICY_CHOICE_ALL) {
            d->policy = SRV_POLICY_ALL;
        } else if (
            p &&
            p->policy_choice_case ==
                TENSORFLOW__SERVING__FILE_SYSTEM_STORAGE_PATH_SOURCE_CONFIG__SERVABLE_VERSION_POLICY__POLICY_CHOICE_SPECIFIC) {
            d->policy = SRV_POLICY_SPECIFIC;
            d->nversions = p->specific->n_versions;
            d->versions = malloc((d->nversions ? d->nversions : 1) * sizeof *d->versions);
            if (d->versions)
                for (size_t v = 0; v < d->nversions; v++)
                    d->versions[v] = p->specific->versions[v];
        } else if (
            p &&
            p->policy_choice_case ==
                TENSORFLOW__SERVING__FILE_SYSTEM_STORAGE_PATH_SOURCE_CONFIG__SERVABLE_VERSION_POLICY__POLICY_CHOICE_LATEST) {
            d->num_versions = p->latest->num_versions > 0 ? p->latest->num_versions : 1;
        }
        if (mc->n_version_labels) {
            d->labels = calloc(mc->n_version_labels, sizeof *d->labels);
            for (size_t j = 0; d->labels && j < mc->n_version_labels; j++) {
                d->labels[j].label = strdup(mc->version_labels[j]->key);
                d->labels[j].version = mc->version_labels[j]->value;
                d->nlabels = j + 1;
            }
        }
        if (mc->training_job && (c = training_job(mc->training_job, base_dir, d, st)))
            break;
    }
    if (c) {
        srv_config_free(cfg, l->n_config);
        return c;
    }
    *out = cfg;
    *n = l->n_config;
    return TSD_OK;
}

tsd_code srv_config_from_proto(const Tensorflow__Serving__ModelServerConfig *msc,
                               srv_model_config **out, size_t *n, tsd_status *st)
{
    return from_proto(msc, NULL, out, n, st);
}

tsd_code srv_config_from_flags(const srv_flags *f, srv_model_config **out, size_t *n,
                               tsd_status *st)
{
    *out = NULL;
    *n = 0;
    if (f->model_config_file && *f->model_config_file) {
        ProtobufCMessage *m = NULL;
        tsd_code c = tsd_pbtext_parse_file(&tensorflow__serving__model_server_config__descriptor,
                                           f->model_config_file, &m, st);
        if (c)
            return c;
        /* the directory of the config file (absolute), for relative trainer
         * configs: "" for a file in / */
        char dir[PATH_MAX] = "";
        const char *file = f->model_config_file, *slash = strrchr(file, '/');
        size_t len = slash ? (size_t)(slash - file) : 0, o = 0;
        if (file[0] != '/') {
            if (!getcwd(dir, sizeof dir))
                snprintf(dir, sizeof dir, ".");
            o = strlen(dir);
            if (len && o + 1 < sizeof dir)
                dir[o++] = '/';
        }
        if (o + len < sizeof dir) {
            memcpy(dir + o, file, len);
            dir[o + len] = '\0';
        }
        c = from_proto((const Tensorflow__Serving__ModelServerConfig *)m, dir, out, n, st);
        protobuf_c_message_free_unpacked(m, NULL);
        return c;
    }
    if (!f->model_base_path || !*f->model_base_path)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "Both server_options.model_base_path and server_options.model_config_file "
                       "are empty!");
    tsd_code c = check_name(f->model_name, st);
    if (!c)
        c = check_base_path(f->model_name, f->model_base_path, st);
    if (c)
        return c;
    srv_model_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    cfg->name = strdup(f->model_name);
    cfg->base_path = strdup(f->model_base_path);
    cfg->policy = SRV_POLICY_LATEST;
    cfg->num_versions = 1;
    *out = cfg;
    *n = 1;
    return TSD_OK;
}
