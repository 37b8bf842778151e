/*
 * test_api.c - public C API tests: loading (file, memory), description with symbolic
 * dims, running against numpy-computed results, state errors, bad input with clear
 * messages, subnormal flushing, and isolation (two models in one process; two contexts of one model on two
 * threads at once).
 *
 * usage: test_api MODELDIR   (MODELDIR made by tests/api/make_models.py)
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgert.h"

static int g_pass, g_fail;
static const char *g_dir;

#define CHECK(cond, ...)                                  \
    do {                                                  \
        if (cond) {                                       \
            g_pass++;                                     \
        } else {                                          \
            g_fail++;                                     \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);   \
            printf(__VA_ARGS__);                          \
            printf("\n");                                 \
        }                                                 \
    } while (0)

static const char *mpath(const char *name)
{
    static char buf[8][1024];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

static void *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *p = malloc((size_t)len + 1);
    *n = fread(p, 1, (size_t)len, f);
    fclose(f);
    return p;
}

/* Expects load of `name` to fail with status st and a message containing each needle. */
static void expect_load_error(const char *name, ert_status st, const char *n1, const char *n2)
{
    ert_model *m = NULL;
    ert_status got = ert_model_load_file(mpath(name), NULL, &m);
    const char *msg = ert_model_last_error(m);
    CHECK(got == st || ((int)st == -1 && got != ERT_OK), "%s: status %d (%s), expected %d; message: %s", name, got,
          ert_status_name(got), st, msg);
    CHECK(n1 == NULL || strstr(msg, n1), "%s: message lacks '%s': %s", name, n1, msg);
    CHECK(n2 == NULL || strstr(msg, n2), "%s: message lacks '%s': %s", name, n2, msg);
    printf("  %-20s -> %s\n", name, msg);
    ert_model_free(m);
}

static float *g_x, *g_y;

static int run_small_cnn(ert_model *m, float *out, int reps)
{
    ert_context *c;
    if (ert_context_create(m, &c) != ERT_OK)
        return -1;
    int64_t dims[4] = {2, 3, 8, 8};
    int rc = 0;
    for (int r = 0; r < reps && rc == 0; r++) {
        if (ert_context_set_input(c, "x", ERT_DTYPE_FLOAT32, 4, dims, g_x, 2 * 3 * 8 * 8 * 4) != ERT_OK ||
            ert_context_run(c) != ERT_OK) {
            rc = -1;
            break;
        }
        ert_tensor_info info;
        const void *data;
        size_t nb;
        if (ert_context_get_output(c, 0, &info, &data, &nb) != ERT_OK || nb != 10 * sizeof(float)) {
            rc = -1;
            break;
        }
        memcpy(out, data, nb);
    }
    ert_context_free(c);
    return rc;
}

static float max_err(const float *a, const float *b, int n)
{
    float e = 0;
    for (int i = 0; i < n; i++)
        if (!(fabsf(a[i] - b[i]) <= e))
            e = fabsf(a[i] - b[i]);
    return e;
}

typedef struct thread_arg {
    ert_model *m;
    float out[10];
    int rc;
} thread_arg;

static void *thread_main(void *p)
{
    thread_arg *a = p;
    a->rc = run_small_cnn(a->m, a->out, 200);
    return NULL;
}

static void test_small_cnn(void)
{
    size_t nx, ny;
    g_x = read_all(mpath("small_cnn.in.bin"), &nx);
    g_y = read_all(mpath("small_cnn.out.bin"), &ny);
    CHECK(g_x && g_y && nx == 2 * 3 * 8 * 8 * 4 && ny == 40, "expected data files");
    if (!g_x || !g_y)
        return;
    ert_model *m;
    ert_status st = ert_model_load_file(mpath("small_cnn.onnx"), NULL, &m);
    CHECK(st == ERT_OK, "load small_cnn: %s", ert_model_last_error(m));
    if (st != ERT_OK) {
        ert_model_free(m);
        return;
    }
    CHECK(ert_model_num_inputs(m) == 1 && ert_model_num_outputs(m) == 1, "io counts");
    ert_tensor_info info;
    CHECK(ert_model_input_info(m, 0, &info) == ERT_OK, "input info");
    CHECK(!strcmp(info.name, "x") && info.rank == 4 && info.dims[0] < 0 &&
              info.dim_names[0] && !strcmp(info.dim_names[0], "batch") && info.dims[1] == 3,
          "input described as x [batch,3,8,8]");
    CHECK(ert_model_output_info(m, 0, &info) == ERT_OK && info.rank == 2 && info.dims[1] == 5,
          "output [batch,5]");
    CHECK(ert_model_input_info(m, 5, &info) == ERT_ERR_INVALID_ARGUMENT, "bad index refused");

    float out[10];
    CHECK(run_small_cnn(m, out, 1) == 0, "run");
    float e = max_err(out, g_y, 10);
    CHECK(e < 1e-4f, "small_cnn vs numpy: max abs err %g", e);

    /* memory load gives the same */
    size_t n;
    void *buf = read_all(mpath("small_cnn.onnx"), &n);
    ert_model *m2;
    st = ert_model_load_memory(buf, n, NULL, NULL, &m2);
    free(buf);
    CHECK(st == ERT_OK, "load from memory: %s", ert_model_last_error(m2));
    float out2[10];
    CHECK(st == ERT_OK && run_small_cnn(m2, out2, 1) == 0 && max_err(out2, out, 10) == 0.0f,
          "two models in one process agree");

    /* state and argument errors */
    ert_context *c;
    ert_context_create(m, &c);
    st = ert_context_run(c);
    CHECK(st == ERT_ERR_STATE && strstr(ert_context_last_error(c), "'x'"),
          "run before set_input: %d %s", st, ert_context_last_error(c));
    int64_t dims[4] = {2, 3, 8, 8};
    st = ert_context_set_input(c, "nope", ERT_DTYPE_FLOAT32, 4, dims, g_x, nx);
    CHECK(st == ERT_ERR_INVALID_ARGUMENT && strstr(ert_context_last_error(c), "'nope'") &&
              strstr(ert_context_last_error(c), "'x'"),
          "unknown input name: %s", ert_context_last_error(c));
    st = ert_context_set_input(c, "x", ERT_DTYPE_INT64, 4, dims, g_x, nx);
    CHECK(st == ERT_ERR_INVALID_ARGUMENT && strstr(ert_context_last_error(c), "float32"),
          "wrong dtype: %s", ert_context_last_error(c));
    int64_t bad[4] = {2, 4, 8, 8};
    st = ert_context_set_input(c, "x", ERT_DTYPE_FLOAT32, 4, bad, g_x, 2 * 4 * 8 * 8 * 4);
    CHECK(st == ERT_ERR_SHAPE && strstr(ert_context_last_error(c), "dim 1"),
          "contradicting shape: %s", ert_context_last_error(c));
    int64_t huge[4] = {INT64_C(1) << 40, 3, INT64_C(1) << 20, 8};
    st = ert_context_set_input(c, "x", ERT_DTYPE_FLOAT32, 4, huge, g_x, nx);
    CHECK(st == ERT_ERR_NO_MEMORY || st == ERT_ERR_SHAPE || st == ERT_ERR_INVALID_ARGUMENT,
          "overflowing dims refused: %d %s", st, ert_context_last_error(c));
    st = ert_context_set_input(c, "x", ERT_DTYPE_FLOAT32, 4, dims, g_x, nx - 4);
    CHECK(st == ERT_ERR_INVALID_ARGUMENT, "byte count mismatch refused");
    const void *d;
    CHECK(ert_context_get_output(c, 0, NULL, &d, NULL) == ERT_ERR_STATE, "output before run");
    ert_context_free(c);

    /* two contexts of one model on two threads, 200 runs each */
    thread_arg a = {.m = m}, b = {.m = m};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, thread_main, &a);
    pthread_create(&tb, NULL, thread_main, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK(a.rc == 0 && b.rc == 0, "threaded runs succeeded");
    CHECK(max_err(a.out, out, 10) == 0.0f && max_err(b.out, out, 10) == 0.0f,
          "threaded results identical to the single-threaded run");
    ert_model_free(m);
    ert_model_free(m2);
}

static void test_shape_subgraph(void)
{
    ert_model *m;
    ert_status st = ert_model_load_file(mpath("shape_subgraph.onnx"), NULL, &m);
    CHECK(st == ERT_OK, "load shape_subgraph: %s", ert_model_last_error(m));
    if (st != ERT_OK) {
        ert_model_free(m);
        return;
    }
    ert_context *c;
    ert_context_create(m, &c);
    for (int64_t nb = 1; nb <= 3; nb++) {
        float x[18];
        for (int i = 0; i < 18; i++)
            x[i] = (float)i;
        int64_t dims[3] = {nb, 2, 3};
        st = ert_context_set_input(c, "x", ERT_DTYPE_FLOAT32, 3, dims, x,
                                   (size_t)(nb * 6) * sizeof(float));
        if (st == ERT_OK)
            st = ert_context_run(c);
        ert_tensor_info info;
        const void *d = NULL;
        size_t nbytes = 0;
        if (st == ERT_OK)
            st = ert_context_get_output(c, 0, &info, &d, &nbytes);
        CHECK(st == ERT_OK && info.rank == 2 && info.dims[0] == nb && info.dims[1] == 6 &&
                  memcmp(d, x, nbytes) == 0,
              "dynamic reshape with batch %lld: %s", (long long)nb, ert_context_last_error(c));
    }
    ert_context_free(c);
    ert_model_free(m);
}

/* One run of inplace_chain with x and b of these shapes (b broadcasting to x or the
 * other way round); checks y = tanh(sigmoid(x) + b) * 1.5 element by element. */
static bool run_chain(ert_context *c, const int64_t *xd, const int64_t *bd)
{
    float x[64], b[64];
    int64_t yd[4], nx = 1, nb = 1, ny = 1;
    for (int d = 0; d < 4; d++) {
        yd[d] = xd[d] > bd[d] ? xd[d] : bd[d];
        nx *= xd[d], nb *= bd[d], ny *= yd[d];
    }
    for (int64_t i = 0; i < nx; i++)
        x[i] = (float)i * 0.37f - 3.0f;
    for (int64_t i = 0; i < nb; i++)
        b[i] = 1.0f - (float)i * 0.21f;
    const void *d = NULL;
    ert_tensor_info info;
    if (ert_context_set_input(c, "x", ERT_DTYPE_FLOAT32, 4, xd, x, (size_t)nx * 4) != ERT_OK ||
        ert_context_set_input(c, "b", ERT_DTYPE_FLOAT32, 4, bd, b, (size_t)nb * 4) != ERT_OK ||
        ert_context_run(c) != ERT_OK || ert_context_get_output(c, 0, &info, &d, NULL) != ERT_OK)
        return false;
    for (int64_t i = 0; i < ny; i++) {
        int64_t rem = i, xi = 0, bi = 0, xs = 1, bs = 1;
        for (int dd = 3; dd >= 0; dd--) {
            int64_t idx = rem % yd[dd];
            rem /= yd[dd];
            xi += (xd[dd] == 1 ? 0 : idx) * xs;
            bi += (bd[dd] == 1 ? 0 : idx) * bs;
            xs *= xd[dd], bs *= bd[dd];
        }
        double want = tanh(1.0 / (1.0 + exp(-(double)x[xi])) + b[bi]) * 1.5;
        if (fabs(((const float *)d)[i] - want) > 1e-5 * (1.0 + fabs(want)))
            return false;
    }
    return true;
}

/* Elementwise steps write over their input's buffer once the arena is laid out (the
 * chain needs one slot, not four), and stay correct when new shapes make a broadcast
 * input smaller than the output it would share. */
static void test_inplace(void)
{
    ert_model *m;
    ert_status st = ert_model_load_file(mpath("inplace_chain.onnx"), NULL, &m);
    CHECK(st == ERT_OK, "load inplace_chain: %s", ert_model_last_error(m));
    ert_context *c = NULL;
    if (st != ERT_OK || ert_context_create(m, &c) != ERT_OK) {
        ert_context_free(c);
        ert_model_free(m);
        return;
    }
    ert_memory_info mem;
    CHECK(ert_context_memory_info(c, &mem) == ERT_ERR_STATE, "no memory plan before a run");
    static const int64_t shapes[][2][4] = {
        {{1, 2, 3, 4}, {1, 2, 3, 4}}, {{1, 2, 1, 1}, {1, 2, 3, 4}}, {{1, 2, 3, 4}, {1, 1, 1, 4}},
        {{2, 1, 3, 1}, {1, 2, 1, 4}}, {{1, 2, 3, 4}, {1, 2, 3, 4}}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        for (int r = 0; r < 3; r++) /* sizing run, planned runs */
            CHECK(run_chain(c, shapes[s][0], shapes[s][1]), "in-place chain, shapes #%zu run %d: %s",
                  s, r, ert_context_last_error(c));
        if (s == 0) { /* the first plan: nothing broadcasts */
            st = ert_context_memory_info(c, &mem);
            CHECK(st == ERT_OK && mem.arena_bytes > 0 && mem.naive_bytes == 4 * mem.arena_bytes,
                  "four same-size elementwise steps share one arena slot: arena %zu, naive %zu",
                  mem.arena_bytes, mem.naive_bytes);
        }
    }
    ert_context_free(c);
    ert_model_free(m);
}

static void test_errors(void)
{
    expect_load_error("does_not_exist.onnx", ERT_ERR_IO, "does_not_exist.onnx", NULL);
    expect_load_error("garbage.onnx", ERT_ERR_PARSE, "garbage.onnx", "not a valid ONNX");
    expect_load_error("truncated.onnx", ERT_ERR_PARSE, "truncated.onnx", NULL);
    expect_load_error("unknown_op.onnx", ERT_ERR_UNSUPPORTED, "FrobnicateTensor", "the_node");
    expect_load_error("custom_domain.onnx", ERT_ERR_UNSUPPORTED, "com.example", "MyOp");
    expect_load_error("missing_value.onnx", ERT_ERR_PARSE, "nowhere", "the_node");
    expect_load_error("future_opset.onnx", ERT_ERR_UNSUPPORTED, "opset 40", "the_node");
    expect_load_error("ext_escape.onnx", ERT_ERR_PARSE, "outside", "ext_weights.bin");
    expect_load_error("ext_abs.onnx", ERT_ERR_PARSE, "outside", "/etc/passwd");
    expect_load_error("huge.onnx", (ert_status)-1, "huge_cos", "overflow"); /* shape or memory error */

    ert_model *m;
    ert_status st = ert_model_load_file(mpath("ext_ok.onnx"), NULL, &m);
    CHECK(st == ERT_OK, "external data inside the folder loads: %s", ert_model_last_error(m));
    if (st == ERT_OK) {
        ert_context *c;
        ert_context_create(m, &c);
        float x[6] = {1, 1, 1, 1, 1, 1};
        int64_t dims[2] = {2, 3};
        ert_context_set_input(c, "x", ERT_DTYPE_FLOAT32, 2, dims, x, sizeof x);
        st = ert_context_run(c);
        const void *d = NULL;
        if (st == ERT_OK)
            ert_context_get_output(c, 0, NULL, &d, NULL);
        CHECK(st == ERT_OK && d && ((const float *)d)[5] == 6.0f, "external data values");
        ert_context_free(c);
    }
    ert_model_free(m);
    CHECK(ert_model_load_memory(NULL, 0, NULL, NULL, &m) != ERT_OK, "empty buffer refused");
    ert_model_free(m);
    CHECK(strcmp(ert_version(), ERT_VERSION_STRING) == 0, "version string");
}

/* Runs mul_tiny (y = x * 1e-30) on n floats; 0 on success. */
static int run_tiny(ert_model *m, int threads, int keep, const float *x, float *y, int64_t n)
{
    ert_context_options opt = {0};
    opt.num_threads = threads;
    opt.keep_denormals = keep;
    ert_context *c = NULL;
    ert_tensor_info info;
    const void *data = NULL;
    size_t nb = 0;
    int rc = ert_context_create_ex(m, &opt, &c) != ERT_OK ||
             ert_context_set_input(c, "x", ERT_DTYPE_FLOAT32, 1, &n, x, (size_t)n * 4) != ERT_OK ||
             ert_context_run(c) != ERT_OK ||
             ert_context_get_output(c, 0, &info, &data, &nb) != ERT_OK || nb != (size_t)n * 4;
    if (rc)
        printf("  mul_tiny: %s\n", ert_context_last_error(c));
    else
        memcpy(y, data, nb);
    ert_context_free(c);
    return rc;
}

/* x = 1e-10 gives y = 1e-40, a subnormal: by default a run flushes it to zero where
 * edgert sets the mode (x86-64 MXCSR, AArch64 FPCR), on the pool's workers too;
 * keep_denormals keeps the IEEE result; the caller's own arithmetic is IEEE again after
 * the run either way. */
static void test_denormals(void)
{
    ert_model *m;
    ert_status st = ert_model_load_file(mpath("mul_tiny.onnx"), NULL, &m);
    CHECK(st == ERT_OK, "load mul_tiny: %s", ert_model_last_error(m));
    enum { N = 1 << 18 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    if (st != ERT_OK || !x || !y)
        goto done;
    for (int i = 0; i < N; i++)
        x[i] = i % 3 ? 1e-10f : 1.0f;
#if defined(__x86_64__) || defined(__aarch64__)
    const bool flushes = true;
#else
    const bool flushes = false;
#endif
    for (int threads = 1; threads <= 2; threads++)
        for (int keep = 0; keep <= 1; keep++) {
            if (run_tiny(m, threads, keep, x, y, N)) {
                CHECK(0, "mul_tiny run, %d threads, keep_denormals %d", threads, keep);
                continue;
            }
            int bad = 0;
            for (int i = 0; i < N; i++) {
                volatile float ieee = x[i] * 1e-30f; /* this thread: IEEE subnormals */
                float want = flushes && !keep && i % 3 ? 0.0f : ieee;
                bad += y[i] != want;
            }
            CHECK(bad == 0, "mul_tiny, %d threads, keep_denormals %d: %d of %d wrong", threads,
                  keep, bad, N);
            volatile float a = 1e-20f;
            CHECK(a * a > 0.0f, "the caller's subnormals are back after a run");
        }
done:
    free(x);
    free(y);
    ert_model_free(m);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_api MODELDIR\n");
        return 2;
    }
    g_dir = argv[1];
    test_small_cnn();
    test_shape_subgraph();
    test_inplace();
    test_errors();
    test_denormals();
    free(g_x);
    free(g_y);
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
