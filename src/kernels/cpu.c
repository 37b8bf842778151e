/*
 * cpu.c - CPU feature detection (see cpu.h).
 */
#include "kernels/cpu.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define ERT_X86 1
#elif defined(__aarch64__)
#include <sys/auxv.h>
#define ERT_ARM64 1
#endif

static ert_cpu g_cpu;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static _Atomic int g_cap = -1; /* -1: no API cap */
static int g_env_cap = -1;     /* ERT_ISA, read once */

#ifdef ERT_X86
static void cpuid(unsigned leaf, unsigned sub, unsigned r[4])
{
    __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}

static unsigned long long xgetbv0(void)
{
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static void detect_x86(ert_cpu *c)
{
    unsigned r[4];
    cpuid(0, 0, r);
    unsigned max_leaf = r[0];
    memcpy(c->vendor, &r[1], 4);
    memcpy(c->vendor + 4, &r[3], 4);
    memcpy(c->vendor + 8, &r[2], 4);
    cpuid(1, 0, r);
    unsigned fam = (r[0] >> 8) & 15, model = (r[0] >> 4) & 15;
    if (fam == 15)
        fam += (r[0] >> 20) & 255;
    if (fam == 6 || fam >= 15)
        model |= ((r[0] >> 16) & 15) << 4;
    c->family = (int)fam;
    c->model = (int)model;
    c->stepping = (int)(r[0] & 15);
    bool osxsave = (r[2] >> 27) & 1;
    c->sse42 = (r[2] >> 20) & 1;
    c->fma = (r[2] >> 12) & 1;
    c->f16c = (r[2] >> 29) & 1;
    bool avx_hw = (r[2] >> 28) & 1;
    unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
    bool os_ymm = (xcr0 & 6) == 6, os_zmm = (xcr0 & 0xe6) == 0xe6;
    bool os_amx = (xcr0 & (3ull << 17)) == (3ull << 17);
    c->avx = avx_hw && os_ymm;
    if (!c->avx)
        c->fma = c->f16c = false;
    if (max_leaf >= 7) {
        cpuid(7, 0, r);
        c->avx2 = c->avx && ((r[1] >> 5) & 1);
        c->avx512f = os_zmm && ((r[1] >> 16) & 1);
        c->avx512dq = c->avx512f && ((r[1] >> 17) & 1);
        c->avx512bw = c->avx512f && ((r[1] >> 30) & 1);
        c->avx512vl = c->avx512f && ((r[1] >> 31) & 1);
        c->avx512_vnni = c->avx512f && ((r[2] >> 11) & 1);
        c->avx512_fp16 = c->avx512f && ((r[3] >> 23) & 1);
        c->amx_bf16 = os_amx && ((r[3] >> 22) & 1);
        c->amx_tile = os_amx && ((r[3] >> 24) & 1);
        c->amx_int8 = os_amx && ((r[3] >> 25) & 1);
        cpuid(7, 1, r);
        c->avx_vnni = c->avx && ((r[0] >> 4) & 1);
        c->avx512_bf16 = c->avx512f && ((r[0] >> 5) & 1);
    }
    cpuid(0x80000000u, 0, r);
    if (r[0] >= 0x80000004u) {
        unsigned b[12];
        for (unsigned i = 0; i < 3; i++)
            cpuid(0x80000002u + i, 0, b + 4 * i);
        memcpy(c->brand, b, 48);
        c->brand[48] = '\0';
    }
    c->best = ERT_ISA_GENERIC;
    if (c->avx2 && c->fma && c->f16c)
        c->best = ERT_ISA_AVX2;
    if (c->best == ERT_ISA_AVX2 && c->avx512f && c->avx512bw && c->avx512dq && c->avx512vl)
        c->best = ERT_ISA_AVX512;
}
#endif

#ifdef ERT_ARM64
static void detect_arm(ert_cpu *c)
{
    unsigned long hw = getauxval(AT_HWCAP);
    snprintf(c->vendor, sizeof c->vendor, "arm");
    c->neon = (hw & (1ul << 1)) != 0;         /* HWCAP_ASIMD */
    c->neon_fp16 = (hw & (1ul << 10)) != 0;   /* HWCAP_ASIMDHP */
    c->neon_dotprod = (hw & (1ul << 20)) != 0; /* HWCAP_ASIMDDP */
    unsigned long hw2 = getauxval(AT_HWCAP2);
    c->neon_bf16 = (hw2 & (1ul << 14)) != 0;  /* HWCAP2_BF16 */
    c->best = c->neon ? ERT_ISA_NEON : ERT_ISA_GENERIC;
}
#endif

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        s[--n] = '\0';
    size_t lead = strspn(s, " ");
    memmove(s, s + lead, n - lead + 1);
}

static void detect(void)
{
    ert_cpu *c = &g_cpu;
    memset(c, 0, sizeof *c);
#if defined(ERT_X86)
    detect_x86(c);
#elif defined(ERT_ARM64)
    detect_arm(c);
#endif
    trim(c->brand);
    const char *e = getenv("ERT_ISA");
    ert_isa lvl;
    if (e && *e && ert_isa_parse(e, &lvl))
        g_env_cap = (int)lvl;
    else if (e && *e)
        fprintf(stderr, "edgert: ignoring ERT_ISA='%s' (use generic, avx2, avx512 or neon)\n", e);
}

const ert_cpu *ert_cpu_get(void)
{
    pthread_once(&g_once, detect);
    return &g_cpu;
}

static ert_isa cap_level(ert_isa best, int cap)
{
    if (cap < 0)
        return best;
    if (cap == ERT_ISA_GENERIC)
        return ERT_ISA_GENERIC;
    /* caps name levels of one architecture: neon caps x86 to generic and vice versa */
    if ((cap == ERT_ISA_NEON) != (best == ERT_ISA_NEON))
        return best == ERT_ISA_NEON || cap == ERT_ISA_NEON ? ERT_ISA_GENERIC : best;
    return (ert_isa)cap < best ? (ert_isa)cap : best;
}

ert_isa ert_cpu_isa(void)
{
    const ert_cpu *c = ert_cpu_get();
    ert_isa lvl = cap_level(c->best, g_env_cap);
    return cap_level(lvl, atomic_load(&g_cap));
}

ert_isa ert_cpu_set_isa_cap(ert_isa cap)
{
    atomic_store(&g_cap, (int)cap);
    return ert_cpu_isa();
}

static const char *const k_isa_names[] = {"generic", "avx2", "avx512", "neon"};

const char *ert_isa_name(ert_isa isa)
{
    return (unsigned)isa < 4 ? k_isa_names[isa] : "?";
}

bool ert_isa_parse(const char *s, ert_isa *out)
{
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, k_isa_names[i]) == 0) {
            *out = (ert_isa)i;
            return true;
        }
    return false;
}

void ert_cpu_features_str(char *buf, int len)
{
    const ert_cpu *c = ert_cpu_get();
    struct { bool on; const char *name; } f[] = {
        {c->avx2, "avx2"}, {c->fma, "fma"}, {c->f16c, "f16c"}, {c->avx512f, "avx512f"},
        {c->avx512bw, "avx512bw"}, {c->avx512vl, "avx512vl"}, {c->avx512_vnni, "avx512_vnni"},
        {c->avx512_bf16, "avx512_bf16"}, {c->avx512_fp16, "avx512_fp16"},
        {c->avx_vnni, "avx_vnni"}, {c->amx_tile, "amx_tile"}, {c->amx_int8, "amx_int8"},
        {c->amx_bf16, "amx_bf16"}, {c->neon, "neon"}, {c->neon_dotprod, "dotprod"},
        {c->neon_fp16, "fp16"}, {c->neon_bf16, "bf16"}};
    int pos = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof f / sizeof f[0] && pos < len; i++)
        if (f[i].on) {
            int w = snprintf(buf + pos, (size_t)(len - pos), "%s%s", pos ? " " : "", f[i].name);
            if (w > 0)
                pos += w;
        }
}
