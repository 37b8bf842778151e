/*
 * fuzz_npy.c - libFuzzer target for the CLI's .npy reader (tools/npy.c), which parses
 * files users pass with --input (untrusted: anything on disk).
 *
 * npy_read takes a path, so each input is written to a per-process file on tmpfs
 * (/dev/shm) and read back. A file that reads must describe itself consistently:
 * nbytes = product of dims * element size, rank within NPY_MAX_RANK. Any crash, leak or
 * sanitizer report is a bug; a refusal must come with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "npy.h"

static char g_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    snprintf(g_path, sizeof g_path, "/dev/shm/ert_fuzz_npy_%d.npy", (int)getpid());
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(g_path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    npy_array a = {0};
    char err[512] = "";
    if (npy_read(g_path, &a, err, sizeof err) == 0) {
        size_t numel = 1;
        if (a.rank < 0 || a.rank > NPY_MAX_RANK)
            abort();
        for (int i = 0; i < a.rank; i++)
            numel *= (size_t)a.dims[i];
        if (numel * ert_dtype_size(a.dtype) != a.nbytes)
            abort();
        if (a.nbytes)
            (void)((volatile uint8_t *)a.data)[a.nbytes - 1]; /* the data is all there */
    } else if (!err[0]) {
        abort(); /* refused without a message */
    }
    npy_free(&a);
    return 0;
}
