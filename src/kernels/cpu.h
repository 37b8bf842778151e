/*
 * cpu.h - the CPU's features, read once (cpuid/xgetbv on x86, HWCAP on ARM), and the
 * ISA level the fast kernels may use.
 *
 * The level is the best the CPU (and the OS, through XCR0) supports, capped by the
 * environment variable ERT_ISA=generic|avx2|avx512 (read once) and by
 * ert_cpu_set_isa_cap() (the C API option). Kernels never test features themselves:
 * they ask ert_cpu_isa() or ert_cpu_get().
 */
#ifndef ERT_CPU_H
#define ERT_CPU_H

#include <stdbool.h>

/* Kernel ISA levels, ascending within one architecture. Stored in timing caches and
 * engine files by name (ert_isa_name), never by value. */
typedef enum ert_isa {
    ERT_ISA_GENERIC = 0, /* portable C (what the compiler's baseline flags give) */
    ERT_ISA_AVX2 = 1,    /* x86-64-v3: AVX2 + FMA + F16C */
    ERT_ISA_AVX512 = 2,  /* AVX-512 F/BW/DQ/VL */
    ERT_ISA_NEON = 3     /* AArch64 Advanced SIMD (every armv8-a CPU) */
} ert_isa;

typedef struct ert_cpu {
    /* x86 */
    bool sse42, avx, avx2, fma, f16c;
    bool avx512f, avx512bw, avx512dq, avx512vl;
    bool avx512_vnni, avx512_bf16, avx512_fp16, avx_vnni;
    bool amx_tile, amx_int8, amx_bf16;
    /* ARM */
    bool neon, neon_dotprod, neon_fp16, neon_bf16;
    /* what the hardware and OS allow, before any cap */
    ert_isa best;
    char vendor[16];     /* "AuthenticAMD", "GenuineIntel", "arm", ... */
    char brand[64];      /* brand string where the CPU reports one */
    int family, model, stepping;
} ert_cpu;

/* The CPU description (thread-safe, filled on first call). */
const ert_cpu *ert_cpu_get(void);

/* The ISA level kernels use now: min(best, ERT_ISA, API cap). */
ert_isa ert_cpu_isa(void);

/* Caps the level for the whole process (tests, --isa, the C API); a cap above what the
 * CPU supports has no effect. Returns the level now in force. */
ert_isa ert_cpu_set_isa_cap(ert_isa cap);

/* "generic", "avx2", "avx512", "neon". */
const char *ert_isa_name(ert_isa isa);
/* Parses a name as above; returns false for an unknown one. */
bool ert_isa_parse(const char *s, ert_isa *out);

/* "avx2 fma avx512f ..." : features present, for messages and reports. */
void ert_cpu_features_str(char *buf, int len);

#endif /* ERT_CPU_H */
