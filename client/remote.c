/*
 * remote.c - tensorctl's client subcommands against a running server:
 *   predict | classify | regress | metadata | status | reload
 * over gRPC (default) or REST (--rest). Requests are written in TF
 * Serving's REST JSON (the same body for both transports); over gRPC the
 * JSON is converted with the signature dtypes from GetModelMetadata and the
 * reply is printed as the REST API would print it. Large CSV or TFRecord
 * inputs are streamed in batches to an output file with a progress line.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/cli.h"
#include "client/rpc.h"
#include "common/pbtext.h"
#include "loader/loader.h"
#include "loader/tensor_proto.h"
#include "server/json_example.h"
#include "server/json_out.h"
#include "server/json_tensor.h"
#include "tensorflow_serving/apis/classification.pb-c.h"
#include "tensorflow_serving/apis/get_model_metadata.pb-c.h"
#include "tensorflow_serving/apis/get_model_status.pb-c.h"
#include "tensorflow_serving/apis/model_management.pb-c.h"
#include "tensorflow_serving/apis/predict.pb-c.h"
#include "tensorflow_serving/apis/regression.pb-c.h"
#include "tensorflow_serving/config/model_server_config.pb-c.h"

/* Command-line options shared by the client subcommands. */
typedef struct opts {
    const char *target;
    const char *model;
    int has_version;
    int64_t version;
    const char *label;
    const char *signature;
    const char *json;     /* request body (REST JSON) */
    const char *csv;      /* stream rows from a CSV file */
    const char *tfrecord; /* stream tf.Examples from a TFRecord file */
    const char *output;   /* streaming output (JSON lines) */
    const char *config;   /* reload: text-format ModelServerConfig */
    const char *skip;     /* CSV columns to leave out */
    int batch;
    int rest;
    int64_t timeout_ms;
} opts;

static void usage(const char *cmd)
{
    fprintf(stderr,
            "usage: tensorctl %s HOST:PORT --model NAME [--version N | --label L]\n"
            "         [--signature S] [--rest] [--timeout_ms N]\n"
            "         predict:  --json '{\"instances\": [...]}' | --csv FILE\n"
            "         classify, regress: --json '{\"examples\": [...]}' | --csv FILE |"
            " --tfrecord FILE\n"
            "         streaming: [--batch_size N] [--output FILE] [--skip_columns a,b]\n"
            "       tensorctl metadata|status HOST:PORT --model NAME [--version N] [--rest]\n"
            "       tensorctl reload HOST:PORT --config FILE   (gRPC only)\n",
            cmd);
}

static int parse_opts(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    o->batch = 256;
    o->timeout_ms = 60000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(name, field)                                                                           \
    if (strcmp(a, name) == 0 && v) {                                                               \
        o->field = v;                                                                              \
        i++;                                                                                       \
        continue;                                                                                  \
    }
        OPT("--model", model)
        OPT("--label", label)
        OPT("--signature", signature)
        OPT("--json", json)
        OPT("--csv", csv)
        OPT("--tfrecord", tfrecord)
        OPT("--output", output)
        OPT("--config", config)
        OPT("--skip_columns", skip)
#undef OPT
        if (strcmp(a, "--version") == 0 && v) {
            o->has_version = 1;
            o->version = strtoll(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--batch_size") == 0 && v) {
            o->batch = atoi(v);
            i++;
        } else if (strcmp(a, "--timeout_ms") == 0 && v) {
            o->timeout_ms = strtoll(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--rest") == 0) {
            o->rest = 1;
        } else if (a[0] != '-' && !o->target) {
            o->target = a;
        } else {
            fprintf(stderr, "tensorctl %s: unknown or incomplete argument '%s'\n", argv[0], a);
            return -1;
        }
    }
    if (!o->target) {
        fprintf(stderr, "tensorctl %s: missing HOST:PORT\n", argv[0]);
        return -1;
    }
    if (o->batch <= 0)
        o->batch = 256;
    return 0;
}

/* ---- shared helpers ----------------------------------------------------------- */

static Tensorflow__Serving__ModelSpec *model_spec(const opts *o, Google__Protobuf__Int64Value *v)
{
    static Tensorflow__Serving__ModelSpec ms;
    tensorflow__serving__model_spec__init(&ms);
    ms.name = (char *)(o->model ? o->model : "");
    ms.signature_name = (char *)(o->signature ? o->signature : "");
    if (o->has_version) {
        google__protobuf__int64_value__init(v);
        v->value = o->version;
        ms.version_choice_case = TENSORFLOW__SERVING__MODEL_SPEC__VERSION_CHOICE_VERSION;
        ms.version = v;
    } else if (o->label) {
        ms.version_choice_case = TENSORFLOW__SERVING__MODEL_SPEC__VERSION_CHOICE_VERSION_LABEL;
        ms.version_label = (char *)o->label;
    }
    return &ms;
}

static tsd_code grpc_unary(cli_grpc *g, const char *method, const ProtobufCMessage *req,
                           const ProtobufCMessageDescriptor *rd, ProtobufCMessage **resp,
                           int64_t timeout_ms, tsd_status *st)
{
    size_t len = protobuf_c_message_get_packed_size(req);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    protobuf_c_message_pack(req, buf);
    uint8_t *out;
    size_t olen;
    tsd_code c = cli_grpc_call(g, method, buf, len, timeout_ms, &out, &olen, st);
    free(buf);
    if (c)
        return c;
    *resp = protobuf_c_message_unpack(rd, NULL, olen, out);
    free(out);
    if (!*resp)
        return tsd_err(st, TSD_DATA_LOSS, "cannot parse the %s reply", rd->name);
    return TSD_OK;
}

/* REST path prefix /v1/models/M[/versions/V|/labels/L]. */
static void rest_path(const opts *o, char *buf, size_t cap, const char *suffix)
{
    if (o->has_version)
        snprintf(buf, cap, "/v1/models/%s/versions/%" PRId64 "%s", o->model, o->version, suffix);
    else if (o->label)
        snprintf(buf, cap, "/v1/models/%s/labels/%s%s", o->model, o->label, suffix);
    else
        snprintf(buf, cap, "/v1/models/%s%s", o->model, suffix);
}

/* Add signature_name to a REST body when --signature is given. */
static char *with_signature(const opts *o, json_t *root)
{
    if (o->signature && !json_object_get(root, "signature_name"))
        json_object_set_new(root, "signature_name", json_string(o->signature));
    return json_dumps(root, JSON_COMPACT);
}

static tsd_code rest_post(const opts *o, const char *verb, json_t *root, char **out, tsd_status *st)
{
    char path[1024];
    char suffix[32];
    snprintf(suffix, sizeof suffix, ":%s", verb);
    rest_path(o, path, sizeof path, suffix);
    char *body = with_signature(o, root);
    if (!body)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    long code;
    tsd_code c =
        cli_rest_call(o->target, "POST", path, body, strlen(body), o->timeout_ms, out, &code, st);
    free(body);
    if (!c && code != 200) {
        json_error_t e;
        json_t *j = json_loads(*out, 0, &e);
        const char *msg = j ? json_string_value(json_object_get(j, "error")) : NULL;
        c = tsd_err(st, code == 404 ? TSD_NOT_FOUND : TSD_INVALID_ARGUMENT, "HTTP %ld: %s", code,
                    msg ? msg : *out);
        json_decref(j);
        free(*out);
        *out = NULL;
    }
    return c;
}

/* Signature input keys and dtypes from GetModelMetadata (gRPC). */
typedef struct siginfo {
    size_t n;
    char **keys;
    eng_dtype *dtypes;
} siginfo;

static void siginfo_free(siginfo *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->keys[i]);
    free(s->keys);
    free(s->dtypes);
    memset(s, 0, sizeof *s);
}

static tsd_code fetch_siginfo(cli_grpc *g, const opts *o, siginfo *si, tsd_status *st)
{
    memset(si, 0, sizeof *si);
    Google__Protobuf__Int64Value v;
    Tensorflow__Serving__GetModelMetadataRequest req;
    tensorflow__serving__get_model_metadata_request__init(&req);
    req.model_spec = model_spec(o, &v);
    char *field = "signature_def";
    req.n_metadata_field = 1;
    req.metadata_field = &field;
    ProtobufCMessage *rm;
    tsd_code c = grpc_unary(g, "/tensorflow.serving.PredictionService/GetModelMetadata", &req.base,
                            &tensorflow__serving__get_model_metadata_response__descriptor, &rm,
                            o->timeout_ms, st);
    if (c)
        return c;
    Tensorflow__Serving__GetModelMetadataResponse *resp = (void *)rm;
    Tensorflow__Serving__SignatureDefMap *map = NULL;
    for (size_t i = 0; i < resp->n_metadata; i++)
        if (!strcmp(resp->metadata[i]->key, "signature_def") && resp->metadata[i]->value)
            map = tensorflow__serving__signature_def_map__unpack(
                NULL, resp->metadata[i]->value->value.len, resp->metadata[i]->value->value.data);
    const char *want = o->signature && *o->signature ? o->signature : "serving_default";
    const Tensorflow__SignatureDef *sd = NULL;
    for (size_t i = 0; map && i < map->n_signature_def; i++)
        if (!strcmp(map->signature_def[i]->key, want))
            sd = map->signature_def[i]->value;
    if (!sd) {
        c = tsd_err(st, TSD_FAILED_PRECONDITION, "Serving signature key \"%s\" not found.", want);
    } else {
        si->keys = calloc(sd->n_inputs + 1, sizeof *si->keys);
        si->dtypes = calloc(sd->n_inputs + 1, sizeof *si->dtypes);
        for (size_t i = 0; si->keys && si->dtypes && i < sd->n_inputs; i++) {
            si->keys[i] = strdup(sd->inputs[i]->key);
            si->dtypes[i] = (eng_dtype)sd->inputs[i]->value->dtype;
            si->n = i + 1;
        }
    }
    if (map)
        tensorflow__serving__signature_def_map__free_unpacked(map, NULL);
    protobuf_c_message_free_unpacked(rm, NULL);
    return c;
}

/* ---- predict -------------------------------------------------------------------- */

/* One predict request from a REST JSON body; *out is the REST JSON reply. */
static tsd_code predict_json(cli_grpc *g, const opts *o, const siginfo *si, json_t *root,
                             char **out, tsd_status *st)
{
    if (o->rest)
        return rest_post(o, "predict", root, out, st);
    srv_json_limits lim = {(int64_t)1 << 31, 64};
    srv_json_inputs in;
    tsd_code c = srv_json_predict_inputs(root, (const char *const *)si->keys, si->dtypes, si->n,
                                         &lim, &in, st);
    if (c)
        return c;
    Google__Protobuf__Int64Value v;
    Tensorflow__Serving__PredictRequest req;
    tensorflow__serving__predict_request__init(&req);
    req.model_spec = model_spec(o, &v);
    Tensorflow__Serving__PredictRequest__InputsEntry *ents = calloc(in.n + 1, sizeof *ents);
    Tensorflow__Serving__PredictRequest__InputsEntry **eps = calloc(in.n + 1, sizeof *eps);
    if (!ents || !eps)
        c = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; !c && i < in.n; i++) {
        tensorflow__serving__predict_request__inputs_entry__init(&ents[i]);
        ents[i].key = (char *)in.names[i];
        c = ldr_tensor_to_proto(&in.tensors[i], 1, &ents[i].value, st);
        eps[i] = &ents[i];
        req.n_inputs = i + 1;
    }
    req.inputs = eps;
    ProtobufCMessage *rm = NULL;
    if (!c)
        c = grpc_unary(g, "/tensorflow.serving.PredictionService/Predict", &req.base,
                       &tensorflow__serving__predict_response__descriptor, &rm, o->timeout_ms, st);
    for (size_t i = 0; i < req.n_inputs; i++)
        if (ents[i].value)
            tensorflow__tensor_proto__free_unpacked(ents[i].value, NULL);
    free(ents);
    free(eps);
    int row = in.row_format;
    srv_json_inputs_free(&in);
    if (c)
        return c;
    Tensorflow__Serving__PredictResponse *resp = (void *)rm;
    size_t n = resp->n_outputs;
    const char **keys = calloc(n + 1, sizeof *keys);
    eng_tensor *ts = calloc(n + 1, sizeof *ts);
    size_t done = 0;
    if (!keys || !ts)
        c = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (; !c && done < n; done++) {
        keys[done] = resp->outputs[done]->key;
        c = ldr_tensor_from_proto(resp->outputs[done]->value, &ts[done], st);
    }
    srv_buf b = {0};
    if (!c)
        c = srv_json_predict_response(&b, row, keys, ts, n, st);
    for (size_t i = 0; i < done; i++)
        eng_tensor_free_data(&ts[i]);
    free(keys);
    free(ts);
    protobuf_c_message_free_unpacked(rm, NULL);
    if (c) {
        srv_buf_free(&b);
        return c;
    }
    *out = b.data;
    return TSD_OK;
}

/* ---- classify / regress ------------------------------------------------------------ */

static tsd_code examples_json(cli_grpc *g, const opts *o, int classify, json_t *root, char **out,
                              tsd_status *st)
{
    if (o->rest)
        return rest_post(o, classify ? "classify" : "regress", root, out, st);
    eng_tensor ex;
    char *storage;
    tsd_code c = srv_json_examples(root, classify ? "classify" : "regress", &ex, &storage, st);
    if (c)
        return c;
    int64_t n = ex.dims[0];
    const eng_str *s = ex.data;
    Tensorflow__Example **exs = calloc((size_t)n + 1, sizeof *exs);
    for (int64_t i = 0; exs && i < n; i++)
        exs[i] = tensorflow__example__unpack(NULL, s[i].len, (const uint8_t *)s[i].ptr);
    Tensorflow__Serving__ExampleList el;
    tensorflow__serving__example_list__init(&el);
    el.n_examples = (size_t)n;
    el.examples = exs;
    Tensorflow__Serving__Input input;
    tensorflow__serving__input__init(&input);
    input.kind_case = TENSORFLOW__SERVING__INPUT__KIND_EXAMPLE_LIST;
    input.example_list = &el;
    Google__Protobuf__Int64Value v;
    ProtobufCMessage *rm = NULL;
    if (!exs) {
        c = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    } else if (classify) {
        Tensorflow__Serving__ClassificationRequest req;
        tensorflow__serving__classification_request__init(&req);
        req.model_spec = model_spec(o, &v);
        req.input = &input;
        c = grpc_unary(g, "/tensorflow.serving.PredictionService/Classify", &req.base,
                       &tensorflow__serving__classification_response__descriptor, &rm,
                       o->timeout_ms, st);
    } else {
        Tensorflow__Serving__RegressionRequest req;
        tensorflow__serving__regression_request__init(&req);
        req.model_spec = model_spec(o, &v);
        req.input = &input;
        c = grpc_unary(g, "/tensorflow.serving.PredictionService/Regress", &req.base,
                       &tensorflow__serving__regression_response__descriptor, &rm, o->timeout_ms,
                       st);
    }
    for (int64_t i = 0; exs && i < n; i++)
        if (exs[i])
            tensorflow__example__free_unpacked(exs[i], NULL);
    free(exs);
    eng_tensor_free_data(&ex);
    free(storage);
    if (c)
        return c;
    srv_buf b = {0};
    srv_buf_puts(&b, "{\"results\": [");
    if (classify) {
        Tensorflow__Serving__ClassificationResponse *r = (void *)rm;
        for (size_t e = 0; r->result && e < r->result->n_classifications; e++) {
            Tensorflow__Serving__Classifications *cs = r->result->classifications[e];
            srv_buf_puts(&b, e ? ", [" : "[");
            for (size_t k = 0; k < cs->n_classes; k++) {
                srv_buf_puts(&b, k ? ", [" : "[");
                srv_json_string(&b, cs->classes[k]->label, strlen(cs->classes[k]->label));
                srv_buf_puts(&b, ", ");
                srv_json_float(&b, cs->classes[k]->score);
                srv_buf_puts(&b, "]");
            }
            srv_buf_puts(&b, "]");
        }
    } else {
        Tensorflow__Serving__RegressionResponse *r = (void *)rm;
        for (size_t e = 0; r->result && e < r->result->n_regressions; e++) {
            if (e)
                srv_buf_puts(&b, ", ");
            srv_json_float(&b, r->result->regressions[e]->value);
        }
    }
    srv_buf_puts(&b, "]}");
    protobuf_c_message_free_unpacked(rm, NULL);
    *out = b.data;
    return TSD_OK;
}

/* ---- streaming CSV / TFRecord ------------------------------------------------------ */

/* Split one CSV line in place (no quoting beyond trimming spaces). */
static int split_csv(char *line, char **cells, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ')
            p++;
        char *start = p;
        while (*p && *p != ',' && *p != '\n' && *p != '\r')
            p++;
        char *end = p;
        while (end > start && end[-1] == ' ')
            end--;
        int last = *p != ',';
        *end = '\0';
        if (n < max)
            cells[n++] = start;
        if (last)
            break;
        p++;
    }
    return n;
}

static int skipped(const opts *o, const char *col)
{
    if (!o->skip)
        return 0;
    size_t l = strlen(col);
    for (const char *s = o->skip; *s;) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == l && strncmp(s, col, l) == 0)
            return 1;
        s += n + (e ? 1 : 0);
        if (!e)
            break;
    }
    return 0;
}

/* A CSV cell as JSON: numbers as numbers (decimals as reals so tf.Example
 * features are floats), everything else as a string; "" = missing. */
static json_t *cell_json(const char *s, int force_real)
{
    if (!*s)
        return NULL;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (!*end && !errno)
        return force_real || strpbrk(s, ".eE") ? json_real(d) : json_integer((json_int_t)d);
    return json_string(s);
}

static void progress(long done, double t0, int final)
{
    if (!isatty(STDERR_FILENO))
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double el = (double)ts.tv_sec + ts.tv_nsec / 1e9 - t0;
    fprintf(stderr, "\r%ld rows scored, %.0f rows/s%s", done, el > 0 ? done / el : 0.0,
            final ? "\n" : "");
}

/* Score a batch and write one JSON line per row to out. */
static tsd_code score_batch(cli_grpc *g, const opts *o, const char *verb, const siginfo *si,
                            json_t *rows, FILE *out, tsd_status *st)
{
    json_t *root = json_object();
    int predict = strcmp(verb, "predict") == 0;
    json_object_set(root, predict ? "instances" : "examples", rows);
    char *reply = NULL;
    tsd_code c = predict ? predict_json(g, o, si, root, &reply, st)
                         : examples_json(g, o, strcmp(verb, "classify") == 0, root, &reply, st);
    json_decref(root);
    if (c)
        return c;
    json_error_t e;
    json_t *r = json_loads(reply, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    free(reply);
    json_t *arr = r ? json_object_get(r, predict ? "predictions" : "results") : NULL;
    if (!json_is_array(arr)) {
        json_decref(r);
        return tsd_err(st, TSD_DATA_LOSS, "unexpected reply (no %s array)",
                       predict ? "predictions" : "results");
    }
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item)
    {
        char *line = json_dumps(item, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(9));
        fprintf(out, "%s\n", line ? line : "null");
        free(line);
    }
    json_decref(r);
    return ferror(out) ? tsd_err(st, TSD_DATA_LOSS, "write error") : TSD_OK;
}

static tsd_code stream(cli_grpc *g, const opts *o, const char *verb, const siginfo *si,
                       tsd_status *st)
{
    FILE *out = o->output ? fopen(o->output, "w") : stdout;
    if (!out)
        return tsd_err(st, TSD_NOT_FOUND, "%s: %s", o->output, strerror(errno));
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double t0 = (double)ts.tv_sec + ts.tv_nsec / 1e9;
    long done = 0;
    tsd_code c = TSD_OK;
    json_t *rows = json_array();
    int predict = strcmp(verb, "predict") == 0;
    if (o->csv) {
        FILE *f = fopen(o->csv, "r");
        if (!f) {
            c = tsd_err(st, TSD_NOT_FOUND, "%s: %s", o->csv, strerror(errno));
            goto out;
        }
        char *line = NULL, *hdr = NULL;
        size_t cap = 0;
        char *cols[512], *cells[512];
        int ncols = 0;
        ssize_t n;
        while (!c && (n = getline(&line, &cap, f)) > 0) {
            if (!ncols) {
                hdr = strdup(line);
                ncols = split_csv(hdr, cols, 512);
                continue;
            }
            if (line[0] == '\n' || line[0] == '\r')
                continue;
            int nc = split_csv(line, cells, 512);
            json_t *obj = json_object();
            for (int k = 0; k < nc && k < ncols; k++) {
                if (skipped(o, cols[k]))
                    continue;
                json_t *v = cell_json(cells[k], !predict);
                if (v)
                    json_object_set_new(obj, cols[k], predict ? json_pack("[o]", v) : v);
            }
            json_array_append_new(rows, obj);
            if ((int)json_array_size(rows) >= o->batch) {
                c = score_batch(g, o, verb, si, rows, out, st);
                done += (long)json_array_size(rows);
                json_array_clear(rows);
                progress(done, t0, 0);
            }
        }
        free(line);
        free(hdr);
        fclose(f);
    } else {
        ldr_tfrecord *rd;
        if ((c = ldr_tfrecord_open(o->tfrecord, &rd, st)))
            goto out;
        const uint8_t *data;
        size_t len;
        while (!c && (c = ldr_tfrecord_next(rd, &data, &len, 0, st)) == TSD_OK) {
            /* the record's features as a JSON example (same request body
             * for REST and gRPC) */
            Tensorflow__Example *ex = tensorflow__example__unpack(NULL, len, data);
            if (!ex || !ex->features) {
                if (ex)
                    tensorflow__example__free_unpacked(ex, NULL);
                c = tsd_err(st, TSD_DATA_LOSS, "%s: record %ld is not a tf.Example", o->tfrecord,
                            done + (long)json_array_size(rows));
                break;
            }
            json_t *obj = json_object();
            for (size_t k = 0; k < ex->features->n_feature; k++) {
                Tensorflow__Feature *fv = ex->features->feature[k]->value;
                json_t *list = json_array();
                if (fv && fv->kind_case == TENSORFLOW__FEATURE__KIND_FLOAT_LIST)
                    for (size_t j = 0; j < fv->float_list->n_value; j++)
                        json_array_append_new(list, json_real(fv->float_list->value[j]));
                else if (fv && fv->kind_case == TENSORFLOW__FEATURE__KIND_INT64_LIST)
                    for (size_t j = 0; j < fv->int64_list->n_value; j++)
                        json_array_append_new(list, json_integer(fv->int64_list->value[j]));
                else if (fv && fv->kind_case == TENSORFLOW__FEATURE__KIND_BYTES_LIST)
                    for (size_t j = 0; j < fv->bytes_list->n_value; j++)
                        json_array_append_new(
                            list, json_stringn_nocheck((const char *)fv->bytes_list->value[j].data,
                                                       fv->bytes_list->value[j].len));
                if (json_array_size(list))
                    json_object_set_new(obj, ex->features->feature[k]->key, list);
                else
                    json_decref(list);
            }
            tensorflow__example__free_unpacked(ex, NULL);
            json_array_append_new(rows, obj);
            if ((int)json_array_size(rows) >= o->batch) {
                c = score_batch(g, o, verb, si, rows, out, st);
                done += (long)json_array_size(rows);
                json_array_clear(rows);
                progress(done, t0, 0);
            }
        }
        if (c == TSD_OUT_OF_RANGE) {
            c = TSD_OK;
            tsd_status_clear(st);
        }
        ldr_tfrecord_close(rd);
    }
    if (!c && json_array_size(rows)) {
        c = score_batch(g, o, verb, si, rows, out, st);
        done += (long)json_array_size(rows);
    }
    progress(done, t0, 1);
    if (!c && o->output)
        fprintf(stderr, "%ld rows scored, results in %s\n", done, o->output);
out:
    json_decref(rows);
    if (out != stdout && fclose(out) != 0 && !c)
        c = tsd_err(st, TSD_DATA_LOSS, "%s: write error", o->output);
    return c;
}

/* ---- subcommands ---------------------------------------------------------------- */

static int finish(tsd_code c, const tsd_status *st, char *out)
{
    if (c) {
        fprintf(stderr, "error: %s: %s\n", tsd_code_name(c), st->msg);
        free(out);
        return 1;
    }
    if (out) {
        printf("%s\n", out);
        free(out);
    }
    return 0;
}

static int run_inference(int argc, char **argv, const char *verb)
{
    opts o;
    if (parse_opts(argc, argv, &o) || !o.model || (!o.json && !o.csv && !o.tfrecord) ||
        (o.tfrecord && strcmp(verb, "predict") == 0)) {
        usage(verb);
        return 2;
    }
    tsd_status st = TSD_STATUS_INIT;
    cli_grpc *g = o.rest ? NULL : cli_grpc_open(o.target);
    siginfo si = {0};
    tsd_code c = TSD_OK;
    char *out = NULL;
    if (!o.rest && strcmp(verb, "predict") == 0)
        c = fetch_siginfo(g, &o, &si, &st);
    if (!c && o.json) {
        json_error_t e;
        json_t *root = json_loads(o.json, JSON_DECODE_ANY, &e);
        if (!root || !json_is_object(root)) {
            c = tsd_err(&st, TSD_INVALID_ARGUMENT, "--json: %s",
                        root ? "expected a JSON object" : e.text);
        } else if (strcmp(verb, "predict") == 0) {
            c = predict_json(g, &o, &si, root, &out, &st);
        } else {
            c = examples_json(g, &o, strcmp(verb, "classify") == 0, root, &out, &st);
        }
        json_decref(root);
    } else if (!c) {
        c = stream(g, &o, verb, &si, &st);
    }
    siginfo_free(&si);
    cli_grpc_close(g);
    return finish(c, &st, out);
}

int cli_cmd_predict(int argc, char **argv)
{
    return run_inference(argc, argv, "predict");
}

int cli_cmd_classify(int argc, char **argv)
{
    return run_inference(argc, argv, "classify");
}

int cli_cmd_regress(int argc, char **argv)
{
    return run_inference(argc, argv, "regress");
}

static int get_json(const opts *o, const char *suffix)
{
    char path[1024];
    rest_path(o, path, sizeof path, suffix);
    char *out = NULL;
    long code;
    tsd_status st = TSD_STATUS_INIT;
    tsd_code c = cli_rest_call(o->target, "GET", path, NULL, 0, o->timeout_ms, &out, &code, &st);
    if (!c && code != 200) {
        fprintf(stderr, "error: HTTP %ld: %s\n", code, out);
        free(out);
        return 1;
    }
    return finish(c, &st, out);
}

int cli_cmd_metadata(int argc, char **argv)
{
    opts o;
    if (parse_opts(argc, argv, &o) || !o.model) {
        usage("metadata");
        return 2;
    }
    if (o.rest)
        return get_json(&o, "/metadata");
    tsd_status st = TSD_STATUS_INIT;
    cli_grpc *g = cli_grpc_open(o.target);
    Google__Protobuf__Int64Value v;
    Tensorflow__Serving__GetModelMetadataRequest req;
    tensorflow__serving__get_model_metadata_request__init(&req);
    req.model_spec = model_spec(&o, &v);
    char *field = "signature_def";
    req.n_metadata_field = 1;
    req.metadata_field = &field;
    ProtobufCMessage *rm = NULL;
    tsd_code c = grpc_unary(g, "/tensorflow.serving.PredictionService/GetModelMetadata", &req.base,
                            &tensorflow__serving__get_model_metadata_response__descriptor, &rm,
                            o.timeout_ms, &st);
    char *out = NULL;
    if (!c) {
        Tensorflow__Serving__GetModelMetadataResponse *r = (void *)rm;
        json_t *sigs = json_object();
        for (size_t i = 0; i < r->n_metadata; i++) {
            if (strcmp(r->metadata[i]->key, "signature_def") || !r->metadata[i]->value)
                continue;
            Tensorflow__Serving__SignatureDefMap *map =
                tensorflow__serving__signature_def_map__unpack(
                    NULL, r->metadata[i]->value->value.len, r->metadata[i]->value->value.data);
            for (size_t k = 0; map && k < map->n_signature_def; k++) {
                const Tensorflow__SignatureDef *sd = map->signature_def[k]->value;
                json_t *in = json_object(), *outs = json_object();
                for (size_t j = 0; j < sd->n_inputs; j++)
                    json_object_set_new(
                        in, sd->inputs[j]->key,
                        json_pack("{s:s,s:s}", "name",
                                  sd->inputs[j]->value->name ? sd->inputs[j]->value->name : "",
                                  "dtype", eng_dtype_name((eng_dtype)sd->inputs[j]->value->dtype)));
                for (size_t j = 0; j < sd->n_outputs; j++)
                    json_object_set_new(
                        outs, sd->outputs[j]->key,
                        json_pack("{s:s,s:s}", "name",
                                  sd->outputs[j]->value->name ? sd->outputs[j]->value->name : "",
                                  "dtype",
                                  eng_dtype_name((eng_dtype)sd->outputs[j]->value->dtype)));
                json_object_set_new(sigs, map->signature_def[k]->key,
                                    json_pack("{s:s,s:o,s:o}", "method_name", sd->method_name,
                                              "inputs", in, "outputs", outs));
            }
            if (map)
                tensorflow__serving__signature_def_map__free_unpacked(map, NULL);
        }
        json_t *root = json_pack("{s:{s:s,s:s},s:o}", "model_spec", "name", r->model_spec->name,
                                 "version", "", "signature_def", sigs);
        char vbuf[32];
        snprintf(vbuf, sizeof vbuf, "%" PRId64,
                 r->model_spec->version ? r->model_spec->version->value : 0);
        json_object_set_new(json_object_get(root, "model_spec"), "version", json_string(vbuf));
        out = json_dumps(root, JSON_INDENT(2));
        json_decref(root);
        protobuf_c_message_free_unpacked(rm, NULL);
    }
    cli_grpc_close(g);
    return finish(c, &st, out);
}

int cli_cmd_status(int argc, char **argv)
{
    opts o;
    if (parse_opts(argc, argv, &o) || !o.model) {
        usage("status");
        return 2;
    }
    if (o.rest)
        return get_json(&o, "");
    tsd_status st = TSD_STATUS_INIT;
    cli_grpc *g = cli_grpc_open(o.target);
    Google__Protobuf__Int64Value v;
    Tensorflow__Serving__GetModelStatusRequest req;
    tensorflow__serving__get_model_status_request__init(&req);
    req.model_spec = model_spec(&o, &v);
    ProtobufCMessage *rm = NULL;
    tsd_code c = grpc_unary(g, "/tensorflow.serving.ModelService/GetModelStatus", &req.base,
                            &tensorflow__serving__get_model_status_response__descriptor, &rm,
                            o.timeout_ms, &st);
    char *out = NULL;
    if (!c) {
        Tensorflow__Serving__GetModelStatusResponse *r = (void *)rm;
        json_t *arr = json_array();
        for (size_t i = 0; i < r->n_model_version_status; i++) {
            const Tensorflow__Serving__ModelVersionStatus *m = r->model_version_status[i];
            char vbuf[32];
            snprintf(vbuf, sizeof vbuf, "%" PRId64, m->version);
            const ProtobufCEnumValue *sv = protobuf_c_enum_descriptor_get_value(
                &tensorflow__serving__model_version_status__state__descriptor, m->state);
            json_array_append_new(
                arr,
                json_pack("{s:s,s:s,s:{s:s,s:s}}", "version", vbuf, "state",
                          sv ? sv->name : "UNKNOWN", "status", "error_code",
                          tsd_code_name(m->status ? (tsd_code)m->status->error_code : TSD_OK),
                          "error_message",
                          m->status && m->status->error_message ? m->status->error_message : ""));
        }
        json_t *root = json_pack("{s:o}", "model_version_status", arr);
        out = json_dumps(root, JSON_INDENT(2));
        json_decref(root);
        protobuf_c_message_free_unpacked(rm, NULL);
    }
    cli_grpc_close(g);
    return finish(c, &st, out);
}

int cli_cmd_reload(int argc, char **argv)
{
    opts o;
    if (parse_opts(argc, argv, &o) || !o.config) {
        usage("reload");
        return 2;
    }
    tsd_status st = TSD_STATUS_INIT;
    ProtobufCMessage *cfg = NULL;
    tsd_code c = tsd_pbtext_parse_file(&tensorflow__serving__model_server_config__descriptor,
                                       o.config, &cfg, &st);
    if (c)
        return finish(c, &st, NULL);
    cli_grpc *g = cli_grpc_open(o.target);
    Tensorflow__Serving__ReloadConfigRequest req;
    tensorflow__serving__reload_config_request__init(&req);
    req.config = (Tensorflow__Serving__ModelServerConfig *)cfg;
    ProtobufCMessage *rm = NULL;
    c = grpc_unary(g, "/tensorflow.serving.ModelService/HandleReloadConfigRequest", &req.base,
                   &tensorflow__serving__reload_config_response__descriptor, &rm, o.timeout_ms,
                   &st);
    protobuf_c_message_free_unpacked(cfg, NULL);
    char *out = NULL;
    if (!c) {
        out = strdup("{\"status\": {\"error_code\": \"OK\", \"error_message\": \"\"}}");
        protobuf_c_message_free_unpacked(rm, NULL);
    }
    cli_grpc_close(g);
    return finish(c, &st, out);
}
