/*
 * tensor.c - tensor descriptions: sizes, allocation, copies, half-precision conversion.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#include "ops/op.h"

size_t ert_dtype_size_(ert_dtype t)
{
    switch (t) {
    case ERT_DTYPE_FLOAT32: case ERT_DTYPE_INT32: case ERT_DTYPE_UINT32: return 4;
    case ERT_DTYPE_UINT8: case ERT_DTYPE_INT8: case ERT_DTYPE_BOOL: return 1;
    case ERT_DTYPE_UINT16: case ERT_DTYPE_INT16: case ERT_DTYPE_FLOAT16:
    case ERT_DTYPE_BFLOAT16: return 2;
    case ERT_DTYPE_INT64: case ERT_DTYPE_FLOAT64: case ERT_DTYPE_UINT64: return 8;
    default: return 0;
    }
}

size_t ert_dtype_size(ert_dtype t) { return ert_dtype_size_(t); }

const char *ert_dtype_name(ert_dtype t)
{
    switch (t) {
    case ERT_DTYPE_FLOAT32: return "float32";
    case ERT_DTYPE_UINT8: return "uint8";
    case ERT_DTYPE_INT8: return "int8";
    case ERT_DTYPE_UINT16: return "uint16";
    case ERT_DTYPE_INT16: return "int16";
    case ERT_DTYPE_INT32: return "int32";
    case ERT_DTYPE_INT64: return "int64";
    case ERT_DTYPE_STRING: return "string";
    case ERT_DTYPE_BOOL: return "bool";
    case ERT_DTYPE_FLOAT16: return "float16";
    case ERT_DTYPE_FLOAT64: return "float64";
    case ERT_DTYPE_UINT32: return "uint32";
    case ERT_DTYPE_UINT64: return "uint64";
    case ERT_DTYPE_BFLOAT16: return "bfloat16";
    default: return "unknown-dtype";
    }
}

bool ert_dtype_is_float(ert_dtype t)
{
    return t == ERT_DTYPE_FLOAT32 || t == ERT_DTYPE_FLOAT16 || t == ERT_DTYPE_FLOAT64 ||
           t == ERT_DTYPE_BFLOAT16;
}

bool ert_dtype_is_int(ert_dtype t)
{
    switch (t) {
    case ERT_DTYPE_INT8: case ERT_DTYPE_UINT8: case ERT_DTYPE_INT16: case ERT_DTYPE_UINT16:
    case ERT_DTYPE_INT32: case ERT_DTYPE_UINT32: case ERT_DTYPE_INT64: case ERT_DTYPE_UINT64:
        return true;
    default:
        return false;
    }
}

bool ert_dtype_is_unsigned(ert_dtype t)
{
    return t == ERT_DTYPE_UINT8 || t == ERT_DTYPE_UINT16 || t == ERT_DTYPE_UINT32 ||
           t == ERT_DTYPE_UINT64 || t == ERT_DTYPE_BOOL;
}

int64_t ert_tensor_numel(const ert_tensor *t)
{
    if (t->rank < 0)
        return -1;
    int64_t n = 1;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i] < 0)
            return -1;
        if (!ert_mul_ok(n, t->dims[i], &n))
            return -2;
    }
    return n;
}

bool ert_tensor_shape_known(const ert_tensor *t)
{
    return ert_tensor_numel(t) >= 0;
}

void ert_tensor_set_shape(ert_tensor *t, int rank, const int64_t *dims)
{
    t->rank = rank;
    for (int i = 0; i < rank && i < ERT_MAX_RANK; i++)
        t->dims[i] = dims[i];
}

/* Largest tensor we agree to allocate: beyond this a size is taken as a corrupt model.
 * Fuzz builds lower it (CMake ERT_FUZZ) so absurd sizes fail fast. */


ert_status ert_tensor_alloc(ert_tensor *t)
{
    int64_t n = ert_tensor_numel(t);
    size_t es = ert_dtype_size_(t->dtype);
    int64_t bytes;
    if (n < 0 || es == 0 || !ert_mul_ok(n, (int64_t)es, &bytes) || bytes > ERT_MAX_TENSOR_BYTES)
        return ERT_ERR_NO_MEMORY;
    if ((size_t)bytes > t->capacity || t->data == NULL) {
        size_t cap = bytes ? (size_t)bytes : 1;
        void *p = t->capacity ? realloc(t->data, cap) : malloc(cap);
        if (!p)
            return ERT_ERR_NO_MEMORY;
        t->data = p;
        t->capacity = cap;
    }
    t->nbytes = (size_t)bytes;
    return ERT_OK;
}

/* Frees a sequence's elements and slot array. */
static void seq_release(ert_tensor *t)
{
    for (int64_t i = 0; t->seq && i < t->seq_len; i++)
        ert_tensor_free_data(&t->seq[i]);
    free(t->seq);
    t->seq = NULL;
    t->seq_len = t->seq_cap = 0;
}

static void dense_release(ert_tensor *t)
{
    if (t->capacity)
        free(t->data);
    t->data = NULL;
    t->capacity = 0;
    t->nbytes = 0;
}

void ert_tensor_free_data(ert_tensor *t)
{
    dense_release(t);
    seq_release(t);
}

const char *ert_tensor_kind_str(const ert_tensor *t)
{
    if (t->is_none)
        return t->kind == ERT_TENSOR_SEQUENCE ? "an empty optional sequence"
                                              : "an empty optional";
    return t->kind == ERT_TENSOR_SEQUENCE ? "a sequence" : "a tensor";
}

void ert_tensor_set_kind(ert_tensor *t, ert_tensor_kind kind)
{
    if (kind == ERT_TENSOR_SEQUENCE)
        dense_release(t);
    else
        seq_release(t);
    t->kind = kind;
    t->is_none = false;
}

void ert_seq_reset(ert_tensor *t, ert_dtype dtype)
{
    ert_tensor_set_kind(t, ERT_TENSOR_SEQUENCE);
    for (int64_t i = 0; t->seq && i < t->seq_len; i++)
        ert_tensor_free_data(&t->seq[i]);
    t->seq_len = 0;
    t->dtype = dtype;
    t->rank = 0;
}

void ert_tensor_set_none(ert_tensor *t, ert_tensor_kind kind, ert_dtype dtype)
{
    ert_tensor_set_kind(t, kind);
    if (kind == ERT_TENSOR_SEQUENCE)
        ert_seq_reset(t, dtype);
    t->dtype = dtype;
    t->rank = 0;
    t->is_none = true;
}

/* Longest sequence we agree to build: far beyond any real model, small enough that
 * slot arithmetic cannot overflow. */
#define ERT_MAX_SEQ_LEN ((int64_t)1 << 24)

ert_status ert_seq_insert(ert_tensor *t, int64_t pos, const ert_tensor *elem)
{
    if (t->kind != ERT_TENSOR_SEQUENCE || pos < 0 || pos > t->seq_len ||
        !ert_tensor_is_dense(elem))
        return ERT_ERR_INTERNAL;
    if (t->seq_len >= ERT_MAX_SEQ_LEN)
        return ERT_ERR_NO_MEMORY;
    if (t->seq_len == t->seq_cap) {
        int64_t cap = t->seq_cap ? t->seq_cap * 2 : 8;
        ert_tensor *p = realloc(t->seq, sizeof(ert_tensor) * (size_t)cap);
        if (!p)
            return ERT_ERR_NO_MEMORY;
        t->seq = p;
        t->seq_cap = cap;
    }
    ert_tensor e;
    memset(&e, 0, sizeof e);
    ert_status s = ert_tensor_copy(&e, elem);
    if (s != ERT_OK) {
        ert_tensor_free_data(&e);
        return s;
    }
    e.quant = NULL;
    e.is_optional = false;
    memmove(&t->seq[pos + 1], &t->seq[pos], sizeof(ert_tensor) * (size_t)(t->seq_len - pos));
    t->seq[pos] = e;
    t->seq_len++;
    return ERT_OK;
}

void ert_seq_erase(ert_tensor *t, int64_t pos)
{
    if (t->kind != ERT_TENSOR_SEQUENCE || pos < 0 || pos >= t->seq_len)
        return;
    ert_tensor_free_data(&t->seq[pos]);
    memmove(&t->seq[pos], &t->seq[pos + 1], sizeof(ert_tensor) * (size_t)(t->seq_len - pos - 1));
    t->seq_len--;
}

ert_status ert_tensor_copy(ert_tensor *dst, const ert_tensor *src)
{
    if (dst == src)
        return ERT_OK;
    if (src->kind == ERT_TENSOR_SEQUENCE || src->is_none) {
        if (src->is_none) {
            ert_tensor_set_none(dst, src->kind, src->dtype);
            return ERT_OK;
        }
        ert_seq_reset(dst, src->dtype);
        ert_tensor_set_shape(dst, src->rank, src->dims);
        for (int64_t i = 0; i < src->seq_len; i++) {
            ert_status s = ert_seq_insert(dst, i, &src->seq[i]);
            if (s != ERT_OK)
                return s;
        }
        return ERT_OK;
    }
    ert_tensor_set_kind(dst, ERT_TENSOR_DENSE);
    dst->dtype = src->dtype;
    dst->layout = src->layout;
    dst->quant = src->quant;
    ert_tensor_set_shape(dst, src->rank, src->dims);
    ert_status s = ert_tensor_alloc(dst);
    if (s != ERT_OK)
        return s;
    if (src->data && src->nbytes)
        memcpy(dst->data, src->data, src->nbytes < dst->nbytes ? src->nbytes : dst->nbytes);
    return ERT_OK;
}

int64_t ert_tensor_get_i64(const ert_tensor *t, int64_t i)
{
    return ert_load_i64(t->dtype, t->data, i);
}

double ert_tensor_get_f64(const ert_tensor *t, int64_t i)
{
    return ert_load_f64(t->dtype, t->data, i);
}

int ert_sym_dim_str(char *buf, size_t len, const char *sep, const char *name)
{
    bool plain = (name[0] < '0' || name[0] > '9') && name[0] != '\0';
    for (const char *c = name; *c && plain; c++)
        plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                (*c >= '0' && *c <= '9') || *c == '_';
    return snprintf(buf, len, plain ? "%s%s" : "%s{%s}", sep, name);
}

const char *ert_shape_str(const ert_tensor *t, const ert_graph *g, char *buf, size_t len)
{
    if (t->rank < 0) {
        snprintf(buf, len, "?");
        return buf;
    }
    if (t->rank == 0) {
        snprintf(buf, len, "scalar");
        return buf;
    }
    size_t pos = 0;
    buf[0] = '\0';
    for (int i = 0; i < t->rank && pos < len; i++) {
        int64_t d = t->dims[i];
        const char *sep = i ? "x" : "";
        int w;
        if (d >= 0)
            w = snprintf(buf + pos, len - pos, "%s%lld", sep, (long long)d);
        else if (d <= -2 && g && (-2 - d) < g->n_syms)
            w = ert_sym_dim_str(buf + pos, len - pos, sep, g->syms[-2 - d]);
        else
            w = snprintf(buf + pos, len - pos, "%s?", sep);
        if (w < 0)
            break;
        pos += (size_t)w;
    }
    return buf;
}

float ert_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: value = man * 2^-24 */
            float f = (float)man * 5.9604644775390625e-8f;
            return sign ? -f : f;
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t ert_float_to_half(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t exp = (x >> 23) & 0xff;
    uint32_t man = x & 0x7fffff;
    if (exp == 0xff) /* inf / nan */
        return (uint16_t)(sign | 0x7c00 | (man ? 0x200 | (man >> 13) : 0));
    int32_t e = (int32_t)exp - 127 + 15;
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00);
    if (e <= 0) { /* subnormal or zero */
        if (e < -10)
            return (uint16_t)sign;
        man |= 0x800000;
        uint32_t shift = (uint32_t)(14 - e);
        uint32_t h = man >> shift;
        uint32_t rem = man & ((1u << shift) - 1);
        uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1)))
            h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)e << 10) | (man >> 13);
    uint32_t rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
        h++; /* may carry into the exponent: still correct, up to inf */
    return (uint16_t)(sign | h);
}

float ert_bf16_to_float(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t ert_float_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffff) > 0x7f800000)
        return (uint16_t)((x >> 16) | 0x40);
    uint32_t lsb = (x >> 16) & 1;
    x += 0x7fff + lsb;
    return (uint16_t)(x >> 16);
}
