/*
 * cmd_inspect.c - `edgert inspect MODEL.onnx`: what is in a model and can edgert run it.
 *
 * Works on the IR, not the public API, because it must describe models edgert cannot
 * run: the importer keeps unsupported nodes (allow_unsupported), load-time shape
 * inference fills in what it can, and everything downstream of an unknown shape is
 * reported as unknown rather than guessed.
 *
 * MACs (multiply-accumulates, tools/macs.h) use the textbook formulas on inferred shapes:
 *   Conv           numel(Y) * C_in/group * prod(kernel)   = numel(Y) * prod(W.dims[1:])
 *   ConvTranspose  numel(X) * C_out/group * prod(kernel)  = numel(X) * prod(W.dims[1:])
 *   Gemm           M * N * K
 *   MatMul         numel(Y) * K                 (K = last dim of A; batch dims broadcast)
 * Bias additions are not counted. A symbolic or unknown dim is counted as 1 (the
 * smallest size it can take) and the figure is flagged as a minimum; a node whose
 * needed rank is unknown gives "?".
 */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "macs.h"
#include "import/onnx_import.h"
#include "ir/ir.h"
#include "ops/op.h"
#include "passes/passes.h"

#define CMD "inspect"

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: edgert inspect [OPTIONS] MODEL.onnx\n"
            "\n"
            "Describes a model without running it: IR version, producer, opsets, inputs and\n"
            "outputs with their shapes (symbolic dims by name), op histogram, parameter count\n"
            "and size (initializers), MACs per op type from load-time inferred shapes, and the\n"
            "nodes whose op or op version edgert does not support.\n"
            "\n"
            "MACs: symbolic dims count as 1, so such figures are minimums and flagged '>='.\n"
            "'?' means a shape needed for the count could not be inferred.\n"
            "\n"
            "Options:\n"
            "  -s, --shapes NAME:DIMS[,NAME:DIMS...]\n"
            "                fix the shape of input NAME (e.g. images:1x3x640x640) before\n"
            "                shape inference, so MACs are exact; each symbolic dim given a size\n"
            "                takes it wherever its name appears in the model\n"
            "  -n, --nodes   also list every node: op, name, output shape, MACs\n"
            "  -O, --optimized\n"
            "                run the graph optimizer first (as loading does): describe the\n"
            "                optimized graph, list the fused layers (name, fused ops,\n"
            "                activation), the rewrites per fusion kind, and for each candidate\n"
            "                left unfused the reason\n"
            "      --lenient-attributes\n"
            "                attributes an op does not define are warnings, not errors\n"
            "  -h, --help    show this help and exit\n"
            "\n"
            "Exit status: 0 if edgert supports every node; 2 if the model cannot be read or\n"
            "has unsupported nodes (listed); 3 if --shapes names no input or contradicts the\n"
            "model; 1 on a usage error.\n");
}

/* ---- --optimized: the graph optimizer's report ---- */

/* Runs the optimizer as model loading does (then dead-node removal), into a fresh
 * notes record (*notes; NULL if it cannot be allocated: then nothing runs). */
static ert_status optimize(ert_graph *g, ert_pass_notes **notes, ert_err *err)
{
    *notes = calloc(1, sizeof **notes); /* ~60 KB: not on the stack */
    if (!*notes)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    ert_status st = ert_pass_optimize(g, *notes, err);
    return st == ERT_OK ? ert_pass_dead_nodes(g, err) : st;
}

/* Fused layers (live nodes carrying fused_ops), rewrites per kind, and the reasons
 * recorded for candidates left alone. */
static void print_optimizer(const ert_graph *g, const ert_pass_notes *notes)
{
    int n_fused = 0;
    for (int i = 0; i < g->n_nodes; i++)
        n_fused += !g->nodes[i].dead && ert_node_attr(&g->nodes[i], "fused_ops") != NULL;
    printf("Fused layers (%d):\n", n_fused);
    for (int i = 0; i < g->n_nodes; i++) {
        const ert_node *n = &g->nodes[i];
        if (n->dead || !ert_node_attr(n, "fused_ops"))
            continue;
        const char *act = ert_attr_string(n, "activation", "");
        printf("  %-32s %-10s %s", n->name, n->op_type, ert_attr_string(n, "fused_ops", ""));
        if (act[0])
            printf("  (activation %s)", act);
        printf("\n");
    }
    printf("Rewrites by kind:\n");
    if (!notes->n_kinds)
        printf("  (no candidates)\n");
    for (int k = 0; k < notes->n_kinds; k++)
        printf("  %-36s %4d applied, %4d left\n", notes->kinds[k].kind,
               notes->kinds[k].applied, notes->kinds[k].skipped);
    int n_left = notes->n_notes + notes->n_dropped;
    printf("Not fused (%d):\n", n_left);
    for (int i = 0; i < notes->n_notes; i++)
        printf("  %s\n", notes->notes[i]);
    if (notes->n_dropped)
        printf("  ... and %d more\n", notes->n_dropped);
}

/* ---- --optimized: the memory plan ---- */

/* Sets every input of a fresh context to zeros of its (concrete) load-time shape; false
 * with *why when a shape is not known. */
static bool zero_inputs(ert_model *m, ert_context *c, const char **why)
{
    for (int i = 0; i < ert_model_num_inputs(m); i++) {
        ert_tensor_info info;
        if (ert_model_input_info(m, i, &info) != ERT_OK || info.rank < 0) {
            *why = "an input's rank is unknown";
            return false;
        }
        size_t n = 1;
        for (int d = 0; d < info.rank; d++) {
            if (info.dims[d] < 0) {
                *why = "give every input's shape with --shapes NAME:DIMS to see it";
                return false;
            }
            n *= (size_t)info.dims[d];
        }
        size_t bytes = n * ert_dtype_size(info.dtype);
        void *zeros = calloc(1, bytes ? bytes : 1);
        ert_status st = zeros ? ert_context_set_input(c, info.name, info.dtype, info.rank,
                                                      info.dims, zeros, bytes)
                              : ERT_ERR_NO_MEMORY;
        free(zeros);
        if (st != ERT_OK) {
            *why = ert_context_last_error(c);
            return false;
        }
    }
    return true;
}

/* Loads the model as `run` would (heuristic kernels, --shapes fixed), runs it twice on
 * zeros (the first run sizes every intermediate, the second lays out the arena) and
 * prints the arena against the naive sum of the intermediates. */
static void print_memory_plan(const char *path, const char *shapes, bool lenient)
{
    ert_load_options lo = {.fold_constants = 1, .lenient_attributes = lenient, .tune = 0,
                           .input_shapes = shapes};
    ert_model *m = NULL;
    ert_context *c = NULL;
    ert_memory_info mem;
    const char *why = NULL;
    printf("Memory plan (zero inputs, heuristic kernels):\n");
    if (ert_model_load_file(path, &lo, &m) != ERT_OK)
        why = m ? ert_model_last_error(m) : "out of memory";
    else if (ert_context_create(m, &c) != ERT_OK)
        why = c ? ert_context_last_error(c) : "out of memory";
    else if (zero_inputs(m, c, &why) &&
             (ert_context_run(c) != ERT_OK || ert_context_run(c) != ERT_OK ||
              ert_context_memory_info(c, &mem) != ERT_OK))
        why = ert_context_last_error(c);
    if (why) {
        printf("  not measured: %s\n", why);
    } else {
        double mb = 1024.0 * 1024.0;
        printf("  arena        %10.2f MiB  (intermediates each in a buffer of its own: %.2f MiB, "
               "%.1fx more)\n", (double)mem.arena_bytes / mb, (double)mem.naive_bytes / mb,
               mem.arena_bytes ? (double)mem.naive_bytes / (double)mem.arena_bytes : 0.0);
        printf("  workspace    %10.2f MiB  (kernels' scratch, one for all layers)\n",
               (double)mem.workspace_bytes / mb);
        printf("  weights      %10.2f MiB  (constants after folding)\n",
               (double)mem.weight_bytes / mb);
    }
    ert_context_free(c);
    ert_model_free(m);
}

/* ---- MACs: tools/macs.c (shared with bench --profile) ---- */

/* ---- histogram ---- */

typedef struct op_stat {
    char key[96];       /* "OpType" or "domain:OpType" */
    int count;          /* nodes in the model */
    int folded;         /* of which folded/removed at load time */
    bool has_macs;      /* op type whose MACs are counted */
    int64_t macs;       /* sum over live nodes with a known count */
    int n_unknown;      /* live nodes whose MACs are "?" */
    int n_min;          /* live nodes whose count is a minimum */
    bool overflow;
} op_stat;

static int cmp_stat(const void *a, const void *b)
{
    const op_stat *x = a, *y = b;
    if (x->count != y->count)
        return y->count - x->count;
    return strcmp(x->key, y->key);
}

/* A node computed at load time: marked dead by the pass, or all outputs now constant. */
static bool node_folded(const ert_graph *g, const ert_node *n)
{
    if (n->dead)
        return true;
    int live = 0;
    for (int i = 0; i < n->n_outputs; i++) {
        int v = n->outputs[i];
        if (v >= 0 && g->values[v].kind != ERT_VALUE_CONST)
            live++;
    }
    return n->n_outputs > 0 && live == 0;
}

static void format_macs(int64_t v, bool known, bool is_min, int n_unknown, char *buf,
                        size_t len)
{
    char h[32];
    if (!known) {
        snprintf(buf, len, "?");
        return;
    }
    int w = snprintf(buf, len, "%s%lld%s", is_min ? ">= " : "", (long long)v,
                     cli_human_paren((double)v, false, h, sizeof h));
    if (n_unknown && w > 0 && (size_t)w < len)
        snprintf(buf + w, len - (size_t)w, " + ? (%d node%s with unknown shapes)", n_unknown,
                 n_unknown == 1 ? "" : "s");
}

static void print_value(const ert_graph *g, int vi)
{
    const ert_value *v = &g->values[vi];
    char shape[256], type[64];
    /* sequence / optional values: "seq(float32)", "optional(seq(int64))"; shape = element */
    const char *dt = ert_dtype_name(v->t.dtype);
    if (v->t.kind == ERT_TENSOR_SEQUENCE)
        snprintf(type, sizeof type, v->t.is_optional ? "optional(seq(%s))" : "seq(%s)", dt);
    else
        snprintf(type, sizeof type, v->t.is_optional ? "optional(%s)" : "%s", dt);
    printf("  %-24s %-8s %s%s\n", v->name, type, ert_shape_str(&v->t, g, shape, sizeof shape),
           v->t.kind == ERT_TENSOR_SEQUENCE ? " (per element)" : "");
}

/* Applies one "NAME:DIMS" of --shapes to the graph: sets the input's dims and replaces
 * each symbol it sizes in every value of the graph (a symbol names one size model-wide).
 * Returns CLI_EXIT_OK or the exit code of the error it reported. */
static int apply_shape(ert_graph *g, char *item)
{
    char *colon = strrchr(item, ':'); /* last ':': names like "input:0" exist */
    if (!colon || colon == item)
        return cli_usage_error(CMD, "--shapes '%s': expected NAME:DIMS, e.g. "
                               "images:1x3x640x640", item);
    *colon = '\0';
    int rank;
    int64_t dims[ERT_MAX_RANK];
    if (!cli_parse_dims(colon + 1, &rank, dims))
        return cli_usage_error(CMD, "--shapes %s:%s: DIMS must be sizes joined by 'x' (e.g. "
                               "1x3x640x640, at most %d)", item, colon + 1, ERT_MAX_RANK);
    int vi = -1;
    for (int i = 0; i < g->n_inputs && vi < 0; i++)
        if (strcmp(g->values[g->inputs[i]].name, item) == 0)
            vi = g->inputs[i];
    if (vi < 0) {
        cli_error(CMD, "--shapes: the model has no input named '%s'", item);
        return CLI_EXIT_INPUT;
    }
    ert_tensor *t = &g->values[vi].t;
    char s1[256], s2[256];
    if (t->rank >= 0 && t->rank != rank) {
        cli_error(CMD, "--shapes %s: rank %d, but the model's input is %s (rank %d)", item, rank,
                  ert_shape_str(t, g, s1, sizeof s1), t->rank);
        return CLI_EXIT_INPUT;
    }
    if (t->rank < 0) {
        ert_tensor_set_shape(t, rank, dims);
        return CLI_EXIT_OK;
    }
    for (int d = 0; d < rank; d++) {
        if (t->dims[d] >= 0 && t->dims[d] != dims[d]) {
            cli_error(CMD, "--shapes %s:%s contradicts the model's input shape %s: dim %d is "
                      "%lld", item, colon + 1, ert_shape_str(t, g, s2, sizeof s2), d,
                      (long long)t->dims[d]);
            return CLI_EXIT_INPUT;
        }
    }
    for (int d = 0; d < rank; d++) {
        int64_t sym = t->dims[d];
        if (sym >= 0)
            continue;
        if (sym == ERT_DIM_UNKNOWN) {
            t->dims[d] = dims[d];
            continue;
        }
        for (int v = 0; v < g->n_values; v++) {
            ert_tensor *u = &g->values[v].t;
            for (int k = 0; k < u->rank; k++)
                if (u->dims[k] == sym)
                    u->dims[k] = dims[d];
        }
    }
    return CLI_EXIT_OK;
}

static bool producer_set(const char *p)
{
    for (; p && *p; p++)
        if (*p != ' ')
            return true;
    return false;
}

static void print_versions(const ert_op_def *op)
{
    for (int i = 0; i < ERT_OP_MAX_VERSIONS && op->versions[i]; i++)
        printf("%s%d", i ? ", " : "", op->versions[i]);
}

int cli_cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"nodes", no_argument, NULL, 'n'},
        {"optimized", no_argument, NULL, 'O'},
        {"shapes", required_argument, NULL, 's'},
        {"lenient-attributes", no_argument, NULL, 'L'},
        {NULL, 0, NULL, 0},
    };
    bool list_nodes = false, lenient = false;
    bool optimized = false;
    const char *shapes[64];
    int n_shapes = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hnOs:", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (n_shapes == (int)(sizeof shapes / sizeof shapes[0]))
                return cli_usage_error(CMD, "too many --shapes options (join them with ',')");
            shapes[n_shapes++] = optarg;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        case 'n':
            list_nodes = true;
            break;
        case 'O':
            optimized = true;
            break;
        case 'L':
            lenient = true;
            break;
        default:
            return cli_getopt_error(CMD, c, argv);
        }
    }
    if (optind >= argc)
        return cli_usage_error(CMD, "missing MODEL.onnx");
    if (optind + 1 < argc)
        return cli_usage_error(CMD, "unexpected argument '%s' (one model at a time)",
                               argv[optind + 1]);
    const char *path = argv[optind];

    ert_err err = {{0}};
    ert_graph *g = NULL;
    ert_import_options io = {.allow_unsupported = true, .lenient_attributes = lenient};
    if (lenient)
        fprintf(stderr, "edgert %s: warning: --lenient-attributes: attributes the ops do not "
                "define are ignored\n", CMD);
    ert_status st = ert_import_onnx_file(path, &io, &g, &err);
    if (st != ERT_OK) {
        if (err.msg[0] && strstr(err.msg, path)) /* the importer names the file itself */
            cli_error(CMD, "%s (%s)", err.msg, ert_status_name(st));
        else
            cli_error(CMD, "cannot load '%s': %s (%s)", path,
                      err.msg[0] ? err.msg : "no message", ert_status_name(st));
        ert_graph_free(g);
        return CLI_EXIT_LOAD;
    }

    char shape_list[4096] = "";
    for (int k = 0; k < n_shapes; k++) {
        size_t used = strlen(shape_list);
        snprintf(shape_list + used, sizeof shape_list - used, "%s%s", used ? "," : "", shapes[k]);
    }
    for (int k = 0; k < n_shapes; k++) {
        char *list = strdup(shapes[k]), *save = NULL;
        int rc = list ? CLI_EXIT_OK : CLI_EXIT_LOAD;
        for (char *item = list ? strtok_r(list, ",", &save) : NULL; item && rc == CLI_EXIT_OK;
             item = strtok_r(NULL, ",", &save))
            rc = apply_shape(g, item);
        free(list);
        if (rc != CLI_EXIT_OK) {
            ert_graph_free(g);
            return rc;
        }
    }

    /* Parameters: initializers, counted before folding adds constants of its own. */
    int64_t n_params = 0, param_bytes = 0;
    int n_inits = 0;
    bool params_unknown = false;
    for (int i = 0; i < g->n_values; i++) {
        const ert_value *v = &g->values[i];
        if (v->kind != ERT_VALUE_CONST || v->producer >= 0)
            continue;
        int64_t n = ert_tensor_numel(&v->t);
        if (n < 0) {
            params_unknown = true;
            continue;
        }
        n_inits++;
        n_params += n;
        param_bytes += n * (int64_t)ert_dtype_size(v->t.dtype);
    }
    /* Exporters such as paddle2onnx store weights in Constant nodes instead. */
    int n_const_nodes = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ert_node *n = &g->nodes[i];
        if (strcmp(n->op_type, "Constant") != 0 || (n->domain[0] && strcmp(n->domain, "ai.onnx")))
            continue;
        const ert_attr *a = ert_node_attr(n, "value");
        if (!a)
            a = ert_node_attr(n, "sparse_value");
        if (!a || !a->t)
            continue;
        int64_t cnt = ert_tensor_numel(a->t);
        if (cnt < 0)
            continue;
        n_const_nodes++;
        n_params += cnt;
        param_bytes += cnt * (int64_t)ert_dtype_size(a->t->dtype);
    }

    ert_err ferr = {{0}};
    ert_status fst = ert_pass_infer_fold(g, true, &ferr);
    ert_pass_notes *notes = NULL;
    if (optimized && fst == ERT_OK)
        fst = optimize(g, &notes, &ferr);

    printf("Model:        %s\n", path);
    printf("IR version:   %d\n", g->ir_version);
    printf("Producer:     %s\n", producer_set(g->producer) ? g->producer : "(not set)");
    printf("Opsets:       ai.onnx %d", g->opset_onnx);
    if (g->opset_ml)
        printf(", ai.onnx.ml %d", g->opset_ml);
    printf("\n");

    printf("Inputs (%d):\n", g->n_inputs);
    for (int i = 0; i < g->n_inputs; i++)
        print_value(g, g->inputs[i]);
    printf("Outputs (%d):\n", g->n_outputs);
    for (int i = 0; i < g->n_outputs; i++)
        print_value(g, g->outputs[i]);
    /* Symbols still in use (--shapes may have sized some away). */
    int shown = 0;
    for (int k = 0; k < g->n_syms; k++) {
        bool used = false;
        for (int v = 0; v < g->n_values && !used; v++)
            for (int d = 0; d < g->values[v].t.rank && !used; d++)
                used = g->values[v].t.dims[d] == ERT_DIM_SYM(k);
        if (used)
            printf("%s %s", shown++ ? "," : "Symbolic dims:", g->syms[k]);
    }
    if (shown)
        printf("\n");

    char h1[32], h2[32];
    printf("Parameters:   %lld%s in %d initializer%s + %d Constant node%s, %lld bytes%s%s\n",
           (long long)n_params, cli_human_paren((double)n_params, false, h1, sizeof h1), n_inits,
           n_inits == 1 ? "" : "s", n_const_nodes, n_const_nodes == 1 ? "" : "s",
           (long long)param_bytes,
           cli_human_paren((double)param_bytes, true, h2, sizeof h2),
           params_unknown ? " [some initializers have unknown size]" : "");

    /* Op histogram with MACs. */
    op_stat *stats = calloc((size_t)g->n_nodes + 1, sizeof *stats);
    if (!stats) {
        cli_error(CMD, "out of memory");
        ert_graph_free(g);
        return CLI_EXIT_LOAD;
    }
    int n_stats = 0, n_folded = 0, n_unsupported = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const ert_node *n = &g->nodes[i];
        if (notes && n->dead) { /* --optimized: the histogram is the optimized graph's */
            n_folded++;
            continue;
        }
        char key[96];
        if (n->domain && n->domain[0])
            snprintf(key, sizeof key, "%s:%s", n->domain, n->op_type);
        else
            snprintf(key, sizeof key, "%s", n->op_type);
        int s = 0;
        while (s < n_stats && strcmp(stats[s].key, key) != 0)
            s++;
        if (s == n_stats) {
            snprintf(stats[s].key, sizeof stats[s].key, "%s", key);
            n_stats++;
        }
        op_stat *st_ = &stats[s];
        st_->count++;
        if (!n->op)
            n_unsupported++;
        bool folded = node_folded(g, n);
        if (folded) {
            st_->folded++;
            n_folded++;
            continue;
        }
        cli_macs m;
        if (!cli_node_macs(g, n, &m))
            continue;
        st_->has_macs = true;
        if (!m.known) {
            st_->n_unknown++;
            continue;
        }
        if (m.is_min)
            st_->n_min++;
        if (__builtin_add_overflow(st_->macs, m.value, &st_->macs))
            st_->overflow = true;
    }
    qsort(stats, (size_t)n_stats, sizeof *stats, cmp_stat);

    printf("Nodes:        %d", g->n_nodes);
    if (n_folded)
        printf(notes ? " (%d folded, fused or removed at load time)" : " (%d computed at load time)",
               n_folded);
    printf("\nOp histogram:\n");
    for (int s = 0; s < n_stats; s++) {
        printf("  %-28s %6d", stats[s].key, stats[s].count);
        if (stats[s].folded)
            printf("  (%d folded)", stats[s].folded);
        printf("\n");
    }

    printf("MACs by op type (from load-time shapes):\n");
    int64_t total = 0;
    bool total_min = false, any_macs = false, total_overflow = false;
    int total_unknown = 0;
    for (int s = 0; s < n_stats; s++) {
        op_stat *o = &stats[s];
        if (!o->has_macs)
            continue;
        any_macs = true;
        char buf[160];
        bool known = o->n_unknown < o->count - o->folded; /* at least one node counted */
        format_macs(o->macs, known && !o->overflow, o->n_min > 0, known ? o->n_unknown : 0,
                    buf, sizeof buf);
        printf("  %-28s %s\n", o->key, buf);
        total_min |= o->n_min > 0;
        total_unknown += o->n_unknown;
        total_overflow |= o->overflow || __builtin_add_overflow(total, o->macs, &total);
    }
    if (any_macs) {
        char buf[160];
        bool known = !total_overflow;
        format_macs(total, known, total_min, total_unknown, buf, sizeof buf);
        printf("  %-28s %s\n", "Total", buf);
        if (total_min)
            printf("  (>=: symbolic dims counted as 1)\n");
    } else {
        printf("  (no Conv, ConvTranspose, Gemm or MatMul nodes)\n");
    }

    if (list_nodes) {
        printf("Nodes:\n");
        for (int i = 0; i < g->n_nodes; i++) {
            const ert_node *n = &g->nodes[i];
            char shape[256] = "-", buf[160] = "";
            const ert_tensor *y = cli_node_value(g, n, true, 0);
            if (y)
                ert_shape_str(y, g, shape, sizeof shape);
            cli_macs m;
            if (!node_folded(g, n) && cli_node_macs(g, n, &m)) {
                char mb[128];
                format_macs(m.value, m.known, m.is_min, 0, mb, sizeof mb);
                snprintf(buf, sizeof buf, "  MACs %s", mb);
            }
            printf("  %4d  %-20s %-32s -> %s%s%s%s\n", i, n->op_type, n->name, shape, buf,
                   node_folded(g, n) ? "  [folded]" : "", n->op ? "" : "  [UNSUPPORTED]");
        }
    }

    if (notes) {
        print_optimizer(g, notes);
        print_memory_plan(path, shape_list, lenient);
    }

    if (n_unsupported) {
        printf("Unsupported nodes (%d):\n", n_unsupported);
        for (int i = 0; i < g->n_nodes; i++) {
            const ert_node *n = &g->nodes[i];
            if (n->op)
                continue;
            const bool custom = n->domain && n->domain[0];
            const ert_op_def *known = ert_op_find(n->domain ? n->domain : "", n->op_type);
            printf("  node '%s': %s%s%s", n->name, custom ? n->domain : "", custom ? ":" : "",
                   n->op_type);
            if (known) {
                printf(" at opset %d: edgert implements versions ", n->opset);
                print_versions(known);
                printf(" (needs opset >= %d)\n", known->versions[0]);
            } else {
                printf(" (op not implemented%s%s)\n", custom ? " in domain " : "",
                       custom ? n->domain : "");
            }
        }
    }

    int rc = CLI_EXIT_OK;
    if (fst != ERT_OK) {
        printf("Shape inference failed: %s (%s)\n", ferr.msg[0] ? ferr.msg : "no message",
               ert_status_name(fst));
        cli_error(CMD, "'%s': load-time shape inference failed: %s", path, ferr.msg);
        rc = CLI_EXIT_LOAD;
    }
    if (n_unsupported) {
        cli_error(CMD, "'%s': %d node%s not supported by edgert (listed above)", path,
                  n_unsupported, n_unsupported == 1 ? " is" : "s are");
        rc = CLI_EXIT_LOAD;
    } else if (rc == CLI_EXIT_OK) {
        printf("Supported:    yes (every node has an edgert kernel)\n");
    }
    free(stats);
    free(notes);
    ert_graph_free(g);
    return rc;
}
