/*
 * test_edit.c - the IR edit API (src/ir/edit.h) on hand-built graphs: after every edit
 * the consumer index, n_consumers and producers must equal a brute-force recount; graph
 * outputs keep their names through replace_uses; the topological sort keeps a sorted
 * graph's order, places appended nodes after their inputs and reports cycles.
 *
 * usage: test_edit   (no arguments)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/edit.h"
#include "ops/op.h"

static int g_pass, g_fail;

#define CHECK(cond, ...)                                \
    do {                                                \
        if (cond) {                                     \
            g_pass++;                                   \
        } else {                                        \
            g_fail++;                                   \
            printf("FAIL %s:%d: ", __FILE__, __LINE__); \
            printf(__VA_ARGS__);                        \
            printf("\n");                               \
        }                                               \
    } while (0)

/* Recounts every live node's input slots and compares with the index. */
static bool index_ok(const ert_edit *e, const char *when)
{
    const ert_graph *g = e->g;
    for (int v = 0; v < g->n_values; v++) {
        int n = 0;
        for (int ni = 0; ni < g->n_nodes; ni++) {
            const ert_node *nd = &g->nodes[ni];
            if (nd->dead)
                continue;
            for (int s = 0; s < nd->n_inputs; s++) {
                if (nd->inputs[s] != v)
                    continue;
                n++;
                bool found = false;
                for (int k = 0; k < ert_edit_n_uses(e, v); k++)
                    found |= ert_edit_uses(e, v)[k].node == ni && ert_edit_uses(e, v)[k].slot == s;
                if (!found) {
                    printf("  %s: use (%d, %d) of '%s' missing\n", when, ni, s, g->values[v].name);
                    return false;
                }
            }
        }
        if (n != ert_edit_n_uses(e, v) || n != g->values[v].n_consumers) {
            printf("  %s: '%s' has %d uses, index %d, n_consumers %d\n", when,
                   g->values[v].name, n, ert_edit_n_uses(e, v), g->values[v].n_consumers);
            return false;
        }
        int p = g->values[v].producer;
        if (p >= 0) {
            bool ok = !g->nodes[p].dead;
            bool lists = false;
            for (int j = 0; j < g->nodes[p].n_outputs; j++)
                lists |= g->nodes[p].outputs[j] == v;
            if (!ok || !lists) {
                printf("  %s: producer %d of '%s' is dead or does not output it\n", when, p,
                       g->values[v].name);
                return false;
            }
        }
    }
    return true;
}

static int value(ert_graph *g, const char *name, ert_value_kind kind)
{
    int v = ert_graph_add_value(g, name);
    g->values[v].kind = kind;
    g->values[v].t.dtype = ERT_DTYPE_FLOAT32;
    int64_t d[2] = {2, 3};
    ert_tensor_set_shape(&g->values[v].t, 2, d);
    return v;
}

/* x -> Relu a -> Sigmoid b -> Identity y (graph output); a also -> Tanh t (output). */
static ert_graph *small_graph(ert_edit *e, int *x, int *a, int *b, int *y, int *t)
{
    ert_graph *g = ert_graph_new();
    g->opset_onnx = 17;
    *x = value(g, "x", ERT_VALUE_INPUT);
    *a = value(g, "a", ERT_VALUE_INTERMEDIATE);
    *b = value(g, "b", ERT_VALUE_INTERMEDIATE);
    *y = value(g, "y", ERT_VALUE_INTERMEDIATE);
    *t = value(g, "t", ERT_VALUE_INTERMEDIATE);
    g->inputs = malloc(sizeof(int));
    g->inputs[g->n_inputs++] = *x;
    g->outputs = malloc(2 * sizeof(int));
    g->outputs[g->n_outputs++] = *y;
    g->outputs[g->n_outputs++] = *t;
    g->values[*y].is_output = g->values[*t].is_output = true;
    ert_edit_begin(e, g, NULL);
    ert_edit_add_node(e, "Relu", "", "relu", 1, x, 1, a);
    ert_edit_add_node(e, "Sigmoid", "", "sig", 1, a, 1, b);
    ert_edit_add_node(e, "Identity", "", "id", 1, b, 1, y);
    ert_edit_add_node(e, "Tanh", "", "tanh", 1, a, 1, t);
    return g;
}

static void test_index_and_rewire(void)
{
    ert_edit e;
    int x, a, b, y, t;
    ert_graph *g = small_graph(&e, &x, &a, &b, &y, &t);
    CHECK(g->n_nodes == 4 && index_ok(&e, "built"), "graph built through the API");
    CHECK(ert_edit_n_uses(&e, a) == 2 && ert_edit_n_readers(&e, y) == 1,
          "a has 2 readers, y is read by the graph only");
    CHECK(ert_edit_sole_consumer(&e, b) == 2 && ert_edit_sole_consumer(&e, a) == -1 &&
          ert_edit_sole_consumer(&e, y) == -1, "sole consumer");
    CHECK(g->nodes[0].op && g->nodes[0].op->id == ERT_OP_RELU && g->nodes[0].version == 14,
          "op resolved at the graph's opset (Relu-14 at opset 17)");

    /* Identity removal: y's place as graph output goes to b, which takes the name "y" */
    CHECK(ert_edit_replace_uses(&e, y, b), "replace_uses onto a produced intermediate");
    ert_edit_remove_node(&e, 2);
    CHECK(g->outputs[0] == b && !strcmp(g->values[b].name, "y") && g->values[b].is_output &&
          !g->values[y].is_output, "the graph output keeps its name");
    CHECK(index_ok(&e, "after identity removal"), "index after replace_uses + remove_node");

    /* an input cannot stand in for an output */
    CHECK(!ert_edit_replace_uses(&e, t, x), "replace_uses refuses a graph input for an output");
    CHECK(g->outputs[1] == t && !strcmp(g->values[t].name, "t"), "refusal changes nothing");

    /* replace Sigmoid (index 1) by a HardSigmoid appended at the end */
    int hs = ert_edit_add_node(&e, "HardSigmoid", "", "hs", 1, &a, 1, &b);
    CHECK(hs == 4 && index_ok(&e, "after add"), "add_node appends and indexes");
    ert_edit_replace_node(&e, 1, hs);
    CHECK(g->nodes[1].op->id == ERT_OP_HARD_SIGMOID && !g->nodes[1].dead && g->nodes[4].dead &&
          g->values[b].producer == 1, "replace_node puts the new node in the old one's place");
    CHECK(index_ok(&e, "after replace_node"), "index after replace_node");

    /* attributes */
    CHECK(ert_edit_set_attr_float(&e, 1, "alpha", 0.25f) == ERT_OK &&
          ert_edit_set_attr_float(&e, 1, "alpha", 0.5f) == ERT_OK && g->nodes[1].n_attrs == 1 &&
          ert_attr_float(&g->nodes[1], "alpha", 0) == 0.5f, "set_attr replaces by name");
    ert_edit_set_input(&e, 3, 0, x);
    CHECK(index_ok(&e, "after set_input") && ert_edit_n_uses(&e, a) == 1,
          "set_input moves the use");
    ert_edit_end(&e);
    ert_graph_free(g);
}

static void test_sort(void)
{
    ert_edit e;
    int x, a, b, y, t;
    ert_graph *g = small_graph(&e, &x, &a, &b, &y, &t);
    /* a new node consuming t appended; then make Relu read its output: Relu must move */
    int u = value(g, "u", ERT_VALUE_INTERMEDIATE);
    ert_edit_end(&e);
    ert_edit_begin(&e, g, NULL);
    int n4 = ert_edit_add_node(&e, "Neg", "", "neg", 1, &x, 1, &u);
    ert_edit_set_input(&e, 0, 0, u); /* relu reads neg's output: relu must run after neg */
    CHECK(ert_edit_sort(&e, NULL) == ERT_OK, "sort");
    const char *want[] = {"neg", "relu", "sig", "id", "tanh"};
    bool order = true;
    for (int i = 0; i < 5; i++)
        order &= !strcmp(g->nodes[i].name, want[i]);
    CHECK(n4 == 4 && order, "the moved node runs first, the rest keep their order");
    CHECK(index_ok(&e, "after sort") && g->values[u].producer == 0 && g->values[a].producer == 1,
          "index and producers renumbered by the sort");
    /* a cycle: neg reads tanh's output */
    ert_edit_set_input(&e, 0, 0, t);
    ert_err err = {{0}};
    CHECK(ert_edit_sort(&e, &err) == ERT_ERR_PARSE && strstr(err.msg, "cycle"),
          "a cycle is reported: %s", err.msg);
    ert_edit_end(&e);
    ert_graph_free(g);
}

int main(void)
{
    test_index_and_rewire();
    test_sort();
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
