/*
 * attention_ext.c - the transformer helper ops next to Attention:
 *   RotaryEmbedding (23)       rotate pairs of head features by position angles (RoPE);
 *   TensorScatter (24)         write an update block into a KV cache at per-batch indices;
 *   LinearAttention (27)       recurrent linear / gated / delta-rule attention with state;
 *   CausalConvWithState (27)   depthwise causal Conv1d carrying its left context.
 * Float inputs of any width are computed in float32 (state recurrences included, as the
 * ONNX reference does); TensorScatter copies raw elements and so takes every dtype.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "util/scratch.h"

static inline float ldf(const ert_tensor *t, int64_t i)
{
    return t->dtype == ERT_DTYPE_FLOAT32 ? ((const float *)t->data)[i]
                                         : (float)ert_load_f64(t->dtype, t->data, i);
}

static inline void stf(ert_tensor *t, int64_t i, float v)
{
    if (t->dtype == ERT_DTYPE_FLOAT32)
        ((float *)t->data)[i] = v;
    else
        ert_store_f64(t->dtype, t->data, i, v);
}

static ert_status need_float(ert_kctx *k, const ert_tensor *t, const char *what)
{
    if (t && !ert_dtype_is_float(t->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "%s dtype %s: a float type is required", what,
                           ert_dtype_name(t->dtype));
    return ERT_OK;
}

/* ---------------------------------------------------------------- RotaryEmbedding */

ert_status ert_infer_rotary_embedding(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 3, 4);
    if (s)
        return s;
    const ert_tensor *x = k->in[0];
    if ((s = need_float(k, x, "input")))
        return s;
    if (x->rank >= 0 && x->rank != 3 && x->rank != 4)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input must be 3-D [B, S, hidden] or 4-D "
                           "[B, heads, S, head_size], got rank %d", x->rank);
    if (x->rank == 3 && ert_attr_int(k->node, "num_heads", 0) <= 0)
        return ert_op_fail(k, ERT_ERR_PARSE, "a 3-D input needs a positive num_heads attribute");
    ert_set_out(k->out[0], x->dtype, x->rank, x->dims);
    if (x->rank < 0)
        k->out[0]->rank = -1;
    return ERT_OK;
}

ert_status ert_run_rotary_embedding(ert_kctx *k)
{
    ert_status s = ert_infer_rotary_embedding(k);
    if (s)
        return s;
    const ert_tensor *x = k->in[0], *cc = k->in[1], *sc = k->in[2], *pos = ert_in(k, 3);
    ert_tensor *y = k->out[0];
    bool inter = ert_attr_int(k->node, "interleaved", 0) != 0;
    int64_t B = x->dims[0], S, H, D;
    if (x->rank == 4) {
        H = x->dims[1];
        S = x->dims[2];
        D = x->dims[3];
    } else {
        H = ert_attr_int(k->node, "num_heads", 0);
        S = x->dims[1];
        if (x->dims[2] % H != 0)
            return ert_op_fail(k, ERT_ERR_SHAPE, "hidden size %lld is not a multiple of "
                               "num_heads %lld", (long long)x->dims[2], (long long)H);
        D = x->dims[2] / H;
    }
    int64_t rot = ert_attr_int(k->node, "rotary_embedding_dim", 0);
    if (rot == 0)
        rot = D;
    if (rot < 0 || rot > D || rot % 2 != 0)
        return ert_op_fail(k, ERT_ERR_SHAPE, "rotary_embedding_dim %lld must be even and at "
                           "most the head size %lld", (long long)rot, (long long)D);
    int64_t half = rot / 2;
    if ((s = need_float(k, cc, "cos_cache")) || (s = need_float(k, sc, "sin_cache")))
        return s;
    if (cc->rank != sc->rank)
        return ert_op_fail(k, ERT_ERR_SHAPE, "cos_cache and sin_cache ranks differ");
    for (int i = 0; i < cc->rank; i++)
        if (cc->dims[i] != sc->dims[i])
            return ert_op_fail(k, ERT_ERR_SHAPE, "cos_cache and sin_cache shapes differ");
    int64_t max_pos = 0;
    if (pos) {
        if (cc->rank != 2 || cc->dims[1] != half)
            return ert_op_fail(k, ERT_ERR_SHAPE, "with position_ids the caches must be "
                               "[max_position, %lld]", (long long)half);
        if (pos->rank != 2 || pos->dims[0] != B || pos->dims[1] != S)
            return ert_op_fail(k, ERT_ERR_SHAPE, "position_ids must be [%lld, %lld]",
                               (long long)B, (long long)S);
        if (pos->dtype != ERT_DTYPE_INT64 && pos->dtype != ERT_DTYPE_INT32)
            return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "position_ids dtype %s: int64 expected",
                               ert_dtype_name(pos->dtype));
        max_pos = cc->dims[0];
    } else if (cc->rank != 3 || cc->dims[0] != B || cc->dims[1] != S || cc->dims[2] != half) {
        return ert_op_fail(k, ERT_ERR_SHAPE, "without position_ids the caches must be "
                           "[%lld, %lld, %lld]", (long long)B, (long long)S, (long long)half);
    }
    for (int64_t b = 0; b < B; b++)
        for (int64_t t = 0; t < S; t++) {
            int64_t crow = (b * S + t) * half;
            if (pos) {
                int64_t p = ert_load_i64(pos->dtype, pos->data, b * S + t);
                if (p < 0 || p >= max_pos)
                    return ert_op_fail(k, ERT_ERR_RUNTIME, "position_ids[%lld][%lld] = %lld is "
                                       "outside the cache [0, %lld)", (long long)b, (long long)t,
                                       (long long)p, (long long)max_pos);
                crow = p * half;
            }
            for (int64_t h = 0; h < H; h++) {
                int64_t base = x->rank == 4 ? ((b * H + h) * S + t) * D : ((b * S + t) * H + h) * D;
                for (int64_t i = 0; i < half; i++) {
                    float c = ldf(cc, crow + i), sn = ldf(sc, crow + i);
                    int64_t i1 = inter ? 2 * i : i, i2 = inter ? 2 * i + 1 : i + half;
                    float x1 = ldf(x, base + i1), x2 = ldf(x, base + i2);
                    stf(y, base + i1, c * x1 - sn * x2);
                    stf(y, base + i2, sn * x1 + c * x2);
                }
                for (int64_t i = rot; i < D; i++)
                    stf(y, base + i, ldf(x, base + i));
            }
        }
    return ERT_OK;
}

/* ---------------------------------------------------------------- TensorScatter */

ert_status ert_infer_tensor_scatter(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 2, 3);
    if (s)
        return s;
    const ert_tensor *c = k->in[0], *u = k->in[1];
    const char *mode = ert_attr_string(k->node, "mode", "linear");
    if (strcmp(mode, "linear") != 0 && strcmp(mode, "circular") != 0)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "mode '%s' is unknown (linear, circular)", mode);
    if (u->dtype != c->dtype)
        return ert_op_fail(k, ERT_ERR_SHAPE, "update dtype %s differs from past_cache dtype %s",
                           ert_dtype_name(u->dtype), ert_dtype_name(c->dtype));
    ert_set_out(k->out[0], c->dtype, c->rank < 0 ? 0 : c->rank, c->dims);
    if (c->rank < 0) {
        k->out[0]->rank = -1;
        return ERT_OK;
    }
    int axis;
    if (c->rank < 2)
        return ert_op_fail(k, ERT_ERR_SHAPE, "past_cache must have rank >= 2, got %d", c->rank);
    if ((s = ert_norm_axis(k, ert_attr_int(k->node, "axis", -2), c->rank, "axis", &axis)))
        return s;
    if (axis == 0)
        return ert_op_fail(k, ERT_ERR_SHAPE, "axis must not be the batch axis 0");
    if (u->rank < 0)
        return ERT_OK;
    if (u->rank != c->rank)
        return ert_op_fail(k, ERT_ERR_SHAPE, "update rank %d differs from past_cache rank %d",
                           u->rank, c->rank);
    for (int i = 0; i < c->rank; i++) {
        int64_t a = c->dims[i], b = u->dims[i];
        if (a < 0 || b < 0)
            continue;
        if (i == axis ? b > a : b != a)
            return ert_op_fail(k, ERT_ERR_SHAPE, "update dim %d is %lld, past_cache's is %lld", i,
                               (long long)b, (long long)a);
    }
    return ERT_OK;
}

ert_status ert_run_tensor_scatter(ert_kctx *k)
{
    ert_status s = ert_infer_tensor_scatter(k);
    if (s)
        return s;
    const ert_tensor *c = k->in[0], *u = k->in[1], *wi = ert_in(k, 2);
    ert_tensor *o = k->out[0];
    bool circ = strcmp(ert_attr_string(k->node, "mode", "linear"), "circular") == 0;
    int axis;
    ert_norm_axis(k, ert_attr_int(k->node, "axis", -2), c->rank, "axis", &axis);
    size_t es = ert_dtype_size_(c->dtype);
    int64_t B = c->dims[0], mid = 1, inner = 1;
    for (int i = 1; i < axis; i++)
        mid *= c->dims[i];
    for (int i = axis + 1; i < c->rank; i++)
        inner *= c->dims[i];
    int64_t L = c->dims[axis], n = u->dims[axis];
    if (wi && (wi->rank != 1 || wi->dims[0] != B))
        return ert_op_fail(k, ERT_ERR_SHAPE, "write_indices must be 1-D of length batch (%lld)",
                           (long long)B);
    if (wi && wi->dtype != ERT_DTYPE_INT64 && wi->dtype != ERT_DTYPE_INT32)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "write_indices dtype %s: int64 expected",
                           ert_dtype_name(wi->dtype));
    if (o->data != c->data)
        memcpy(o->data, c->data, (size_t)ert_tensor_numel(c) * es);
    size_t row = (size_t)inner * es;
    for (int64_t b = 0; b < B; b++) {
        int64_t w = wi ? ert_load_i64(wi->dtype, wi->data, b) : 0;
        for (int64_t t = 0; t < n; t++) {
            int64_t dst = w + t;
            if (circ && L > 0)
                dst = ((dst % L) + L) % L;
            if (dst < 0 || dst >= L)
                return ert_op_fail(k, ERT_ERR_RUNTIME, "write index %lld + %lld for batch %lld "
                                   "is outside the cache length %lld (mode linear)", (long long)w,
                                   (long long)t, (long long)b, (long long)L);
            for (int64_t m = 0; m < mid; m++) {
                int64_t pre = b * mid + m;
                memcpy((char *)o->data + (size_t)((pre * L + dst) * inner) * es,
                       (const char *)u->data + (size_t)((pre * n + t) * inner) * es, row);
            }
        }
    }
    return ERT_OK;
}

/* ---------------------------------------------------------------- LinearAttention */

enum { LA_Q, LA_K, LA_V, LA_PAST, LA_DECAY, LA_BETA, LA_ERASE };

typedef struct la_dims {
    int64_t B, T, Hq, Hkv, dk, dv;
} la_dims;

static ert_status la_rule(ert_kctx *k, bool *gating, bool *delta)
{
    const char *rule = ert_attr_string(k->node, "update_rule", "gated_delta");
    if (!strcmp(rule, "linear")) { *gating = false; *delta = false; }
    else if (!strcmp(rule, "gated")) { *gating = true; *delta = false; }
    else if (!strcmp(rule, "delta")) { *gating = false; *delta = true; }
    else if (!strcmp(rule, "gated_delta")) { *gating = true; *delta = true; }
    else
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "update_rule '%s' is unknown (linear, gated, "
                           "delta, gated_delta)", rule);
    return ERT_OK;
}

ert_status ert_infer_linear_attention(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 3, 7);
    if (s)
        return s;
    const ert_tensor *q = k->in[LA_Q], *kk = k->in[LA_K], *v = k->in[LA_V];
    const ert_tensor *past = ert_in(k, LA_PAST);
    bool gating = false, delta = false;
    if ((s = la_rule(k, &gating, &delta)))
        return s;
    if ((s = need_float(k, q, "query")))
        return s;
    if (gating != (ert_in(k, LA_DECAY) != NULL))
        return ert_op_fail(k, ERT_ERR_PARSE, "decay input must be given exactly when the update "
                           "rule is gated");
    if (delta != (ert_in(k, LA_BETA) != NULL))
        return ert_op_fail(k, ERT_ERR_PARSE, "beta input must be given exactly when the update "
                           "rule uses the delta correction");
    if (ert_in(k, LA_ERASE) && !delta)
        return ert_op_fail(k, ERT_ERR_PARSE, "erase_gate needs a delta update rule");
    int64_t qh = ert_attr_int(k->node, "q_num_heads", 0), kvh = ert_attr_int(k->node, "kv_num_heads", 0);
    if (qh <= 0 || kvh <= 0 || qh % kvh != 0)
        return ert_op_fail(k, ERT_ERR_PARSE, "q_num_heads (%lld) must be a positive multiple of "
                           "kv_num_heads (%lld)", (long long)qh, (long long)kvh);
    ert_tensor *y = k->out[0], *ps = ert_out(k, 1);
    ert_dtype sdt = past ? past->dtype : q->dtype;
    if (q->rank < 0 || v->rank < 0) {
        y->dtype = q->dtype;
        y->rank = -1;
        if (ps) { ps->dtype = sdt; ps->rank = -1; }
        return ERT_OK;
    }
    if (q->rank != 3 || v->rank != 3 || (kk->rank >= 0 && kk->rank != 3))
        return ert_op_fail(k, ERT_ERR_SHAPE, "query, key, value must be 3-D [B, T, heads*size]");
    int64_t dk = q->dims[2] >= 0 ? q->dims[2] / qh : ERT_DIM_UNKNOWN;
    int64_t dv = v->dims[2] >= 0 ? v->dims[2] / kvh : ERT_DIM_UNKNOWN;
    int64_t dims[4] = {q->dims[0], q->dims[1], dv >= 0 ? qh * dv : ERT_DIM_UNKNOWN, 0};
    ert_set_out(y, q->dtype, 3, dims);
    dims[1] = kvh; dims[2] = dk; dims[3] = dv;
    if (ps)
        ert_set_out(ps, sdt, 4, dims);
    return ERT_OK;
}

/* Checks a rank-3 [B, T, last] side input; returns its last dim in *last. */
static ert_status la_side(ert_kctx *k, const ert_tensor *t, const la_dims *d, const char *what,
                          int64_t *last)
{
    if (t->rank != 3 || t->dims[0] != d->B || t->dims[1] != d->T)
        return ert_op_fail(k, ERT_ERR_SHAPE, "%s must be [%lld, %lld, n]", what, (long long)d->B,
                           (long long)d->T);
    *last = t->dims[2];
    return need_float(k, t, what);
}

ert_status ert_run_linear_attention(ert_kctx *k)
{
    ert_status s = ert_infer_linear_attention(k);
    if (s)
        return s;
    const ert_tensor *q = k->in[LA_Q], *kk = k->in[LA_K], *v = k->in[LA_V];
    const ert_tensor *past = ert_in(k, LA_PAST), *decay = ert_in(k, LA_DECAY);
    const ert_tensor *beta = ert_in(k, LA_BETA), *erase = ert_in(k, LA_ERASE);
    ert_tensor *y = k->out[0], *ps = ert_out(k, 1);
    la_dims d;
    d.Hq = ert_attr_int(k->node, "q_num_heads", 0);
    d.Hkv = ert_attr_int(k->node, "kv_num_heads", 0);
    d.B = q->dims[0];
    d.T = q->dims[1];
    if (q->dims[2] % d.Hq || v->dims[2] % d.Hkv)
        return ert_op_fail(k, ERT_ERR_SHAPE, "hidden sizes must be multiples of the head counts");
    d.dk = q->dims[2] / d.Hq;
    d.dv = v->dims[2] / d.Hkv;
    int64_t dl = 0, bl = 0, el = 0;
    if ((s = need_float(k, kk, "key")) || (s = need_float(k, v, "value")))
        return s;
    if (kk->dims[0] != d.B || kk->dims[1] != d.T || kk->dims[2] != d.Hkv * d.dk ||
        v->dims[0] != d.B || v->dims[1] != d.T)
        return ert_op_fail(k, ERT_ERR_SHAPE, "key must be [%lld, %lld, %lld] and value [%lld, "
                           "%lld, kv_heads*v_size]", (long long)d.B, (long long)d.T,
                           (long long)(d.Hkv * d.dk), (long long)d.B, (long long)d.T);
    if (decay && (s = la_side(k, decay, &d, "decay", &dl)))
        return s;
    if (decay && dl != d.Hkv && dl != d.Hkv * d.dk)
        return ert_op_fail(k, ERT_ERR_SHAPE, "decay last dim %lld must be kv_num_heads (%lld) or "
                           "kv_num_heads*head_size (%lld)", (long long)dl, (long long)d.Hkv,
                           (long long)(d.Hkv * d.dk));
    if (beta && (s = la_side(k, beta, &d, "beta", &bl)))
        return s;
    if (beta && bl != d.Hkv && bl != 1)
        return ert_op_fail(k, ERT_ERR_SHAPE, "beta last dim %lld must be kv_num_heads (%lld) or 1",
                           (long long)bl, (long long)d.Hkv);
    if (erase && (s = la_side(k, erase, &d, "erase_gate", &el)))
        return s;
    if (erase && el != d.Hkv * d.dk)
        return ert_op_fail(k, ERT_ERR_SHAPE, "erase_gate last dim %lld must be %lld", (long long)el,
                           (long long)(d.Hkv * d.dk));
    if (past && (past->rank != 4 || past->dims[0] != d.B || past->dims[1] != d.Hkv ||
                 past->dims[2] != d.dk || past->dims[3] != d.dv))
        return ert_op_fail(k, ERT_ERR_SHAPE, "past_state must be [%lld, %lld, %lld, %lld]",
                           (long long)d.B, (long long)d.Hkv, (long long)d.dk, (long long)d.dv);
    if ((s = need_float(k, past, "past_state")))
        return s;
    float scale = ert_attr_float(k->node, "scale", 0.0f);
    if (scale == 0.0f)
        scale = (float)(1.0 / sqrt((double)d.dk));
    int64_t group = d.Hq / d.Hkv, nst = d.B * d.Hkv * d.dk * d.dv;
    /* state [B, Hkv, dk, dv] plus scratch: k_t, v_t, erase-weighted k_t */
    float *st = ert_tmp_alloc(sizeof(float) * (size_t)(nst + 3 * (d.dk + d.dv) + 1));
    if (!st)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for the state");
    float *kt = st + nst, *vt = kt + d.dk, *ke = vt + d.dv;
    for (int64_t i = 0; i < nst; i++)
        st[i] = past ? ldf(past, i) : 0.0f;
    for (int64_t b = 0; b < d.B; b++)
        for (int64_t t = 0; t < d.T; t++)
            for (int64_t h = 0; h < d.Hkv; h++) {
                float *S = st + (b * d.Hkv + h) * d.dk * d.dv;
                int64_t bt = b * d.T + t;
                for (int64_t i = 0; i < d.dk; i++)
                    kt[i] = ldf(kk, (bt * d.Hkv + h) * d.dk + i);
                for (int64_t m = 0; m < d.dv; m++)
                    vt[m] = ldf(v, (bt * d.Hkv + h) * d.dv + m);
                if (decay)
                    for (int64_t i = 0; i < d.dk; i++) {
                        float g = expf(ldf(decay, dl == d.Hkv ? bt * d.Hkv + h
                                                              : (bt * d.Hkv + h) * d.dk + i));
                        for (int64_t m = 0; m < d.dv; m++)
                            S[i * d.dv + m] *= g;
                    }
                if (beta) {
                    for (int64_t i = 0; i < d.dk; i++)
                        ke[i] = erase ? ldf(erase, (bt * d.Hkv + h) * d.dk + i) * kt[i] : kt[i];
                    float bb = ldf(beta, bl == 1 ? bt : bt * d.Hkv + h);
                    for (int64_t m = 0; m < d.dv; m++) {
                        float r = 0.0f;
                        for (int64_t i = 0; i < d.dk; i++)
                            r += S[i * d.dv + m] * ke[i];
                        vt[m] = bb * (vt[m] - r);
                    }
                }
                for (int64_t i = 0; i < d.dk; i++)
                    for (int64_t m = 0; m < d.dv; m++)
                        S[i * d.dv + m] += kt[i] * vt[m];
                /* read: every query head of this kv head's group */
                for (int64_t g = 0; g < group; g++) {
                    int64_t hq = h * group + g;
                    int64_t qo = (bt * d.Hq + hq) * d.dk, yo = (bt * d.Hq + hq) * d.dv;
                    for (int64_t m = 0; m < d.dv; m++) {
                        float acc = 0.0f;
                        for (int64_t i = 0; i < d.dk; i++)
                            acc += ldf(q, qo + i) * S[i * d.dv + m];
                        stf(y, yo + m, scale * acc);
                    }
                }
            }
    if (ps)
        for (int64_t i = 0; i < nst; i++)
            stf(ps, i, st[i]);
    ert_tmp_free(st);
    return ERT_OK;
}

/* ---------------------------------------------------------------- CausalConvWithState */

ert_status ert_infer_causal_conv_state(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 2, 4);
    if (s)
        return s;
    const ert_tensor *x = k->in[0], *w = k->in[1], *past = ert_in(k, 3);
    const char *act = ert_attr_string(k->node, "activation", "none");
    if (strcmp(act, "none") && strcmp(act, "silu") && strcmp(act, "swish"))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "activation '%s' is unknown (none, silu, "
                           "swish)", act);
    if ((s = need_float(k, x, "input")))
        return s;
    ert_tensor *y = k->out[0], *ps = ert_out(k, 1);
    ert_dtype sdt = past ? past->dtype : x->dtype;
    if (x->rank < 0) {
        y->dtype = x->dtype;
        y->rank = -1;
        if (ps) { ps->dtype = sdt; ps->rank = -1; }
        return ERT_OK;
    }
    if (x->rank != 3)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input must be 3-D [B, C, L], got rank %d", x->rank);
    if (w->rank >= 0 && w->rank != 3)
        return ert_op_fail(k, ERT_ERR_SHAPE, "weight must be 3-D [C, 1, k], got rank %d", w->rank);
    ert_set_out(y, x->dtype, 3, x->dims);
    int64_t kw = w->rank == 3 ? w->dims[2] : ERT_DIM_UNKNOWN;
    int64_t dims[3] = {x->dims[0], x->dims[1], kw >= 1 ? kw - 1 : ERT_DIM_UNKNOWN};
    if (ps)
        ert_set_out(ps, sdt, 3, dims);
    return ERT_OK;
}

ert_status ert_run_causal_conv_state(ert_kctx *k)
{
    ert_status s = ert_infer_causal_conv_state(k);
    if (s)
        return s;
    const ert_tensor *x = k->in[0], *w = k->in[1], *bias = ert_in(k, 2), *past = ert_in(k, 3);
    ert_tensor *y = k->out[0], *ps = ert_out(k, 1);
    bool silu = strcmp(ert_attr_string(k->node, "activation", "none"), "none") != 0;
    int64_t B = x->dims[0], C = x->dims[1], L = x->dims[2], K = w->dims[2];
    if (w->dims[0] != C || w->dims[1] != 1 || K < 1)
        return ert_op_fail(k, ERT_ERR_SHAPE, "weight must be [%lld, 1, k>=1]", (long long)C);
    if ((s = need_float(k, w, "weight")) || (s = need_float(k, bias, "bias")) ||
        (s = need_float(k, past, "past_state")))
        return s;
    if (bias && (bias->rank != 1 || bias->dims[0] != C))
        return ert_op_fail(k, ERT_ERR_SHAPE, "bias must be [%lld]", (long long)C);
    if (past && (past->rank != 3 || past->dims[0] != B || past->dims[1] != C ||
                 past->dims[2] != K - 1))
        return ert_op_fail(k, ERT_ERR_SHAPE, "past_state must be [%lld, %lld, %lld]",
                           (long long)B, (long long)C, (long long)(K - 1));
    int64_t W = L + K - 1;
    float *pad = ert_tmp_alloc(sizeof(float) * (size_t)(W + K));
    if (!pad)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
    float *wk = pad + W;
    for (int64_t b = 0; b < B; b++)
        for (int64_t c = 0; c < C; c++) {
            /* padded row: the K-1 context values, then the input row */
            for (int64_t i = 0; i < K - 1; i++)
                pad[i] = past ? ldf(past, (b * C + c) * (K - 1) + i) : 0.0f;
            for (int64_t i = 0; i < L; i++)
                pad[K - 1 + i] = ldf(x, (b * C + c) * L + i);
            for (int64_t j = 0; j < K; j++)
                wk[j] = ldf(w, c * K + j);
            float bv = bias ? ldf(bias, c) : 0.0f;
            for (int64_t t = 0; t < L; t++) {
                float acc = bv;
                for (int64_t j = 0; j < K; j++)
                    acc += wk[j] * pad[t + j];
                if (silu) {
                    /* the reference rounds the conv result to the output type first */
                    if (y->dtype != ERT_DTYPE_FLOAT32) {
                        stf(y, (b * C + c) * L + t, acc);
                        acc = ldf(y, (b * C + c) * L + t);
                    }
                    acc = acc / (1.0f + expf(-acc));
                }
                stf(y, (b * C + c) * L + t, acc);
            }
            if (ps)
                for (int64_t i = 0; i < K - 1; i++)
                    stf(ps, (b * C + c) * (K - 1) + i, pad[L + i]);
        }
    ert_tmp_free(pad);
    return ERT_OK;
}
