/*
 * wire_scan.c - a pre-scan of a serialized ModelProto that enforces limits.h.
 *
 * Walks the protobuf wire format with an explicit stack (no recursion), guided by the
 * protobuf-c descriptors generated from onnx.proto: a length-delimited field of message
 * type is entered, every other field is skipped. Counting happens on the way: nodes,
 * values, initializers, elements of list fields, string lengths. Fields onnx.proto does
 * not know are skipped as protobuf-c skips them. Malformed framing (a varint that does
 * not end, a length past its message) is reported with its file offset.
 */
#include <stdint.h>
#include <string.h>

#include "import/limits.h"
#include "onnx.pb-c.h"

typedef struct scan_frame {
    const uint8_t *end;                     /* end of this message's bytes */
    const ProtobufCMessageDescriptor *desc; /* its type */
    int64_t list_elems;                     /* elements of its limited list field(s) */
} scan_frame;

typedef struct scan_state {
    const uint8_t *base;
    int64_t nodes, values, inits;
    ert_err *err;
} scan_state;

static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return -1;
}

/* Limit on the list field `f` of message `d` (elements per message), 0 if none. */
static int64_t list_limit(const ProtobufCMessageDescriptor *d, const ProtobufCFieldDescriptor *f)
{
    if (f->label != PROTOBUF_C_LABEL_REPEATED)
        return 0;
    if ((d == &onnx__tensor_shape_proto__descriptor && strcmp(f->name, "dim") == 0) ||
        (d == &onnx__tensor_proto__descriptor && strcmp(f->name, "dims") == 0))
        return ERT_LIMIT_RANK;
    if (d == &onnx__attribute_proto__descriptor)
        return ERT_LIMIT_ATTR_ELEMS;
    return 0;
}

static ert_status too_many(scan_state *s, const uint8_t *at, const char *what, int64_t limit,
                           const char *name)
{
    return ert_errf(s->err, ERT_ERR_UNSUPPORTED, "the model has more than %lld %s (%s; at file "
                    "offset %zu): edgert refuses such files", (long long)limit, what, name,
                    (size_t)(at - s->base));
}

/* Counts one occurrence of field f in message d (n elements: > 1 for packed lists). */
static ert_status count_field(scan_state *s, scan_frame *fr, const ProtobufCFieldDescriptor *f,
                              int64_t n, const uint8_t *at)
{
    const ProtobufCMessageDescriptor *d = fr->desc;
    if (d == &onnx__graph_proto__descriptor) {
        if (!strcmp(f->name, "node") && (s->nodes += n) > ERT_LIMIT_NODES)
            return too_many(s, at, "nodes", ERT_LIMIT_NODES, "ERT_LIMIT_NODES");
        if ((!strcmp(f->name, "initializer") || !strcmp(f->name, "sparse_initializer")) &&
            (s->inits += n) > ERT_LIMIT_INITIALIZERS)
            return too_many(s, at, "initializers", ERT_LIMIT_INITIALIZERS,
                            "ERT_LIMIT_INITIALIZERS");
        if (!strcmp(f->name, "input") || !strcmp(f->name, "initializer"))
            s->values += n;
    } else if (d == &onnx__node_proto__descriptor && !strcmp(f->name, "output")) {
        s->values += n;
    }
    if (s->values > ERT_LIMIT_VALUES)
        return too_many(s, at, "values", ERT_LIMIT_VALUES, "ERT_LIMIT_VALUES");
    int64_t lim = list_limit(d, f);
    if (lim && (fr->list_elems += n) > lim)
        return ert_errf(s->err, ERT_ERR_UNSUPPORTED, "%s '%s' at file offset %zu has more than "
                        "%lld elements (%s)", d->short_name, f->name, (size_t)(at - s->base),
                        (long long)lim, lim == ERT_LIMIT_RANK ? "ERT_LIMIT_RANK"
                                                              : "ERT_LIMIT_ATTR_ELEMS");
    return ERT_OK;
}

/* Elements in a packed repeated field's payload. */
static int64_t packed_count(const ProtobufCFieldDescriptor *f, const uint8_t *p, uint64_t len)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_FLOAT: case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_SFIXED32:
        return (int64_t)(len / 4);
    case PROTOBUF_C_TYPE_DOUBLE: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_SFIXED64:
        return (int64_t)(len / 8);
    default: {
        int64_t n = 0;
        for (uint64_t i = 0; i < len; i++)
            n += !(p[i] & 0x80);
        return n;
    }
    }
}

static ert_status check_string(scan_state *s, const scan_frame *fr,
                               const ProtobufCFieldDescriptor *f, uint64_t len, const uint8_t *at)
{
    uint64_t lim = 0;
    const char *name = NULL;
    /* doc strings and metadata_props (some exporters store vocabularies there) are
     * free text edgert never reads: no limit beyond the file's size */
    if (f->type == PROTOBUF_C_TYPE_STRING && strcmp(f->name, "doc_string") != 0 &&
        fr->desc != &onnx__string_string_entry_proto__descriptor) {
        lim = ERT_LIMIT_NAME_BYTES;
        name = "ERT_LIMIT_NAME_BYTES";
    } else if (fr->desc == &onnx__attribute_proto__descriptor && f->type == PROTOBUF_C_TYPE_BYTES) {
        lim = ERT_LIMIT_ATTR_STRING_BYTES;
        name = "ERT_LIMIT_ATTR_STRING_BYTES";
    }
    if (!lim || len <= lim)
        return ERT_OK;
    return ert_errf(s->err, ERT_ERR_UNSUPPORTED, "%s '%s' at file offset %zu is %llu bytes long; "
                    "edgert accepts up to %llu (%s)", fr->desc->short_name, f->name,
                    (size_t)(at - s->base), (unsigned long long)len, (unsigned long long)lim,
                    name);
}

static ert_status malformed(scan_state *s, const uint8_t *at, const char *what)
{
    return ert_errf(s->err, ERT_ERR_PARSE, "not a valid ONNX model: %s at file offset %zu (the "
                    "file is truncated, corrupt or not an .onnx file)", what,
                    (size_t)(at - s->base));
}

/* A length-delimited field of frame fr: enter it (message) or skip it, counting. */
static ert_status scan_delimited(scan_state *s, scan_frame *stack, int *top,
                                 const ProtobufCFieldDescriptor *f, const uint8_t **p,
                                 const uint8_t *at)
{
    scan_frame *fr = &stack[*top];
    uint64_t len;
    if (read_varint(p, fr->end, &len) != 0 || len > (uint64_t)(fr->end - *p))
        return malformed(s, at, "a length-delimited field runs past its message");
    ert_status st = ERT_OK;
    if (!f) {
        *p += len;
        return ERT_OK;
    }
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
        if ((st = count_field(s, fr, f, 1, at)) != ERT_OK)
            return st;
        if (*top + 1 >= ERT_LIMIT_PROTO_DEPTH)
            return ert_errf(s->err, ERT_ERR_UNSUPPORTED, "the model nests messages deeper than "
                            "%d levels (ERT_LIMIT_PROTO_DEPTH; %s '%s' at file offset %zu)",
                            ERT_LIMIT_PROTO_DEPTH, fr->desc->short_name, f->name,
                            (size_t)(at - s->base));
        stack[++*top] = (scan_frame){.end = *p + len, .desc = f->descriptor, .list_elems = 0};
        return ERT_OK;
    }
    if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_BYTES)
        st = check_string(s, fr, f, len, at);
    if (st == ERT_OK)
        st = count_field(s, fr, f, (f->type == PROTOBUF_C_TYPE_STRING ||
                                    f->type == PROTOBUF_C_TYPE_BYTES) ? 1
                                   : packed_count(f, *p, len), at);
    *p += len;
    return st;
}

/* Skips a scalar field of wire type wt. */
static ert_status skip_scalar(scan_state *s, const scan_frame *fr, unsigned wt,
                              const uint8_t **p, const uint8_t *at)
{
    uint64_t v;
    size_t n = wt == 1 ? 8 : 4;
    if (wt == 0)
        return read_varint(p, fr->end, &v) == 0 ? ERT_OK : malformed(s, at, "a varint does not end");
    if (wt != 1 && wt != 5)
        return malformed(s, at, "an unknown wire type");
    if ((size_t)(fr->end - *p) < n)
        return malformed(s, at, "a fixed-size field runs past its message");
    *p += n;
    return ERT_OK;
}

ert_status ert_wire_scan_model(const void *data, size_t size, ert_err *err)
{
    scan_frame stack[ERT_LIMIT_PROTO_DEPTH];
    scan_state s = {.base = data, .err = err};
    const uint8_t *p = data;
    int top = 0;
    stack[0] = (scan_frame){.end = p + size, .desc = &onnx__model_proto__descriptor};
    while (top > 0 || p < stack[0].end) {
        if (p == stack[top].end) {
            top--;
            continue;
        }
        const uint8_t *at = p;
        uint64_t tag;
        if (read_varint(&p, stack[top].end, &tag) != 0)
            return malformed(&s, at, "a field tag does not end");
        unsigned wt = (unsigned)(tag & 7);
        const ProtobufCFieldDescriptor *f =
            tag >> 3 <= UINT32_MAX
                ? protobuf_c_message_descriptor_get_field(stack[top].desc, (unsigned)(tag >> 3))
                : NULL;
        ert_status st;
        if (wt == 2)
            st = scan_delimited(&s, stack, &top, f, &p, at);
        else if ((st = skip_scalar(&s, &stack[top], wt, &p, at)) == ERT_OK && f)
            st = count_field(&s, &stack[top], f, 1, at);
        if (st != ERT_OK)
            return st;
    }
    return ERT_OK;
}
