/*
 * checkpoint.c - checkpoints of a model (see trainer.h): every variable and
 * optimizer slot under TensorFlow's names in a V2 bundle written by the
 * loader (temp file, fsync, rename), then the `checkpoint` state file;
 * retention of the newest keep_max bundles, continued across restarts
 * (a restore also removes what a killed run left: temp files and bundles
 * the state file no longer lists); restore from the latest complete
 * checkpoint.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trainer/model_state.h"

/* The global_step variable itself (after a restore). */
static int64_t read_step(const trn_model *m)
{
    eng_tensor t;
    tsd_status st = TSD_STATUS_INIT;
    if (eng_session_get_variable(m->sess, "global_step", &t, &st))
        return -1;
    int64_t v = *(const int64_t *)t.data;
    eng_tensor_free_data(&t);
    return v;
}

/* ---- checkpoints ------------------------------------------------------------------ */

static int cmp_var(const void *a, const void *b)
{
    return strcmp(((const trn_var *)a)->name, ((const trn_var *)b)->name);
}

static void remove_bundle(const char *dir, const char *rel)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s.index", dir, rel);
    unlink(p);
    snprintf(p, sizeof p, "%s/%s.data-00000-of-00001", dir, rel);
    unlink(p);
}

tsd_code trn_save(trn_model *m, const char *model_dir, int keep_max, tsd_status *st)
{
    char rel[64], prefix[4096];
    snprintf(rel, sizeof rel, "model.ckpt-%lld", (long long)trn_global_step(m));
    snprintf(prefix, sizeof prefix, "%s/%s", model_dir, rel);
    trn_var *sorted = malloc((size_t)m->vars.n * sizeof *sorted);
    if (!sorted)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
    memcpy(sorted, m->vars.v, (size_t)m->vars.n * sizeof *sorted);
    qsort(sorted, (size_t)m->vars.n, sizeof *sorted, cmp_var); /* data in key order, as TF */
    ldr_bundle_writer *w = ldr_bundle_writer_new(prefix, st);
    if (!w) {
        free(sorted);
        return st->code;
    }
    tsd_code rc = TSD_OK;
    for (int i = 0; i < m->vars.n && !rc; i++) {
        eng_tensor t;
        if ((rc = eng_session_get_variable(m->sess, sorted[i].name, &t, st)))
            break;
        rc = ldr_bundle_writer_add(w, sorted[i].name, &t, st);
        eng_tensor_free_data(&t);
    }
    free(sorted);
    if (!rc)
        rc = ldr_bundle_writer_finish(w, st);
    ldr_bundle_writer_free(w);
    if (rc)
        return rc;
    /* retention, then the state file (after the bundle is complete) */
    int dup = m->nkept && strcmp(m->kept[m->nkept - 1], rel) == 0;
    if (!dup) {
        char **nk = realloc(m->kept, (m->nkept + 1) * sizeof *nk);
        if (!nk)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        m->kept = nk;
        if (!(m->kept[m->nkept] = strdup(rel)))
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory");
        m->nkept++;
    }
    size_t drop = keep_max > 0 && m->nkept > (size_t)keep_max ? m->nkept - (size_t)keep_max : 0;
    char **old = m->kept;
    if ((rc = ldr_checkpoint_state_write(model_dir, rel, (const char *const *)(old + drop),
                                         m->nkept - drop, st)))
        return rc;
    for (size_t i = 0; i < drop; i++) {
        remove_bundle(model_dir, old[i]);
        free(old[i]);
    }
    memmove(old, old + drop, (m->nkept - drop) * sizeof *old);
    m->nkept -= drop;
    if (m->events && (ldr_event_writer_checkpoint(m->events, trn__wall_seconds(),
                                                  trn_global_step(m), prefix, st) ||
                      ldr_event_writer_flush(m->events, st)))
        return st->code;
    return TSD_OK;
}

/*
 * Files a killed run may leave behind: temp files of an unfinished write
 * ("*.tempstate*") and bundles the state file no longer lists (a kill
 * between writing the state file and deleting what retention dropped).
 * Only names this trainer writes are touched.
 */
static void remove_leftovers(const char *dir, char *const *all, size_t nall)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char path[4096];
    for (struct dirent *e; (e = readdir(d));) {
        const char *n = e->d_name;
        int stale = strstr(n, ".tempstate") != NULL;
        if (!stale && strncmp(n, "model.ckpt-", 11) == 0) {
            size_t digits = strspn(n + 11, "0123456789");
            const char *rest = n + 11 + digits;
            if (digits && (!strcmp(rest, ".index") || !strncmp(rest, ".data-", 6))) {
                stale = 1;
                for (size_t i = 0; i < nall; i++) {
                    const char *base = strrchr(all[i], '/');
                    base = base ? base + 1 : all[i];
                    if (strlen(base) == (size_t)(rest - n) && !strncmp(base, n, (size_t)(rest - n)))
                        stale = 0;
                }
            }
        }
        if (stale) {
            snprintf(path, sizeof path, "%s/%s", dir, n);
            unlink(path);
        }
    }
    closedir(d);
}

tsd_code trn_restore(trn_model *m, const char *model_dir, tsd_status *st)
{
    char *latest = NULL, **all = NULL;
    size_t nall = 0;
    tsd_code rc = ldr_checkpoint_state_read(model_dir, &latest, &all, &nall, st);
    if (rc)
        return rc;
    remove_leftovers(model_dir, all, nall);
    ldr_bundle *b = NULL;
    if ((rc = ldr_bundle_open(latest, &b, st)))
        goto out;
    for (int i = 0; i < m->vars.n && !rc; i++) {
        const ldr_bundle_entry *e = ldr_bundle_find(b, m->vars.v[i].name);
        if (!e) {
            rc = tsd_err(st, TSD_NOT_FOUND,
                         "%s: no tensor '%s' (a checkpoint of a different model?)", latest,
                         m->vars.v[i].name);
            break;
        }
        eng_tensor t;
        if ((rc = ldr_bundle_read(b, e, &t, st)))
            break;
        if ((rc = eng_session_set_variable(m->sess, m->vars.v[i].name, &t, st)))
            eng_tensor_free_data(&t);
    }
    if (!rc)
        m->step = read_step(m);
    ldr_bundle_close(b);
    if (!rc) { /* retention continues across restarts */
        for (size_t i = 0; i < m->nkept; i++)
            free(m->kept[i]);
        free(m->kept);
        m->kept = calloc(nall ? nall : 1, sizeof *m->kept);
        m->nkept = 0;
        for (size_t i = 0; m->kept && i < nall; i++) {
            const char *base = strrchr(all[i], '/');
            m->kept[m->nkept++] = strdup(base ? base + 1 : all[i]);
        }
    }
out:
    free(latest);
    for (size_t i = 0; i < nall; i++)
        free(all[i]);
    free(all);
    return rc;
}
