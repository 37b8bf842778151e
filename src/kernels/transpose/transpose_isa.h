/*
 * transpose_isa.h - the per-ISA plane movers of transpose.<isa> (private to the family).
 *
 * A tile function moves an na x nb block: out[a * os_a + b] = in[a + b * is_b] for a in
 * [0, na), b in [0, nb) (elements of the function's size).
 */
#ifndef ERT_TRANSPOSE_ISA_H
#define ERT_TRANSPOSE_ISA_H

#include <stdint.h>

typedef void (*tp_tile_fn)(void *out, const void *in, int64_t na, int64_t nb, int64_t os_a,
                           int64_t is_b);

/* 4-byte elements in 8x8 register tiles (edges element by element). */
void ert_tp_tile_f32_avx2(void *out, const void *in, int64_t na, int64_t nb, int64_t os_a,
                          int64_t is_b);

#endif /* ERT_TRANSPOSE_ISA_H */
