/*
 * rnn.c - recurrent layers: LSTM, GRU and RNN (ONNX one-layer recurrences).
 *
 * One shared front end (attributes, activations, weight-shape validation, shape
 * inference) and one kernel per cell type. The kernel works in double: every input is
 * converted once per run into double buffers and the outputs are stored back in the
 * input dtype, so float32, float64, float16 and bfloat16 share one exact path (the
 * ONNX reference computes in float64 too). Cost: one conversion of W/R per run and
 * double dot products; a CRNN-sized LSTM (hidden 256, input 512, 80 steps,
 * bidirectional, ~126 M MACs) runs in ~26 ms. Float32 models with constant weights run
 * on src/kernels/rnn/ instead (one GEMM for X*W^T over all steps: ~4.3 ms on a Zen 4);
 * this kernel is its oracle and runs the other dtypes.
 *
 * Loop order: direction, then batch row, then time step. Batch rows are independent,
 * which makes sequence_lens simple: row b runs exactly lens[b] steps (the reverse
 * direction starts at its own last valid step lens[b]-1), Y stays zero past lens[b],
 * and Y_h / Y_c hold the state after the row's last valid step. A row with
 * lens[b] == 0 gets zero Y_h / Y_c (ONNX Runtime's choice; the spec is silent and
 * carrying initial_h through would be the other reading).
 *
 * Semantics fixed where the spec is loose (chosen to match ONNX Runtime):
 *   - clip bounds every gate pre-activation (not Ct before h());
 *   - input_forget (LSTM): the forget gate is 1 - input gate;
 *   - activation_alpha / activation_beta are consumed, in activation order, only by
 *     the activations that take them (Affine, LeakyRelu, ThresholdedRelu, ScaledTanh,
 *     HardSigmoid, Elu take alpha; Affine, ScaledTanh, HardSigmoid take beta); a
 *     missing value takes the default of the matching ONNX operator (LeakyRelu 0.01,
 *     ThresholdedRelu 1, HardSigmoid 0.2/0.5, Elu 1; Affine 1/0 and ScaledTanh 1/1
 *     from the retired experimental ops). ONNX Runtime uses 0 for a missing Affine,
 *     ScaledTanh or ThresholdedRelu value;
 *   - activation names are matched case-insensitively; a bidirectional node that
 *     lists the activations of one direction only uses them for both.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "ops/rnn.h"
#include "util/scratch.h"

/* ------------------------------------------------------------------------------------ */
/* Parameters                                                                           */

static const struct {
    const char *name;
    ert_rnn_act_kind kind;
    bool takes_alpha, takes_beta;
    double alpha, beta;        /* defaults */
} act_table[] = {
    {"Relu", ERT_RNN_ACT_RELU, false, false, 0, 0},
    {"Tanh", ERT_RNN_ACT_TANH, false, false, 0, 0},
    {"Sigmoid", ERT_RNN_ACT_SIGMOID, false, false, 0, 0},
    {"Affine", ERT_RNN_ACT_AFFINE, true, true, 1.0, 0.0},
    {"LeakyRelu", ERT_RNN_ACT_LEAKY_RELU, true, false, 0.01, 0},
    {"ThresholdedRelu", ERT_RNN_ACT_THRESHOLDED_RELU, true, false, 1.0, 0},
    {"ScaledTanh", ERT_RNN_ACT_SCALED_TANH, true, true, 1.0, 1.0},
    {"HardSigmoid", ERT_RNN_ACT_HARD_SIGMOID, true, true, 0.2, 0.5},
    {"Elu", ERT_RNN_ACT_ELU, true, false, 1.0, 0},
    {"Softsign", ERT_RNN_ACT_SOFTSIGN, false, false, 0, 0},
    {"Softplus", ERT_RNN_ACT_SOFTPLUS, false, false, 0, 0},
};

static bool name_eq_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char ca = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        char cb = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
        if (ca != cb)
            return false;
    }
    return *a == *b;
}

static const char *op_name(ert_rnn_cell c)
{
    return c == ERT_RNN_CELL_LSTM ? "LSTM" : c == ERT_RNN_CELL_GRU ? "GRU" : "RNN";
}

ert_status ert_rnn_parse(ert_kctx *k, ert_rnn_params *p)
{
    const ert_node *n = k->node;
    memset(p, 0, sizeof *p);
    int id = n->op->id;
    p->cell = id == ERT_OP_LSTM ? ERT_RNN_CELL_LSTM : id == ERT_OP_GRU ? ERT_RNN_CELL_GRU : ERT_RNN_CELL_RNN;
    p->gates = p->cell == ERT_RNN_CELL_LSTM ? 4 : p->cell == ERT_RNN_CELL_GRU ? 3 : 1;
    p->n_acts = p->cell == ERT_RNN_CELL_LSTM ? 3 : p->cell == ERT_RNN_CELL_GRU ? 2 : 1;

    const char *dir = ert_attr_string(n, "direction", "forward");
    if (!strcmp(dir, "forward"))
        p->dir = ERT_RNN_DIR_FORWARD;
    else if (!strcmp(dir, "reverse"))
        p->dir = ERT_RNN_DIR_REVERSE;
    else if (!strcmp(dir, "bidirectional"))
        p->dir = ERT_RNN_DIR_BIDI;
    else
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED,
                           "direction '%s' is not supported (forward, reverse or bidirectional)",
                           dir);
    p->nd = p->dir == ERT_RNN_DIR_BIDI ? 2 : 1;

    if (k->version >= 14) { /* layout arrived in opset 14 */
        int64_t lay = ert_attr_int(n, "layout", 0);
        if (lay != 0 && lay != 1)
            return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "layout %lld is not supported (0 or 1)",
                               (long long)lay);
        p->layout = (int)lay;
    }

    p->hidden = -1;
    if (ert_node_attr(n, "hidden_size")) {
        p->hidden = ert_attr_int(n, "hidden_size", 0);
        if (p->hidden < 1)
            return ert_op_fail(k, ERT_ERR_SHAPE, "hidden_size %lld must be at least 1",
                               (long long)p->hidden);
    }

    if (ert_node_attr(n, "clip")) {
        p->has_clip = true;
        p->clip = ert_attr_float(n, "clip", 0.0f);
        if (!(p->clip > 0.0))
            return ert_op_fail(k, ERT_ERR_SHAPE, "clip %g must be a positive threshold",
                               p->clip);
    }
    if (p->cell == ERT_RNN_CELL_LSTM)
        p->input_forget = ert_attr_int(n, "input_forget", 0) != 0;
    if (p->cell == ERT_RNN_CELL_GRU && k->version >= 3)
        p->linear_before_reset = ert_attr_int(n, "linear_before_reset", 0) != 0;

    /* Activations: defaults, then the attribute list. */
    static const ert_rnn_act_kind defaults[3][ERT_RNN_MAX_ACTS] = {
        {ERT_RNN_ACT_TANH, ERT_RNN_ACT_TANH, ERT_RNN_ACT_TANH},          /* RNN: f */
        {ERT_RNN_ACT_SIGMOID, ERT_RNN_ACT_TANH, ERT_RNN_ACT_TANH},       /* GRU: f, g */
        {ERT_RNN_ACT_SIGMOID, ERT_RNN_ACT_TANH, ERT_RNN_ACT_TANH},       /* LSTM: f, g, h */
    };
    for (int d = 0; d < 2; d++)
        for (int a = 0; a < ERT_RNN_MAX_ACTS; a++)
            p->act[d][a] = (ert_rnn_act){defaults[p->cell][a], 0.0, 0.0};

    const ert_attr *acts = ert_node_attr(n, "activations");
    if (acts) {
        if (acts->type != ERT_ATTR_STRINGS)
            return ert_op_fail(k, ERT_ERR_PARSE, "attribute activations must be a list of strings");
        int64_t want = (int64_t)p->n_acts * p->nd;
        if (acts->n != want && !(p->nd == 2 && acts->n == p->n_acts))
            return ert_op_fail(k, ERT_ERR_SHAPE,
                               "activations lists %lld functions, expected %lld (%d per direction "
                               "x %d direction%s)", (long long)acts->n, (long long)want, p->n_acts,
                               p->nd, p->nd > 1 ? "s" : "");
        const float *alphas = NULL, *betas = NULL;
        int64_t na = ert_attr_floats(n, "activation_alpha", &alphas);
        int64_t nb = ert_attr_floats(n, "activation_beta", &betas);
        int64_t ia = 0, ib = 0;
        for (int64_t i = 0; i < acts->n; i++) {
            const char *nm = acts->strings[i] ? acts->strings[i] : "";
            size_t t = 0, nt = sizeof act_table / sizeof act_table[0];
            while (t < nt && !name_eq_nocase(nm, act_table[t].name))
                t++;
            if (t == nt)
                return ert_op_fail(k, ERT_ERR_UNSUPPORTED,
                                   "activation '%s' is not supported (Relu, Tanh, Sigmoid, Affine, "
                                   "LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, "
                                   "Softsign, Softplus)", nm);
            ert_rnn_act a = {act_table[t].kind, act_table[t].alpha, act_table[t].beta};
            if (act_table[t].takes_alpha && ia < na)
                a.alpha = alphas[ia++];
            if (act_table[t].takes_beta && ib < nb)
                a.beta = betas[ib++];
            p->act[i / p->n_acts][i % p->n_acts] = a;
        }
        if (acts->n == p->n_acts)
            memcpy(p->act[1], p->act[0], sizeof p->act[0]);
    }
    return ERT_OK;
}

/* ------------------------------------------------------------------------------------ */
/* Shape inference and validation                                                       */


static bool is_rnn_float(ert_dtype t)
{
    return t == ERT_DTYPE_FLOAT32 || t == ERT_DTYPE_FLOAT64 || t == ERT_DTYPE_FLOAT16 ||
           t == ERT_DTYPE_BFLOAT16;
}

static ert_status want_rank(ert_kctx *k, const ert_tensor *t, const char *name, int rank,
                            const char *shape)
{
    if (t && t->rank >= 0 && t->rank != rank)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input %s has rank %d, expected rank %d %s", name,
                           t->rank, rank, shape);
    return ERT_OK;
}

/* Dim `axis` of t must equal `want` where both are known. */
static ert_status want_dim(ert_kctx *k, const ert_tensor *t, const char *name, int axis,
                           int64_t want, const char *shape)
{
    if (!t || t->rank <= axis || want < 0 || t->dims[axis] < 0 || t->dims[axis] == want)
        return ERT_OK;
    return ert_op_fail(k, ERT_ERR_SHAPE, "input %s has %lld at dim %d, expected %lld: its shape "
                       "must be %s", name, (long long)t->dims[axis], axis, (long long)want, shape);
}

static int64_t dim_or_unknown(const ert_tensor *t, int axis)
{
    return (t && t->rank > axis) ? t->dims[axis] : ERT_DIM_UNKNOWN;
}

/* Prefers a known size, then a symbol, then unknown. */
static int64_t pick_dim(int64_t a, int64_t b)
{
    if (a >= 0)
        return a;
    if (b >= 0)
        return b;
    return a <= -2 ? a : b;
}

ert_status ert_rnn_shapes(ert_kctx *k, const ert_rnn_params *p, ert_rnn_shape *sh)
{
    int max_in = p->cell == ERT_RNN_CELL_LSTM ? 8 : 6;
    ert_status s = ert_check_inputs(k, 3, max_in);
    if (s)
        return s;
    const char *in_names[8] = {"X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"};
    const ert_tensor *x = k->in[ERT_RNN_IN_X];
    if (!is_rnn_float(x->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "X dtype %s is not supported (float32, "
                           "float64, float16 or bfloat16)", ert_dtype_name(x->dtype));
    for (int i = 1; i < k->n_in; i++) {
        const ert_tensor *t = k->in[i];
        if (!t || i == ERT_RNN_IN_SEQ_LENS)
            continue;
        if (t->dtype != x->dtype)
            return ert_op_fail(k, ERT_ERR_PARSE, "input %s is %s but X is %s: they must match",
                               in_names[i], ert_dtype_name(t->dtype), ert_dtype_name(x->dtype));
    }
    const ert_tensor *sl = ert_in(k, ERT_RNN_IN_SEQ_LENS);
    if (sl && sl->dtype != ERT_DTYPE_INT32 && sl->dtype != ERT_DTYPE_INT64)
        return ert_op_fail(k, ERT_ERR_PARSE, "sequence_lens must be int32, got %s",
                           ert_dtype_name(sl->dtype));

    const ert_tensor *w = k->in[ERT_RNN_IN_W], *r = k->in[ERT_RNN_IN_R];
    const ert_tensor *b = ert_in(k, ERT_RNN_IN_B), *ih = ert_in(k, ERT_RNN_IN_INITIAL_H);
    const ert_tensor *ic = ert_in(k, ERT_RNN_IN_INITIAL_C), *pp = ert_in(k, ERT_RNN_IN_P);
    const char *x_shape = p->layout ? "[batch_size, seq_length, input_size]"
                                    : "[seq_length, batch_size, input_size]";
    static const char *w_shapes[3] = {"[num_directions, hidden_size, input_size]",
                                      "[num_directions, 3*hidden_size, input_size]",
                                      "[num_directions, 4*hidden_size, input_size]"};
    static const char *r_shapes[3] = {"[num_directions, hidden_size, hidden_size]",
                                      "[num_directions, 3*hidden_size, hidden_size]",
                                      "[num_directions, 4*hidden_size, hidden_size]"};
    static const char *b_shapes[3] = {"[num_directions, 2*hidden_size]",
                                      "[num_directions, 6*hidden_size]",
                                      "[num_directions, 8*hidden_size]"};
    const char *h_shape = p->layout ? "[batch_size, num_directions, hidden_size]"
                                    : "[num_directions, batch_size, hidden_size]";
    const char *p_shape = "[num_directions, 3*hidden_size]";
    if ((s = want_rank(k, x, "X", 3, x_shape)) || (s = want_rank(k, w, "W", 3, w_shapes[p->cell])) ||
        (s = want_rank(k, r, "R", 3, r_shapes[p->cell])) ||
        (s = want_rank(k, b, "B", 2, b_shapes[p->cell])) ||
        (s = want_rank(k, sl, "sequence_lens", 1, "[batch_size]")) ||
        (s = want_rank(k, ih, "initial_h", 3, h_shape)) ||
        (s = want_rank(k, ic, "initial_c", 3, h_shape)) ||
        (s = want_rank(k, pp, "P", 2, p_shape)))
        return s;

    /* hidden_size: the attribute, else what R (then W) implies. */
    int64_t hid = p->hidden;
    if (hid < 0) {
        int64_t r2 = dim_or_unknown(r, 2), w1 = dim_or_unknown(w, 1), r1 = dim_or_unknown(r, 1);
        if (r2 >= 0)
            hid = r2;
        else if (w1 >= 0 && w1 % p->gates == 0)
            hid = w1 / p->gates;
        else if (r1 >= 0 && r1 % p->gates == 0)
            hid = r1 / p->gates;
        if (hid == 0 && !k->shapes_only)
            return ert_op_fail(k, ERT_ERR_SHAPE, "hidden_size is 0 (from R's shape)");
    }
    if (hid < 0 && !k->shapes_only)
        return ert_op_fail(k, ERT_ERR_SHAPE, "hidden_size is not set and cannot be derived from "
                           "R's shape");
    int64_t gh = -1, h2 = -1, h3 = -1;
    if (hid >= 0 && (!ert_mul_ok(hid, 2 * p->gates, &h2) || !ert_mul_ok(hid, 3, &h3)))
        return ert_op_fail(k, ERT_ERR_SHAPE, "hidden_size %lld is too large", (long long)hid);
    if (hid >= 0)
        gh = hid * p->gates;

    int sa = p->layout ? 1 : 0, ba = p->layout ? 0 : 1;
    int hb = p->layout ? 0 : 1, hd = p->layout ? 1 : 0; /* initial_h batch / direction axes */
    int64_t input = dim_or_unknown(x, 2);
    if ((s = want_dim(k, w, "W", 0, p->nd, w_shapes[p->cell])) ||
        (s = want_dim(k, w, "W", 1, gh, w_shapes[p->cell])) ||
        (s = want_dim(k, w, "W", 2, input, w_shapes[p->cell])) ||
        (s = want_dim(k, r, "R", 0, p->nd, r_shapes[p->cell])) ||
        (s = want_dim(k, r, "R", 1, gh, r_shapes[p->cell])) ||
        (s = want_dim(k, r, "R", 2, hid, r_shapes[p->cell])) ||
        (s = want_dim(k, b, "B", 0, p->nd, b_shapes[p->cell])) ||
        (s = want_dim(k, b, "B", 1, h2, b_shapes[p->cell])) ||
        (s = want_dim(k, ih, "initial_h", hd, p->nd, h_shape)) ||
        (s = want_dim(k, ih, "initial_h", 2, hid, h_shape)) ||
        (s = want_dim(k, ic, "initial_c", hd, p->nd, h_shape)) ||
        (s = want_dim(k, ic, "initial_c", 2, hid, h_shape)) ||
        (s = want_dim(k, pp, "P", 0, p->nd, p_shape)) ||
        (s = want_dim(k, pp, "P", 1, h3, p_shape)))
        return s;
    input = pick_dim(input, dim_or_unknown(w, 2));

    int64_t batch = dim_or_unknown(x, ba);
    if ((s = want_dim(k, sl, "sequence_lens", 0, batch, "[batch_size]")) ||
        (s = want_dim(k, ih, "initial_h", hb, batch, h_shape)) ||
        (s = want_dim(k, ic, "initial_c", hb, batch, h_shape)))
        return s;
    batch = pick_dim(batch, dim_or_unknown(sl, 0));
    batch = pick_dim(batch, dim_or_unknown(ih, hb));
    batch = pick_dim(batch, dim_or_unknown(ic, hb));
    if ((s = want_dim(k, ih, "initial_h", hb, batch, h_shape)) ||
        (s = want_dim(k, ic, "initial_c", hb, batch, h_shape)))
        return s;

    sh->seq = dim_or_unknown(x, sa);
    sh->batch = batch;
    sh->input = input;
    sh->hidden = hid;
    return ERT_OK;
}

static ert_status rnn_infer(ert_kctx *k)
{
    ert_rnn_params p;
    ert_status s = ert_rnn_parse(k, &p);
    if (s)
        return s;
    ert_rnn_shape sh;
    if ((s = ert_rnn_shapes(k, &p, &sh)))
        return s;
    int max_out = p.cell == ERT_RNN_CELL_LSTM ? 3 : 2;
    if (k->n_out > max_out)
        return ert_op_fail(k, ERT_ERR_PARSE, "has %d outputs, %s has at most %d", k->n_out,
                           op_name(p.cell), max_out);
    ert_dtype dt = k->in[ERT_RNN_IN_X]->dtype;
    int64_t hid = sh.hidden >= 0 ? sh.hidden : ERT_DIM_UNKNOWN;
    ert_tensor *y = ert_out(k, 0);
    if (y) {
        int64_t d[4];
        if (p.layout) {
            d[0] = sh.batch; d[1] = sh.seq; d[2] = p.nd; d[3] = hid;
        } else {
            d[0] = sh.seq; d[1] = p.nd; d[2] = sh.batch; d[3] = hid;
        }
        ert_set_out(y, dt, 4, d);
    }
    for (int o = 1; o < max_out; o++) {
        ert_tensor *t = ert_out(k, o);
        if (!t)
            continue;
        int64_t d[3];
        if (p.layout) {
            d[0] = sh.batch; d[1] = p.nd; d[2] = hid;
        } else {
            d[0] = p.nd; d[1] = sh.batch; d[2] = hid;
        }
        ert_set_out(t, dt, 3, d);
    }
    return ERT_OK;
}

ert_status ert_infer_lstm(ert_kctx *k) { return rnn_infer(k); }
ert_status ert_infer_gru(ert_kctx *k) { return rnn_infer(k); }
ert_status ert_infer_rnn(ert_kctx *k) { return rnn_infer(k); }

/* ------------------------------------------------------------------------------------ */
/* Kernel                                                                               */

static double act_apply(const ert_rnn_act *a, double x)
{
    switch (a->kind) {
    case ERT_RNN_ACT_RELU: return x > 0.0 ? x : 0.0;
    case ERT_RNN_ACT_TANH: return tanh(x);
    case ERT_RNN_ACT_SIGMOID:
        if (x >= 0.0)
            return 1.0 / (1.0 + exp(-x));
        else {
            double e = exp(x);
            return e / (1.0 + e);
        }
    case ERT_RNN_ACT_AFFINE: return a->alpha * x + a->beta;
    case ERT_RNN_ACT_LEAKY_RELU: return x >= 0.0 ? x : a->alpha * x;
    case ERT_RNN_ACT_THRESHOLDED_RELU: return x > a->alpha ? x : 0.0;
    case ERT_RNN_ACT_SCALED_TANH: return a->alpha * tanh(a->beta * x);
    case ERT_RNN_ACT_HARD_SIGMOID: {
        double v = a->alpha * x + a->beta;
        return v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
    }
    case ERT_RNN_ACT_ELU: return x >= 0.0 ? x : a->alpha * (exp(x) - 1.0);
    case ERT_RNN_ACT_SOFTSIGN: return x / (1.0 + fabs(x));
    case ERT_RNN_ACT_SOFTPLUS: return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x));
    }
    return x;
}

/* Activation of a gate pre-activation, after the optional clip. */
static inline double gate(const ert_rnn_params *p, const ert_rnn_act *a, double x)
{
    if (p->has_clip)
        x = x > p->clip ? p->clip : x < -p->clip ? -p->clip : x;
    return act_apply(a, x);
}

/* Four partial sums: four independent add chains instead of one (a bidirectional
 * hidden-256, input-512 LSTM over 80 steps: 98 ms -> 26 ms). The changed summation
 * order is far below float32 resolution since the sums are in double. */
static double dot(const double *a, const double *b, int64_t n)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++)
        s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

/* Converts an optional input to a double buffer (NULL for an omitted input). */
static ert_status load_f64(ert_kctx *k, int i, double **out)
{
    *out = NULL;
    const ert_tensor *t = ert_in(k, i);
    if (!t)
        return ERT_OK;
    int64_t n = ert_tensor_numel(t);
    if (n < 0 || (uint64_t)n > SIZE_MAX / sizeof(double))
        return ert_op_fail(k, ERT_ERR_SHAPE, "input %d has an unknown or too large shape", i);
    double *buf = ert_tmp_alloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    if (!buf)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory converting input %d", i);
    if (t->dtype == ERT_DTYPE_FLOAT32) {
        const float *f = t->data;
        for (int64_t j = 0; j < n; j++)
            buf[j] = f[j];
    } else {
        for (int64_t j = 0; j < n; j++)
            buf[j] = ert_load_f64(t->dtype, t->data, j);
    }
    *out = buf;
    return ERT_OK;
}

static void store_row(ert_tensor *t, int64_t off, const double *v, int64_t n)
{
    if (t->dtype == ERT_DTYPE_FLOAT32) {
        float *f = (float *)t->data + off;
        for (int64_t j = 0; j < n; j++)
            f[j] = (float)v[j];
    } else {
        for (int64_t j = 0; j < n; j++)
            ert_store_f64(t->dtype, t->data, off + j, v[j]);
    }
}

/* Everything one direction's recurrence needs. Weights point into the converted
 * buffers at this direction's slice. */
typedef struct rnn_dir {
    const double *w;           /* [gates*H, I] */
    const double *r;           /* [gates*H, H] */
    const double *wb, *rb;     /* [gates*H] each, or NULL */
    const double *peep;        /* LSTM [3*H]: i, o, f, or NULL */
    const ert_rnn_act *act;        /* this direction's activations */
} rnn_dir;

/* One time step for one batch row: h (and c) updated in place from input row x.
 * g: scratch [gates*H]; tmp: scratch [H]. */
static void step(const ert_rnn_params *p, const rnn_dir *d, int64_t I, int64_t H, const double *x,
                 double *h, double *c, double *g, double *tmp)
{
    int64_t gh = H * p->gates;
    /* Gate pre-activations that are linear in x and h (GRU: all but the h gate). */
    int64_t lin = p->cell == ERT_RNN_CELL_GRU ? 2 * H : gh;
    for (int64_t j = 0; j < lin; j++) {
        double v = dot(x, d->w + j * I, I) + dot(h, d->r + j * H, H);
        if (d->wb)
            v += d->wb[j] + d->rb[j];
        g[j] = v;
    }
    if (p->cell == ERT_RNN_CELL_RNN) {
        for (int64_t j = 0; j < H; j++)
            h[j] = gate(p, &d->act[0], g[j]);
        return;
    }
    if (p->cell == ERT_RNN_CELL_GRU) {
        double *z = g, *rg = g + H, *hh = g + 2 * H;
        for (int64_t j = 0; j < H; j++) {
            z[j] = gate(p, &d->act[0], z[j]);
            rg[j] = gate(p, &d->act[0], rg[j]);
        }
        if (!p->linear_before_reset)
            for (int64_t j = 0; j < H; j++)
                tmp[j] = rg[j] * h[j];
        for (int64_t j = 0; j < H; j++) {
            const double *wrow = d->w + (2 * H + j) * I, *rrow = d->r + (2 * H + j) * H;
            double xb = d->wb ? d->wb[2 * H + j] : 0.0, rbv = d->rb ? d->rb[2 * H + j] : 0.0;
            double v;
            if (p->linear_before_reset)
                v = dot(x, wrow, I) + xb + rg[j] * (dot(h, rrow, H) + rbv);
            else
                v = dot(x, wrow, I) + xb + dot(tmp, rrow, H) + rbv;
            hh[j] = gate(p, &d->act[1], v);
        }
        for (int64_t j = 0; j < H; j++)
            h[j] = (1.0 - z[j]) * hh[j] + z[j] * h[j];
        return;
    }
    /* LSTM, gate blocks i, o, f, c; peepholes i, o, f. */
    const double *pi = d->peep, *po = d->peep ? d->peep + H : NULL;
    const double *pf = d->peep ? d->peep + 2 * H : NULL;
    for (int64_t j = 0; j < H; j++) {
        double gi = g[j] + (pi ? pi[j] * c[j] : 0.0);
        double it = gate(p, &d->act[0], gi);
        double ft;
        if (p->input_forget)
            ft = 1.0 - it;
        else
            ft = gate(p, &d->act[0], g[2 * H + j] + (pf ? pf[j] * c[j] : 0.0));
        double ct = gate(p, &d->act[1], g[3 * H + j]);
        double cn = ft * c[j] + it * ct;
        double ot = gate(p, &d->act[0], g[H + j] + (po ? po[j] * cn : 0.0));
        c[j] = cn;
        h[j] = ot * act_apply(&d->act[2], cn);
    }
}

static ert_status rnn_run(ert_kctx *k)
{
    ert_rnn_params p;
    ert_status s = ert_rnn_parse(k, &p);
    if (s)
        return s;
    ert_rnn_shape sh;
    if ((s = ert_rnn_shapes(k, &p, &sh)))
        return s;
    const int64_t T = sh.seq, N = sh.batch, I = sh.input, H = sh.hidden, nd = p.nd;
    const int64_t gh = H * p.gates;
    ert_tensor *y = ert_out(k, 0), *yh = ert_out(k, 1);
    ert_tensor *yc = p.cell == ERT_RNN_CELL_LSTM ? ert_out(k, 2) : NULL;

    /* sequence_lens, validated. */
    const ert_tensor *slt = ert_in(k, ERT_RNN_IN_SEQ_LENS);
    int64_t *lens = ert_tmp_alloc((size_t)(N > 0 ? N : 1) * sizeof(int64_t));
    double *xb = NULL, *wb = NULL, *rb = NULL, *bb = NULL, *ihb = NULL, *icb = NULL, *pb = NULL;
    double *scratch = NULL;
    if (!lens) {
        s = ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
        goto done;
    }
    for (int64_t b = 0; b < N; b++) {
        lens[b] = slt ? ert_load_i64(slt->dtype, slt->data, b) : T;
        if (lens[b] < 0 || lens[b] > T) {
            s = ert_op_fail(k, ERT_ERR_RUNTIME, "sequence_lens[%lld] = %lld is outside [0, %lld] "
                            "(seq_length)", (long long)b, (long long)lens[b], (long long)T);
            goto done;
        }
    }
    if ((s = load_f64(k, ERT_RNN_IN_X, &xb)) || (s = load_f64(k, ERT_RNN_IN_W, &wb)) ||
        (s = load_f64(k, ERT_RNN_IN_R, &rb)) || (s = load_f64(k, ERT_RNN_IN_B, &bb)) ||
        (s = load_f64(k, ERT_RNN_IN_INITIAL_H, &ihb)) ||
        (p.cell == ERT_RNN_CELL_LSTM && ((s = load_f64(k, ERT_RNN_IN_INITIAL_C, &icb)) ||
                                 (s = load_f64(k, ERT_RNN_IN_P, &pb)))))
        goto done;
    /* scratch: g [gh], tmp [H], h [H], c [H] */
    int64_t ns;
    if (!ert_mul_ok(H, 3, &ns) || __builtin_add_overflow(ns, gh, &ns) ||
        (uint64_t)ns > SIZE_MAX / sizeof(double)) {
        s = ert_op_fail(k, ERT_ERR_SHAPE, "hidden_size %lld is too large", (long long)H);
        goto done;
    }
    scratch = ert_tmp_calloc((size_t)(ns > 0 ? ns : 1), sizeof(double));
    if (!scratch) {
        s = ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
        goto done;
    }
    double *g = scratch, *tmp = g + gh, *h = tmp + H, *c = h + H;

    if (y && y->data && y->nbytes)
        memset(y->data, 0, y->nbytes); /* steps past a sequence's length stay zero */

    for (int64_t d = 0; d < nd; d++) {
        bool reverse = p.dir == ERT_RNN_DIR_REVERSE || d == 1;
        rnn_dir dd = {
            .w = wb + d * gh * I,
            .r = rb + d * gh * H,
            .wb = bb ? bb + d * 2 * gh : NULL,
            .rb = bb ? bb + d * 2 * gh + gh : NULL,
            .peep = pb ? pb + d * 3 * H : NULL,
            .act = p.act[d],
        };
        for (int64_t b = 0; b < N; b++) {
            /* initial_h / Y_h offset of (d, b) */
            int64_t hoff = p.layout ? (b * nd + d) * H : (d * N + b) * H;
            for (int64_t j = 0; j < H; j++) {
                h[j] = ihb ? ihb[hoff + j] : 0.0;
                c[j] = icb ? icb[hoff + j] : 0.0;
            }
            int64_t L = lens[b];
            for (int64_t st = 0; st < L; st++) {
                int64_t t = reverse ? L - 1 - st : st;
                const double *x = xb + (p.layout ? (b * T + t) * I : (t * N + b) * I);
                step(&p, &dd, I, H, x, h, c, g, tmp);
                if (y)
                    store_row(y, p.layout ? ((b * T + t) * nd + d) * H : ((t * nd + d) * N + b) * H,
                              h, H);
            }
            if (L == 0) /* no valid step: zero final state, as ONNX Runtime does */
                for (int64_t j = 0; j < H; j++)
                    h[j] = c[j] = 0.0;
            if (yh)
                store_row(yh, hoff, h, H);
            if (yc)
                store_row(yc, hoff, c, H);
        }
    }
    s = ERT_OK;
done:
    ert_tmp_free(lens);
    ert_tmp_free(xb);
    ert_tmp_free(wb);
    ert_tmp_free(rb);
    ert_tmp_free(bb);
    ert_tmp_free(ihb);
    ert_tmp_free(icb);
    ert_tmp_free(pb);
    ert_tmp_free(scratch);
    return s;
}

ert_status ert_run_lstm(ert_kctx *k) { return rnn_run(k); }
ert_status ert_run_gru(ert_kctx *k) { return rnn_run(k); }
ert_status ert_run_rnn(ert_kctx *k) { return rnn_run(k); }
