/*
 * test_rnn.c - rnn.<isa> (src/kernels/rnn/rnn.c) against the reference LSTM /
 * GRU / RNN kernel (ops/rnn.c, in double) at every ISA level, guard-page
 * buffers, a 3-thread pool (ERT_TEST_THREADS overrides it). Each cell over
 * forward / reverse / bidirectional, layout 0 and 1, batch 1-3, 0-9 steps,
 * input and hidden sizes that are and are not vector multiples; rotated
 * through: bias absent, initial_h / initial_c, peepholes, clip, input_forget,
 * linear_before_reset, non-default activations (with alpha/beta; both the
 * vectorised kinds and the scalar ones), sequence_lens (zero-length rows
 * included), omitted outputs. Every output is compared, twice (the second run
 * with the workspace and outputs full of garbage). Declined: W computed at run
 * time. Tolerance 2e-5 absolute + 1e-4 relative (float32 against the
 * reference's double).
 */
#include "test_act_util.h"

#include "ops/rnn.h"

#define TH_OWN (TH_ALL | TH_NEON)
#define NOUT 3

static ert_threadpool *g_pool;
static int g_ran;

typedef struct rnn_case {
    th_case c;
    int outs[NOUT];
    ert_tensor ref[NOUT];
    int n_out;
    bool lstm;
} rnn_case;

typedef struct opts {
    int cell; /* ERT_RNN_CELL_* */
    int dir, layout, version;
    int64_t T, N, I, H;
    bool bias, h0, c0, peep, clip, input_forget, lbr, lens;
    int acts; /* 0: defaults; 1, 2: other lists */
    int omit; /* bit o: output o omitted */
    bool w_runtime; /* W as a graph input: every level declines */
} opts;

static const char *const k_ops[] = {"RNN", "GRU", "LSTM"};
static const char *const k_dirs[] = {"forward", "reverse", "bidirectional"};

/* Activation lists per cell (one direction; bidirectional repeats them). */
static const char *const k_acts[3][2][3] = {
    {{"Relu"}, {"Softsign"}},
    {{"HardSigmoid", "LeakyRelu"}, {"Sigmoid", "ScaledTanh"}},
    {{"HardSigmoid", "Elu", "Softplus"}, {"Sigmoid", "Affine", "ThresholdedRelu"}},
};

static void build(rnn_case *r, const opts *o)
{
    th_case *c = &r->c;
    memset(r, 0, sizeof *r);
    th_init(c, "", k_ops[o->cell], o->version);
    int gates = o->cell == ERT_RNN_CELL_LSTM ? 4 : o->cell == ERT_RNN_CELL_GRU ? 3 : 1;
    int64_t nd = o->dir == ERT_RNN_DIR_BIDI ? 2 : 1, gh = gates * o->H;
    int64_t xd[3] = {o->layout ? o->N : o->T, o->layout ? o->T : o->N, o->I};
    int64_t wd[3] = {nd, gh, o->I}, rd[3] = {nd, gh, o->H}, bd[2] = {nd, 2 * gh};
    int64_t hd[3] = {o->layout ? o->N : nd, o->layout ? nd : o->N, o->H}, pd[2] = {nd, 3 * o->H};
    float s = 1.0f / sqrtf((float)(o->H + o->I));
    th_input(c, 3, xd, NULL, false, -1.5f, 1.5f);
    th_input(c, 3, wd, NULL, !o->w_runtime, -2 * s, 2 * s);
    th_input(c, 3, rd, NULL, true, -2 * s, 2 * s);
    bool more_h = o->h0 || o->c0 || o->peep, more = o->lens || more_h;
    if (o->bias)
        th_input(c, 2, bd, NULL, true, -0.5f, 0.5f);
    else if (more)
        th_skip(c);
    if (o->lens) {
        int64_t lens[8];
        for (int64_t b = 0; b < o->N; b++)
            lens[b] = b == 1 ? 0 : (int64_t)(rng_u32() % (uint32_t)(o->T + 1));
        th_input_i64(c, lens, (int)o->N, false);
    } else if (more_h) {
        th_skip(c);
    }
    if (o->h0)
        th_input(c, 3, hd, NULL, false, -1, 1);
    else if (o->c0 || o->peep)
        th_skip(c);
    if (o->c0)
        th_input(c, 3, hd, NULL, false, -1, 1);
    else if (o->peep)
        th_skip(c);
    if (o->peep)
        th_input(c, 2, pd, NULL, true, -0.5f, 0.5f);
    th_attr_int(c, "hidden_size", o->H);
    th_attr_string(c, "direction", k_dirs[o->dir]);
    if (o->version >= 14)
        th_attr_int(c, "layout", o->layout);
    if (o->clip)
        th_attr_float(c, "clip", 0.7f);
    if (o->input_forget)
        th_attr_int(c, "input_forget", 1);
    if (o->lbr)
        th_attr_int(c, "linear_before_reset", 1);
    static const char *lists[2][6];
    static float alphas[6] = {0.3f, 0.2f, 0.9f, 0.4f, 0.6f, 0.25f};
    static float betas[6] = {0.6f, 0.7f, 0.5f, 0.35f, 0.1f, 0.2f};
    if (o->acts) {
        int na = o->cell + 1;
        ert_attr *a = th_attr(c, "activations", ERT_ATTR_STRINGS);
        for (int d = 0; d < nd; d++)
            for (int i = 0; i < na; i++)
                lists[o->acts - 1][d * na + i] = k_acts[o->cell][o->acts - 1][i];
        a->strings = (char **)lists[o->acts - 1];
        a->n = nd * na;
        th_attr_floats(c, "activation_alpha", alphas, 6);
        th_attr_floats(c, "activation_beta", betas, 6);
    }
    r->lstm = o->cell == ERT_RNN_CELL_LSTM;
    r->n_out = r->lstm ? 3 : 2;
    for (int i = 0; i < r->n_out; i++)
        r->outs[i] = (o->omit >> i) & 1 ? -1 : c->n_in + i;
    c->node.outputs = r->outs;
    c->node.n_outputs = r->n_out;
    snprintf(c->desc, sizeof c->desc,
             "%s-%d %s layout %d T %lld N %lld I %lld H %lld bias %d h0 %d c0 %d "
             "P %d clip %d "
             "if %d lbr %d lens %d acts %d omit %d",
             k_ops[o->cell], o->version, k_dirs[o->dir], o->layout, (long long)o->T,
             (long long)o->N, (long long)o->I, (long long)o->H, o->bias, o->h0, o->c0, o->peep,
             o->clip, o->input_forget, o->lbr, o->lens, o->acts, o->omit);
}

static void kctx_of(rnn_case *r, ert_kctx *k, ert_tensor **in, ert_tensor **out, ert_tensor *y,
                    ert_err *err)
{
    th_kctx(&r->c, k, in, out, err);
    k->n_out = r->n_out;
    for (int i = 0; i < r->n_out; i++)
        out[i] = r->outs[i] >= 0 ? &y[i] : NULL;
}

/* Reference outputs into r->ref; the output values get their types. */
static int reference(rnn_case *r)
{
    ert_tensor *in[ERT_KCTX_MIN_SLOTS], *out[ERT_KCTX_MIN_SLOTS];
    ert_err err = {0};
    ert_kctx k;
    kctx_of(r, &k, in, out, r->ref, &err);
    if (r->c.node.op->infer(&k) != ERT_OK) {
        fprintf(stderr, "%s: infer failed: %s\n", r->c.desc, err.msg);
        return -1;
    }
    for (int i = 0; i < r->n_out; i++) {
        size_t nb = (size_t)ert_tensor_numel(&r->ref[i]) * sizeof(float);
        r->ref[i].data = malloc(nb ? nb : 4);
        r->ref[i].nbytes = nb;
    }
    if (r->c.node.op->run(&k) != ERT_OK) {
        fprintf(stderr, "%s: reference failed: %s\n", r->c.desc, err.msg);
        return -1;
    }
    for (int i = 0; i < r->n_out; i++) {
        ert_value *v = &r->c.vals[r->c.n_in + i];
        v->t = r->ref[i];
        v->t.data = NULL;
        v->kind = ERT_VALUE_INTERMEDIATE;
    }
    r->c.g.n_values = r->c.n_in + r->n_out;
    return 0;
}

static int compare(const rnn_case *r, const ert_kernel *kern, const ert_tensor *y, int pass)
{
    int bad = 0;
    for (int o = 0; o < r->n_out; o++) {
        if (r->outs[o] < 0)
            continue;
        const float *got = y[o].data, *want = r->ref[o].data;
        for (int64_t i = 0; i < ert_tensor_numel(&r->ref[o]); i++)
            if (!close_f(got[i], want[i], 2e-5f, 1e-4f)) {
                if (bad < 3)
                    fprintf(stderr,
                            "FAIL %s [%s] run %d: output %d [%lld] = %.9g, reference "
                            "%.9g\n",
                            r->c.desc, kern->name, pass, o, (long long)i, got[i], want[i]);
                bad++;
            }
    }
    return bad;
}

/* pack, plan, run twice (garbage in the workspace and outputs before the
 * second). */
static int check_kernel(rnn_case *r, const ert_kernel *kern)
{
    ert_tensor *in[ERT_KCTX_MIN_SLOTS], *out[ERT_KCTX_MIN_SLOTS], y[NOUT];
    gbuf gy[NOUT] = {{0}}, gws = {0};
    ert_err err = {0};
    ert_kctx k;
    for (int o = 0; o < r->n_out; o++) {
        y[o] = r->ref[o];
        y[o].data = gbuf_alloc(&gy[o], r->ref[o].nbytes);
    }
    kctx_of(r, &k, in, out, y, &err);
    static _Alignas(64) unsigned char params[ERT_STEP_PARAMS_BYTES];
    memset(params, 0xA5, sizeof params);
    k.params = params;
    k.pool = g_pool;
    void *packed = NULL;
    size_t ws = 0;
    int bad = 0;
    if (kern->pack(&r->c.node, &r->c.g, &packed, &err) != ERT_OK ||
        (k.packed = packed, kern->plan(&k, &ws)) != ERT_OK) {
        fprintf(stderr, "%s [%s]: pack/plan failed: %s\n", r->c.desc, kern->name, err.msg);
        bad = 1;
    }
    k.ws = ws ? gbuf_alloc(&gws, ws) : NULL;
    k.ws_bytes = ws;
    for (int pass = 1; pass <= 2 && !bad; pass++) {
        for (int o = 0; o < r->n_out; o++)
            memset(y[o].data, pass == 1 ? 0xff : 0x7f, y[o].nbytes); /* NaN / huge */
        if (ws)
            memset(k.ws, 0x5a, ws);
        if (kern->run(&k) != ERT_OK) {
            fprintf(stderr, "%s [%s]: run %d failed: %s\n", r->c.desc, kern->name, pass, err.msg);
            bad = 1;
            break;
        }
        bad += compare(r, kern, y, pass);
    }
    if (packed)
        kern->free_packed(packed);
    for (int o = 0; o < r->n_out; o++)
        gbuf_free(&gy[o]);
    gbuf_free(&gws);
    if (bad)
        g_fail++;
    return bad;
}

static void run_case(const opts *o)
{
    static const char *const sfx[] = {"generic", "avx2", "avx512", "neon"};
    rnn_case r;
    build(&r, o);
    if (reference(&r) == 0) {
        ert_isa best = ert_cpu_get()->best;
        for (int isa = ERT_ISA_GENERIC; isa <= ERT_ISA_NEON; isa++) {
            if (!th_isa_runs(isa))
                continue;
            ert_cpu_set_isa_cap((ert_isa)isa);
            const ert_kernel *ks[8];
            int n = th_kernels(&r.c, (ert_isa)isa, "rnn.", ks, 8);
            bool found = false;
            for (int i = 0; i < n; i++) {
                const char *dot = strrchr(ks[i]->name, '.');
                found |= ks[i]->isa == (ert_isa)isa && strcmp(dot + 1, sfx[isa]) == 0;
                check_kernel(&r, ks[i]);
                g_ran++;
            }
            if (o->w_runtime)
                CHECK(n == 0, "%s: W at run time, yet %d kernels offered", r.c.desc, n);
            else if (TH_OWN & (1u << isa))
                CHECK(found, "%s: no rnn.%s kernel offered", r.c.desc, sfx[isa]);
        }
        ert_cpu_set_isa_cap(best);
    } else {
        g_fail++;
    }
    th_free(&r.c);
    for (int i = 0; i < r.n_out; i++)
        free(r.ref[i].data);
}

static void matrix(void)
{
    static const int64_t sizes[][4] = {/* T, N, I, H */
                                       {1, 1, 4, 3},   {7, 3, 5, 17}, {5, 2, 16, 32},
                                       {9, 1, 33, 16}, {0, 2, 4, 5},  {4, 2, 1, 8}};
    int rot = 0;
    for (int cell = 0; cell < 3; cell++)
        for (int dir = 0; dir < 3; dir++)
            for (int layout = 0; layout < 2; layout++)
                for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++, rot++) {
                    opts o = {.cell = cell,
                              .dir = dir,
                              .layout = layout,
                              .version = 14,
                              .T = sizes[s][0],
                              .N = sizes[s][1],
                              .I = sizes[s][2],
                              .H = sizes[s][3]};
                    o.bias = rot % 5 != 0;
                    o.h0 = rot % 3 == 1;
                    o.lens = rot % 4 == 2 && o.N > 1;
                    o.clip = rot % 6 == 3;
                    o.acts = rot % 7 == 4 ? 1 : rot % 7 == 5 ? 2 : 0;
                    o.omit = rot % 8 == 6 ? 1 : rot % 8 == 7 ? 2 : 0;
                    if (cell == ERT_RNN_CELL_LSTM) {
                        o.c0 = rot % 3 != 0;
                        o.peep = rot % 2 == 1;
                        o.input_forget = rot % 5 == 2;
                        o.omit |= rot % 9 == 8 ? 4 : 0;
                    }
                    if (cell == ERT_RNN_CELL_GRU)
                        o.lbr = rot % 2 == 0;
                    if (layout == 0 && rot % 3 == 0) /* older versions: no layout attribute */
                        o.version = 7;
                    run_case(&o);
                }
}

/* Declines: W computed at run time. */
static void declined(void)
{
    opts o = {.cell = ERT_RNN_CELL_LSTM,
              .dir = 0,
              .version = 14,
              .T = 3,
              .N = 1,
              .I = 4,
              .H = 5,
              .bias = true,
              .w_runtime = true};
    run_case(&o);
}

int main(void)
{
    if (ert_threadpool_create(th_pool_threads(3), NULL, &g_pool) != ERT_OK)
        return 2;
    matrix();
    declined();
    ert_threadpool_free(g_pool);
    printf("test_rnn: %d kernel runs, %d failures\n", g_ran, g_fail);
    return g_fail ? 1 : 0;
}
