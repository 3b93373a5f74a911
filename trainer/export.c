/*
 * export.c - SavedModel export, as Estimator.export_saved_model writes it
 * (formats: SavedModel export): a TF1-style graph with the parsing serving
 * input receiver and the model's forward pass (the same builder the
 * training graph uses, so predictions are the trainer's), the head's
 * prediction tensors under their usual names, the vocabulary tables'
 * initializers grouped as the main op, the saver's restore subgraph
 * (RestoreV2 + AssignVariableOp), and the head's signatures. The variables
 * bundle holds the model weights and global_step. Written under
 * <base>/temp-<ts>, then renamed to <base>/<ts>.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "loader/loader.h"
#include "tensorflow/core/framework/graph.pb-c.h"
#include "tensorflow/core/protobuf/saved_model.pb-c.h"
#include "trainer/model_int.h"
#include "trainer/trainer.h"

/* The saver's restore subgraph over the variables (sorted names). */
static tsd_code restore_graph(trn_gb *b, const char *const *vars, const eng_dtype *types, int nv)
{
    static const char *const model[1] = {"model"};
    const char *fname = trn_gb_strs(b, "save/filename", model, -1);
    eng_node *n = trn_gb_add(b, "save/Const", "PlaceholderWithDefault", &fname, 1);
    trn_gb_type(b, n, "dtype", ENG_DT_STRING);
    trn_gb_attr(b, n, "shape", (eng_attr){.kind = ENG_ATTR_SHAPE, .shape = {.rank = 0}});
    trn_gb_op1(b, "save/Identity", "Identity", "save/Const", ENG_DT_STRING); /* save_tensor_name */
    trn_gb_strs(b, "save/RestoreV2/tensor_names", vars, nv);
    const char **empty = calloc((size_t)nv + 1, sizeof *empty);
    const char **ctl = calloc((size_t)nv + 1, sizeof *ctl);
    if (!empty || !ctl) {
        free(empty);
        free(ctl);
        return tsd_err(b->st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    for (int i = 0; i < nv; i++)
        empty[i] = "";
    trn_gb_strs(b, "save/RestoreV2/shape_and_slices", empty, nv);
    n = trn_gb_add(b, "save/RestoreV2", "RestoreV2",
                   (const char *[]){"save/Const", "save/RestoreV2/tensor_names",
                                    "save/RestoreV2/shape_and_slices"},
                   3);
    trn_gb_attr(
        b, n, "dtypes",
        (eng_attr){.kind = ENG_ATTR_LIST_TYPE, .n = (size_t)nv, .types = (eng_dtype *)types});
    for (int i = 0; i < nv && !b->failed; i++) {
        const char *assign = trn_gb_name(b, "save/AssignVariableOp_%d", i);
        n = trn_gb_add(b, assign, "AssignVariableOp",
                       (const char *[]){vars[i], trn_gb_name(b, "save/RestoreV2:%d", i)}, 2);
        trn_gb_type(b, n, "dtype", types[i]);
        ctl[i] = trn_gb_name(b, "^%s", assign);
    }
    trn_gb_add(b, "save/restore_all", "NoOp", ctl, nv);
    free(empty);
    free(ctl);
    return b->failed ? b->st->code : TSD_OK;
}

/* ---- signatures ------------------------------------------------------------------ */

typedef struct tinfo {
    const char *key, *tensor;
    eng_dtype dtype;
    int rank;
    int64_t dims[2];
} tinfo;

typedef struct sig {
    const char *key, *method;
    int nin, nout;
    tinfo in[1], out[8];
} sig;

/* All of a signature's protos in one arena-like block (freed together). */
typedef struct sig_pb {
    Tensorflow__SignatureDef def;
    Tensorflow__SignatureDef__InputsEntry ie[1], *iep[1];
    Tensorflow__SignatureDef__OutputsEntry oe[8], *oep[8];
    Tensorflow__TensorInfo ti[9];
    Tensorflow__TensorShapeProto sp[9];
    Tensorflow__TensorShapeProto__Dim dim[9][2], *dimp[9][2];
} sig_pb;

static Tensorflow__TensorInfo *tensor_info(sig_pb *p, int k, const tinfo *t)
{
    tensorflow__tensor_info__init(&p->ti[k]);
    tensorflow__tensor_shape_proto__init(&p->sp[k]);
    for (int d = 0; d < t->rank; d++) {
        tensorflow__tensor_shape_proto__dim__init(&p->dim[k][d]);
        p->dim[k][d].size = t->dims[d];
        p->dimp[k][d] = &p->dim[k][d];
    }
    p->sp[k].n_dim = (size_t)t->rank;
    p->sp[k].dim = p->dimp[k];
    p->ti[k].dtype = (Tensorflow__DataType)t->dtype;
    p->ti[k].tensor_shape = &p->sp[k];
    p->ti[k].encoding_case = TENSORFLOW__TENSOR_INFO__ENCODING_NAME;
    p->ti[k].name = (char *)t->tensor;
    return &p->ti[k];
}

static void build_sig(sig_pb *p, const sig *s)
{
    tensorflow__signature_def__init(&p->def);
    p->def.method_name = (char *)s->method;
    for (int i = 0; i < s->nin; i++) {
        tensorflow__signature_def__inputs_entry__init(&p->ie[i]);
        p->ie[i].key = (char *)s->in[i].key;
        p->ie[i].value = tensor_info(p, i, &s->in[i]);
        p->iep[i] = &p->ie[i];
    }
    for (int i = 0; i < s->nout; i++) {
        tensorflow__signature_def__outputs_entry__init(&p->oe[i]);
        p->oe[i].key = (char *)s->out[i].key;
        p->oe[i].value = tensor_info(p, 1 + i, &s->out[i]);
        p->oep[i] = &p->oe[i];
    }
    p->def.n_inputs = (size_t)s->nin;
    p->def.inputs = p->iep;
    p->def.n_outputs = (size_t)s->nout;
    p->def.outputs = p->oep;
}

#define CLASSIFY "tensorflow/serving/classify"
#define REGRESS "tensorflow/serving/regress"
#define PREDICT "tensorflow/serving/predict"

static tinfo ti(const char *key, const char *tensor, eng_dtype dt, int64_t d1)
{
    return (tinfo){key, tensor, dt, 2, {-1, d1}};
}

/* The head's signatures (formats: exported signatures), sorted by key. */
static int signatures(const trn_config *c, const char *logits, sig *out)
{
    int n = 0, k = c->n_classes;
    tinfo in = {"inputs", "input_example_tensor:0", ENG_DT_STRING, 1, {-1}};
    tinfo ex = {"examples", "input_example_tensor:0", ENG_DT_STRING, 1, {-1}};
    if (c->head == TRN_HEAD_REGRESSION) {
        tinfo pred = ti("outputs", "head/predictions/predictions:0", ENG_DT_FLOAT, c->logits_dim);
        out[n++] = (sig){"predict", PREDICT, 1, 1, {ex}, {pred}};
        out[n - 1].out[0].key = "predictions";
        out[n++] = (sig){"regression", REGRESS, 1, 1, {in}, {pred}};
        out[n++] = (sig){"serving_default", REGRESS, 1, 1, {in}, {pred}};
        return n;
    }
    tinfo classes = ti("classes", "head/Tile:0", ENG_DT_STRING, k);
    tinfo scores = ti("scores", "head/predictions/probabilities:0", ENG_DT_FLOAT, k);
    out[n++] = (sig){"classification", CLASSIFY, 1, 2, {in}, {classes, scores}};
    sig p = {"predict", PREDICT, 1, 0, {ex}, {{0}}};
    p.out[p.nout++] = ti("all_class_ids", "head/predictions/all_class_ids:0", ENG_DT_INT32, k);
    p.out[p.nout++] = ti("all_classes", "head/Tile:0", ENG_DT_STRING, k);
    p.out[p.nout++] = ti("class_ids", "head/predictions/ExpandDims:0", ENG_DT_INT64, 1);
    p.out[p.nout++] = ti("classes", "head/predictions/str_classes:0", ENG_DT_STRING, 1);
    if (c->head == TRN_HEAD_BINARY)
        p.out[p.nout++] = ti("logistic", "head/predictions/logistic:0", ENG_DT_FLOAT, 1);
    p.out[p.nout++] = ti("logits", logits, ENG_DT_FLOAT, c->logits_dim);
    p.out[p.nout++] = ti("probabilities", "head/predictions/probabilities:0", ENG_DT_FLOAT, k);
    out[n++] = p;
    if (c->head == TRN_HEAD_BINARY)
        out[n++] = (sig){"regression",
                         REGRESS,
                         1,
                         1,
                         {in},
                         {ti("outputs", "head/predictions/logistic:0", ENG_DT_FLOAT, 1)}};
    out[n++] = (sig){"serving_default", CLASSIFY, 1, 2, {in}, {classes, scores}};
    return n;
}

/* ---- writing ---------------------------------------------------------------------- */

static tsd_code write_file(const char *path, const void *data, size_t len, tsd_status *st)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return tsd_err(st, TSD_NOT_FOUND, "%s: cannot create: %s", path, strerror(errno));
    int ok = fwrite(data, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    return ok ? TSD_OK : tsd_err(st, TSD_INTERNAL, "%s: write failed", path);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

tsd_code trn_export(trn_model *m, const char *export_dir_base, char **export_dir, tsd_status *st)
{
    *export_dir = NULL;
    mkdir(export_dir_base, 0755);
    /* the serving graph and its restore subgraph */
    eng_graph *g = eng_graph_new();
    if (!g)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    const trn_config *c = trn__config(m);
    trn_gb tb;
    trn_gb_init(&tb, g, st);
    trn_graph_names gn = {0};
    const char *pred = NULL, *logits = NULL;
    eng_node *ph = trn_gb_add(&tb, "input_example_tensor", "Placeholder", NULL, 0);
    trn_gb_type(&tb, ph, "dtype", ENG_DT_STRING);
    trn_gb_attr(&tb, ph, "shape",
                (eng_attr){.kind = ENG_ATTR_SHAPE, .shape = {.rank = 1, .dims = {-1}}});
    tsd_code rc = tb.failed ? st->code : TSD_OK;
    if (!rc && !(rc = trn__build_forward(&tb, c, NULL, "input_example_tensor", &gn)))
        rc = trn__build_predictions(&tb, c, gn.logits, &pred);
    if (!rc)
        logits = trn_gb_name(&tb, "%s:0", gn.logits);
    /* the main op: the tables' initializers */
    if (!rc && gn.ntable_inits) {
        const char **ctl = calloc((size_t)gn.ntable_inits, sizeof *ctl);
        for (int i = 0; ctl && i < gn.ntable_inits; i++)
            ctl[i] = trn_gb_name(&tb, "^%s", gn.table_inits[i]);
        if (!ctl)
            rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        else if (!trn_gb_add(&tb, "main_op/group_deps", "NoOp", ctl, gn.ntable_inits))
            rc = st->code;
        free(ctl);
    }
    int cap = 8;
    for (size_t i = 0; i < eng_graph_num_nodes(g); i++)
        cap++;
    const char **vars = calloc((size_t)cap, sizeof *vars);
    eng_dtype *types = calloc((size_t)cap, sizeof *types);
    int nv = 0;
    if (!rc && (!vars || !types))
        rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; !rc && i < eng_graph_num_nodes(g); i++) {
        eng_node *n = eng_graph_node(g, i);
        if (strcmp(eng_node_op(n), "VarHandleOp") == 0)
            vars[nv++] = eng_node_name(n);
    }
    if (!rc) {
        trn_gb_var(&tb, "global_step", ENG_DT_INT64, 0, NULL, 0);
        if (tb.failed)
            rc = st->code;
        else
            vars[nv++] = "global_step";
    }
    qsort(vars, (size_t)nv, sizeof *vars, cmp_str);
    for (int i = 0; i < nv; i++)
        types[i] = strcmp(vars[i], "global_step") == 0 ? ENG_DT_INT64 : ENG_DT_FLOAT;
    if (!rc)
        rc = restore_graph(&tb, vars, types, nv);
    uint8_t *gbytes = NULL;
    size_t glen = 0;
    if (!rc)
        rc = ldr_graph_export(g, &gbytes, &glen, st);
    /* directories */
    char tmp[4096], final[4096], path[4200];
    long long ts = (long long)time(NULL);
    for (int tries = 0; !rc; tries++, ts++) {
        snprintf(final, sizeof final, "%s/%lld", export_dir_base, ts);
        if (access(final, F_OK) != 0)
            break;
        if (tries == 10)
            rc = tsd_err(st, TSD_ALREADY_EXISTS, "%s: export directory exists", final);
    }
    snprintf(tmp, sizeof tmp, "%s/temp-%lld", export_dir_base, ts);
    if (!rc && (mkdir(tmp, 0755) != 0 && errno != EEXIST))
        rc = tsd_err(st, TSD_NOT_FOUND, "%s: cannot create: %s", tmp, strerror(errno));
    /* assets: the vocabulary files, under their base names */
    Tensorflow__AssetFileDef *afd = calloc((size_t)gn.nassets + 1, sizeof *afd);
    Tensorflow__AssetFileDef **afdp = calloc((size_t)gn.nassets + 1, sizeof *afdp);
    Tensorflow__TensorInfo *ati = calloc((size_t)gn.nassets + 1, sizeof *ati);
    if (!rc && (!afd || !afdp || !ati))
        rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    snprintf(path, sizeof path, "%s/assets", tmp);
    if (!rc && gn.nassets && mkdir(path, 0755) != 0 && errno != EEXIST)
        rc = tsd_err(st, TSD_NOT_FOUND, "%s: cannot create: %s", path, strerror(errno));
    for (int i = 0; !rc && i < gn.nassets; i++) {
        const char *base = strrchr(gn.asset_files[i], '/');
        base = base ? base + 1 : gn.asset_files[i];
        char *bytes = NULL;
        size_t len = 0;
        if (ldr_file_host()->read_file(NULL, gn.asset_files[i], &bytes, &len, st)) {
            rc = st->code;
            break;
        }
        snprintf(path, sizeof path, "%s/assets/%s", tmp, base);
        rc = write_file(path, bytes, len, st);
        free(bytes);
        tensorflow__asset_file_def__init(&afd[i]);
        tensorflow__tensor_info__init(&ati[i]);
        ati[i].encoding_case = TENSORFLOW__TENSOR_INFO__ENCODING_NAME;
        ati[i].name = gn.asset_tensors[i];
        ati[i].dtype = TENSORFLOW__DATA_TYPE__DT_STRING;
        afd[i].tensor_info = &ati[i];
        afd[i].filename = (char *)base;
        afdp[i] = &afd[i];
    }
    snprintf(path, sizeof path, "%s/variables", tmp);
    if (!rc && mkdir(path, 0755) != 0 && errno != EEXIST)
        rc = tsd_err(st, TSD_NOT_FOUND, "%s: cannot create: %s", path, strerror(errno));
    /* variables: the model weights and global_step, from the live session */
    if (!rc) {
        snprintf(path, sizeof path, "%s/variables/variables", tmp);
        ldr_bundle_writer *w = ldr_bundle_writer_new(path, st);
        if (!w)
            rc = st->code;
        for (int i = 0; !rc && i < nv; i++) {
            eng_tensor t;
            if ((rc = eng_session_get_variable(trn__session(m), vars[i], &t, st)))
                break;
            rc = ldr_bundle_writer_add(w, vars[i], &t, st);
            eng_tensor_free_data(&t);
        }
        if (!rc)
            rc = ldr_bundle_writer_finish(w, st);
        ldr_bundle_writer_free(w);
    }
    /* saved_model.pb */
    if (!rc) {
        Tensorflow__GraphDef *gd = tensorflow__graph_def__unpack(NULL, glen, gbytes);
        if (!gd)
            rc = tsd_err(st, TSD_INTERNAL, "cannot re-read the exported graph");
        Tensorflow__MetaGraphDef__MetaInfoDef info =
            TENSORFLOW__META_GRAPH_DEF__META_INFO_DEF__INIT;
        char *tags[1] = {(char *)"serve"};
        info.n_tags = 1;
        info.tags = tags;
        info.tensorflow_version = (char *)"tensord";
        info.meta_graph_version = (char *)"v1";
        Tensorflow__SaverDef saver = TENSORFLOW__SAVER_DEF__INIT;
        saver.filename_tensor_name = (char *)"save/Const:0";
        saver.save_tensor_name = (char *)"save/Identity:0";
        saver.restore_op_name = (char *)"save/restore_all";
        saver.max_to_keep = 5;
        saver.sharded = 1;
        saver.keep_checkpoint_every_n_hours = 10000.0f;
        saver.version = TENSORFLOW__SAVER_DEF__CHECKPOINT_FORMAT_VERSION__V2;
        sig sigs[4];
        int ns = signatures(c, logits, sigs);
        sig_pb pbs[4];
        Tensorflow__MetaGraphDef__SignatureDefEntry se[4], *sep[4];
        for (int i = 0; i < ns; i++) {
            build_sig(&pbs[i], &sigs[i]);
            tensorflow__meta_graph_def__signature_def_entry__init(&se[i]);
            se[i].key = (char *)sigs[i].key;
            se[i].value = &pbs[i].def;
            sep[i] = &se[i];
        }
        /* collection saved_model_main_op: the table initializers */
        Tensorflow__CollectionDef__NodeList nl = TENSORFLOW__COLLECTION_DEF__NODE_LIST__INIT;
        char *main_op[1] = {(char *)"main_op/group_deps"};
        nl.n_value = 1;
        nl.value = main_op;
        Tensorflow__CollectionDef cd = TENSORFLOW__COLLECTION_DEF__INIT;
        cd.kind_case = TENSORFLOW__COLLECTION_DEF__KIND_NODE_LIST;
        cd.node_list = &nl;
        Tensorflow__MetaGraphDef__CollectionDefEntry ce =
            TENSORFLOW__META_GRAPH_DEF__COLLECTION_DEF_ENTRY__INIT;
        ce.key = (char *)"saved_model_main_op";
        ce.value = &cd;
        Tensorflow__MetaGraphDef__CollectionDefEntry *cep[1] = {&ce};
        Tensorflow__MetaGraphDef mg = TENSORFLOW__META_GRAPH_DEF__INIT;
        mg.meta_info_def = &info;
        mg.graph_def = gd;
        mg.saver_def = &saver;
        mg.n_asset_file_def = (size_t)gn.nassets;
        mg.asset_file_def = afdp;
        mg.n_signature_def = (size_t)ns;
        mg.signature_def = sep;
        if (gn.ntable_inits) {
            mg.n_collection_def = 1;
            mg.collection_def = cep;
        }
        Tensorflow__MetaGraphDef *mgs[1] = {&mg};
        Tensorflow__SavedModel sm = TENSORFLOW__SAVED_MODEL__INIT;
        sm.saved_model_schema_version = 1;
        sm.n_meta_graphs = 1;
        sm.meta_graphs = mgs;
        if (!rc) {
            size_t len = tensorflow__saved_model__get_packed_size(&sm);
            uint8_t *buf = malloc(len);
            if (!buf) {
                rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
            } else {
                tensorflow__saved_model__pack(&sm, buf);
                snprintf(path, sizeof path, "%s/saved_model.pb", tmp);
                rc = write_file(path, buf, len, st);
                free(buf);
            }
        }
        if (gd)
            tensorflow__graph_def__free_unpacked(gd, NULL);
    }
    if (!rc && rename(tmp, final) != 0)
        rc = tsd_err(st, TSD_INTERNAL, "%s: cannot rename into place: %s", final, strerror(errno));
    if (!rc && !(*export_dir = strdup(final)))
        rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    free(gbytes);
    free(vars);
    free(types);
    free(gn.table_inits);
    free(gn.asset_tensors);
    free(gn.asset_files);
    free(afd);
    free(afdp);
    free(ati);
    trn_gb_free(&tb);
    eng_graph_free(g);
    return rc;
}
