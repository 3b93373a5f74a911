/*
 * graph.c - the mutable graph the loader builds: nodes with raw input
 * strings (resolved only at compile time), sorted attrs and a name → node
 * open-addressing hash table, so building and lookups stay O(1) per node.
 */
#include "engine/graph_int.h"

#include <stdlib.h>
#include <string.h>

uint64_t eng__hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

eng_graph *eng_graph_new(void)
{
    eng_graph *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->nslots = 64;
    g->slots = calloc(g->nslots, sizeof *g->slots);
    if (!g->slots) {
        free(g);
        return NULL;
    }
    return g;
}

static void node_free(eng_node *n)
{
    if (!n)
        return;
    for (int i = 0; i < n->ninputs; i++)
        free(n->inputs[i]);
    free(n->inputs);
    for (int i = 0; i < n->nattrs; i++) {
        free(n->attrs[i].name);
        eng__attr_free(&n->attrs[i].v);
    }
    free(n->attrs);
    free(n->name);
    free(n->op);
    free(n);
}

void eng_graph_free(eng_graph *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++)
        node_free(g->nodes[i]);
    free(g->nodes);
    free(g->slots);
    free(g);
}

eng_node *eng__graph_find_n(const eng_graph *g, const char *name, size_t len)
{
    size_t mask = g->nslots - 1;
    for (size_t i = (size_t)eng__hash(name, len) & mask;; i = (i + 1) & mask) {
        size_t v = g->slots[i];
        if (!v)
            return NULL;
        eng_node *n = g->nodes[v - 1];
        if (strncmp(n->name, name, len) == 0 && n->name[len] == '\0')
            return n;
    }
}

eng_node *eng_graph_find(const eng_graph *g, const char *name)
{
    if (!g || !name)
        return NULL;
    return eng__graph_find_n(g, name, strlen(name));
}

static void slot_insert(size_t *slots, size_t nslots, const char *name, size_t id)
{
    size_t mask = nslots - 1;
    size_t i = (size_t)eng__hash(name, strlen(name)) & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = id + 1;
}

static int grow_slots(eng_graph *g)
{
    size_t ns = g->nslots * 2;
    size_t *s = calloc(ns, sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < g->n; i++)
        slot_insert(s, ns, g->nodes[i]->name, i);
    free(g->slots);
    g->slots = s;
    g->nslots = ns;
    return 0;
}

int eng__parse_input(const char *s, eng__input_ref *r)
{
    memset(r, 0, sizeof *r);
    if (!s)
        return -1;
    if (*s == '^') {
        r->control = 1;
        s++;
    }
    size_t len = strlen(s);
    r->name = s;
    r->len = len;
    const char *colon = strrchr(s, ':');
    if (colon && !r->control) {
        const char *d = colon + 1;
        if (*d) {
            long v = 0;
            int ok = 1;
            for (const char *q = d; *q; q++) {
                if (*q < '0' || *q > '9' || v > 100000000) {
                    ok = 0;
                    break;
                }
                v = v * 10 + (*q - '0');
            }
            if (ok) {
                r->index = (int)v;
                r->len = (size_t)(colon - s);
            }
        }
    }
    return r->len ? 0 : -1;
}

tsd_code eng_graph_add_node(eng_graph *g, const char *name, const char *op,
                            const char *const *inputs, int ninputs, eng_node **out, tsd_status *st)
{
    if (out)
        *out = NULL;
    if (!g || !name || !*name || !op || !*op || ninputs < 0 || (ninputs && !inputs))
        return tsd_err(st, TSD_INVALID_ARGUMENT, "add node: missing name, op or inputs");
    if (eng_graph_find(g, name))
        return tsd_err(st, TSD_INVALID_ARGUMENT, "duplicate node name '%s'", name);
    for (int i = 0; i < ninputs; i++) {
        eng__input_ref r;
        if (eng__parse_input(inputs[i], &r))
            return tsd_err(st, TSD_INVALID_ARGUMENT, "node '%s': malformed input '%s'", name,
                           inputs[i] ? inputs[i] : "(null)");
    }
    if (g->n == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 64;
        eng_node **nn = realloc(g->nodes, nc * sizeof *nn);
        if (!nn)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory adding node '%s'", name);
        g->nodes = nn;
        g->cap = nc;
    }
    if ((g->n + 1) * 2 > g->nslots && grow_slots(g))
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory adding node '%s'", name);
    eng_node *n = calloc(1, sizeof *n);
    if (!n)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory adding node '%s'", name);
    n->name = dup_str(name);
    n->op = dup_str(op);
    n->inputs = ninputs ? calloc((size_t)ninputs, sizeof *n->inputs) : NULL;
    if (!n->name || !n->op || (ninputs && !n->inputs)) {
        node_free(n);
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory adding node '%s'", name);
    }
    n->ninputs = ninputs;
    for (int i = 0; i < ninputs; i++) {
        n->inputs[i] = dup_str(inputs[i]);
        if (!n->inputs[i]) {
            node_free(n);
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory adding node '%s'", name);
        }
    }
    n->id = g->n;
    g->nodes[g->n++] = n;
    slot_insert(g->slots, g->nslots, n->name, n->id);
    if (out)
        *out = n;
    return TSD_OK;
}

tsd_code eng_node_set_attr(eng_graph *g, eng_node *n, const char *name, const eng_attr *v,
                           tsd_status *st)
{
    (void)g;
    if (!n || !name || !v)
        return tsd_err(st, TSD_INVALID_ARGUMENT, "set attr: missing node, name or value");
    int lo = 0, hi = n->nattrs;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp(name, n->attrs[mid].name);
        if (c == 0) {
            eng_attr copy;
            if (eng__attr_copy(&copy, v, st))
                return tsd_status_prefix(st, "node '%s': attr '%s'", n->name, name);
            eng__attr_free(&n->attrs[mid].v);
            n->attrs[mid].v = copy;
            return TSD_OK;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (n->nattrs == n->cap_attrs) {
        int nc = n->cap_attrs ? n->cap_attrs * 2 : 4;
        eng__attr_entry *na = realloc(n->attrs, (size_t)nc * sizeof *na);
        if (!na)
            return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory setting attr");
        n->attrs = na;
        n->cap_attrs = nc;
    }
    eng__attr_entry e;
    e.name = dup_str(name);
    if (!e.name)
        return tsd_err(st, TSD_RESOURCE_EXHAUSTED, "out of memory setting attr");
    if (eng__attr_copy(&e.v, v, st)) {
        free(e.name);
        return tsd_status_prefix(st, "node '%s': attr '%s'", n->name, name);
    }
    memmove(&n->attrs[lo + 1], &n->attrs[lo], (size_t)(n->nattrs - lo) * sizeof *n->attrs);
    n->attrs[lo] = e;
    n->nattrs++;
    return TSD_OK;
}

size_t eng_graph_num_nodes(const eng_graph *g)
{
    return g ? g->n : 0;
}

eng_node *eng_graph_node(const eng_graph *g, size_t i)
{
    return g && i < g->n ? g->nodes[i] : NULL;
}

int eng_node_num_inputs(const eng_node *n)
{
    return n ? n->ninputs : 0;
}

const char *eng_node_input(const eng_node *n, int i)
{
    return n && i >= 0 && i < n->ninputs ? n->inputs[i] : NULL;
}

int eng_node_num_attrs(const eng_node *n)
{
    return n ? n->nattrs : 0;
}

const char *eng_node_attr_name(const eng_node *n, int i)
{
    return n && i >= 0 && i < n->nattrs ? n->attrs[i].name : NULL;
}

const eng_attr *eng_node_attr_at(const eng_node *n, int i)
{
    return n && i >= 0 && i < n->nattrs ? &n->attrs[i].v : NULL;
}

const char *eng_node_name(const eng_node *n)
{
    return n ? n->name : NULL;
}

const char *eng_node_op(const eng_node *n)
{
    return n ? n->op : NULL;
}
