/*
 * test_limits.c - hostile model files are refused quickly, with bounded memory, and
 * with a message naming the limit (src/import/limits.h).
 *
 *   test_limits DIR          writes the big files to DIR and runs every check
 *   test_limits --load FILE  (internal) loads FILE, prints "ms RSS_KB status: message"
 *
 * The two big files: a 100 MB model whose subgraphs nest ~16 million levels deep
 * (protobuf-c alone would recurse until the stack overflows) and a model of 10^7 empty
 * nodes (20 MB; protobuf-c alone would allocate gigabytes of node structs). Each is
 * loaded in a fresh process (exec), so its peak RSS is the load's own. The small cases
 * go through ert_model_load_memory: one per limit, each just past it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "edgert.h"
#include "import/limits.h"

#define BIG_BYTES (100u << 20)
#define MAX_LOAD_MS 2000.0
#define MAX_EXTRA_RSS_KB (192 * 1024) /* above the file size (read whole into memory) */

static int g_fail;

static void check(int ok, const char *what, const char *detail)
{
    printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", what, detail ? ": " : "", detail ? detail : "");
    g_fail += !ok;
}

/* ---- a tiny protobuf writer ---- */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void put_varint(buf *b, uint64_t v)
{
    uint8_t t[10];
    int n = 0;
    do {
        t[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    put(b, t, (size_t)n);
}

static void put_field(buf *b, unsigned field, const void *d, size_t n)
{
    put_varint(b, (uint64_t)field << 3 | 2);
    put_varint(b, n);
    put(b, d, n);
}

/* ModelProto{ir_version 8, opset_import{version 13}, graph = g}. */
static buf model_of(const buf *g)
{
    buf m = {0}, op = {0};
    uint8_t ir[] = {0x08, 0x08};
    put(&m, ir, sizeof ir);
    uint8_t ver[] = {0x10, 13};
    put(&op, ver, sizeof ver);
    put_field(&m, 8, op.p, op.n);
    put_field(&m, 7, g->p, g->n);
    free(op.p);
    return m;
}

/* ---- the big files ---- */

/* Prepends tag + length (of everything from *pos to the end) in front of *pos. */
static void prepend_field(uint8_t *b, size_t *pos, uint8_t tag)
{
    size_t len = BIG_BYTES - *pos;
    uint8_t v[10];
    int nv = 0;
    do {
        v[nv++] = (uint8_t)((len & 0x7f) | (len > 0x7f ? 0x80 : 0));
        len >>= 7;
    } while (len);
    *pos -= (size_t)nv;
    memcpy(b + *pos, v, (size_t)nv);
    b[--*pos] = tag;
}

/* Writes backwards: an empty graph, wrapped in Attribute.g, Node.attribute, Graph.node
 * again and again until the file is ~BIG_BYTES, then in Model.graph. */
static int write_deep(const char *path)
{
    uint8_t *b = malloc(BIG_BYTES);
    if (!b)
        return -1;
    size_t pos = BIG_BYTES;
    while (pos > 64) { /* each round leaves a GraphProto at pos */
        prepend_field(b, &pos, 0x32); /* AttributeProto.g */
        prepend_field(b, &pos, 0x2a); /* NodeProto.attribute */
        prepend_field(b, &pos, 0x0a); /* GraphProto.node */
    }
    prepend_field(b, &pos, 0x3a); /* ModelProto.graph */
    FILE *f = fopen(path, "wb");
    int rc = (f && fwrite(b + pos, 1, BIG_BYTES - pos, f) == BIG_BYTES - pos) ? 0 : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    free(b);
    return rc;
}

static int write_many_nodes(const char *path, long n_nodes)
{
    buf g = {0};
    static const uint8_t empty_node[2] = {0x0a, 0x00};
    for (long i = 0; i < n_nodes; i++)
        put(&g, empty_node, 2);
    buf m = model_of(&g);
    FILE *f = fopen(path, "wb");
    int rc = (f && fwrite(m.p, 1, m.n, f) == m.n) ? 0 : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    free(g.p);
    free(m.p);
    return rc;
}

/* ---- loading in a fresh process ---- */

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int load_child(const char *path)
{
    double t0 = now_ms();
    ert_model *m = NULL;
    ert_status st = ert_model_load_file(path, NULL, &m);
    double ms = now_ms() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%.1f %ld %d: %s\n", ms, ru.ru_maxrss, (int)st, st ? ert_model_last_error(m) : "ok");
    ert_model_free(m);
    return 0;
}

static void check_big(const char *self, const char *path, size_t file_bytes, const char *limit)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' --load '%s'", self, path);
    FILE *p = popen(cmd, "r");
    char line[2048] = "";
    if (!p || !fgets(line, sizeof line, p)) {
        check(0, path, "the loader process printed nothing (crashed?)");
        if (p)
            pclose(p);
        return;
    }
    int wst = pclose(p);
    double ms = 0;
    long rss = 0;
    int st = 0;
    char msg[1600] = "";
    sscanf(line, "%lf %ld %d: %1599[^\n]", &ms, &rss, &st, msg);
    char detail[2048];
    snprintf(detail, sizeof detail, "%.0f ms, peak RSS %ld MB (file %zu MB): %s", ms, rss >> 10,
             file_bytes >> 20, msg);
    check(WIFEXITED(wst) && WEXITSTATUS(wst) == 0 && st != 0 && strstr(msg, limit) &&
              ms < MAX_LOAD_MS && rss < (long)(file_bytes >> 10) + MAX_EXTRA_RSS_KB,
          limit, detail);
}

/* ---- the small cases, one per limit ---- */

static void expect_refused(const buf *model, const char *what, const char *needle)
{
    ert_model *m = NULL;
    ert_status st = ert_model_load_memory(model->p, model->n, NULL, NULL, &m);
    const char *msg = st ? ert_model_last_error(m) : "loaded";
    check(st != ERT_OK && strstr(msg, needle) != NULL, what, msg);
    ert_model_free(m);
}

static void graph_with_node(buf *g, const buf *node)
{
    put_field(g, 1, node->p, node->n);
}

static void small_cases(void)
{
    buf node = {0}, g = {0}, m;
    /* a node name past ERT_LIMIT_NAME_BYTES */
    char *name = malloc(ERT_LIMIT_NAME_BYTES + 2);
    memset(name, 'n', ERT_LIMIT_NAME_BYTES + 1);
    put_field(&node, 3, name, ERT_LIMIT_NAME_BYTES + 1);
    free(name);
    graph_with_node(&g, &node);
    m = model_of(&g);
    expect_refused(&m, "node name too long", "ERT_LIMIT_NAME_BYTES");
    free(m.p), free(g.p), free(node.p);

    /* an ints attribute of ERT_LIMIT_ATTR_ELEMS + 1 elements (packed) */
    buf ints = {0}, attr = {0};
    node = (buf){0}, g = (buf){0};
    for (long i = 0; i <= ERT_LIMIT_ATTR_ELEMS; i++)
        put_varint(&ints, 1);
    put_field(&attr, 1, "k", 1);
    put_field(&attr, 8, ints.p, ints.n);
    put_field(&node, 5, attr.p, attr.n);
    graph_with_node(&g, &node);
    m = model_of(&g);
    expect_refused(&m, "attribute list too long", "ERT_LIMIT_ATTR_ELEMS");
    free(m.p), free(g.p), free(node.p), free(attr.p), free(ints.p);

    /* a graph input of rank ERT_LIMIT_RANK + 1 */
    buf shape = {0}, tt = {0}, tp = {0}, vi = {0};
    g = (buf){0};
    uint8_t dim[] = {0x08, 0x01}; /* Dimension{dim_value 1} */
    for (int i = 0; i <= ERT_LIMIT_RANK; i++)
        put_field(&shape, 1, dim, sizeof dim);
    uint8_t et[] = {0x08, 0x01};
    put(&tt, et, sizeof et);
    put_field(&tt, 2, shape.p, shape.n);
    put_field(&tp, 1, tt.p, tt.n);
    put_field(&vi, 1, "x", 1);
    put_field(&vi, 2, tp.p, tp.n);
    put_field(&g, 11, vi.p, vi.n);
    m = model_of(&g);
    expect_refused(&m, "rank too high", "ERT_LIMIT_RANK");
    free(m.p), free(g.p), free(shape.p), free(tt.p), free(tp.p), free(vi.p);

    /* ERT_LIMIT_INITIALIZERS + 1 empty initializers */
    g = (buf){0};
    for (long i = 0; i <= ERT_LIMIT_INITIALIZERS; i++)
        put_field(&g, 5, "", 0);
    m = model_of(&g);
    expect_refused(&m, "too many initializers", "ERT_LIMIT_INITIALIZERS");
    free(m.p), free(g.p);

    /* one node with ERT_LIMIT_VALUES + 1 outputs */
    node = (buf){0}, g = (buf){0};
    for (long i = 0; i <= ERT_LIMIT_VALUES; i++)
        put_field(&node, 2, "a", 1);
    graph_with_node(&g, &node);
    m = model_of(&g);
    expect_refused(&m, "too many values", "ERT_LIMIT_VALUES");
    free(m.p), free(g.p), free(node.p);

    /* framing errors: a varint that does not end, a length past the end */
    uint8_t bad1[] = {0x08, 0xff, 0xff};
    uint8_t bad2[] = {0x3a, 0x7f, 0x00};
    buf b1 = {bad1, sizeof bad1, 0}, b2 = {bad2, sizeof bad2, 0};
    expect_refused(&b1, "unterminated varint", "file offset");
    expect_refused(&b2, "length past the end", "file offset");
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--load") == 0)
        return load_child(argv[2]);
    if (argc != 2) {
        fprintf(stderr, "usage: test_limits DIR\n");
        return 2;
    }
    char deep[4096], many[4096];
    snprintf(deep, sizeof deep, "%s/deep_100mb.onnx", argv[1]);
    snprintf(many, sizeof many, "%s/nodes_1e7.onnx", argv[1]);
    if (write_deep(deep) != 0 || write_many_nodes(many, 10000000) != 0) {
        fprintf(stderr, "test_limits: cannot write the test files in %s\n", argv[1]);
        return 2;
    }
    check_big(argv[0], deep, BIG_BYTES, "ERT_LIMIT_PROTO_DEPTH");
    check_big(argv[0], many, 20u << 20, "ERT_LIMIT_NODES");
    remove(deep);
    remove(many);
    small_cases();
    printf("%d failed\n", g_fail);
    return g_fail ? 1 : 0;
}
