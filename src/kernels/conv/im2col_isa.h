/*
 * im2col_isa.h - vectorised pieces of conv_gemm.c's im2col row generation, one
 * translation unit per ISA (im2col_avx2.c, im2col_avx512.c). Stride-2 taps (ResNet's
 * downsampling 3x3 and 1x1 convs, 7x7/2 stems) gather every other input float; the
 * scalar loop ran at ~1 float per cycle and took 40% of such a conv's time.
 */
#ifndef ERT_IM2COL_ISA_H
#define ERT_IM2COL_ISA_H

#include <stdint.h>

/* dst[i] = src[2 * i] for i in [0, n). Reads nothing past src[2 * (n - 1)]. */
typedef void (*ert_gather2_fn)(float *restrict dst, const float *restrict src, int64_t n);

void ert_gather2_avx2(float *restrict dst, const float *restrict src, int64_t n);
void ert_gather2_avx512(float *restrict dst, const float *restrict src, int64_t n);

#endif /* ERT_IM2COL_ISA_H */
