/*
 * npy.c - numpy .npy reader/writer for the CLI (format: numpy/lib/format.py, NEP 1).
 *
 * File layout: "\x93NUMPY", major, minor, header length (uint16 LE for 1.0, uint32 LE
 * for 2.0/3.0), then a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }
 * padded with spaces and a final '\n' so the data starts on a 64-byte boundary, then
 * the raw elements. The header is parsed with a small literal parser (strings, True/
 * False, tuples of ints) rather than sscanf patterns, so key order and spacing are
 * free, as numpy allows.
 */
#define _POSIX_C_SOURCE 200809L

#include "npy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64                      /* numpy >= 1.14 aligns data to 64 bytes */
#define NPY_MAX_HEADER ((uint32_t)1 << 20) /* numpy refuses headers above 10 kB by default */
#define NPY_MAX_DATA ((int64_t)1 << 40)    /* larger is taken as a corrupt shape */

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static bool host_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

const char *npy_descr(ert_dtype dtype)
{
    /* '<' in the table means "little-endian"; one-byte types use '|' (not applicable). */
    switch (dtype) {
    case ERT_DTYPE_FLOAT32: return "<f4";
    case ERT_DTYPE_FLOAT16: return "<f2";
    case ERT_DTYPE_FLOAT64: return "<f8";
    case ERT_DTYPE_UINT8: return "|u1";
    case ERT_DTYPE_INT8: return "|i1";
    case ERT_DTYPE_UINT16: return "<u2";
    case ERT_DTYPE_INT16: return "<i2";
    case ERT_DTYPE_UINT32: return "<u4";
    case ERT_DTYPE_INT32: return "<i4";
    case ERT_DTYPE_UINT64: return "<u8";
    case ERT_DTYPE_INT64: return "<i8";
    case ERT_DTYPE_BOOL: return "|b1";
    default: return NULL;
    }
}

/* Maps a descr ("<f4", "|b1", "?", "=i8", ">u2") to a dtype; *swap set if the bytes
 * must be reversed for this host. Returns false if not a supported numeric type. */
static bool parse_descr(const char *d, ert_dtype *dtype, bool *swap)
{
    char order = '|';
    if (*d == '<' || *d == '>' || *d == '|' || *d == '=')
        order = *d++;
    bool host_le = host_little_endian();
    bool file_le = order == '<' || (order == '=' && host_le) || (order == '|' && host_le);
    if (strcmp(d, "?") == 0 || strcmp(d, "b1") == 0) {
        *dtype = ERT_DTYPE_BOOL;
        *swap = false;
        return true;
    }
    static const struct { const char *s; ert_dtype t; } map[] = {
        {"f2", ERT_DTYPE_FLOAT16}, {"f4", ERT_DTYPE_FLOAT32}, {"f8", ERT_DTYPE_FLOAT64},
        {"i1", ERT_DTYPE_INT8},    {"i2", ERT_DTYPE_INT16},   {"i4", ERT_DTYPE_INT32},
        {"i8", ERT_DTYPE_INT64},   {"u1", ERT_DTYPE_UINT8},   {"u2", ERT_DTYPE_UINT16},
        {"u4", ERT_DTYPE_UINT32},  {"u8", ERT_DTYPE_UINT64},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(d, map[i].s) == 0) {
            *dtype = map[i].t;
            *swap = map[i].s[1] != '1' && file_le != host_le;
            return true;
        }
    }
    return false;
}

/* ---- a tiny parser for the header's Python dict literal ---- */

typedef struct hparser {
    const char *p, *end;
} hparser;

static void skip_ws(hparser *h)
{
    while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r'))
        h->p++;
}

static bool accept(hparser *h, char c)
{
    skip_ws(h);
    if (h->p < h->end && *h->p == c) {
        h->p++;
        return true;
    }
    return false;
}

/* Quoted string (no escapes: numpy never writes any in the keys we read). */
static bool parse_str(hparser *h, char *buf, size_t len)
{
    skip_ws(h);
    if (h->p >= h->end || (*h->p != '\'' && *h->p != '"'))
        return false;
    char q = *h->p++;
    size_t n = 0;
    while (h->p < h->end && *h->p != q) {
        if (n + 1 < len)
            buf[n++] = *h->p;
        h->p++;
    }
    if (h->p >= h->end)
        return false;
    h->p++;
    buf[n] = '\0';
    return true;
}

static bool parse_word(hparser *h, const char *w)
{
    skip_ws(h);
    size_t n = strlen(w);
    if ((size_t)(h->end - h->p) >= n && memcmp(h->p, w, n) == 0) {
        h->p += n;
        return true;
    }
    return false;
}

/* "(1, 3, 224, 224)", "(5,)" or "()"; Python 2's "3L" suffix accepted. */
static bool parse_shape(hparser *h, int *rank, int64_t *dims, bool *too_many)
{
    *rank = 0;
    *too_many = false;
    if (!accept(h, '('))
        return false;
    for (;;) {
        if (accept(h, ')'))
            return true;
        skip_ws(h);
        if (h->p >= h->end || *h->p < '0' || *h->p > '9')
            return false;
        int64_t v = 0;
        while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
            if (v > (INT64_MAX - 9) / 10)
                return false;
            v = v * 10 + (*h->p++ - '0');
        }
        if (h->p < h->end && (*h->p == 'L' || *h->p == 'l'))
            h->p++;
        if (*rank >= NPY_MAX_RANK)
            *too_many = true;
        else
            dims[*rank] = v;
        (*rank)++;
        if (accept(h, ')'))
            return true;
        if (!accept(h, ','))
            return false;
    }
}

static void byteswap(void *data, size_t n, size_t es)
{
    unsigned char *p = data;
    for (size_t i = 0; i < n; i++, p += es)
        for (size_t a = 0, b = es - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

static bool mul_ok(int64_t a, int64_t b, int64_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

static uint32_t read_le(const unsigned char *b, int n)
{
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

int npy_read(const char *path, npy_array *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *header = NULL;
    int rc = -1;
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, errlen, "cannot open '%s': %s", path, strerror(errno));

    unsigned char pre[12];
    size_t got = fread(pre, 1, 10, f);
    if (got < 8 || memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
        if (got >= NPY_MAGIC_LEN && memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) == 0)
            fail(err, errlen, "'%s': truncated .npy file: ends at byte offset %zu, inside the "
                 "preamble", path, got);
        else
            fail(err, errlen, "'%s' is not a .npy file (no \\x93NUMPY magic at byte offset 0)",
                 path);
        goto out;
    }
    int major = pre[6], minor = pre[7];
    if (major < 1 || major > 3) {
        fail(err, errlen, "'%s': unsupported .npy format version %d.%d (1.0, 2.0, 3.0 are "
             "known)", path, major, minor);
        goto out;
    }
    int lenbytes = major == 1 ? 2 : 4;
    size_t pre_len = 8 + (size_t)lenbytes;
    if (got < 10 || (lenbytes == 4 && fread(pre + 10, 1, 2, f) != 2)) {
        fail(err, errlen, "'%s': truncated .npy file: ends at byte offset %zu, inside the "
             "header length field", path, got < 10 ? got : (size_t)10);
        goto out;
    }
    uint32_t hlen = read_le(pre + 8, lenbytes);
    if (hlen > NPY_MAX_HEADER) {
        fail(err, errlen, "'%s': .npy header length %u at byte offset 8 is implausible", path,
             (unsigned)hlen);
        goto out;
    }
    header = malloc(hlen + 1);
    if (!header) {
        fail(err, errlen, "'%s': out of memory", path);
        goto out;
    }
    got = fread(header, 1, hlen, f);
    if (got != hlen) {
        fail(err, errlen, "'%s': truncated .npy file: the header needs bytes %zu..%zu but the "
             "file ends at byte offset %zu", path, pre_len, pre_len + hlen, pre_len + got);
        goto out;
    }
    header[hlen] = '\0';
    /* Trailing padding and '\n' are not part of the dict; drop them for messages. */
    for (size_t e = hlen; e > 0 && (header[e - 1] == ' ' || header[e - 1] == '\n'); e--)
        header[e - 1] = '\0';

    /* Parse the dict. */
    hparser h = {header, header + strlen(header)};
    char descr[32] = "", key[32];
    bool have_descr = false, have_shape = false, have_order = false, fortran = false;
    bool too_many = false;
    if (!accept(&h, '{'))
        goto bad_header;
    while (!accept(&h, '}')) {
        if (!parse_str(&h, key, sizeof key) || !accept(&h, ':'))
            goto bad_header;
        if (strcmp(key, "descr") == 0) {
            skip_ws(&h);
            if (h.p < h.end && *h.p == '[') {
                fail(err, errlen, "'%s': structured (record) dtypes are not supported", path);
                goto out;
            }
            if (!parse_str(&h, descr, sizeof descr))
                goto bad_header;
            have_descr = true;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (parse_word(&h, "True"))
                fortran = true;
            else if (!parse_word(&h, "False"))
                goto bad_header;
            have_order = true;
        } else if (strcmp(key, "shape") == 0) {
            if (!parse_shape(&h, &out->rank, out->dims, &too_many))
                goto bad_header;
            have_shape = true;
        } else {
            fail(err, errlen, "'%s': unexpected key '%s' in the .npy header (numpy writes only "
                 "descr, fortran_order, shape)", path, key);
            goto out;
        }
        if (!accept(&h, ',')) {
            if (!accept(&h, '}'))
                goto bad_header;
            break;
        }
    }
    if (!have_descr || !have_shape || !have_order) {
        fail(err, errlen, "'%s': .npy header lacks '%s': %.200s", path,
             !have_descr ? "descr" : !have_shape ? "shape" : "fortran_order", header);
        goto out;
    }
    if (fortran) {
        fail(err, errlen, "'%s': fortran_order=True arrays are not supported; save a C-order "
             "array (np.save(path, np.ascontiguousarray(a)))", path);
        goto out;
    }
    if (too_many) {
        fail(err, errlen, "'%s': array has %d dimensions; edgert supports at most %d", path,
             out->rank, NPY_MAX_RANK);
        goto out;
    }
    bool swap;
    if (!parse_descr(descr, &out->dtype, &swap)) {
        fail(err, errlen, "'%s': unsupported .npy dtype '%s' (supported: float16/32/64, "
             "int8/16/32/64, uint8/16/32/64, bool)", path, descr);
        goto out;
    }

    size_t es = ert_dtype_size(out->dtype);
    int64_t numel = 1, bytes;
    for (int i = 0; i < out->rank; i++)
        if (!mul_ok(numel, out->dims[i], &numel))
            goto too_big;
    if (!mul_ok(numel, (int64_t)es, &bytes) || bytes > NPY_MAX_DATA)
        goto too_big;
    out->nbytes = (size_t)bytes;
    size_t data_off = pre_len + hlen;
    /* a header may claim gigabytes in a file of a few bytes: compare with the file's
     * size before allocating (found by tests/fuzz/fuzz_npy.c) */
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) &&
        (uint64_t)sb.st_size < (uint64_t)data_off + out->nbytes) {
        fail(err, errlen, "'%s': truncated .npy file: shape and dtype '%s' need %zu data bytes "
             "from byte offset %zu, but the file ends at byte offset %lld", path, descr,
             out->nbytes, data_off, (long long)sb.st_size);
        goto out;
    }
    out->data = malloc(out->nbytes ? out->nbytes : 1);
    if (!out->data) {
        fail(err, errlen, "'%s': out of memory for %zu bytes of data", path, out->nbytes);
        goto out;
    }
    got = fread(out->data, 1, out->nbytes, f);
    if (got != out->nbytes) {
        fail(err, errlen, "'%s': truncated .npy file: shape and dtype '%s' need %zu data bytes "
             "from byte offset %zu, but the file ends at byte offset %zu", path, descr,
             out->nbytes, data_off, data_off + got);
        goto out;
    }
    if (swap)
        byteswap(out->data, (size_t)numel, es);
    rc = 0;
    goto out;

too_big:
    fail(err, errlen, "'%s': array size overflows (shape too large)", path);
    goto out;
bad_header:
    fail(err, errlen, "'%s': malformed .npy header at byte offset %zu: %.200s", path,
         pre_len + (size_t)(h.p - header), header);
out:
    if (rc != 0)
        npy_free(out);
    free(header);
    fclose(f);
    return rc;
}

int npy_write(const char *path, ert_dtype dtype, int rank, const int64_t *dims, const void *data,
              size_t nbytes, char *err, size_t errlen)
{
    const char *descr = npy_descr(dtype);
    if (!descr)
        return fail(err, errlen, "'%s': numpy has no %s dtype", path, ert_dtype_name(dtype));
    if (!host_little_endian())
        return fail(err, errlen, "'%s': writing .npy on big-endian hosts is not implemented",
                    path);
    /* Header: preamble (10) + dict + spaces + '\n', total a multiple of NPY_ALIGN. */
    char dict[512];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (",
                     descr);
    for (int i = 0; i < rank; i++)
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%s%lld", i ? ", " : "",
                      (long long)dims[i]);
    n += snprintf(dict + n, sizeof dict - (size_t)n, "%s), }", rank == 1 ? "," : "");
    size_t total = 10 + (size_t)n + 1;
    total = (total + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
    size_t hlen = total - 10;
    unsigned char pre[10];
    memcpy(pre, NPY_MAGIC, NPY_MAGIC_LEN);
    pre[6] = 1;
    pre[7] = 0;
    pre[8] = (unsigned char)(hlen & 0xff);
    pre[9] = (unsigned char)(hlen >> 8);
    char pad[NPY_ALIGN];
    memset(pad, ' ', sizeof pad);

    FILE *f = fopen(path, "wb");
    if (!f)
        return fail(err, errlen, "cannot create '%s': %s", path, strerror(errno));
    size_t npad = hlen - (size_t)n - 1;
    bool ok = fwrite(pre, 1, sizeof pre, f) == sizeof pre &&
              fwrite(dict, 1, (size_t)n, f) == (size_t)n && fwrite(pad, 1, npad, f) == npad &&
              fputc('\n', f) != EOF && (nbytes == 0 || fwrite(data, 1, nbytes, f) == nbytes);
    if (fclose(f) != 0)
        ok = false;
    if (!ok)
        return fail(err, errlen, "error writing '%s': %s", path, strerror(errno));
    return 0;
}

void npy_free(npy_array *a)
{
    free(a->data);
    a->data = NULL;
    a->nbytes = 0;
}
