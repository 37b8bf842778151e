/*
 * attention.c - scaled dot-product Attention (opset 23, 24): the op ViT/DETR-style
 * models and new transformer exports use instead of a MatMul/Softmax/MatMul chain.
 *
 * Layouts: Q/K/V are 4-D [B, H, S, D] or 3-D [B, S, H*D] (then q_num_heads and
 * kv_num_heads say how to split the hidden dim). past_key/past_value ([B, Hkv, P, D])
 * are prepended along the sequence to give present_key/present_value. Grouped-query
 * attention: query head h reads kv head h / (Hq / Hkv).
 *
 * Per (batch, query head) the kernel computes the Sq x T score block with one float
 * GEMM (ert_sgemm_ref, K^T read through strides), applies softcap, adds the bias
 * (attn_mask, causal frontier, nonpad_kv_seqlen padding), takes a row softmax and
 * multiplies by V with a second GEMM. Every dtype is computed in float32: Q, K and V
 * are first copied into [B, H, S, D] float buffers (cheap next to the GEMMs: O(S*D)
 * against O(S*S*D)), which also gives the concatenation with the past cache for free.
 *
 * Semantics follow the ONNX reference implementation of the ONNX version whose tests
 * edgert runs (1.23): softcap before the mask; qk_matmul_output_mode 0 = scaled Q*K^T,
 * 1 = after softcap, 2 = after the mask/bias, 3 = after softmax. A boolean mask True
 * means "attend". A row whose every key is masked has no defined softmax; edgert
 * writes zeros for its probabilities (so Y is 0 there, never NaN), as the ONNX tests
 * expect. The softmax always runs in float32 whatever softmax_precision says (float64
 * precision therefore gives float32 results: within the 1e-3 tolerance of the tests).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/gemm/gemm.h"
#include "ops/op.h"
#include "util/scratch.h"


/* Input slots. */
enum { IN_Q, IN_K, IN_V, IN_MASK, IN_PAST_K, IN_PAST_V, IN_NONPAD };
/* Output slots. */
enum { OUT_Y, OUT_PRESENT_K, OUT_PRESENT_V, OUT_QK };

/* Sizes of one Attention call. Unknown sizes (load time) are ERT_DIM_UNKNOWN. */
typedef struct attn_dims {
    bool in3d;         /* Q/K/V given as [B, S, H*D] */
    int64_t B;         /* batch */
    int64_t Hq, Hkv;   /* query heads, key/value heads */
    int64_t Sq, Skv;   /* query length, new key/value length */
    int64_t P;         /* past length (0 without past_key) */
    int64_t T;         /* total key length P + Skv */
    int64_t D, Dv;     /* q/k head size, v head size */
} attn_dims;

static int64_t dim_div(int64_t a, int64_t n)
{
    return (a >= 0 && n > 0) ? a / n : ERT_DIM_UNKNOWN;
}

static int64_t dim_add(int64_t a, int64_t b)
{
    if (a == 0)
        return b;
    if (b == 0)
        return a;
    return (a >= 0 && b >= 0) ? a + b : ERT_DIM_UNKNOWN;
}

/* Two dims that must agree: fails only when both are known and differ. */
static ert_status same_dim(ert_kctx *k, int64_t a, int64_t b, const char *what)
{
    if (a >= 0 && b >= 0 && a != b)
        return ert_op_fail(k, ERT_ERR_SHAPE, "%s: %lld vs %lld", what, (long long)a,
                           (long long)b);
    return ERT_OK;
}

/* A head count divides a hidden size exactly. */
static ert_status check_split(ert_kctx *k, int64_t hidden, int64_t heads, const char *what)
{
    if (hidden >= 0 && hidden % heads != 0)
        return ert_op_fail(k, ERT_ERR_SHAPE, "%s hidden size %lld is not a multiple of %lld heads",
                           what, (long long)hidden, (long long)heads);
    return ERT_OK;
}

/* Reads the shapes of Q/K/V/past into d and checks they fit together. *ranked = false:
 * some rank is unknown (load time), nothing more can be said. */
static ert_status attn_shapes(ert_kctx *k, attn_dims *d, bool *ranked)
{
    ert_status s = ert_check_inputs(k, 3, k->version >= 24 ? 7 : 6);
    if (s)
        return s;
    const ert_tensor *q = k->in[IN_Q], *kk = k->in[IN_K], *v = k->in[IN_V];
    const ert_tensor *pk = ert_in(k, IN_PAST_K), *pv = ert_in(k, IN_PAST_V);
    memset(d, 0, sizeof *d);
    *ranked = q->rank >= 0 && kk->rank >= 0 && v->rank >= 0;
    if (!*ranked)
        return ERT_OK;
    if ((q->rank != 3 && q->rank != 4) || kk->rank != q->rank || v->rank != q->rank)
        return ert_op_fail(k, ERT_ERR_SHAPE, "Q, K, V must all be 3-D or all 4-D, got ranks "
                           "%d, %d, %d", q->rank, kk->rank, v->rank);
    if ((pk == NULL) != (pv == NULL))
        return ert_op_fail(k, ERT_ERR_SHAPE, "past_key and past_value must be given together");
    d->in3d = q->rank == 3;
    d->B = q->dims[0];
    if ((s = same_dim(k, kk->dims[0], d->B, "K batch differs from Q batch")) ||
        (s = same_dim(k, v->dims[0], d->B, "V batch differs from Q batch")))
        return s;
    if (d->in3d) {
        int64_t qh = ert_attr_int(k->node, "q_num_heads", 0);
        int64_t kvh = ert_attr_int(k->node, "kv_num_heads", 0);
        if (qh <= 0 || kvh <= 0)
            return ert_op_fail(k, ERT_ERR_PARSE, "3-D inputs need positive q_num_heads and "
                               "kv_num_heads attributes (got %lld, %lld)", (long long)qh,
                               (long long)kvh);
        if ((s = check_split(k, q->dims[2], qh, "Q")) || (s = check_split(k, kk->dims[2], kvh, "K")) ||
            (s = check_split(k, v->dims[2], kvh, "V")))
            return s;
        d->Hq = qh;
        d->Hkv = kvh;
        d->Sq = q->dims[1];
        d->Skv = kk->dims[1];
        d->D = dim_div(q->dims[2], qh);
        if ((s = same_dim(k, dim_div(kk->dims[2], kvh), d->D, "K head size differs from Q head size")))
            return s;
        d->Dv = dim_div(v->dims[2], kvh);
        if ((s = same_dim(k, v->dims[1], d->Skv, "V sequence length differs from K's")))
            return s;
    } else {
        d->Hq = q->dims[1];
        d->Hkv = kk->dims[1];
        d->Sq = q->dims[2];
        d->Skv = kk->dims[2];
        d->D = q->dims[3];
        d->Dv = v->dims[3];
        if ((s = same_dim(k, kk->dims[3], d->D, "K head size differs from Q head size")) ||
            (s = same_dim(k, v->dims[1], d->Hkv, "V head count differs from K's")) ||
            (s = same_dim(k, v->dims[2], d->Skv, "V sequence length differs from K's")))
            return s;
    }
    if (d->Hq > 0 && d->Hkv > 0 && d->Hq % d->Hkv != 0)
        return ert_op_fail(k, ERT_ERR_SHAPE, "query heads (%lld) must be a multiple of key/value "
                           "heads (%lld)", (long long)d->Hq, (long long)d->Hkv);
    d->P = 0;
    if (pk) {
        if (pk->rank < 0 || pv->rank < 0) {
            d->P = ERT_DIM_UNKNOWN;
        } else {
            if (pk->rank != 4 || pv->rank != 4)
                return ert_op_fail(k, ERT_ERR_SHAPE, "past_key/past_value must be 4-D "
                                   "[B, kv_heads, past_len, head_size], got ranks %d, %d",
                                   pk->rank, pv->rank);
            if ((s = same_dim(k, pk->dims[0], d->B, "past_key batch differs from Q's")) ||
                (s = same_dim(k, pk->dims[1], d->Hkv, "past_key heads differ from kv heads")) ||
                (s = same_dim(k, pk->dims[3], d->D, "past_key head size differs from K's")) ||
                (s = same_dim(k, pv->dims[0], d->B, "past_value batch differs from Q's")) ||
                (s = same_dim(k, pv->dims[1], d->Hkv, "past_value heads differ from kv heads")) ||
                (s = same_dim(k, pv->dims[2], pk->dims[2], "past_value length differs from "
                              "past_key's")) ||
                (s = same_dim(k, pv->dims[3], d->Dv, "past_value head size differs from V's")))
                return s;
            d->P = pk->dims[2];
        }
    }
    d->T = dim_add(d->P, d->Skv);
    return ERT_OK;
}

ert_status ert_infer_attention(ert_kctx *k)
{
    attn_dims d;
    bool ranked;
    ert_status s = attn_shapes(k, &d, &ranked);
    if (s)
        return s;
    const ert_tensor *q = k->in[IN_Q], *kk = k->in[IN_K], *v = k->in[IN_V];
    if (!ert_dtype_is_float(q->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "Q dtype %s: only float types are supported",
                           ert_dtype_name(q->dtype));
    int64_t mode = ert_attr_int(k->node, "qk_matmul_output_mode", 0);
    if (mode < 0 || mode > 3)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "qk_matmul_output_mode %lld is unknown "
                           "(0..3 are defined)", (long long)mode);
    /* softmax_precision names the type the softmax runs in (float, float16, bfloat16,
     * double); edgert always uses float32, which is at least as precise as the narrow ones. */
    int64_t prec = ert_attr_int(k->node, "softmax_precision", ERT_DTYPE_FLOAT32);
    if (prec != ERT_DTYPE_FLOAT32 && prec != ERT_DTYPE_FLOAT16 && prec != ERT_DTYPE_BFLOAT16 &&
        prec != ERT_DTYPE_FLOAT64)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "softmax_precision %lld is not a float type "
                           "(1, 10, 11, 16)", (long long)prec);
    ert_tensor *y = k->out[OUT_Y], *pko = ert_out(k, OUT_PRESENT_K);
    ert_tensor *pvo = ert_out(k, OUT_PRESENT_V), *qko = ert_out(k, OUT_QK);
    if (!ranked) {
        y->dtype = q->dtype;
        y->rank = -1;
        if (pko) { pko->dtype = kk->dtype; pko->rank = -1; }
        if (pvo) { pvo->dtype = v->dtype; pvo->rank = -1; }
        if (qko) { qko->dtype = q->dtype; qko->rank = -1; }
        return ERT_OK;
    }
    int64_t dims[4];
    if (d.in3d) {
        int64_t hid = (d.Dv >= 0 && d.Hq >= 0) ? d.Hq * d.Dv : ERT_DIM_UNKNOWN;
        dims[0] = d.B; dims[1] = d.Sq; dims[2] = hid;
        ert_set_out(y, q->dtype, 3, dims);
    } else {
        dims[0] = d.B; dims[1] = d.Hq; dims[2] = d.Sq; dims[3] = d.Dv;
        ert_set_out(y, q->dtype, 4, dims);
    }
    dims[0] = d.B; dims[1] = d.Hkv; dims[2] = d.T; dims[3] = d.D;
    if (pko)
        ert_set_out(pko, kk->dtype, 4, dims);
    dims[3] = d.Dv;
    if (pvo)
        ert_set_out(pvo, v->dtype, 4, dims);
    dims[1] = d.Hq; dims[2] = d.Sq; dims[3] = d.T;
    if (qko)
        ert_set_out(qko, q->dtype, 4, dims);
    return ERT_OK;
}

/* Copies x ([B, S, H*D] if in3d, else [B, H, S, D]) into dst [B, H, dst_S, D] starting at
 * sequence position s_off. */
static void load_heads(const ert_tensor *x, bool in3d, int64_t B, int64_t H, int64_t S,
                       int64_t D, float *dst, int64_t dst_S, int64_t s_off)
{
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t t = 0; t < S; t++) {
                int64_t src = in3d ? ((b * S + t) * H + h) * D : ((b * H + h) * S + t) * D;
                float *o = dst + ((b * H + h) * dst_S + s_off + t) * D;
                if (x->dtype == ERT_DTYPE_FLOAT32)
                    memcpy(o, (const float *)x->data + src, sizeof(float) * (size_t)D);
                else
                    for (int64_t i = 0; i < D; i++)
                        o[i] = (float)ert_load_f64(x->dtype, x->data, src + i);
            }
}

/* Writes n floats to t's data at element offset off, converting to t's dtype. */
static void store_floats(ert_tensor *t, int64_t off, const float *src, int64_t n)
{
    if (t->dtype == ERT_DTYPE_FLOAT32)
        memcpy((float *)t->data + off, src, sizeof(float) * (size_t)n);
    else
        for (int64_t i = 0; i < n; i++)
            ert_store_f64(t->dtype, t->data, off + i, src[i]);
}

/* The attention mask as an additive float bias, broadcast to [B, Hq, Sq, Tm]. */
typedef struct attn_mask {
    float *bias;       /* NULL: no mask */
    int64_t st[4];     /* element strides per dim of [B, Hq, Sq, Tm] (0 = broadcast) */
    int64_t Tm;        /* mask key length (<= T; keys past it are masked out) */
} attn_mask;

static ert_status mask_prepare(ert_kctx *k, const attn_dims *d, attn_mask *m)
{
    const ert_tensor *t = ert_in(k, IN_MASK);
    memset(m, 0, sizeof *m);
    if (!t)
        return ERT_OK;
    if (t->rank < 1 || t->rank > 4)
        return ert_op_fail(k, ERT_ERR_SHAPE, "attn_mask must have rank 1..4, got %d", t->rank);
    if (t->dtype != ERT_DTYPE_BOOL && !ert_dtype_is_float(t->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "attn_mask dtype %s: bool or float expected",
                           ert_dtype_name(t->dtype));
    int64_t md[4] = {1, 1, 1, 1}, full[4] = {d->B, d->Hq, d->Sq, d->T};
    static const char *names[4] = {"batch", "heads", "query length", "key length"};
    for (int i = 0; i < t->rank; i++)
        md[4 - t->rank + i] = t->dims[i];
    for (int i = 0; i < 3; i++)
        if (md[i] != 1 && md[i] != full[i])
            return ert_op_fail(k, ERT_ERR_SHAPE, "attn_mask %s dim %lld does not broadcast to %lld",
                               names[i], (long long)md[i], (long long)full[i]);
    if (md[3] > d->T)
        return ert_op_fail(k, ERT_ERR_SHAPE, "attn_mask key length %lld exceeds the total key "
                           "length %lld", (long long)md[3], (long long)d->T);
    int64_t n = ert_tensor_numel(t);
    m->bias = ert_tmp_alloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    if (!m->bias)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for the mask (%lld values)",
                           (long long)n);
    for (int64_t i = 0; i < n; i++) {
        if (t->dtype == ERT_DTYPE_BOOL)
            m->bias[i] = ((const uint8_t *)t->data)[i] ? 0.0f : -INFINITY;
        else
            m->bias[i] = (float)ert_load_f64(t->dtype, t->data, i);
    }
    int64_t s = 1;
    for (int i = 3; i >= 0; i--) {
        m->st[i] = md[i] == 1 && i < 3 ? 0 : s;
        s *= md[i];
    }
    m->Tm = md[3];
    return ERT_OK;
}

/* Row softmax in place. A row with no finite maximum (every key masked) becomes zeros. */
static void softmax_row(float *x, int64_t n)
{
    float mx = -INFINITY;
    for (int64_t j = 0; j < n; j++)
        if (x[j] > mx)
            mx = x[j];
    if (!(mx > -INFINITY)) {
        for (int64_t j = 0; j < n; j++)
            x[j] = 0.0f;
        return;
    }
    double sum = 0.0;
    for (int64_t j = 0; j < n; j++) {
        x[j] = expf(x[j] - mx);
        sum += x[j];
    }
    float inv = (float)(1.0 / sum);
    for (int64_t j = 0; j < n; j++)
        x[j] *= inv;
}

ert_status ert_run_attention(ert_kctx *k)
{
    attn_dims d;
    bool ranked;
    ert_status s = attn_shapes(k, &d, &ranked);
    if (s)
        return s;
    const ert_tensor *q = k->in[IN_Q], *kk = k->in[IN_K], *v = k->in[IN_V];
    const ert_tensor *pk = ert_in(k, IN_PAST_K), *pv = ert_in(k, IN_PAST_V);
    const ert_tensor *np = ert_in(k, IN_NONPAD);
    ert_tensor *y = k->out[OUT_Y], *pko = ert_out(k, OUT_PRESENT_K);
    ert_tensor *pvo = ert_out(k, OUT_PRESENT_V), *qko = ert_out(k, OUT_QK);
    int64_t mode = ert_attr_int(k->node, "qk_matmul_output_mode", 0);
    bool causal = ert_attr_int(k->node, "is_causal", 0) != 0;
    float softcap = ert_attr_float(k->node, "softcap", 0.0f);
    float scale = ert_node_attr(k->node, "scale") ? ert_attr_float(k->node, "scale", 1.0f)
                                                  : (float)(1.0 / sqrt((double)d.D));
    if (d.Hkv < 1 || d.D < 1)
        return ert_op_fail(k, ERT_ERR_SHAPE, "key/value heads (%lld) and head size (%lld) must be "
                           "positive", (long long)d.Hkv, (long long)d.D);
    int64_t group = d.Hq / d.Hkv;

    /* float copies: q [B,Hq,Sq,D], kp [B,Hkv,T,D], vp [B,Hkv,T,Dv], one score block and
     * one Y block; sizes bounded by the (already allocated) inputs and outputs. */
    int64_t nq, nk, nv, nsc, ny;
    if (!ert_mul_ok(d.B * d.Hq * d.Sq, d.D, &nq) || !ert_mul_ok(d.B * d.Hkv * d.T, d.D, &nk) ||
        !ert_mul_ok(d.B * d.Hkv * d.T, d.Dv, &nv) || !ert_mul_ok(d.Sq, d.T, &nsc) ||
        !ert_mul_ok(d.Sq, d.Dv, &ny))
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "attention sizes overflow");
    int64_t total = nq + nk + nv + nsc + ny + 1;
    float *buf = ert_tmp_alloc(sizeof(float) * (size_t)total);
    int64_t *offs = ert_tmp_alloc(sizeof(int64_t) * (size_t)(d.B > 0 ? d.B : 1));
    attn_mask m = {0};
    if (!buf || !offs) {
        s = ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory (%lld floats)", (long long)total);
        goto done;
    }
    float *qb = buf, *kb = qb + nq, *vb = kb + nk, *sc = vb + nv, *yb = sc + nsc;
    load_heads(q, d.in3d, d.B, d.Hq, d.Sq, d.D, qb, d.Sq, 0);
    if (pk) {
        load_heads(pk, false, d.B, d.Hkv, d.P, d.D, kb, d.T, 0);
        load_heads(pv, false, d.B, d.Hkv, d.P, d.Dv, vb, d.T, 0);
    }
    load_heads(kk, d.in3d, d.B, d.Hkv, d.Skv, d.D, kb, d.T, d.P);
    load_heads(v, d.in3d, d.B, d.Hkv, d.Skv, d.Dv, vb, d.T, d.P);
    if (pko)
        store_floats(pko, 0, kb, nk);
    if (pvo)
        store_floats(pvo, 0, vb, nv);
    if ((s = mask_prepare(k, &d, &m)))
        goto done;

    /* per-batch key limits: causal frontier offset and nonpad length */
    if (np) {
        if (np->rank != 1 || np->dims[0] != d.B) {
            s = ert_op_fail(k, ERT_ERR_SHAPE, "nonpad_kv_seqlen must be 1-D of length batch "
                            "(%lld)", (long long)d.B);
            goto done;
        }
        if (np->dtype != ERT_DTYPE_INT64 && np->dtype != ERT_DTYPE_INT32) {
            s = ert_op_fail(k, ERT_ERR_UNSUPPORTED, "nonpad_kv_seqlen dtype %s: int64 expected",
                            ert_dtype_name(np->dtype));
            goto done;
        }
    }
    for (int64_t b = 0; b < d.B; b++)
        offs[b] = pk ? d.P : np ? ert_load_i64(np->dtype, np->data, b) - d.Sq : 0;

    for (int64_t b = 0; b < d.B; b++) {
        int64_t valid = np ? ert_load_i64(np->dtype, np->data, b) : d.T;
        for (int64_t h = 0; h < d.Hq; h++) {
            int64_t hk = h / group;
            const float *qh = qb + (b * d.Hq + h) * d.Sq * d.D;
            const float *kh = kb + (b * d.Hkv + hk) * d.T * d.D;
            const float *vh = vb + (b * d.Hkv + hk) * d.T * d.Dv;
            if (ert_sgemm_ref(d.Sq, d.T, d.D, scale, qh, d.D, 1, kh, 1, d.D, sc, d.T, false)) {
                s = ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory in the score GEMM");
                goto done;
            }
            for (int64_t i = 0; i < d.Sq; i++) {
                float *row = sc + i * d.T;
                int64_t qk_off = ((b * d.Hq + h) * d.Sq + i) * d.T;
                if (qko && mode == 0)
                    store_floats(qko, qk_off, row, d.T);
                if (softcap > 0.0f)
                    for (int64_t j = 0; j < d.T; j++)
                        row[j] = softcap * tanhf(row[j] / softcap);
                if (qko && mode == 1)
                    store_floats(qko, qk_off, row, d.T);
                const float *mrow = m.bias ? m.bias + b * m.st[0] + h * m.st[1] + i * m.st[2]
                                           : NULL;
                int64_t lim = causal ? i + offs[b] : d.T - 1; /* last key allowed */
                for (int64_t j = 0; j < d.T; j++) {
                    if (j > lim || j >= valid || (mrow && j >= m.Tm))
                        row[j] = -INFINITY;
                    else if (mrow)
                        row[j] += mrow[j * m.st[3]];
                }
                if (qko && mode == 2)
                    store_floats(qko, qk_off, row, d.T);
                softmax_row(row, d.T);
                if (qko && mode == 3)
                    store_floats(qko, qk_off, row, d.T);
            }
            bool direct = y->dtype == ERT_DTYPE_FLOAT32;
            float *yo = yb;
            int64_t ldy = d.Dv;
            if (direct) {
                yo = (float *)y->data + (d.in3d ? b * d.Sq * d.Hq * d.Dv + h * d.Dv
                                                : (b * d.Hq + h) * d.Sq * d.Dv);
                ldy = d.in3d ? d.Hq * d.Dv : d.Dv;
            }
            if (ert_sgemm_ref(d.Sq, d.Dv, d.T, 1.0f, sc, d.T, 1, vh, d.Dv, 1, yo, ldy, false)) {
                s = ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory in the value GEMM");
                goto done;
            }
            if (!direct)
                for (int64_t i = 0; i < d.Sq; i++)
                    store_floats(y, d.in3d ? (b * d.Sq + i) * d.Hq * d.Dv + h * d.Dv
                                           : ((b * d.Hq + h) * d.Sq + i) * d.Dv,
                                 yb + i * d.Dv, d.Dv);
        }
    }
done:
    ert_tmp_free(m.bias);
    ert_tmp_free(offs);
    ert_tmp_free(buf);
    return s;
}
