/*
 * einsum.c - Einsum (opset 12): the full equation grammar (explicit "->" output or
 * implicit output, "..." ellipsis broadcasting, repeated labels within one operand for
 * diagonals / traces, labels summed away).
 *
 * The kernel is one generic loop nest over every label: each operand (and the output)
 * gets one stride per label (the sum of its axes' strides for a repeated label, 0 for a
 * label it lacks or broadcasts), and the output accumulates the product of the operands.
 * The innermost loop runs over the label with the most unit strides (ties: the longest),
 * so a matmul-like "ij,jk->ik" becomes the i-k-j GEMM order (unit stride in B and the
 * output) and an inner product runs contiguous. Operands are first converted to double
 * (int64 for integer dtypes, exact and wrapping), which costs one copy of each input
 * and makes the inner loop dtype-free.
 */
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "util/scratch.h"

#define EIN_LETTERS 52
#define EIN_LABELS (EIN_LETTERS + ERT_MAX_RANK) /* letters, then ellipsis dims */
#define EIN_MAX_IN 32

typedef struct ein_plan {
    int n_in;
    int rank[EIN_MAX_IN];
    int lab[EIN_MAX_IN][ERT_MAX_RANK]; /* label of each axis of each operand */
    int n_out;
    int out_lab[ERT_MAX_RANK];         /* label of each output axis */
    int ell;                           /* number of ellipsis dims (broadcast rank) */
    int count[EIN_LABELS];             /* occurrences in the inputs */
    int64_t size[EIN_LABELS];          /* label size (-1 unknown, <= -2 symbolic) */
} ein_plan;

static int ein_letter(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return 26 + (c - 'a');
    return -1;
}


/* Parses one term (no spaces) into letter ids; *ell_at = position of "..." or -1. */
static ert_status ein_term(ert_kctx *k, const char *s, size_t len, int *ids, int *n,
                           int *ell_at)
{
    *n = 0;
    *ell_at = -1;
    for (size_t i = 0; i < len;) {
        if (s[i] == '.') {
            if (i + 3 > len || s[i + 1] != '.' || s[i + 2] != '.')
                return ert_op_fail(k, ERT_ERR_PARSE, "equation has a '.' that is not part of "
                                   "'...'");
            if (*ell_at >= 0)
                return ert_op_fail(k, ERT_ERR_PARSE, "a term has two ellipses");
            *ell_at = *n;
            i += 3;
            continue;
        }
        int id = ein_letter(s[i]);
        if (id < 0)
            return ert_op_fail(k, ERT_ERR_PARSE, "equation has invalid character '%c' (letters, "
                               "',', '->' and '...' only)", s[i]);
        if (*n >= ERT_MAX_RANK)
            return ert_op_fail(k, ERT_ERR_PARSE, "a term has more than %d labels", ERT_MAX_RANK);
        ids[(*n)++] = id;
        i++;
    }
    return ERT_OK;
}

/* Builds the plan from the equation and input shapes. *ok = false: some input rank is
 * unknown (load time), nothing else is set. */
static ert_status ein_parse(ert_kctx *k, ein_plan *p, bool *ok)
{
    *ok = false;
    const char *eq = ert_attr_string(k->node, "equation", NULL);
    if (!eq)
        return ert_op_fail(k, ERT_ERR_PARSE, "missing required attribute 'equation'");
    char buf[512];
    size_t n = 0;
    for (const char *c = eq; *c; c++) {
        if (*c == ' ' || *c == '\t')
            continue;
        if (n + 1 >= sizeof buf)
            return ert_op_fail(k, ERT_ERR_PARSE, "equation longer than %zu characters",
                               sizeof buf - 1);
        buf[n++] = *c;
    }
    buf[n] = 0;
    if (k->n_in < 1 || k->n_in > EIN_MAX_IN)
        return ert_op_fail(k, ERT_ERR_PARSE, "has %d inputs, expected 1..%d", k->n_in,
                           EIN_MAX_IN);
    for (int i = 0; i < k->n_in; i++) {
        if (!k->in[i])
            return ert_op_fail(k, ERT_ERR_PARSE, "input %d is missing", i);
        if (k->in[i]->rank < 0)
            return ERT_OK;
    }
    memset(p, 0, sizeof *p);
    p->n_in = k->n_in;
    char *arrow = strstr(buf, "->");
    size_t lhs_len = arrow ? (size_t)(arrow - buf) : n;
    /* inputs */
    int term = 0;
    size_t start = 0;
    int ell_in[EIN_MAX_IN];
    for (size_t i = 0; i <= lhs_len; i++) {
        if (i < lhs_len && buf[i] != ',')
            continue;
        if (term >= k->n_in)
            return ert_op_fail(k, ERT_ERR_PARSE, "equation '%s' has more terms than the %d "
                               "inputs", eq, k->n_in);
        int ids[ERT_MAX_RANK], cnt, at;
        ert_status s = ein_term(k, buf + start, i - start, ids, &cnt, &at);
        if (s)
            return s;
        int rank = k->in[term]->rank;
        int e = rank - cnt;
        if (at < 0 ? e != 0 : e < 0)
            return ert_op_fail(k, ERT_ERR_SHAPE, "term %d of '%s' has %d labels but input %d "
                               "has rank %d", term, eq, cnt, term, rank);
        ell_in[term] = at < 0 ? 0 : e;
        if (ell_in[term] > p->ell)
            p->ell = ell_in[term];
        /* expand: labels before "...", the ellipsis dims, labels after */
        int ax = 0;
        for (int j = 0; j < cnt; j++) {
            if (j == at)
                for (int q = 0; q < e; q++)
                    p->lab[term][ax++] = -1 - q; /* fixed up below, once ell is known */
            p->lab[term][ax++] = ids[j];
        }
        if (at == cnt)
            for (int q = 0; q < e; q++)
                p->lab[term][ax++] = -1 - q;
        p->rank[term] = rank;
        term++;
        start = i + 1;
    }
    if (term != k->n_in)
        return ert_op_fail(k, ERT_ERR_PARSE, "equation '%s' has %d terms for %d inputs", eq,
                           term, k->n_in);
    /* ellipsis dims right-aligned to the broadcast ellipsis rank */
    for (int t = 0; t < p->n_in; t++)
        for (int a = 0; a < p->rank[t]; a++) {
            int l = p->lab[t][a];
            if (l < 0)
                p->lab[t][a] = EIN_LETTERS + (p->ell - ell_in[t]) + (-1 - l);
            p->count[p->lab[t][a]]++;
        }
    /* output */
    if (arrow) {
        int ids[ERT_MAX_RANK], cnt, at;
        const char *o = arrow + 2;
        ert_status s = ein_term(k, o, strlen(o), ids, &cnt, &at);
        if (s)
            return s;
        if (cnt + (at >= 0 ? p->ell : 0) > ERT_MAX_RANK)
            return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "output rank exceeds %d", ERT_MAX_RANK);
        bool seen[EIN_LETTERS] = {false};
        for (int j = 0; j <= cnt; j++) {
            if (j == at)
                for (int q = 0; q < p->ell; q++)
                    p->out_lab[p->n_out++] = EIN_LETTERS + q;
            if (j == cnt)
                break;
            if (seen[ids[j]])
                return ert_op_fail(k, ERT_ERR_PARSE, "output label '%c' appears twice in '%s'",
                                   ids[j] < 26 ? 'A' + ids[j] : 'a' + ids[j] - 26, eq);
            if (!p->count[ids[j]])
                return ert_op_fail(k, ERT_ERR_PARSE, "output label '%c' is not in any input "
                                   "of '%s'", ids[j] < 26 ? 'A' + ids[j] : 'a' + ids[j] - 26,
                                   eq);
            seen[ids[j]] = true;
            p->out_lab[p->n_out++] = ids[j];
        }
    } else {
        for (int q = 0; q < p->ell; q++)
            p->out_lab[p->n_out++] = EIN_LETTERS + q;
        for (int l = 0; l < EIN_LETTERS; l++)
            if (p->count[l] == 1) {
                if (p->n_out >= ERT_MAX_RANK)
                    return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "output rank exceeds %d",
                                       ERT_MAX_RANK);
                p->out_lab[p->n_out++] = l;
            }
    }
    /* label sizes: equal across occurrences, except 1 broadcasts */
    for (int l = 0; l < EIN_LABELS; l++)
        p->size[l] = 1;
    bool have[EIN_LABELS] = {false};
    for (int t = 0; t < p->n_in; t++)
        for (int a = 0; a < p->rank[t]; a++) {
            int l = p->lab[t][a];
            int64_t d = k->in[t]->dims[a];
            if (d == 1)
                continue;
            if (!have[l] || p->size[l] < 0) {
                if (!have[l] || d >= 0)
                    p->size[l] = d;
                have[l] = true;
            } else if (d >= 0 && p->size[l] != d) {
                return ert_op_fail(k, ERT_ERR_SHAPE, "equation '%s': a label has size %lld in "
                                   "one place and %lld in another (input %d axis %d)", eq,
                                   (long long)p->size[l], (long long)d, t, a);
            }
        }
    *ok = true;
    return ERT_OK;
}

ert_status ert_infer_einsum(ert_kctx *k)
{
    if (k->n_in < 1)
        return ert_op_fail(k, ERT_ERR_PARSE, "needs at least one input");
    ert_dtype dt = k->in[0] ? k->in[0]->dtype : ERT_DTYPE_UNDEFINED;
    if (!ert_dtype_is_float(dt) && !ert_dtype_is_int(dt))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "dtype %s is not supported",
                           ert_dtype_name(dt));
    for (int i = 1; i < k->n_in; i++)
        if (k->in[i] && k->in[i]->dtype != dt)
            return ert_op_fail(k, ERT_ERR_PARSE, "input %d dtype %s differs from input 0 %s", i,
                               ert_dtype_name(k->in[i]->dtype), ert_dtype_name(dt));
    ein_plan p;
    bool ok;
    ert_status s = ein_parse(k, &p, &ok);
    if (s)
        return s;
    if (!ok) {
        ert_set_out(k->out[0], dt, -1, NULL);
        return ERT_OK;
    }
    int64_t dims[ERT_MAX_RANK];
    for (int i = 0; i < p.n_out; i++)
        dims[i] = p.size[p.out_lab[i]];
    ert_set_out(k->out[0], dt, p.n_out, dims);
    return ERT_OK;
}

ert_status ert_run_einsum(ert_kctx *k)
{
    ein_plan p;
    bool ok;
    ert_status s = ein_parse(k, &p, &ok);
    if (s)
        return s;
    if (!ok)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "input ranks unknown at run time");
    ert_tensor *y = k->out[0];
    ert_dtype dt = y->dtype;
    bool ints = ert_dtype_is_int(dt);
    int nops = p.n_in + 1; /* operands + output (index n_in) */
    /* labels in use: output labels, then summed ones */
    int labs[EIN_LABELS], nl = 0;
    bool in_out[EIN_LABELS] = {false};
    for (int i = 0; i < p.n_out; i++) {
        labs[nl++] = p.out_lab[i];
        in_out[p.out_lab[i]] = true;
    }
    for (int l = 0; l < EIN_LABELS; l++)
        if (p.count[l] && !in_out[l])
            labs[nl++] = l;
    /* strides[op][label index] */
    int64_t str[EIN_MAX_IN + 1][EIN_LABELS];
    memset(str, 0, sizeof str);
    for (int t = 0; t < p.n_in; t++) {
        int64_t st[ERT_MAX_RANK];
        ert_strides(p.rank[t], k->in[t]->dims, st);
        for (int a = 0; a < p.rank[t]; a++) {
            if (k->in[t]->dims[a] == 1)
                continue; /* broadcast (or size 1: stride irrelevant) */
            for (int j = 0; j < nl; j++)
                if (labs[j] == p.lab[t][a])
                    str[t][j] += st[a];
        }
    }
    {
        int64_t st[ERT_MAX_RANK];
        ert_strides(y->rank, y->dims, st);
        for (int i = 0; i < p.n_out; i++)
            str[p.n_in][i] = st[i];
    }
    int64_t sz[EIN_LABELS];
    int64_t total = 1;
    for (int j = 0; j < nl; j++) {
        sz[j] = p.size[labs[j]];
        if (!ert_mul_ok(total, sz[j], &total))
            return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "iteration space overflows");
    }
    int64_t ny = ert_tensor_numel(y);
    size_t esz = ints ? sizeof(int64_t) : sizeof(double);
    void *acc = ert_tmp_calloc((size_t)(ny > 0 ? ny : 1), esz);
    void *ops[EIN_MAX_IN] = {NULL};
    s = ERT_OK;
    if (!acc) {
        s = ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for the accumulator");
        goto done;
    }
    for (int t = 0; t < p.n_in; t++) {
        const ert_tensor *x = k->in[t];
        int64_t nx = ert_tensor_numel(x);
        ops[t] = ert_tmp_alloc((size_t)(nx > 0 ? nx : 1) * esz);
        if (!ops[t]) {
            s = ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for operand %d", t);
            goto done;
        }
        for (int64_t i = 0; i < nx; i++) {
            if (ints)
                ((int64_t *)ops[t])[i] = ert_load_i64(x->dtype, x->data, i);
            else if (x->dtype == ERT_DTYPE_FLOAT32)
                ((double *)ops[t])[i] = ((const float *)x->data)[i];
            else
                ((double *)ops[t])[i] = ert_load_f64(x->dtype, x->data, i);
        }
    }
    if (total > 0 && nl > 0) {
        /* innermost label: most unit strides, then longest */
        int inner = nl - 1;
        int best_units = -1;
        int64_t best_size = -1;
        for (int j = 0; j < nl; j++) {
            int units = 0;
            for (int o = 0; o < nops; o++)
                units += str[o][j] == 1;
            if (sz[j] > 1 && (units > best_units || (units == best_units && sz[j] > best_size))) {
                inner = j;
                best_units = units;
                best_size = sz[j];
            }
        }
        int outer[EIN_LABELS], no = 0;
        for (int j = 0; j < nl; j++)
            if (j != inner)
                outer[no++] = j;
        int64_t len = sz[inner];
        int64_t is[EIN_MAX_IN + 1];
        for (int o = 0; o < nops; o++)
            is[o] = str[o][inner];
        int64_t idx[EIN_LABELS] = {0};
        int64_t off[EIN_MAX_IN + 1] = {0};
        int64_t iters = total / len;
        for (int64_t it = 0; it < iters; it++) {
            if (ints) {
                int64_t *out = (int64_t *)acc + off[p.n_in];
                for (int64_t t = 0; t < len; t++) {
                    uint64_t v = 1;
                    for (int o = 0; o < p.n_in; o++)
                        v *= (uint64_t)((const int64_t *)ops[o])[off[o] + t * is[o]];
                    out[t * is[p.n_in]] = (int64_t)((uint64_t)out[t * is[p.n_in]] + v);
                }
            } else if (p.n_in == 2) {
                const double *a = (const double *)ops[0] + off[0];
                const double *b = (const double *)ops[1] + off[1];
                double *out = (double *)acc + off[2];
                int64_t sa = is[0], sb = is[1], so = is[2];
                if (so == 0) {
                    double sum = 0;
                    for (int64_t t = 0; t < len; t++)
                        sum += a[t * sa] * b[t * sb];
                    out[0] += sum;
                } else {
                    for (int64_t t = 0; t < len; t++)
                        out[t * so] += a[t * sa] * b[t * sb];
                }
            } else {
                double *out = (double *)acc + off[p.n_in];
                for (int64_t t = 0; t < len; t++) {
                    double v = 1;
                    for (int o = 0; o < p.n_in; o++)
                        v *= ((const double *)ops[o])[off[o] + t * is[o]];
                    out[t * is[p.n_in]] += v;
                }
            }
            /* odometer over the outer labels, last one fastest */
            for (int q = no - 1; q >= 0; q--) {
                int j = outer[q];
                if (++idx[j] < sz[j]) {
                    for (int o = 0; o < nops; o++)
                        off[o] += str[o][j];
                    break;
                }
                for (int o = 0; o < nops; o++)
                    off[o] -= str[o][j] * (sz[j] - 1);
                idx[j] = 0;
            }
        }
    } else if (total > 0) {
        /* no labels at all: product of scalars */
        if (ints) {
            uint64_t v = 1;
            for (int o = 0; o < p.n_in; o++)
                v *= (uint64_t)((const int64_t *)ops[o])[0];
            ((int64_t *)acc)[0] = (int64_t)v;
        } else {
            double v = 1;
            for (int o = 0; o < p.n_in; o++)
                v *= ((const double *)ops[o])[0];
            ((double *)acc)[0] = v;
        }
    }
    for (int64_t i = 0; i < ny; i++) {
        if (ints)
            ert_store_i64(dt, y->data, i, ((int64_t *)acc)[i]);
        else if (dt == ERT_DTYPE_FLOAT32)
            ((float *)y->data)[i] = (float)((double *)acc)[i];
        else
            ert_store_f64(dt, y->data, i, ((double *)acc)[i]);
    }
done:
    for (int t = 0; t < p.n_in; t++)
        ert_tmp_free(ops[t]);
    ert_tmp_free(acc);
    return s;
}
