/*
 * fuzz_cli_inputs.c - libFuzzer target for the CLI's --shapes / --input parsing and
 * input resolution (tools/inputs.c: cli_inputs_prepare, cli_inputs_feed).
 *
 * The model is fixed, built in memory at start-up: inputs x float [N,3,H,W], ids int64
 * [N,5], mask bool [S] (N, H, W, S symbolic) each through an Identity. Each fuzz input
 * is a list of lines: "s ARG" is one --shapes ARG, "i ARG" one --input ARG (at most 16
 * options); files named in --input are read from wherever the path points (the seeds
 * use FUZZ_DIR/x.npy etc., written at start-up). Resolution either fails with an exit
 * code and message or yields inputs the context accepts. Any crash, leak or sanitizer
 * report is a bug. Run it with -close_fd_mask=2: the CLI's messages then go nowhere,
 * while libFuzzer keeps its own output and sanitizer reports on a copy of stderr.
 * Fuzz builds cap one random input at 16 MiB (MAX_INPUT_BYTES) so a huge --shapes is a
 * refusal, not an out-of-memory report.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "edgert.h"
#include "inputs.h"
#include "npy.h"

#define MAX_OPTS 16
#define FUZZ_DIR "/dev/shm/ert_fuzz_cli"

static ert_model *g_model;

/* ---- a tiny protobuf writer for the model ---- */

typedef struct pbuf {
    uint8_t b[4096];
    size_t n;
} pbuf;

static void put_raw(pbuf *p, const void *d, size_t n)
{
    if (p->n + n > sizeof p->b)
        abort();
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

static void put_varint(pbuf *p, uint64_t v)
{
    do {
        uint8_t c = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        put_raw(p, &c, 1);
        v >>= 7;
    } while (v);
}

static void put_bytes(pbuf *p, unsigned field, const void *d, size_t n)
{
    put_varint(p, (uint64_t)field << 3 | 2);
    put_varint(p, n);
    put_raw(p, d, n);
}

static void put_str(pbuf *p, unsigned field, const char *s)
{
    put_bytes(p, field, s, strlen(s));
}

/* ValueInfoProto{name, type{tensor_type{elem_type, shape{dims}}}}; dims: "N", "3", ... */
static void value_info(pbuf *g, unsigned field, const char *name, int elem, int rank,
                       const char *const *dims)
{
    pbuf shape = {0}, tt = {0}, tp = {0}, vi = {0};
    for (int i = 0; i < rank; i++) {
        pbuf d = {0};
        if (dims[i][0] >= '0' && dims[i][0] <= '9') {
            put_varint(&d, 1 << 3 | 0);
            put_varint(&d, (uint64_t)atoi(dims[i]));
        } else {
            put_str(&d, 2, dims[i]);
        }
        put_bytes(&shape, 1, d.b, d.n);
    }
    put_varint(&tt, 1 << 3 | 0);
    put_varint(&tt, (uint64_t)elem);
    put_bytes(&tt, 2, shape.b, shape.n);
    put_bytes(&tp, 1, tt.b, tt.n);
    put_str(&vi, 1, name);
    put_bytes(&vi, 2, tp.b, tp.n);
    put_bytes(g, field, vi.b, vi.n);
}

static void identity(pbuf *g, const char *in, const char *out)
{
    pbuf n = {0};
    put_str(&n, 1, in);
    put_str(&n, 2, out);
    put_str(&n, 4, "Identity");
    put_bytes(g, 1, n.b, n.n);
}

static void build_model(pbuf *m)
{
    static const char *const xd[] = {"N", "3", "H", "W"}, *const idd[] = {"N", "5"},
                             *const md[] = {"S"};
    pbuf g = {0}, op = {0};
    identity(&g, "x", "y");
    identity(&g, "ids", "z");
    identity(&g, "mask", "w");
    value_info(&g, 11, "x", ERT_DTYPE_FLOAT32, 4, xd);
    value_info(&g, 11, "ids", ERT_DTYPE_INT64, 2, idd);
    value_info(&g, 11, "mask", ERT_DTYPE_BOOL, 1, md);
    value_info(&g, 12, "y", ERT_DTYPE_FLOAT32, 4, xd);
    value_info(&g, 12, "z", ERT_DTYPE_INT64, 2, idd);
    value_info(&g, 12, "w", ERT_DTYPE_BOOL, 1, md);
    put_varint(m, 1 << 3 | 0);
    put_varint(m, 8); /* ir_version */
    put_varint(&op, 2 << 3 | 0);
    put_varint(&op, 13);
    put_bytes(m, 8, op.b, op.n);
    put_bytes(m, 7, g.b, g.n);
}

static void write_seed_files(void)
{
    int64_t xd[4] = {1, 3, 2, 2}, idd[2] = {1, 5}, md[1] = {4};
    float x[12] = {0};
    int64_t ids[5] = {0, 1, 2, 3, 4};
    uint8_t mask[4] = {1, 0, 1, 0};
    char err[256];
    if (system("mkdir -p " FUZZ_DIR) != 0)
        abort();
    npy_write(FUZZ_DIR "/x.npy", ERT_DTYPE_FLOAT32, 4, xd, x, sizeof x, err, sizeof err);
    npy_write(FUZZ_DIR "/ids.npy", ERT_DTYPE_INT64, 2, idd, ids, sizeof ids, err, sizeof err);
    npy_write(FUZZ_DIR "/mask.npy", ERT_DTYPE_BOOL, 1, md, mask, sizeof mask, err, sizeof err);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    static pbuf m;
    build_model(&m);
    if (ert_model_load_memory(m.b, m.n, NULL, NULL, &g_model) != ERT_OK) {
        fprintf(stderr, "fuzz_cli_inputs: the built-in model does not load: %s\n",
                ert_model_last_error(g_model));
        abort();
    }
    write_seed_files();
    return 0;
}

static void run_options(const cli_input_args *a)
{
    cli_inputs ins = {0};
    if (cli_inputs_prepare("run", g_model, a, NULL, &ins) == CLI_EXIT_OK) {
        ert_context *c = NULL;
        if (ert_context_create(g_model, &c) == ERT_OK &&
            cli_inputs_feed("run", c, &ins) == CLI_EXIT_OK && ert_context_run(c) != ERT_OK)
            abort(); /* resolved inputs the model then refuses: the checks disagree */
        ert_context_free(c);
    }
    cli_inputs_free(&ins);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    cli_input_args a;
    if (!cli_input_args_init(&a, MAX_OPTS)) {
        free(text);
        return 0;
    }
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && a.n_inputs + a.n_shapes < MAX_OPTS;
         line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == 's' && line[1] == ' ')
            a.shapes[a.n_shapes++] = line + 2;
        else if (line[0] == 'i' && line[1] == ' ')
            a.inputs[a.n_inputs++] = line + 2;
    }
    run_options(&a);
    cli_input_args_free(&a);
    free(text);
    return 0;
}
