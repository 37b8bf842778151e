/*
 * model.c - model loading: import -> passes -> execution plan; model description.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"
#include "import/onnx_import.h"
#include "engine/tune.h"
#include "passes/passes.h"

const char *ert_version(void)
{
    return ERT_VERSION_STRING;
}

/* Output shapes that depend on input data (not only on input shapes) must be inferred
 * on every run: data-dependent ops, and any op reading a non-constant integer/bool
 * tensor (a shape, axes, K, repeats, indices...) or a non-constant float that carries a
 * shape (Range bounds, Resize/Upsample scales, OneHot depth). */
static bool needs_reinfer(const ert_graph *g, const ert_node *n)
{
    if (n->op->flags & (ERT_OPF_DYNAMIC_OUTPUTS | ERT_OPF_SEQUENCE_IO))
        return true;
    int id = n->op->id;
    if (id == ERT_OP_NON_ZERO || id == ERT_OP_NON_MAX_SUPPRESSION || id == ERT_OP_UNIQUE)
        return true;
    bool float_shape = id == ERT_OP_RANGE || id == ERT_OP_RESIZE || id == ERT_OP_UPSAMPLE ||
                       id == ERT_OP_ONE_HOT;
    for (int i = 0; i < n->n_inputs; i++) {
        int v = n->inputs[i];
        if (v < 0 || g->values[v].kind == ERT_VALUE_CONST)
            continue;
        ert_dtype t = g->values[v].t.dtype;
        if (ert_dtype_is_int(t) || t == ERT_DTYPE_BOOL || t == ERT_DTYPE_UNDEFINED)
            return true;
        if (float_shape && (i > 0 || id == ERT_OP_RANGE || id == ERT_OP_ONE_HOT))
            return true;
    }
    return false;
}

/* Picks the step's kernel among the CPU table's candidates (timed by the tuner, from
 * the timing cache, or the first: the heuristic order) and packs its constants. No
 * candidate, or reference kernels requested: NULL (the op's reference kernel). */
static ert_status choose_kernel(ert_model *m, ert_step *s, ert_tuner *t, ert_isa isa,
                                const ert_load_options *opt)
{
    const ert_node *n = &m->g->nodes[s->node];
    if (opt && opt->reference_kernels)
        return ERT_OK;
    const ert_kernel *cand[ERT_MAX_CANDIDATES];
    int nc = ert_cpu_kernels(n, m->g, isa, cand, ERT_MAX_CANDIDATES);
    if (nc == 0)
        return ERT_OK;
    char why[1024];
    s->kernel = cand[ert_tuner_pick(t, m->g, n, cand, nc, isa, why, sizeof why)];
    if (why[0] && !(s->tactics = strdup(why)))
        return ert_errf(&m->err, ERT_ERR_NO_MEMORY, "out of memory choosing the kernel of "
                        "node '%s'", n->name);
    if (!s->kernel->pack)
        return ERT_OK;
    ert_status st = s->kernel->pack(n, m->g, &s->packed, &m->err);
    if (st != ERT_OK)
        ert_err_prefix(&m->err, "preparing kernel %s for node '%s': ", s->kernel->name, n->name);
    return st;
}

/* The ISA level this model's kernels may use: the CPU's (capped by ERT_ISA), capped again
 * by the load option. */
static ert_status model_isa(ert_model *m, const ert_load_options *opt, ert_isa *isa)
{
    *isa = ert_cpu_isa();
    if (!opt || !opt->isa)
        return ERT_OK;
    ert_isa cap;
    if (!ert_isa_parse(opt->isa, &cap))
        return ert_errf(&m->err, ERT_ERR_INVALID_ARGUMENT, "unknown ISA level '%s' (use "
                        "generic, avx2, avx512 or neon)", opt->isa);
    if (cap == ERT_ISA_GENERIC || ((cap == ERT_ISA_NEON) != (*isa == ERT_ISA_NEON)))
        *isa = ERT_ISA_GENERIC;
    else if (cap < *isa)
        *isa = cap;
    return ERT_OK;
}

static ert_status plan_aliases(ert_model *m);

static ert_status plan_lifetimes(ert_model *m)
{
    const ert_graph *g = m->g;
    m->last_use = malloc(sizeof(int) * (size_t)(g->n_values + 1));
    m->producer_step = malloc(sizeof(int) * (size_t)(g->n_values + 1));
    if (!m->last_use || !m->producer_step)
        return ert_errf(&m->err, ERT_ERR_NO_MEMORY, "out of memory");
    for (int v = 0; v < g->n_values; v++)
        m->last_use[v] = m->producer_step[v] = -1;
    for (int p = 0; p < m->n_steps; p++) {
        const ert_node *n = &g->nodes[m->steps[p].node];
        for (int i = 0; i < n->n_inputs; i++)
            if (n->inputs[i] >= 0)
                m->last_use[n->inputs[i]] = p;
        for (int i = 0; i < n->n_outputs; i++)
            if (n->outputs[i] >= 0)
                m->producer_step[n->outputs[i]] = p;
    }
    for (int i = 0; i < g->n_outputs; i++)
        m->last_use[g->outputs[i]] = m->n_steps;
    return ERT_OK;
}

static ert_status build_steps(ert_model *m, ert_tuner *t, ert_isa isa,
                              const ert_load_options *opt)
{
    ert_graph *g = m->g;
    m->steps = calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof(ert_step));
    if (!m->steps)
        return ert_errf(&m->err, ERT_ERR_NO_MEMORY, "out of memory");
    m->max_io = ERT_KCTX_MIN_SLOTS;
    for (int i = 0; i < g->n_nodes; i++) {
        ert_node *n = &g->nodes[i];
        if (n->dead)
            continue;
        if (!n->op)
            return ert_errf(&m->err, ERT_ERR_UNSUPPORTED, "node '%s' (%s) has no kernel",
                            n->name, n->op_type);
        ert_step *s = &m->steps[m->n_steps++];
        s->node = i;
        s->reinfer = needs_reinfer(g, n);
        s->own_outputs = s->reinfer;
        s->gen_off = m->n_gen_slots;
        m->n_gen_slots += n->n_inputs;
        ert_status st = choose_kernel(m, s, t, isa, opt);
        if (st != ERT_OK)
            return st;
        n->backend = s->kernel ? ERT_BACKEND_CPU : ERT_BACKEND_CPU_REF;
        if (n->n_inputs > m->max_io)
            m->max_io = n->n_inputs;
        if (n->n_outputs > m->max_io)
            m->max_io = n->n_outputs;
    }
    for (int i = 0; i < g->n_outputs; i++) {
        ert_value *v = &g->values[g->outputs[i]];
        if (v->kind == ERT_VALUE_INTERMEDIATE && v->producer < 0)
            return ert_errf(&m->err, ERT_ERR_PARSE, "graph output '%s' has no producer", v->name);
    }
    ert_status st = plan_lifetimes(m);
    return st == ERT_OK ? plan_aliases(m) : st;
}

static bool is_view_op(int id)
{
    return id == ERT_OP_RESHAPE || id == ERT_OP_FLATTEN || id == ERT_OP_SQUEEZE ||
           id == ERT_OP_UNSQUEEZE;
}

/* Readers of v among the steps (a graph output counts as one more). */
static int readers(const ert_model *m, int v)
{
    int cnt = m->g->values[v].is_output;
    for (int p = 0; p < m->n_steps; p++) {
        const ert_node *n = &m->g->nodes[m->steps[p].node];
        for (int i = 0; i < n->n_inputs; i++)
            cnt += n->inputs[i] == v;
    }
    return cnt;
}

/* A Concat can host its inputs when each is an intermediate written by an ordinary step
 * (not a view, not another host, not sized at run time) and read by this Concat alone. */
static bool can_host(const ert_model *m, const ert_step *s)
{
    const ert_graph *g = m->g;
    const ert_node *n = &g->nodes[s->node];
    if (n->op->id != ERT_OP_CONCAT || s->own_outputs || n->outputs[0] < 0)
        return false;
    for (int i = 0; i < n->n_inputs; i++) {
        int v = n->inputs[i];
        int q = v >= 0 ? m->producer_step[v] : -1;
        if (q < 0 || g->values[v].kind != ERT_VALUE_INTERMEDIATE || m->steps[q].own_outputs ||
            m->steps[q].view || m->steps[q].concat_host || readers(m, v) != 1)
            return false;
    }
    return true;
}

/* True if a Concat host reads v (v is then written into the Concat's output). */
static bool hosted_by_concat(const ert_model *m, int v)
{
    for (int p = 0; p < m->n_steps; p++) {
        const ert_node *n = &m->g->nodes[m->steps[p].node];
        for (int i = 0; m->steps[p].concat_host && i < n->n_inputs; i++)
            if (n->inputs[i] == v)
                return true;
    }
    return false;
}

/* Inputs of step p whose buffer its output 0 may take: those the kernel allows
 * (ert_cpu_kernel_inplace_inputs), narrowed to intermediates written by an ordinary step (not a view,
 * not sized at run time), not viewed by others and read for the last time here; output
 * 0 must be an ordinary arena value too (not written into a Concat). */
static unsigned reuse_mask(const ert_model *m, int p)
{
    const ert_step *s = &m->steps[p];
    const ert_node *n = &m->g->nodes[s->node];
    unsigned mask = ert_cpu_kernel_inplace_inputs(s->kernel), ok = 0;
    int out = n->n_outputs > 0 ? n->outputs[0] : -1;
    if (!mask || out < 0 || s->own_outputs || s->view || hosted_by_concat(m, out))
        return 0;
    for (int i = 0; i < n->n_inputs && i < 32; i++) {
        int v = n->inputs[i], q = v >= 0 ? m->producer_step[v] : -1;
        if ((mask >> i & 1u) && q >= 0 && m->g->values[v].kind == ERT_VALUE_INTERMEDIATE &&
            m->last_use[v] == p && !m->steps[q].own_outputs && !m->steps[q].view &&
            m->alias_of[v] < 0 && !m->steps[q].concat_host)
            ok |= 1u << i;
    }
    return ok;
}

/* Views alias their input; Concat hosts are marked; elementwise steps that may work in
 * place get their reuse_mask. Runs after plan_lifetimes: a view's root value must stay
 * live as long as any view of it is read. */
static ert_status plan_aliases(ert_model *m)
{
    const ert_graph *g = m->g;
    m->alias_of = malloc(sizeof(int) * (size_t)(g->n_values + 1));
    if (!m->alias_of)
        return ert_errf(&m->err, ERT_ERR_NO_MEMORY, "out of memory");
    for (int v = 0; v < g->n_values; v++)
        m->alias_of[v] = -1;
    for (int p = 0; p < m->n_steps; p++) {
        ert_step *s = &m->steps[p];
        const ert_node *n = &g->nodes[s->node];
        int in = n->inputs[0], out = n->outputs[0];
        if (is_view_op(n->op->id) && in >= 0 && out >= 0 &&
            !g->values[out].is_output) {
            int root = m->alias_of[in] >= 0 ? m->alias_of[in] : in;
            s->view = true;
            m->alias_of[out] = root;
            if (m->last_use[out] > m->last_use[root])
                m->last_use[root] = m->last_use[out];
        }
        s->concat_host = can_host(m, s);
    }
    for (int p = 0; p < m->n_steps; p++)
        m->steps[p].reuse_mask = reuse_mask(m, p);
    return ERT_OK;
}

static ert_status build_plan(ert_model *m, const ert_load_options *opt)
{
    ert_isa isa;
    ert_tuner t;
    ert_status st = model_isa(m, opt, &isa);
    if (st != ERT_OK)
        return st;
    st = ert_tuner_init(&t, opt, &m->err);
    if (st == ERT_OK)
        st = build_steps(m, &t, isa, opt);
    m->isa = isa;
    m->tuned = t.n_timed;
    m->tune_cached = t.n_cached;
    ert_status st2 = ert_tuner_finish(&t, st == ERT_OK ? &m->err : &(ert_err){0});
    return st != ERT_OK ? st : st2;
}

/* Sets graph input `name` to dims (text "1x3x640x640"), checking rank and fixed dims. */
static ert_status fix_input(ert_model *m, const char *name, size_t nlen, const char *dims)
{
    ert_graph *g = m->g;
    for (int i = 0; i < g->n_inputs; i++) {
        ert_value *v = &g->values[g->inputs[i]];
        if (strlen(v->name) != nlen || strncmp(v->name, name, nlen) != 0)
            continue;
        int64_t d[ERT_MAX_RANK];
        int r = 0;
        const char *p = dims;
        while (r < ERT_MAX_RANK && *p >= '0' && *p <= '9') {
            char *end;
            d[r++] = strtoll(p, &end, 10);
            p = *end == 'x' ? end + 1 : end;
            if (end[0] == 'x' && !(end[1] >= '0' && end[1] <= '9'))
                break;
        }
        if (r != v->t.rank || (*p && *p != ','))
            return ert_errf(&m->err, ERT_ERR_INVALID_ARGUMENT, "input shape '%.*s:%s': input "
                            "'%s' has rank %d; give %d dims like 1x3x224x224", (int)nlen, name,
                            dims, v->name, v->t.rank, v->t.rank);
        for (int k = 0; k < r; k++)
            if (v->t.dims[k] >= 0 && v->t.dims[k] != d[k])
                return ert_errf(&m->err, ERT_ERR_SHAPE, "input '%s' dim %d is fixed at %lld by "
                                "the model, not %lld", v->name, k, (long long)v->t.dims[k],
                                (long long)d[k]);
        ert_tensor_set_shape(&v->t, r, d);
        return ERT_OK;
    }
    return ert_errf(&m->err, ERT_ERR_INVALID_ARGUMENT, "input shape for '%.*s': the model has "
                    "no input of that name", (int)nlen, name);
}

static ert_status fix_input_shapes(ert_model *m, const char *spec)
{
    for (const char *p = spec; p && *p;) {
        const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
        const char *colon = NULL;
        for (const char *q = p; q < end; q++)
            if (*q == ':')
                colon = q; /* the last one: names may contain ':' */
        if (!colon)
            return ert_errf(&m->err, ERT_ERR_INVALID_ARGUMENT, "input shape '%.*s': expected "
                            "NAME:DIMS (e.g. images:1x3x640x640)", (int)(end - p), p);
        ert_status st = fix_input(m, p, (size_t)(colon - p), colon + 1);
        if (st != ERT_OK)
            return st;
        p = comma ? comma + 1 : end;
    }
    return ERT_OK;
}

static ert_status finish_load(ert_model *m, const ert_load_options *opt)
{
    bool fold = opt ? opt->fold_constants != 0 : true;
    ert_status st = fix_input_shapes(m, opt ? opt->input_shapes : NULL);
    if (st == ERT_OK)
        st = ert_pass_infer_fold(m->g, fold, &m->err);
    if (st == ERT_OK && !(opt && opt->no_optimize))
        st = ert_pass_optimize(m->g, &m->notes, &m->err);
    if (st == ERT_OK)
        st = ert_pass_dead_nodes(m->g, &m->err);
    if (st == ERT_OK)
        st = build_plan(m, opt);
    return st;
}

static ert_import_options import_options(const ert_load_options *opt)
{
    ert_import_options io = {0};
    io.lenient_attributes = opt && opt->lenient_attributes; /* warnings go to stderr */
    return io;
}

ert_status ert_model_load_file(const char *path, const ert_load_options *opt, ert_model **out)
{
    if (!out)
        return ERT_ERR_INVALID_ARGUMENT;
    ert_model *m = calloc(1, sizeof *m);
    *out = m;
    if (!m)
        return ERT_ERR_NO_MEMORY;
    if (!path)
        return ert_errf(&m->err, ERT_ERR_INVALID_ARGUMENT, "ert_model_load_file: path is NULL");
    ert_import_options io = import_options(opt);
    ert_status st = ert_import_onnx_file(path, &io, &m->g, &m->err);
    if (st == ERT_OK) {
        st = finish_load(m, opt);
        if (st != ERT_OK)
            ert_err_prefix(&m->err, "%s: ", path);
    }
    return st;
}

ert_status ert_model_load_memory(const void *data, size_t size, const char *base_dir,
                                 const ert_load_options *opt, ert_model **out)
{
    if (!out)
        return ERT_ERR_INVALID_ARGUMENT;
    ert_model *m = calloc(1, sizeof *m);
    *out = m;
    if (!m)
        return ERT_ERR_NO_MEMORY;
    if (!data && size)
        return ert_errf(&m->err, ERT_ERR_INVALID_ARGUMENT, "ert_model_load_memory: data is NULL");
    ert_import_options io = import_options(opt);
    ert_status st = ert_import_onnx_memory(data, size, base_dir, &io, &m->g, &m->err);
    if (st == ERT_OK)
        st = finish_load(m, opt);
    return st;
}

void ert_model_free(ert_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_steps; i++)
    {
        if (m->steps[i].packed && m->steps[i].kernel->free_packed)
            m->steps[i].kernel->free_packed(m->steps[i].packed);
        free(m->steps[i].tactics);
    }
    free(m->steps);
    free(m->last_use);
    free(m->producer_step);
    free(m->alias_of);
    ert_graph_free(m->g);
    free(m);
}

const char *ert_model_last_error(const ert_model *m)
{
    return m ? m->err.msg : "no model handle (out of memory?)";
}

const ert_graph *ert_model_graph(const ert_model *m)
{
    return m ? m->g : NULL;
}

int ert_model_num_inputs(const ert_model *m)
{
    return (m && m->g) ? m->g->n_inputs : 0;
}

int ert_model_num_outputs(const ert_model *m)
{
    return (m && m->g) ? m->g->n_outputs : 0;
}

static void fill_info(const ert_graph *g, const ert_value *v, ert_tensor_info *info)
{
    memset(info, 0, sizeof *info);
    info->name = v->name;
    info->dtype = v->t.dtype;
    info->rank = v->t.rank;
    for (int i = 0; i < v->t.rank && i < ERT_MAX_RANK; i++) {
        int64_t d = v->t.dims[i];
        info->dims[i] = d >= 0 ? d : -1;
        if (d < 0)
            info->dim_names[i] = (d <= -2 && (-2 - d) < g->n_syms) ? g->syms[-2 - d] : "";
    }
}

ert_status ert_model_input_info(const ert_model *m, int index, ert_tensor_info *info)
{
    if (!m || !m->g || !info)
        return ERT_ERR_INVALID_ARGUMENT;
    if (index < 0 || index >= m->g->n_inputs)
        return ERT_ERR_INVALID_ARGUMENT; /* models are shared: no message written */
    fill_info(m->g, &m->g->values[m->g->inputs[index]], info);
    return ERT_OK;
}

ert_status ert_model_output_info(const ert_model *m, int index, ert_tensor_info *info)
{
    if (!m || !m->g || !info)
        return ERT_ERR_INVALID_ARGUMENT;
    if (index < 0 || index >= m->g->n_outputs)
        return ERT_ERR_INVALID_ARGUMENT; /* models are shared: no message written */
    fill_info(m->g, &m->g->values[m->g->outputs[index]], info);
    return ERT_OK;
}
