/*
 * inputs.c - model, inputs and context from the command line (see inputs.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "inputs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ir/ir.h"

#define ERRLEN 1024
#define MAX_RANDOM_INT 10 /* random integer inputs lie in [0, MAX_RANDOM_INT) */
#define MAX_SYMBOLS 64    /* distinct symbolic dim names bound across the inputs */
#ifndef MAX_INPUT_BYTES /* fuzz builds cap it lower (tests/fuzz/fuzz_cli_inputs.c) */
#define MAX_INPUT_BYTES ((int64_t)1 << 40)
#endif

typedef struct sym_binding {
    const char *name;         /* the model's dim name */
    int64_t value;
    const char *from;         /* input that fixed it */
} sym_binding;

/* State of one resolution: the inputs and the symbols bound so far. */
typedef struct resolver {
    const char *cmd;
    FILE *log;
    cli_input *in;
    int n;
    sym_binding binds[MAX_SYMBOLS];
    int nb;
} resolver;

/* ---- small helpers ---- */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

const char *cli_dims_str(int rank, const int64_t *dims, char *buf, size_t len)
{
    if (rank < 0) {
        snprintf(buf, len, "?");
        return buf;
    }
    if (rank == 0) {
        snprintf(buf, len, "scalar");
        return buf;
    }
    size_t pos = 0;
    buf[0] = '\0';
    for (int i = 0; i < rank && pos < len; i++) {
        int w = snprintf(buf + pos, len - pos, "%s%lld", i ? "x" : "", (long long)dims[i]);
        if (w < 0)
            break;
        pos += (size_t)w;
    }
    return buf;
}

/* The model's shape with symbolic dims by name ("1x3xheightxwidth"). */
static const char *info_shape_str(const ert_tensor_info *t, char *buf, size_t len)
{
    if (t->rank <= 0)
        return cli_dims_str(t->rank, t->dims, buf, len);
    size_t pos = 0;
    buf[0] = '\0';
    for (int i = 0; i < t->rank && pos < len; i++) {
        const char *sep = i ? "x" : "";
        int w;
        if (t->dims[i] >= 0)
            w = snprintf(buf + pos, len - pos, "%s%lld", sep, (long long)t->dims[i]);
        else if (t->dim_names[i] && t->dim_names[i][0])
            w = ert_sym_dim_str(buf + pos, len - pos, sep, t->dim_names[i]);
        else
            w = snprintf(buf + pos, len - pos, "%s?", sep);
        if (w < 0)
            break;
        pos += (size_t)w;
    }
    return buf;
}

static const char *dim_label(const ert_tensor_info *t, int i, char *buf, size_t len)
{
    if (t->dims[i] >= 0)
        snprintf(buf, len, "dim %d", i);
    else if (t->dim_names[i] && t->dim_names[i][0])
        snprintf(buf, len, "dim %d ('%s')", i, t->dim_names[i]);
    else
        snprintf(buf, len, "dim %d (unnamed)", i);
    return buf;
}

static int find_input(const resolver *r, const char *name, size_t len)
{
    for (int i = 0; i < r->n; i++)
        if (strlen(r->in[i].info.name) == len && strncmp(r->in[i].info.name, name, len) == 0)
            return i;
    return -1;
}

static void list_inputs(const resolver *r)
{
    fprintf(stderr, "  model inputs:");
    for (int i = 0; i < r->n; i++) {
        char sh[256];
        fprintf(stderr, "%s '%s' (%s %s)", i ? "," : "", r->in[i].info.name,
                ert_dtype_name(r->in[i].info.dtype), info_shape_str(&r->in[i].info, sh, sizeof sh));
    }
    fprintf(stderr, "%s\n", r->n ? "" : " none");
}

/* Binds symbol name to value; false on a conflicting earlier binding. */
static bool bind_symbol(resolver *r, const char *name, int64_t value, const char *input, int dim)
{
    if (!name || !name[0])
        return true;
    for (int i = 0; i < r->nb; i++) {
        const sym_binding *b = &r->binds[i];
        if (strcmp(b->name, name) != 0)
            continue;
        if (b->value == value)
            return true;
        cli_error(r->cmd, "input '%s' dim %d ('%s') is %lld but input '%s' gave '%s' = %lld "
                  "(dims with one name must agree)", input, dim, name, (long long)value,
                  b->from, name, (long long)b->value);
        return false;
    }
    if (r->nb < MAX_SYMBOLS)
        r->binds[r->nb++] = (sym_binding){name, value, input};
    return true;
}

/* Checks a concrete shape against the model's; binds symbols. what: "file 'x.npy'". */
static bool check_shape(resolver *r, const cli_input *p, int rank, const int64_t *dims,
                        const char *what)
{
    const ert_tensor_info *t = &p->info;
    char s1[256], s2[256], dl[96];
    if (t->rank >= 0 && rank != t->rank) {
        cli_error(r->cmd, "input '%s': %s has shape %s (rank %d) but the model expects %s "
                  "(rank %d)", t->name, what, cli_dims_str(rank, dims, s1, sizeof s1), rank,
                  info_shape_str(t, s2, sizeof s2), t->rank);
        return false;
    }
    for (int i = 0; i < rank && t->rank >= 0; i++) {
        if (dims[i] < 0) {
            cli_error(r->cmd, "input '%s': %s has a negative dim", t->name, what);
            return false;
        }
        if (t->dims[i] >= 0 && t->dims[i] != dims[i]) {
            cli_error(r->cmd, "input '%s': %s has shape %s but the model expects %s: %s must "
                      "be %lld, got %lld", t->name, what, cli_dims_str(rank, dims, s1, sizeof s1),
                      info_shape_str(t, s2, sizeof s2), dim_label(t, i, dl, sizeof dl),
                      (long long)t->dims[i], (long long)dims[i]);
            return false;
        }
        if (t->dims[i] < 0 && !bind_symbol(r, t->dim_names[i], dims[i], t->name, i))
            return false;
    }
    return true;
}

static void fill_random(void *data, ert_dtype dt, int64_t n, uint64_t seed, const char *name)
{
    uint64_t s = seed ^ fnv1a(name);
    for (int64_t i = 0; i < n; i++) {
        uint64_t r = splitmix64(&s);
        float f = (float)(r >> 40) * (1.0f / 16777216.0f); /* 24 bits: exact in float */
        int64_t k = (int64_t)(r % MAX_RANDOM_INT);
        switch (dt) {
        case ERT_DTYPE_FLOAT32: ((float *)data)[i] = f; break;
        case ERT_DTYPE_FLOAT64: ((double *)data)[i] = (double)(r >> 11) * (1.0 / 9007199254740992.0); break;
        case ERT_DTYPE_FLOAT16: ((uint16_t *)data)[i] = ert_float_to_half(f); break;
        case ERT_DTYPE_BFLOAT16: ((uint16_t *)data)[i] = ert_float_to_bf16(f); break;
        case ERT_DTYPE_BOOL: ((uint8_t *)data)[i] = (uint8_t)(r >> 63); break;
        case ERT_DTYPE_UINT8: ((uint8_t *)data)[i] = (uint8_t)k; break;
        case ERT_DTYPE_INT8: ((int8_t *)data)[i] = (int8_t)k; break;
        case ERT_DTYPE_UINT16: ((uint16_t *)data)[i] = (uint16_t)k; break;
        case ERT_DTYPE_INT16: ((int16_t *)data)[i] = (int16_t)k; break;
        case ERT_DTYPE_UINT32: ((uint32_t *)data)[i] = (uint32_t)k; break;
        case ERT_DTYPE_INT32: ((int32_t *)data)[i] = (int32_t)k; break;
        case ERT_DTYPE_UINT64: ((uint64_t *)data)[i] = (uint64_t)k; break;
        case ERT_DTYPE_INT64: ((int64_t *)data)[i] = k; break;
        default: break;
        }
    }
}

/* ---- 1. --shapes ---- */

/* One "NAME:DIMS" item (modified in place). */
static int apply_shape_item(resolver *r, char *item)
{
    char *colon = strrchr(item, ':'); /* last ':': names like "input:0" exist */
    if (!colon || colon == item)
        return cli_usage_error(r->cmd, "--shapes '%s': expected NAME:DIMS, e.g. "
                               "images:1x3x640x640", item);
    int idx = find_input(r, item, (size_t)(colon - item));
    *colon = '\0';
    if (idx < 0) {
        cli_error(r->cmd, "--shapes: the model has no input named '%s'", item);
        list_inputs(r);
        return CLI_EXIT_INPUT;
    }
    cli_input *p = &r->in[idx];
    if (p->has_shape)
        return cli_usage_error(r->cmd, "--shapes given twice for input '%s'", item);
    if (!cli_parse_dims(colon + 1, &p->shape_rank, p->shape_dims))
        return cli_usage_error(r->cmd, "--shapes %s:%s: DIMS must be sizes joined by 'x' "
                               "(e.g. 1x3x640x640, at most %d)", item, colon + 1, ERT_MAX_RANK);
    p->has_shape = true;
    if (!check_shape(r, p, p->shape_rank, p->shape_dims, "--shapes"))
        return CLI_EXIT_INPUT;
    return CLI_EXIT_OK;
}

static int apply_shapes(resolver *r, const cli_input_args *a)
{
    for (int k = 0; k < a->n_shapes; k++) {
        char *list = strdup(a->shapes[k]);
        if (!list) {
            cli_error(r->cmd, "out of memory");
            return CLI_EXIT_RUN;
        }
        char *save = NULL;
        int rc = CLI_EXIT_OK;
        for (char *item = strtok_r(list, ",", &save); item && rc == CLI_EXIT_OK;
             item = strtok_r(NULL, ",", &save))
            rc = apply_shape_item(r, item);
        free(list);
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    return CLI_EXIT_OK;
}

/* ---- 2. --input NAME=SPEC ---- */

/* Prefer a split whose NAME is a model input (names or paths may contain '='); else the
 * first '='. Returns the input's index, or -1 after reporting (*rc set). */
static int split_input_arg(resolver *r, const char *arg, const char **spec, int *rc)
{
    for (const char *q = strchr(arg, '='); q; q = strchr(q + 1, '=')) {
        int idx = find_input(r, arg, (size_t)(q - arg));
        if (idx >= 0) {
            *spec = q + 1;
            return idx;
        }
    }
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        *rc = cli_usage_error(r->cmd, "--input '%s': expected NAME=FILE.npy or "
                              "NAME=random[:SEED]", arg);
        return -1;
    }
    cli_error(r->cmd, "--input: the model has no input named '%.*s'", (int)(eq - arg), arg);
    list_inputs(r);
    *rc = CLI_EXIT_INPUT;
    return -1;
}

static int apply_input_arg(resolver *r, const char *arg)
{
    const char *spec = NULL;
    int rc = CLI_EXIT_OK;
    int idx = split_input_arg(r, arg, &spec, &rc);
    if (idx < 0)
        return rc;
    cli_input *p = &r->in[idx];
    if (p->file || p->random_explicit)
        return cli_usage_error(r->cmd, "--input given twice for input '%s'", p->info.name);
    if (strcmp(spec, "random") == 0 || strncmp(spec, "random:", 7) == 0) {
        p->random_explicit = true;
        p->seed = 0;
        if (spec[6] == ':') {
            char *end;
            errno = 0;
            p->seed = strtoull(spec + 7, &end, 0);
            if (errno || end == spec + 7 || *end || spec[7] == '-')
                return cli_usage_error(r->cmd, "--input %s: SEED must be a non-negative "
                                       "integer", arg);
        }
    } else if (!*spec) {
        return cli_usage_error(r->cmd, "--input '%s': empty file name", arg);
    } else {
        p->file = spec;
    }
    return CLI_EXIT_OK;
}

/* ---- files ---- */

static void report_dtype_mismatch(const resolver *r, const cli_input *p)
{
    const bool np_has = npy_descr(p->info.dtype) != NULL;
    cli_error(r->cmd, "input '%s': the model expects dtype %s but '%s' holds %s%s%s%s",
              p->info.name, ert_dtype_name(p->info.dtype), p->file,
              ert_dtype_name(p->arr.dtype),
              np_has ? " (convert it, e.g. a.astype(np." : " (numpy cannot hold this "
              "dtype: feed random data)",
              np_has ? (p->info.dtype == ERT_DTYPE_BOOL ? "bool_" : ert_dtype_name(p->info.dtype))
                     : "",
              np_has ? "))" : "");
}

static int load_file(resolver *r, cli_input *p)
{
    char err[ERRLEN], what[ERRLEN + 16], s1[256], s2[256];
    if (npy_read(p->file, &p->arr, err, sizeof err) != 0) {
        cli_error(r->cmd, "input '%s': %s", p->info.name, err);
        return CLI_EXIT_INPUT;
    }
    if (p->arr.dtype != p->info.dtype) {
        report_dtype_mismatch(r, p);
        return CLI_EXIT_INPUT;
    }
    if (p->has_shape) {
        bool same = p->shape_rank == p->arr.rank;
        for (int d = 0; same && d < p->arr.rank; d++)
            same = p->shape_dims[d] == p->arr.dims[d];
        if (!same) {
            cli_error(r->cmd, "input '%s': --shapes says %s but file '%s' has shape %s",
                      p->info.name, cli_dims_str(p->shape_rank, p->shape_dims, s1, sizeof s1),
                      p->file, cli_dims_str(p->arr.rank, p->arr.dims, s2, sizeof s2));
            return CLI_EXIT_INPUT;
        }
    }
    snprintf(what, sizeof what, "file '%s'", p->file);
    if (!check_shape(r, p, p->arr.rank, p->arr.dims, what))
        return CLI_EXIT_INPUT;
    p->rank = p->arr.rank;
    memcpy(p->dims, p->arr.dims, sizeof p->dims);
    p->nbytes = p->arr.nbytes;
    if (r->log)
        fprintf(r->log, "input  %-24s from %s (%s %s)\n", p->info.name, p->file,
                ert_dtype_name(p->arr.dtype), cli_dims_str(p->rank, p->dims, s1, sizeof s1));
    return CLI_EXIT_OK;
}

/* ---- 3. random inputs ---- */

/* Sizes symbolic dim d of a random input from a symbol bound earlier. */
static int random_dim_from_symbol(resolver *r, cli_input *p, int d)
{
    const ert_tensor_info *t = &p->info;
    char dl[96], ms[256];
    for (int j = 0; j < r->nb; j++) {
        if (!t->dim_names[d] || strcmp(r->binds[j].name, t->dim_names[d]) != 0)
            continue;
        p->dims[d] = r->binds[j].value;
        if (r->log)
            fprintf(r->log, "input  %-24s %s = %lld (as in input '%s')\n", t->name,
                    dim_label(t, d, dl, sizeof dl), (long long)r->binds[j].value,
                    r->binds[j].from);
        return CLI_EXIT_OK;
    }
    cli_error(r->cmd, "input '%s' (%s %s): %s is symbolic; give the shape with --shapes "
              "%s:DIMS or feed a .npy file", t->name, ert_dtype_name(t->dtype),
              info_shape_str(t, ms, sizeof ms), dim_label(t, d, dl, sizeof dl), t->name);
    return CLI_EXIT_INPUT;
}

static int random_shape(resolver *r, cli_input *p)
{
    const ert_tensor_info *t = &p->info;
    if (p->has_shape) {
        p->rank = p->shape_rank;
        memcpy(p->dims, p->shape_dims, sizeof p->dims);
        return CLI_EXIT_OK;
    }
    if (t->rank < 0) {
        cli_error(r->cmd, "input '%s' has unknown rank: give its shape with --shapes %s:DIMS",
                  t->name, t->name);
        return CLI_EXIT_INPUT;
    }
    p->rank = t->rank;
    for (int d = 0; d < t->rank; d++) {
        p->dims[d] = t->dims[d];
        int rc = t->dims[d] >= 0 ? CLI_EXIT_OK : random_dim_from_symbol(r, p, d);
        if (rc != CLI_EXIT_OK)
            return rc;
    }
    return CLI_EXIT_OK;
}

static int random_data(resolver *r, cli_input *p)
{
    const ert_tensor_info *t = &p->info;
    char sh[256];
    size_t es = ert_dtype_size(t->dtype);
    if (es == 0 || t->dtype == ERT_DTYPE_STRING) {
        cli_error(r->cmd, "input '%s': cannot make random data of dtype %s; feed a file",
                  t->name, ert_dtype_name(t->dtype));
        return CLI_EXIT_INPUT;
    }
    int64_t numel = 1, bytes;
    for (int d = 0; d < p->rank; d++)
        if (!ert_mul_ok(numel, p->dims[d], &numel))
            numel = -1;
    if (numel < 0 || !ert_mul_ok(numel, (int64_t)es, &bytes) || bytes > MAX_INPUT_BYTES) {
        cli_error(r->cmd, "input '%s': shape %s is too large", t->name,
                  cli_dims_str(p->rank, p->dims, sh, sizeof sh));
        return CLI_EXIT_INPUT;
    }
    p->nbytes = (size_t)bytes;
    p->rdata = malloc(p->nbytes ? p->nbytes : 1);
    if (!p->rdata) {
        cli_error(r->cmd, "input '%s': out of memory for %zu bytes", t->name, p->nbytes);
        return CLI_EXIT_RUN;
    }
    fill_random(p->rdata, t->dtype, numel, p->seed, t->name);
    if (r->log)
        fprintf(r->log, "input  %-24s random, seed %llu%s (%s %s)\n", t->name,
                (unsigned long long)p->seed, p->random_explicit ? "" : " (default: not given)",
                ert_dtype_name(t->dtype), cli_dims_str(p->rank, p->dims, sh, sizeof sh));
    return CLI_EXIT_OK;
}

/* ---- the interface ---- */

bool cli_input_args_init(cli_input_args *a, int max_opts)
{
    a->n_inputs = a->n_shapes = 0;
    a->inputs = calloc((size_t)max_opts + 1, sizeof *a->inputs);
    a->shapes = calloc((size_t)max_opts + 1, sizeof *a->shapes);
    return a->inputs && a->shapes;
}

void cli_input_args_free(cli_input_args *a)
{
    free(a->inputs);
    free(a->shapes);
    a->inputs = a->shapes = NULL;
}

static int resolve(resolver *r, const cli_input_args *a)
{
    int rc = apply_shapes(r, a);
    for (int k = 0; k < a->n_inputs && rc == CLI_EXIT_OK; k++)
        rc = apply_input_arg(r, a->inputs[k]);
    for (int i = 0; i < r->n && rc == CLI_EXIT_OK; i++)
        if (r->in[i].file)
            rc = load_file(r, &r->in[i]);
    for (int i = 0; i < r->n && rc == CLI_EXIT_OK; i++)
        if (!r->in[i].file && (rc = random_shape(r, &r->in[i])) == CLI_EXIT_OK)
            rc = random_data(r, &r->in[i]);
    return rc;
}

int cli_inputs_prepare(const char *cmd, const ert_model *m, const cli_input_args *a, FILE *log,
                       cli_inputs *out)
{
    out->n = ert_model_num_inputs(m);
    out->in = calloc((size_t)out->n + 1, sizeof *out->in);
    if (!out->in) {
        out->n = 0;
        cli_error(cmd, "out of memory");
        return CLI_EXIT_RUN;
    }
    for (int i = 0; i < out->n; i++) {
        if (ert_model_input_info(m, i, &out->in[i].info) != ERT_OK) {
            cli_error(cmd, "input %d: %s", i, ert_model_last_error(m));
            return CLI_EXIT_LOAD;
        }
    }
    resolver *r = calloc(1, sizeof *r);
    if (!r) {
        cli_error(cmd, "out of memory");
        return CLI_EXIT_RUN;
    }
    r->cmd = cmd;
    r->log = log;
    r->in = out->in;
    r->n = out->n;
    int rc = resolve(r, a);
    free(r);
    return rc;
}

int cli_inputs_feed(const char *cmd, ert_context *c, const cli_inputs *in)
{
    for (int i = 0; i < in->n; i++) {
        const cli_input *p = &in->in[i];
        ert_status st = ert_context_set_input(c, p->info.name, p->info.dtype, p->rank, p->dims,
                                              p->file ? p->arr.data : p->rdata, p->nbytes);
        if (st != ERT_OK) {
            cli_error(cmd, "input '%s': %s (%s)", p->info.name, ert_context_last_error(c),
                      ert_status_name(st));
            return st == ERT_ERR_NO_MEMORY || st == ERT_ERR_INTERNAL ? CLI_EXIT_RUN
                                                                      : CLI_EXIT_INPUT;
        }
    }
    return CLI_EXIT_OK;
}

void cli_inputs_free(cli_inputs *in)
{
    for (int i = 0; in->in && i < in->n; i++) {
        npy_free(&in->in[i].arr);
        free(in->in[i].rdata);
    }
    free(in->in);
    in->in = NULL;
    in->n = 0;
}

int cli_load_model(const char *cmd, const char *path, const ert_load_options *opt,
                   ert_model **out)
{
    ert_status st = ert_model_load_file(path, opt, out);
    if (st == ERT_OK)
        return CLI_EXIT_OK;
    const char *msg = *out ? ert_model_last_error(*out) : "out of memory";
    if (opt && opt->input_shapes && (st == ERT_ERR_INVALID_ARGUMENT || st == ERT_ERR_SHAPE)) {
        cli_error(cmd, "%s", msg); /* --shapes given to the loader (tuning) */
        return CLI_EXIT_INPUT;
    }
    if (strstr(msg, path)) /* the library's message already names the file */
        cli_error(cmd, "%s (%s)", msg, ert_status_name(st));
    else
        cli_error(cmd, "cannot load '%s': %s (%s)", path, msg, ert_status_name(st));
    return CLI_EXIT_LOAD;
}

int cli_create_context(const char *cmd, ert_model *model, int threads, bool keep_denormals,
                       ert_context **ctx)
{
    ert_context_options opt;
    memset(&opt, 0, sizeof opt);
    opt.num_threads = threads;
    opt.keep_denormals = keep_denormals;
    ert_status st = ert_context_create_ex(model, &opt, ctx);
    if (st == ERT_OK)
        return CLI_EXIT_OK;
    cli_error(cmd, "cannot create a context with %d thread%s: %s (%s)", threads,
              threads == 1 ? "" : "s",
              *ctx ? ert_context_last_error(*ctx) : ert_model_last_error(model),
              ert_status_name(st));
    return CLI_EXIT_RUN;
}
