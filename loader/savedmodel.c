/*
 * savedmodel.c - reads <dir>/saved_model.pb and describes the MetaGraphDef
 * selected by a tag set: TensorFlow version, tag sets, signatures (sorted by
 * key, with sorted inputs/outputs), assets, init op, table initializers,
 * variable bindings (varmap.c) and the lazily opened variables bundle.
 *
 * Everything is derived once at open time; the description only points into
 * the decoded protobuf or into strings it owns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/savedmodel_int.h"

#define SM_INIT_OP_SIG "__saved_model_init_op"
#define SM_MAIN_OP "saved_model_main_op"
#define SM_LEGACY_INIT_OP "legacy_init_op"
#define SM_ASSETS "saved_model_assets"
#define SM_TABLE_INIT "table_initializer"
#define SM_ASSET_TYPE "tensorflow.AssetFileDef"

struct ldr_saved_model {
    char *dir;
    Tensorflow__SavedModel *pb;
    const Tensorflow__MetaGraphDef *mg;
    char **tag_sets;
    size_t ntag_sets;
    ldr_signature *sigs;
    size_t nsigs;
    ldr_tensor_info *infos; /* inputs and outputs of all signatures */
    ldr_asset *assets;
    size_t nassets;
    Tensorflow__AssetFileDef **asset_msgs; /* decoded from the collection */
    size_t nasset_msgs;
    ldr_var_binding *vars;
    size_t nvars;
    char *init_op;
    char **table_inits;
    size_t ntable_inits;
    ldr_bundle *bundle;
    int bundle_opened;
};

/* ---- small helpers -------------------------------------------------------- */

static char *sm_strdup(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

/* Node name of a tensor name: "^a" -> "a", "a:0" -> "a", "a" -> "a". */
static char *sm_node_of(const char *tensor)
{
    if (tensor[0] == '^')
        tensor++;
    char *d = sm_strdup(tensor);
    if (!d)
        return NULL;
    char *colon = strchr(d, ':');
    if (colon)
        *colon = '\0';
    return d;
}

static const char *sm_str(const char *s)
{
    return s ? s : "";
}

static const Tensorflow__CollectionDef *sm_collection(const Tensorflow__MetaGraphDef *mg,
                                                      const char *key)
{
    const Tensorflow__CollectionDef *found = NULL;
    for (size_t i = 0; i < mg->n_collection_def; i++) {
        const Tensorflow__MetaGraphDef__CollectionDefEntry *e = mg->collection_def[i];
        if (e && e->key && strcmp(e->key, key) == 0)
            found = e->value; /* map semantics: the last entry wins */
    }
    return found;
}

/* ---- file reading --------------------------------------------------------- */

static tsd_code sm_read_file(const char *path, uint8_t **data, size_t *len, tsd_status *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return tsd_err(st, errno == ENOENT ? TSD_NOT_FOUND : TSD_UNAVAILABLE, "%s: %s", path,
                       strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: not a regular file", path);
    }
    if ((uint64_t)sb.st_size > LDR_SAVED_MODEL_MAX_BYTES) {
        close(fd);
        return tsd_err(st, TSD_INVALID_ARGUMENT, "%s: %lld bytes is larger than the 2 GiB limit",
                       path, (long long)sb.st_size);
    }
    size_t n = (size_t)sb.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        close(fd);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "%s: out of memory reading %zu bytes", path, n);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = errno;
            free(buf);
            close(fd);
            return tsd_err(st, TSD_DATA_LOSS, "%s: read failed at offset %zu: %s", path, got,
                           r < 0 ? strerror(e) : "unexpected end of file");
        }
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    *len = n;
    return TSD_OK;
}

/* ---- tag sets --------------------------------------------------------------- */

static char *sm_join_tags(char *const *tags, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(sm_str(tags[i])) + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    s[0] = '\0';
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(sm_str(tags[i]));
        if (i)
            s[off++] = ',';
        memcpy(s + off, sm_str(tags[i]), l);
        off += l;
        s[off] = '\0';
    }
    return s;
}

static int sm_has_tag(char *const *set, size_t n, const char *tag)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(sm_str(set[i]), tag) == 0)
            return 1;
    return 0;
}

/* Set equality of the requested tags and a MetaGraphDef's tags. */
static int sm_tags_match(const Tensorflow__MetaGraphDef *mg, const char *const *tags, int ntags)
{
    size_t nmg = 0;
    char *const *mgtags = NULL;
    if (mg->meta_info_def) {
        nmg = mg->meta_info_def->n_tags;
        mgtags = mg->meta_info_def->tags;
    }
    for (int i = 0; i < ntags; i++)
        if (!sm_has_tag(mgtags, nmg, tags[i]))
            return 0;
    for (size_t i = 0; i < nmg; i++) {
        int found = 0;
        for (int j = 0; j < ntags && !found; j++)
            found = strcmp(sm_str(mgtags[i]), tags[j]) == 0;
        if (!found)
            return 0;
    }
    return 1;
}

static tsd_code sm_select(ldr_saved_model *sm, const char *const *tags, int ntags, tsd_status *st)
{
    static const char *const serve[] = {"serve"};
    if (!tags) {
        tags = serve;
        ntags = 1;
    }
    if (ntags < 0)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "negative tag count");
    sm->ntag_sets = sm->pb->n_meta_graphs;
    sm->tag_sets = calloc(sm->ntag_sets ? sm->ntag_sets : 1, sizeof *sm->tag_sets);
    if (!sm->tag_sets)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < sm->pb->n_meta_graphs; i++) {
        const Tensorflow__MetaGraphDef *mg = sm->pb->meta_graphs[i];
        const Tensorflow__MetaGraphDef__MetaInfoDef *mi = mg ? mg->meta_info_def : NULL;
        sm->tag_sets[i] = mi ? sm_join_tags(mi->tags, mi->n_tags) : sm_strdup("");
        if (!sm->tag_sets[i])
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        if (mg && !sm->mg && sm_tags_match(mg, tags, ntags))
            sm->mg = mg;
    }
    if (sm->mg)
        return TSD_OK;

    char want[256] = "", avail[512] = "";
    size_t off = 0;
    for (int i = 0; i < ntags && off < sizeof want; i++)
        off += (size_t)snprintf(want + off, sizeof want - off, "%s%s", i ? " " : "", tags[i]);
    off = 0;
    for (size_t i = 0; i < sm->ntag_sets && off < sizeof avail; i++)
        off += (size_t)snprintf(avail + off, sizeof avail - off, "%s{ %s }", i ? ", " : "",
                                sm->tag_sets[i]);
    return tsd_err(st, TSD_NOT_FOUND,
                   "Could not find meta graph def matching supplied tags: { %s }. "
                   "Available tag sets: %s",
                   want, sm->ntag_sets ? avail : "none");
}

/* ---- signatures ------------------------------------------------------------- */

/* Sort helpers: by key, ties by original position (so the last duplicate wins). */
typedef struct sm_keyed {
    const char *key;
    size_t pos;
    const void *val;
} sm_keyed;

static int sm_keyed_cmp(const void *a, const void *b)
{
    const sm_keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Sort n entries and drop earlier duplicates; returns the new count. */
static size_t sm_sort_unique(sm_keyed *k, size_t n)
{
    if (n > 1)
        qsort(k, n, sizeof *k, sm_keyed_cmp);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (i + 1 < n && strcmp(k[i].key, k[i + 1].key) == 0)
            continue;
        k[out++] = k[i];
    }
    return out;
}

static tsd_code sm_tensor_info(const char *sig, const char *key, const Tensorflow__TensorInfo *ti,
                               ldr_tensor_info *out, tsd_status *st)
{
    memset(out, 0, sizeof *out);
    out->key = key;
    out->shape.rank = 0;
    if (!ti)
        return TSD_OK; /* an empty TensorInfo: no name, DT_INVALID, scalar */
    if (ti->encoding_case == TENSORFLOW__TENSOR_INFO__ENCODING_NAME)
        out->name = sm_str(ti->name);
    out->dtype = (eng_dtype)ti->dtype;
    const Tensorflow__TensorShapeProto *sh = ti->tensor_shape;
    if (!sh)
        return TSD_OK;
    if (sh->unknown_rank) {
        out->shape.rank = -1;
        return TSD_OK;
    }
    if (sh->n_dim > ENG_MAX_RANK)
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "signature '%s' tensor '%s': rank %zu exceeds the maximum %d", sig, key,
                       sh->n_dim, ENG_MAX_RANK);
    out->shape.rank = (int32_t)sh->n_dim;
    for (size_t d = 0; d < sh->n_dim; d++) {
        int64_t size = sh->dim[d] ? sh->dim[d]->size : -1;
        if (size < -1)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "signature '%s' tensor '%s': invalid dimension %lld", sig, key,
                           (long long)size);
        out->shape.dims[d] = size;
    }
    return TSD_OK;
}

/* Fill `out` from a map given as parallel key/value accessors. */
static tsd_code sm_tensor_map(const char *sig, size_t n, const char *const *keys,
                              const Tensorflow__TensorInfo *const *vals, ldr_tensor_info *out,
                              size_t *nout, tsd_status *st)
{
    sm_keyed *k = calloc(n ? n : 1, sizeof *k);
    if (!k)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < n; i++) {
        k[i].key = keys[i];
        k[i].pos = i;
        k[i].val = vals[i];
    }
    size_t m = sm_sort_unique(k, n);
    tsd_code rc = TSD_OK;
    for (size_t i = 0; i < m && rc == TSD_OK; i++)
        rc = sm_tensor_info(sig, k[i].key, k[i].val, &out[i], st);
    free(k);
    *nout = m;
    return rc;
}

static tsd_code sm_signatures(ldr_saved_model *sm, tsd_status *st)
{
    const Tensorflow__MetaGraphDef *mg = sm->mg;
    size_t n = mg->n_signature_def, ninfos = 0;
    sm_keyed *k = calloc(n ? n : 1, sizeof *k);
    if (!k)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const Tensorflow__MetaGraphDef__SignatureDefEntry *e = mg->signature_def[i];
        k[i].key = e ? sm_str(e->key) : "";
        k[i].pos = i;
        k[i].val = e ? e->value : NULL;
    }
    n = sm_sort_unique(k, n);
    for (size_t i = 0; i < n; i++) {
        const Tensorflow__SignatureDef *sd = k[i].val;
        if (sd)
            ninfos += sd->n_inputs + sd->n_outputs;
    }
    sm->sigs = calloc(n ? n : 1, sizeof *sm->sigs);
    sm->infos = calloc(ninfos ? ninfos : 1, sizeof *sm->infos);
    const char **keys = calloc(ninfos ? ninfos : 1, sizeof *keys);
    const Tensorflow__TensorInfo **vals = calloc(ninfos ? ninfos : 1, sizeof *vals);
    tsd_code rc = TSD_OK;
    if (!sm->sigs || !sm->infos || !keys || !vals)
        rc = tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    size_t used = 0;
    for (size_t i = 0; i < n && rc == TSD_OK; i++) {
        const Tensorflow__SignatureDef *sd = k[i].val;
        ldr_signature *sig = &sm->sigs[i];
        sig->key = k[i].key;
        sig->method_name = sd ? sm_str(sd->method_name) : "";
        size_t nin = sd ? sd->n_inputs : 0, nout = sd ? sd->n_outputs : 0;
        for (size_t j = 0; j < nin; j++) {
            keys[j] = sd->inputs[j] ? sm_str(sd->inputs[j]->key) : "";
            vals[j] = sd->inputs[j] ? sd->inputs[j]->value : NULL;
        }
        sig->inputs = &sm->infos[used];
        rc = sm_tensor_map(sig->key, nin, keys, vals, &sm->infos[used], &sig->ninputs, st);
        used += sig->ninputs;
        if (rc != TSD_OK)
            break;
        for (size_t j = 0; j < nout; j++) {
            keys[j] = sd->outputs[j] ? sm_str(sd->outputs[j]->key) : "";
            vals[j] = sd->outputs[j] ? sd->outputs[j]->value : NULL;
        }
        sig->outputs = &sm->infos[used];
        rc = sm_tensor_map(sig->key, nout, keys, vals, &sm->infos[used], &sig->noutputs, st);
        used += sig->noutputs;
    }
    sm->nsigs = n;
    free(keys);
    free(vals);
    free(k);
    return rc;
}

/* ---- assets ----------------------------------------------------------------- */

static tsd_code sm_add_asset(ldr_saved_model *sm, size_t i, const Tensorflow__AssetFileDef *a,
                             tsd_status *st)
{
    const char *fn = a ? sm_str(a->filename) : "";
    const Tensorflow__TensorInfo *ti = a ? a->tensor_info : NULL;
    if (!ti || ti->encoding_case != TENSORFLOW__TENSOR_INFO__ENCODING_NAME || !ti->name ||
        !ti->name[0])
        return tsd_err(st, TSD_INVALID_ARGUMENT, "asset %zu ('%s'): no tensor name", i, fn);
    if (!fn[0] || fn[0] == '/' || strcmp(fn, "..") == 0 || strncmp(fn, "../", 3) == 0 ||
        strstr(fn, "/../") || (strlen(fn) >= 3 && strcmp(fn + strlen(fn) - 3, "/..") == 0))
        return tsd_err(st, TSD_INVALID_ARGUMENT,
                       "asset %zu (tensor '%s'): filename '%s' is not a relative path inside "
                       "assets/",
                       i, ti->name, fn);
    const char *dir = sm->dir ? sm->dir : ".";
    size_t len = strlen(dir) + strlen("/assets/") + strlen(fn) + 1;
    char *path = malloc(len);
    if (!path)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    snprintf(path, len, "%s/assets/%s", dir, fn);
    ldr_asset *as = &sm->assets[sm->nassets++];
    as->tensor = ti->name;
    as->filename = fn;
    as->path = path;
    return TSD_OK;
}

static int sm_type_is_asset(const char *url)
{
    size_t n = strlen(url), m = strlen(SM_ASSET_TYPE);
    return n >= m && strcmp(url + n - m, SM_ASSET_TYPE) == 0 && (n == m || url[n - m - 1] == '/');
}

static tsd_code sm_assets(ldr_saved_model *sm, tsd_status *st)
{
    const Tensorflow__MetaGraphDef *mg = sm->mg;
    if (mg->n_asset_file_def > 0) {
        sm->assets = calloc(mg->n_asset_file_def, sizeof *sm->assets);
        if (!sm->assets)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        for (size_t i = 0; i < mg->n_asset_file_def; i++) {
            tsd_code rc = sm_add_asset(sm, i, mg->asset_file_def[i], st);
            if (rc != TSD_OK)
                return tsd_status_prefix(st, "asset_file_def");
        }
        return TSD_OK;
    }
    const Tensorflow__CollectionDef *c = sm_collection(mg, SM_ASSETS);
    if (!c)
        return TSD_OK;
    if (c->kind_case != TENSORFLOW__COLLECTION_DEF__KIND_ANY_LIST || !c->any_list)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "collection %s: expected an any_list", SM_ASSETS);
    size_t n = c->any_list->n_value;
    sm->assets = calloc(n ? n : 1, sizeof *sm->assets);
    sm->asset_msgs = calloc(n ? n : 1, sizeof *sm->asset_msgs);
    if (!sm->assets || !sm->asset_msgs)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const Google__Protobuf__Any *any = c->any_list->value[i];
        const char *url = any ? sm_str(any->type_url) : "";
        if (!any || !sm_type_is_asset(url))
            return tsd_err(st, TSD_INVALID_ARGUMENT, "collection %s entry %zu: type '%s' is not %s",
                           SM_ASSETS, i, url, SM_ASSET_TYPE);
        Tensorflow__AssetFileDef *a =
            tensorflow__asset_file_def__unpack(NULL, any->value.len, any->value.data);
        if (!a)
            return tsd_err(st, TSD_INVALID_ARGUMENT,
                           "collection %s entry %zu: cannot decode %s (%zu bytes)", SM_ASSETS, i,
                           SM_ASSET_TYPE, any->value.len);
        sm->asset_msgs[sm->nasset_msgs++] = a;
        if (sm_add_asset(sm, i, a, st) != TSD_OK)
            return tsd_status_prefix(st, "collection %s", SM_ASSETS);
    }
    return TSD_OK;
}

/* ---- init op and table initializers ------------------------------------------ */

static tsd_code sm_init_op(ldr_saved_model *sm, tsd_status *st)
{
    const ldr_signature *sig = ldr_saved_model_find_signature(sm, SM_INIT_OP_SIG);
    if (sig) {
        for (size_t i = 0; i < sig->noutputs; i++) {
            if (strcmp(sig->outputs[i].key, SM_INIT_OP_SIG) == 0 && sig->outputs[i].name &&
                sig->outputs[i].name[0]) {
                sm->init_op = sm_node_of(sig->outputs[i].name);
                return sm->init_op ? TSD_OK : tsd_err(st, TSD_RESOURCE_EXHAUSTED, "oom");
            }
        }
        return tsd_err(st, TSD_FAILED_PRECONDITION, "signature %s: could not find output %s",
                       SM_INIT_OP_SIG, SM_INIT_OP_SIG);
    }
    static const char *const colls[] = {SM_MAIN_OP, SM_LEGACY_INIT_OP};
    for (size_t i = 0; i < 2; i++) {
        const Tensorflow__CollectionDef *c = sm_collection(sm->mg, colls[i]);
        if (!c)
            continue;
        if (c->kind_case != TENSORFLOW__COLLECTION_DEF__KIND_NODE_LIST || !c->node_list ||
            c->node_list->n_value != 1 || !c->node_list->value[0] || !c->node_list->value[0][0])
            return tsd_err(st, TSD_FAILED_PRECONDITION,
                           "collection %s: expected exactly one init op node name", colls[i]);
        sm->init_op = sm_node_of(c->node_list->value[0]);
        return sm->init_op ? TSD_OK : tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    }
    return TSD_OK;
}

static tsd_code sm_table_inits(ldr_saved_model *sm, tsd_status *st)
{
    const Tensorflow__CollectionDef *c = sm_collection(sm->mg, SM_TABLE_INIT);
    if (!c)
        return TSD_OK;
    if (c->kind_case != TENSORFLOW__COLLECTION_DEF__KIND_NODE_LIST || !c->node_list)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "collection %s: expected a node_list",
                       SM_TABLE_INIT);
    size_t n = c->node_list->n_value;
    sm->table_inits = calloc(n ? n : 1, sizeof *sm->table_inits);
    if (!sm->table_inits)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *v = sm_str(c->node_list->value[i]);
        if (!v[0])
            return tsd_err(st, TSD_INVALID_ARGUMENT, "collection %s entry %zu: empty name",
                           SM_TABLE_INIT, i);
        sm->table_inits[i] = sm_node_of(v);
        if (!sm->table_inits[i])
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        sm->ntable_inits++;
    }
    return TSD_OK;
}

/* ---- open / free ---------------------------------------------------------------- */

static int sm_file_exists(const char *dir, const char *rel)
{
    size_t len = strlen(dir) + strlen(rel) + 2;
    char *p = malloc(len);
    if (!p)
        return 0;
    snprintf(p, len, "%s/%s", dir, rel);
    struct stat sb;
    int ok = stat(p, &sb) == 0;
    free(p);
    return ok;
}

static tsd_code sm_build(ldr_saved_model *sm, const uint8_t *data, size_t len,
                         const char *const *tags, int ntags, int with_vars, tsd_status *st)
{
    sm->pb = tensorflow__saved_model__unpack(NULL, len, data);
    if (!sm->pb)
        return tsd_err(st, TSD_DATA_LOSS,
                       "cannot parse %zu bytes as a tensorflow.SavedModel protobuf "
                       "(truncated or corrupted)",
                       len);
    tsd_code rc = sm_select(sm, tags, ntags, st);
    if (rc == TSD_OK)
        rc = sm_signatures(sm, st);
    if (rc == TSD_OK)
        rc = sm_assets(sm, st);
    if (rc == TSD_OK)
        rc = sm_init_op(sm, st);
    if (rc == TSD_OK)
        rc = sm_table_inits(sm, st);
    if (rc == TSD_OK && with_vars)
        rc = ldr__varmap_build(sm->mg, &sm->vars, &sm->nvars, st);
    return rc;
}

tsd_code ldr__saved_model_from_buffer(const char *dir, const char *source, const uint8_t *data,
                                      size_t len, const char *const *tags, int ntags, int with_vars,
                                      ldr_saved_model **out, tsd_status *st)
{
    *out = NULL;
    ldr_saved_model *sm = calloc(1, sizeof *sm);
    if (!sm)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    if (dir) {
        sm->dir = sm_strdup(dir);
        if (!sm->dir) {
            free(sm);
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        }
        size_t n = strlen(sm->dir); /* "m/1/" -> "m/1", but "/" stays */
        while (n > 1 && sm->dir[n - 1] == '/')
            sm->dir[--n] = '\0';
    }
    tsd_code rc = sm_build(sm, data, len, tags, ntags, with_vars, st);
    if (rc != TSD_OK) {
        tsd_status_prefix(st, "%s", source ? source : "SavedModel");
        ldr_saved_model_free(sm);
        return rc;
    }
    *out = sm;
    return TSD_OK;
}

tsd_code ldr_saved_model_open(const char *dir, const char *const *tags, int ntags,
                              ldr_saved_model **out, tsd_status *st)
{
    *out = NULL;
    struct stat sb;
    if (!dir || stat(dir, &sb) != 0)
        return tsd_err(st, TSD_NOT_FOUND, "SavedModel directory '%s' does not exist",
                       dir ? dir : "(null)");
    if (!S_ISDIR(sb.st_mode))
        return tsd_err(st, TSD_INVALID_ARGUMENT, "SavedModel path '%s' is not a directory", dir);
    size_t plen = strlen(dir) + sizeof "/saved_model.pbtxt";
    char *path = malloc(plen);
    if (!path)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    snprintf(path, plen, "%s/saved_model.pb", dir);
    if (stat(path, &sb) != 0) {
        tsd_code rc;
        if (sm_file_exists(dir, "saved_model.pbtxt"))
            rc = tsd_err(st, TSD_UNIMPLEMENTED,
                         "%s/saved_model.pbtxt: text-format SavedModels are not supported; "
                         "export a binary saved_model.pb",
                         dir);
        else
            rc = tsd_err(st, TSD_NOT_FOUND, "SavedModel not found in '%s': no saved_model.pb", dir);
        free(path);
        return rc;
    }
    uint8_t *data = NULL;
    size_t len = 0;
    tsd_code rc = sm_read_file(path, &data, &len, st);
    if (rc == TSD_OK) {
        int with_vars = sm_file_exists(dir, "variables/variables.index");
        rc = ldr__saved_model_from_buffer(dir, path, data, len, tags, ntags, with_vars, out, st);
        free(data);
    }
    free(path);
    return rc;
}

void ldr_saved_model_free(ldr_saved_model *sm)
{
    if (!sm)
        return;
    if (sm->bundle)
        ldr_bundle_close(sm->bundle);
    ldr__varmap_free(sm->vars, sm->nvars);
    for (size_t i = 0; i < sm->ntable_inits; i++)
        free(sm->table_inits[i]);
    free(sm->table_inits);
    free(sm->init_op);
    for (size_t i = 0; i < sm->nassets; i++)
        free((char *)sm->assets[i].path);
    free(sm->assets);
    for (size_t i = 0; i < sm->nasset_msgs; i++)
        tensorflow__asset_file_def__free_unpacked(sm->asset_msgs[i], NULL);
    free(sm->asset_msgs);
    free(sm->sigs);
    free(sm->infos);
    if (sm->tag_sets)
        for (size_t i = 0; i < sm->ntag_sets; i++)
            free(sm->tag_sets[i]);
    free(sm->tag_sets);
    if (sm->pb)
        tensorflow__saved_model__free_unpacked(sm->pb, NULL);
    free(sm->dir);
    free(sm);
}

/* ---- accessors ---------------------------------------------------------------------- */

const Tensorflow__MetaGraphDef *ldr__saved_model_meta_graph(const ldr_saved_model *sm)
{
    return sm->mg;
}

const char *ldr_saved_model_dir(const ldr_saved_model *sm)
{
    return sm->dir ? sm->dir : ".";
}

const char *ldr_saved_model_tf_version(const ldr_saved_model *sm)
{
    const Tensorflow__MetaGraphDef__MetaInfoDef *mi = sm->mg->meta_info_def;
    return mi ? sm_str(mi->tensorflow_version) : "";
}

int ldr_saved_model_is_tf2(const ldr_saved_model *sm)
{
    return sm->mg->object_graph_def != NULL;
}

size_t ldr_saved_model_num_tag_sets(const ldr_saved_model *sm)
{
    return sm->ntag_sets;
}

const char *ldr_saved_model_tag_set(const ldr_saved_model *sm, size_t i)
{
    return i < sm->ntag_sets ? sm->tag_sets[i] : NULL;
}

size_t ldr_saved_model_num_signatures(const ldr_saved_model *sm)
{
    return sm->nsigs;
}

const ldr_signature *ldr_saved_model_signature(const ldr_saved_model *sm, size_t i)
{
    return i < sm->nsigs ? &sm->sigs[i] : NULL;
}

const ldr_signature *ldr_saved_model_find_signature(const ldr_saved_model *sm, const char *key)
{
    size_t lo = 0, hi = sm->nsigs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(sm->sigs[mid].key, key);
        if (c == 0)
            return &sm->sigs[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t ldr_saved_model_num_assets(const ldr_saved_model *sm)
{
    return sm->nassets;
}

const ldr_asset *ldr_saved_model_asset(const ldr_saved_model *sm, size_t i)
{
    return i < sm->nassets ? &sm->assets[i] : NULL;
}

size_t ldr_saved_model_num_vars(const ldr_saved_model *sm)
{
    return sm->nvars;
}

const ldr_var_binding *ldr_saved_model_var(const ldr_saved_model *sm, size_t i)
{
    return i < sm->nvars ? &sm->vars[i] : NULL;
}

const char *ldr_saved_model_init_op(const ldr_saved_model *sm)
{
    return sm->init_op;
}

size_t ldr_saved_model_num_table_inits(const ldr_saved_model *sm)
{
    return sm->ntable_inits;
}

const char *ldr_saved_model_table_init(const ldr_saved_model *sm, size_t i)
{
    return i < sm->ntable_inits ? sm->table_inits[i] : NULL;
}

ldr_bundle *ldr_saved_model_bundle(ldr_saved_model *sm, tsd_status *st)
{
    if (sm->bundle_opened)
        return sm->bundle;
    if (!sm->dir || !sm_file_exists(sm->dir, "variables/variables.index")) {
        sm->bundle_opened = 1;
        return NULL;
    }
    size_t len = strlen(sm->dir) + sizeof "/variables/variables";
    char *prefix = malloc(len);
    if (!prefix) {
        tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    snprintf(prefix, len, "%s/variables/variables", sm->dir);
    if (ldr_bundle_open(prefix, &sm->bundle, st) == TSD_OK)
        sm->bundle_opened = 1;
    else
        sm->bundle = NULL; /* not cached: a later call retries and reports again */
    free(prefix);
    return sm->bundle;
}
