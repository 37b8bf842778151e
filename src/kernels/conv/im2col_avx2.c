/*
 * im2col_avx2.c - AVX2 tap runs for conv_gemm.c (see im2col_isa.h): 8 floats per store,
 * maskload/maskstore tails, stride 2 as two loads, a shuffle and a lane permute.
 */
#include <immintrin.h>

#include "kernels/conv/im2col_isa.h"

#define VL 8

/* Lanes [0, n) (n in 0..8) as a maskload/maskstore mask. */
static __m256i head_mask(int64_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static void zero_run(float *d, int64_t n)
{
    int64_t i = 0;
    for (; i + VL <= n; i += VL)
        _mm256_storeu_ps(d + i, _mm256_setzero_ps());
    if (i < n)
        _mm256_maskstore_ps(d + i, head_mask(n - i), _mm256_setzero_ps());
}

static void copy_run(float *restrict d, const float *restrict s, int64_t n)
{
    int64_t i = 0;
    for (; i + VL <= n; i += VL)
        _mm256_storeu_ps(d + i, _mm256_loadu_ps(s + i));
    if (i < n) {
        __m256i m = head_mask(n - i);
        _mm256_maskstore_ps(d + i, m, _mm256_maskload_ps(s + i, m));
    }
}

/* d[i] = s[2 i], i < n; loads stay within s[0 .. 2(n-1)], the tail is scalar. */
static void gather2_run(float *restrict d, const float *restrict s, int64_t n)
{
    int64_t i = 0;
    for (; i + VL < n; i += VL) { /* second load ends at s[2i + 15] <= s[2(n - 1) - 1] */
        __m256 a = _mm256_loadu_ps(s + 2 * i), b = _mm256_loadu_ps(s + 2 * i + VL);
        /* [a0 a2 b0 b2 | a4 a6 b4 b6] -> [a0 a2 a4 a6 b0 b2 b4 b6] */
        __m256 t = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
        __m256d p = _mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0));
        _mm256_storeu_ps(d + i, _mm256_castpd_ps(p));
    }
    for (; i < n; i++)
        d[i] = s[2 * i];
}

void ert_tap_run_avx2(float *restrict dst, const float *restrict src, int64_t lo, int64_t hi,
                      int64_t n, int64_t s)
{
    zero_run(dst, lo);
    if (s == 1)
        copy_run(dst + lo, src + lo, hi - lo);
    else if (s == 2)
        gather2_run(dst + lo, src + 2 * lo, hi - lo);
    else
        for (int64_t j = lo; j < hi; j++)
            dst[j] = src[j * s];
    zero_run(dst + hi, n - hi);
}

void ert_tap_gather_avx2(float *restrict dst, const float *restrict src, const int32_t *idx,
                         int64_t n)
{
    for (int64_t j = 0; j < n; j += VL) {
        __m256i m = head_mask(n - j < VL ? n - j : VL);
        __m256i vi = _mm256_maskload_epi32(idx + j, m);
        __m256i in = _mm256_and_si256(m, _mm256_cmpgt_epi32(vi, _mm256_set1_epi32(-1)));
        __m256 v = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), src, vi,
                                            _mm256_castsi256_ps(in), 4);
        _mm256_maskstore_ps(dst + j, m, v);
    }
}

/* y += w * x over n floats, masked tail. */
static void axpy_run(float *restrict y, float w, const float *x, int64_t n)
{
    __m256 vw = _mm256_set1_ps(w);
    int64_t j = 0;
    for (; j + VL <= n; j += VL)
        _mm256_storeu_ps(y + j,
                         _mm256_fmadd_ps(vw, _mm256_loadu_ps(x + j), _mm256_loadu_ps(y + j)));
    if (j < n) {
        __m256i m = head_mask(n - j);
        __m256 x1 = _mm256_maskload_ps(x + j, m), y1 = _mm256_maskload_ps(y + j, m);
        __m256 acc = _mm256_fmadd_ps(vw, x1, y1);
        _mm256_maskstore_ps(y + j, m, acc);
    }
}

void ert_rows_fma_avx2(float *restrict y, const float *const *rows, const float *w, int nr,
                       int64_t n)
{
    if (nr != 4) {
        for (int r = 0; r < nr; r++)
            axpy_run(y, w[r], rows[r], n);
        return;
    }
    const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
    __m256 w0 = _mm256_set1_ps(w[0]), w1 = _mm256_set1_ps(w[1]);
    __m256 w2 = _mm256_set1_ps(w[2]), w3 = _mm256_set1_ps(w[3]);
    int64_t j = 0;
    for (; j + VL <= n; j += VL) { /* two chains: the adds do not wait on each other */
        __m256 a = _mm256_fmadd_ps(w0, _mm256_loadu_ps(r0 + j), _mm256_loadu_ps(y + j));
        __m256 b = _mm256_mul_ps(w1, _mm256_loadu_ps(r1 + j));
        a = _mm256_fmadd_ps(w2, _mm256_loadu_ps(r2 + j), a);
        b = _mm256_fmadd_ps(w3, _mm256_loadu_ps(r3 + j), b);
        _mm256_storeu_ps(y + j, _mm256_add_ps(a, b));
    }
    for (int r = 0; r < 4 && j < n; r++)
        axpy_run(y + j, w[r], rows[r] + j, n - j);
}
