/*
 * sgemm.c - driver of the packed SGEMM (gemm.h): ISA selection, A packing, cache
 * blocking, B packing into the caller's workspace, tasks for the thread pool, and the
 * activations the micro-kernels do not fuse.
 *
 * Loop nest of one task (a block of <= MC rows x <= NC columns of C), BLIS order:
 *   for each K block (<= KC deep):  B[kblock, ncols] into the thread's slice: a plain
 *                                   B only packs its partial last strip (full strips
 *                                   are read in place); a generated B writes its rows
 *                                   there row-major, read in place too; a B
 *                                   pre-packed at load (ert_sgemm_pack_b) is
 *                                   read where it lies, nothing copied
 *     for each B strip (nr columns; from L1/L2 across the next loop)
 *       for each A panel (mr rows; the task's A block streams from L2)
 *         micro-kernel: C tile (+)= A panel * B strip; epilogue on the last K block
 * KC: up to 384 deep (B strip <= 72 KiB). The BLIS rule keeps the strip in L1 (24 KiB:
 * KC 128 for 48-wide strips), but the strip streams from L2 fast enough (per k 192 B of
 * B for 12 cycles of FMAs, a third of L2->L1 bandwidth), while a deeper block halves the
 * C reloads and the micro-kernel's per-call overhead. Measured on Zen 5 (AVX-512, 1
 * thread): 64x3136x576 207 -> 233 GFLOP/s, other ResNet-50 shapes 0-3% better, none
 * worse. MC: as many rows as fit 512 KiB of A at that depth (341 at 384), so A stays in
 * a 1-2 MiB L2 and a narrow N (7x7 maps) packs B once per K block, not once per row
 * block. A task packs its own B (no sharing between threads, so no barrier); with
 * several row blocks this repacks B once per block, about 1/MC of the task's FLOPs.
 */
#include <assert.h>
#include <string.h>

#include "kernels/gemm/sgemm_ukr.h"
#include "runtime/threadpool.h"

#ifndef SGEMM_L1_STRIP_BYTES
#define SGEMM_L1_STRIP_BYTES (72 * 1024)
#endif
#define SGEMM_KC_MIN 128
#define SGEMM_KC_MAX 384
#ifndef SGEMM_L2_A_BYTES
#define SGEMM_L2_A_BYTES (512 * 1024)
#endif
#define SGEMM_NC 384
/* Below this N the unfused activation runs once per task block, not per tile row (each
 * call has a fixed cost that a 1-16 column row does not amortise). */
#define SGEMM_DEFER_ACT_N 16
#define SGEMM_ALIGN 64
/* A plain B's full strips are read in place, not packed, when M is at most this. Packing
 * costs about 1/(2M) of the FLOPs in copies; the in-place strip (kc rows at B's stride)
 * stays in L1 across the row panels just as well. Measured on Zen 5 (AVX-512, one
 * thread): M = 64 1x1 shapes +10-15%, M = 128-512 +0-8%, M = 1024-2048 equal; never
 * slower, so the cap only guards untested sizes. */
#ifndef SGEMM_DIRECT_B_MAX_M
#define SGEMM_DIRECT_B_MAX_M 4096
#endif

static const sgemm_impl *impl_of(ert_isa isa)
{
    switch (ert_sgemm_isa(isa)) {
#if defined(__x86_64__) || defined(_M_X64)
    case ERT_ISA_AVX512:
        return &ert_sgemm_impl_avx512;
    case ERT_ISA_AVX2:
        return &ert_sgemm_impl_avx2;
#endif
#if defined(__aarch64__)
    case ERT_ISA_NEON:
        return &ert_sgemm_impl_neon;
#endif
    default:
        return &ert_sgemm_impl_generic;
    }
}

ert_isa ert_sgemm_isa(ert_isa isa)
{
    ert_isa best = ert_cpu_get()->best;
    if (best == ERT_ISA_NEON || isa == ERT_ISA_NEON) /* one level each way on ARM */
        return best == ERT_ISA_NEON && isa == ERT_ISA_NEON ? ERT_ISA_NEON : ERT_ISA_GENERIC;
    return isa < best ? isa : best;
}

ert_sgemm_tile ert_sgemm_tile_of(ert_isa isa)
{
    return impl_of(isa)->tile;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static int64_t round_up(int64_t a, int64_t b)
{
    return ceil_div(a, b) * b;
}

size_t ert_sgemm_packed_a_floats(ert_isa isa, int64_t M, int64_t K)
{
    int mr = impl_of(isa)->tile.mr;
    return (size_t)round_up(round_up(M, mr) * K, 16);
}

void ert_sgemm_pack_a_scaled(ert_isa isa, int64_t M, int64_t K, const float *A, int64_t a_rs,
                             int64_t a_cs, float alpha, float *dst)
{
    const sgemm_impl *im = impl_of(isa);
    int mr = im->tile.mr;
    for (int64_t i0 = 0; i0 < M; i0 += mr) {
        float *panel = dst + i0 * K;
        int rows = M - i0 < mr ? (int)(M - i0) : mr;
        if (a_cs == 1 && rows == mr && im->pack_panel) {
            im->pack_panel(A + i0 * a_rs, a_rs, K, alpha, panel);
        } else if (a_cs == 1 || rows == 1) { /* unit stride along K: row by row */
            for (int r = 0; r < rows; r++) {
                const float *src = A + (i0 + r) * a_rs;
                for (int64_t k = 0; k < K; k++)
                    panel[k * mr + r] = alpha * src[k * a_cs];
            }
            for (int r = rows; r < mr; r++)
                for (int64_t k = 0; k < K; k++)
                    panel[k * mr + r] = 0.0f;
        } else { /* unit stride along M (a transposed A): k by k */
            for (int64_t k = 0; k < K; k++) {
                const float *src = A + i0 * a_rs + k * a_cs;
                for (int r = 0; r < mr; r++)
                    panel[k * mr + r] = r < rows ? alpha * src[r * a_rs] : 0.0f;
            }
        }
    }
    size_t used = (size_t)(round_up(M, mr) * K), total = ert_sgemm_packed_a_floats(isa, M, K);
    memset(dst + used, 0, (total - used) * sizeof(float));
}

void ert_sgemm_pack_a(ert_isa isa, int64_t M, int64_t K, const float *A, int64_t a_rs,
                      int64_t a_cs, float *dst)
{
    ert_sgemm_pack_a_scaled(isa, M, K, A, a_rs, a_cs, 1.0f, dst);
}

size_t ert_sgemm_packed_b_floats(ert_isa isa, int64_t K, int64_t N)
{
    int nr = impl_of(isa)->tile.nr;
    return (size_t)round_up(ceil_div(N, nr) * nr * K, 16);
}

void ert_sgemm_pack_b(ert_isa isa, int64_t K, int64_t N, const float *B, int64_t b_rs,
                      int64_t b_cs, float *dst)
{
    const ert_sgemm_tile *t = &impl_of(isa)->tile;
    for (int64_t c0 = 0; c0 < N; c0 += t->nr) {
        int64_t w = N - c0 < t->nr ? N - c0 : t->nr, sw = round_up(w, t->vec);
        float *strip = dst + (c0 / t->nr) * K * t->nr;
        for (int64_t k = 0; k < K; k++)
            for (int64_t j = 0; j < sw; j++)
                strip[k * sw + j] = j < w ? B[k * b_rs + (c0 + j) * b_cs] : 0.0f;
    }
    size_t used = (size_t)(ceil_div(N, t->nr) * t->nr * K);
    memset(dst + used, 0, (ert_sgemm_packed_b_floats(isa, K, N) - used) * sizeof(float));
}

/* ---- blocking ---- */

typedef struct blocking {
    int64_t kc, nkb;   /* K block depth, number of K blocks (>= 1, also for K == 0) */
    int64_t mc, tm;    /* rows per task, row blocks */
    int64_t nc, tn;    /* columns per task, column blocks */
    int64_t nc_cap;    /* widest nc for this N: sizes the per-thread slice */
} blocking;

/* Even K blocks (a 260-deep K is 2 x 130, not 256 + 4: a thin last block wastes the C
 * reloads). */
static void block_k(const ert_sgemm_tile *t, int64_t K, blocking *bl)
{
    int64_t kmax = SGEMM_L1_STRIP_BYTES / ((int64_t)sizeof(float) * t->nr);
    kmax = kmax < SGEMM_KC_MIN ? SGEMM_KC_MIN : kmax > SGEMM_KC_MAX ? SGEMM_KC_MAX : kmax;
    bl->nkb = K > 0 ? ceil_div(K, kmax) : 1;
    bl->kc = K > 0 ? ceil_div(K, bl->nkb) : 0;
}

static void block_sizes(const sgemm_impl *im, int64_t M, int64_t N, int64_t K, int threads,
                        blocking *bl)
{
    const ert_sgemm_tile *t = &im->tile;
    block_k(t, K, bl);
    bl->nc_cap = N < SGEMM_NC ? round_up(N > 0 ? N : 1, t->nr) : SGEMM_NC;
    int64_t mc = SGEMM_L2_A_BYTES / ((int64_t)sizeof(float) * (bl->kc > 0 ? bl->kc : 1));
    bl->mc = (mc / t->mr > 0 ? mc / t->mr : 1) * t->mr;
    /* One strip (N = 49 with the tail column): the A block streams past it once per K
     * block whatever its height, so one row block; a generated B (im2col) is then built
     * once instead of once per row block (a 512x49x4608 stride-2 3x3 conv, Intel Xeon,
     * one thread: 1.80 -> 1.47 ms). */
    if (N <= t->nr + (im->tail1 ? 1 : 0))
        bl->mc = round_up(M > 0 ? M : 1, t->mr);
    bl->nc = bl->nc_cap;
    bl->tm = ceil_div(M, bl->mc);
    bl->tn = ceil_div(N, bl->nc);
    /* Enough tasks to balance threads (one thread: one task): narrow the column blocks
     * first (B strips stay whole), then split the rows into that many even blocks (whole
     * tiles, never below two): 160 rows for 4 tasks are 4 x 40, not 48 + 48 + 48 + 16,
     * which left one of two threads a third idle on a 7x7 layer. */
    int64_t want = threads > 1 ? 2 * (int64_t)threads : 1;
    while (bl->tm * bl->tn < want && bl->nc > 2 * t->nr) {
        bl->nc = round_up(bl->nc / 2, t->nr);
        bl->tn = ceil_div(N, bl->nc);
    }
    if (bl->tn > 0 && bl->tm * bl->tn < want && bl->mc > 2 * t->mr) { /* N = 0: no tasks */
        int64_t even = round_up(ceil_div(M, ceil_div(want, bl->tn)), t->mr);
        bl->mc = even < 2 * t->mr ? 2 * t->mr : even < bl->mc ? even : bl->mc;
        bl->tm = ceil_div(M, bl->mc);
    }
}

/* A plain B read in place is a strip of kc rows ld floats apart. With ld a multiple of
 * 128 floats (512 bytes) the rows fall at <= 8 offsets modulo 4 KiB, so the strip's
 * 3 x kc lines share <= 24 of the L1's 64 sets (one set per 3 lines at ld = 1024 or any
 * multiple of 1024: 32x32, 64x64, 80x80, 160x160 maps) and evict each other before the
 * next A panel reads them again; L2 likewise. Such a B is packed (contiguous strips)
 * where M >= 64 (eight or more A panels reread each strip). Intel Xeon, 1 thread:
 * FCN-ResNet50's 1x1 convs on 32x32 maps 82-100 -> 142-156 GFLOP/s, the model 443 ->
 * 340 ms; YOLOv5n's head 1x1 255x6400x64 1.40 -> 1.24 ms. With fewer rows the copy
 * costs more than the misses: 16x25600x32 (YOLOv5n, 160x160) 0.31 -> 0.52 ms packed. */
static bool ld_aliases(int64_t ld)
{
    return ld % 128 == 0;
}

/* Row stride of a generated B block nc wide: rounded to vec, and one vector more where
 * that aliases (nc = 384, SGEMM_NC, is 1536 bytes: 8 offsets modulo 4 KiB). */
static int64_t gen_ld(int64_t nc, int vec)
{
    int64_t ld = round_up(nc, vec);
    return ld_aliases(ld) ? ld + vec : ld;
}

/* Floats of one thread's slice: a packed or generated B block (gen_ld's extra vector:
 * 16 floats at most), rounded to 64 bytes. */
static size_t slice_floats(const blocking *bl)
{
    return (size_t)round_up(bl->kc * (bl->nc_cap + 16) + 1, SGEMM_ALIGN / sizeof(float));
}

size_t ert_sgemm_ws_bytes(ert_isa isa, int64_t M, int64_t N, int64_t K, int n_threads)
{
    blocking bl;
    block_sizes(impl_of(isa), M, N, K, 1, &bl);
    return slice_floats(&bl) * sizeof(float) * (size_t)(n_threads > 0 ? n_threads : 1);
}

/* ---- B packing ---- */

/* d[0, w) = s[0, w); constant sizes for the common full strips (inlined copies). */
static void copy_strip(float *restrict d, const float *restrict s, int64_t w, int nr)
{
    if (w == nr && nr == 48)
        memcpy(d, s, 48 * sizeof(float));
    else if (w == nr && nr == 32)
        memcpy(d, s, 32 * sizeof(float));
    else if (w == nr && nr == 16)
        memcpy(d, s, 16 * sizeof(float));
    else if (w == nr && nr == 8)
        memcpy(d, s, 8 * sizeof(float));
    else
        memcpy(d, s, (size_t)w * sizeof(float));
}

/* Generated B: rows k0 .. k0+kc of columns [n0, n0+nc) written row-major into dst with
 * row stride ld (nc rounded up to vec, the tail zeroed). The micro-kernel then reads
 * every strip in place: no second copy into strips (it cost a third of a 3x3 conv's
 * overhead next to the row generation itself). */
static void gen_b(const ert_sgemm_b *b, int64_t k0, int64_t kc, int64_t n0, int64_t nc,
                  int64_t ld, float *dst)
{
    for (int64_t p = 0; p < kc; p++) {
        float *d = dst + p * ld;
        const float *src = b->row(b->ctx, k0 + p, n0, nc, d);
        if (src != d)
            memcpy(d, src, sizeof(float) * (size_t)nc);
        for (int64_t j = nc; j < ld; j++)
            d[j] = 0.0f;
    }
}

/* Packs a plain B[k0 .. k0+kc, n0 .. n0+nc) as strips of nr columns (sgemm_ukr.h): strip s at
 * dst + s*kc*nr, row stride = its width rounded up to vec, zero-padded. Strips before
 * s_first are left out (read in place). */
static void pack_b(const ert_sgemm_b *b, const ert_sgemm_tile *t, int64_t k0, int64_t kc,
                   int64_t n0, int64_t nc, int64_t s_first, float *dst)
{
    int64_t ns = ceil_div(nc, t->nr);
    if (s_first >= ns)
        return;
    for (int64_t p = 0; p < kc; p++) {
        const float *src = b->data + (k0 + p) * b->ld + n0;
        for (int64_t s = s_first; s < ns; s++) {
            int64_t c0 = s * t->nr, w = nc - c0 < t->nr ? nc - c0 : t->nr;
            int64_t sw = round_up(w, t->vec);
            float *d = dst + s * kc * t->nr + p * sw;
            copy_strip(d, src + c0, w, t->nr);
            for (int64_t j = w; j < sw; j++)
                d[j] = 0.0f;
        }
    }
}

/* ---- tasks ---- */

typedef struct sgemm_job {
    const sgemm_impl *im;
    ert_isa isa;
    int64_t M, N, K;
    const float *pa;
    const ert_sgemm_b *b;
    float *C;
    int64_t ldc;
    const ert_sgemm_epilogue *ep;
    float *ws;
    size_t slice;        /* floats per thread */
    blocking bl;
    sgemm_ukr_args proto; /* epilogue fields shared by every tile */
    bool direct;         /* full strips of a plain B are read in place (not packed) */
    bool res_in_c;       /* residual == C: C starts as R, every K block accumulates */
    bool post_act;       /* activation not fused in the micro-kernel */
    bool defer_act;      /* ... applied per task block instead of per tile row (narrow N) */
} sgemm_job;

/* Fills the epilogue fields of the micro-kernel arguments from ep. */
static void fuse_epilogue(sgemm_job *j)
{
    sgemm_ukr_args *a = &j->proto;
    memset(a, 0, sizeof *a);
    a->lo = -__builtin_inff();
    a->hi = __builtin_inff();
    const ert_sgemm_epilogue *ep = j->ep;
    j->post_act = false;
    if (!ep)
        return;
    a->ldr = ep->ldr;
    switch (ep->act.kind) {
    case ERT_ACT_NONE:
        break;
    case ERT_ACT_RELU:
        a->clamp = true;
        a->lo = 0.0f;
        break;
    case ERT_ACT_CLIP:
        a->clamp = true;
        a->lo = ep->act.alpha;
        a->hi = ep->act.beta;
        break;
    case ERT_ACT_LEAKY_RELU:
        a->slope = &ep->act.alpha;
        break;
    case ERT_ACT_PRELU:
        a->slope = ep->act.slope + (ep->act.n_slope == 1 ? 0 : ep->act_row0);
        a->slope_step = ep->act.n_slope == 1 ? 0 : 1;
        break;
    default:
        j->post_act = true;
        break;
    }
}

/* Points a at strip c0 (width w) of this K block: in place or in the packed block. */
static void set_strip(const sgemm_job *j, sgemm_ukr_args *a, int64_t n0, int64_t c0, int64_t nc,
                      int64_t k0, int64_t kc, const float *bp)
{
    const ert_sgemm_tile *t = &j->im->tile;
    int64_t w = nc - c0 < t->nr ? nc - c0 : t->nr;
    bool in_place = j->direct && w == t->nr;
    a->sw = round_up(w, t->vec);
    a->b = in_place ? j->b->data + k0 * j->b->ld + n0 + c0 : bp + (c0 / t->nr) * kc * t->nr;
    a->ldb = in_place ? j->b->ld : a->sw;
    if (j->b->packed) { /* ert_sgemm_pack_b's strip (n0 is a multiple of nr) */
        a->b = j->b->packed + ((n0 + c0) / t->nr) * j->K * t->nr + k0 * a->sw;
        a->ldb = a->sw;
    } else if (j->b->row) { /* gen_b's row-major block */
        a->b = bp + c0;
        a->ldb = gen_ld(nc, t->vec);
    }
    a->n = (int)w;
}

/* Runs the tile of rows [i, i + mr) at strip a (set_strip), epilogue on the last block. */
static void run_tile(const sgemm_job *j, sgemm_ukr_args *a, int64_t i, int64_t m_end,
                     int64_t col, int64_t k0)
{
    const ert_sgemm_tile *t = &j->im->tile;
    const ert_sgemm_epilogue *ep = j->ep;
    a->m = (int)(m_end - i < t->mr ? m_end - i : t->mr);
    a->a = j->pa + i * j->K + k0 * t->mr;
    a->c = j->C + i * j->ldc + col;
    if (a->last && ep) {
        a->bias = ep->bias ? ep->bias + i : NULL;
        a->res = ep->residual && !j->res_in_c ? ep->residual + i * ep->ldr + col : NULL;
        if (j->proto.slope_step)
            a->slope = j->proto.slope + i;
    }
    j->im->ukr(a);
    if (a->last && j->post_act && !j->defer_act)
        ert_act_f32_rows_isa(j->isa, &ep->act, a->c, a->m, a->n, j->ldc, ep->act_row0 + i);
}

/* One K block of the task's rows [m0, m0+mc) x columns [n0, n0+nc), B already packed:
 * strips outer, so a strip stays in L1/L2 while the A block streams past. (Panels outer
 * for narrow blocks, to read a 7x7 layer's 9 MiB of weights once instead of once per
 * strip, measured 5-15% slower on Zen 5: the 72 KiB strips then leave L1.) */
static void run_kblock(const sgemm_job *j, int64_t m0, int64_t mc, int64_t n0, int64_t nc,
                       int64_t k0, int64_t kc, const float *bp, bool first, bool last)
{
    const ert_sgemm_tile *t = &j->im->tile;
    sgemm_ukr_args a = j->proto;
    a.kc = kc;
    a.ldc = j->ldc;
    a.accumulate = !first || j->res_in_c;
    a.last = last;
    /* a last strip one column wider than nr (N = 49): one call, if the kernel takes it
     * and the column lies in the same rows (in place or generated, not a packed strip) */
    bool tail = j->im->tail1 && !j->b->packed && (j->direct || j->b->row);
    for (int64_t c0 = 0; c0 < nc; c0 += t->nr) {
        set_strip(j, &a, n0, c0, nc, k0, kc, bp);
        bool wide = tail && nc - c0 == t->nr + 1;
        if (wide)
            a.n = t->nr + 1;
        for (int64_t i = m0; i < m0 + mc; i += t->mr)
            run_tile(j, &a, i, m0 + mc, n0 + c0, k0);
        if (wide)
            break;
    }
}

/* The activation of a narrow task block (defer_act): one call when its rows are
 * contiguous in C (an SE block's N = 1 GEMV: 1152 one-element calls otherwise). The
 * kinds left to post_act do not depend on the channel (PRelu is fused). */
static void post_act_block(const sgemm_job *j, int64_t m0, int64_t mc, int64_t n0, int64_t nc)
{
    const ert_sgemm_epilogue *ep = j->ep;
    float *c = j->C + m0 * j->ldc + n0;
    if (nc == j->ldc) {
        ert_act_f32_isa(j->isa, &ep->act, c, mc * nc, ep->act_row0 + m0);
        return;
    }
    ert_act_f32_rows_isa(j->isa, &ep->act, c, mc, nc, j->ldc, ep->act_row0 + m0);
}

static void run_task(void *arg, int64_t task, int tid)
{
    const sgemm_job *j = arg;
    const blocking *bl = &j->bl;
    int64_t m0 = (task / bl->tn) * bl->mc, n0 = (task % bl->tn) * bl->nc;
    int64_t mc = j->M - m0 < bl->mc ? j->M - m0 : bl->mc;
    int64_t nc = j->N - n0 < bl->nc ? j->N - n0 : bl->nc;
    float *bp = j->ws + (size_t)tid * j->slice;
    for (int64_t kb = 0; kb < bl->nkb; kb++) {
        int64_t k0 = kb * bl->kc, kc = j->K - k0 < bl->kc ? j->K - k0 : bl->kc;
        int64_t s_first = j->direct ? nc / j->im->tile.nr : 0;
        if (j->b->row)
            gen_b(j->b, k0, kc, n0, nc, gen_ld(nc, j->im->tile.vec), bp);
        else if (!j->b->packed) /* pre-packed B: nothing to do per run */
            pack_b(j->b, &j->im->tile, k0, kc, n0, nc, s_first, bp);
        run_kblock(j, m0, mc, n0, nc, k0, kc, bp, kb == 0, kb == bl->nkb - 1);
    }
    if (j->defer_act)
        post_act_block(j, m0, mc, n0, nc);
}

/* The pool's tasks when the workspace has a slice per thread; otherwise all on this
 * thread with slice 0 (a workspace planned for fewer threads stays correct). */
static void serial_tasks(void *arg, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        run_task(arg, i, 0);
}

void ert_sgemm_packed(ert_isa isa, int64_t M, int64_t N, int64_t K, const float *packed_a,
                      const ert_sgemm_b *b, float *C, int64_t ldc, const ert_sgemm_epilogue *ep,
                      void *ws, size_t ws_bytes, struct ert_threadpool *pool)
{
    if (M <= 0 || N <= 0)
        return;
    sgemm_job j = {.im = impl_of(isa), .isa = ert_sgemm_isa(isa), .M = M, .N = N, .K = K,
                   .pa = packed_a, .b = b, .C = C, .ldc = ldc, .ep = ep, .ws = ws};
    int threads = ert_threadpool_size(pool);
    block_sizes(j.im, M, N, K, threads, &j.bl);
    j.slice = slice_floats(&j.bl);
    fuse_epilogue(&j);
    j.defer_act = j.post_act && N < SGEMM_DEFER_ACT_N;
    j.res_in_c = ep && ep->residual == C && ep->ldr == ldc;
    j.direct = !b->row && M <= SGEMM_DIRECT_B_MAX_M && !(M >= 64 && ld_aliases(b->ld));
    size_t slices = ws_bytes / (j.slice * sizeof(float));
    assert(slices >= 1 && ((uintptr_t)ws % SGEMM_ALIGN) == 0);
    int64_t tasks = j.bl.tm * j.bl.tn;
    if (slices >= (size_t)threads && tasks > 1)
        ert_parallel_for(pool, tasks, run_task, &j);
    else
        serial_tasks(&j, tasks);
}
