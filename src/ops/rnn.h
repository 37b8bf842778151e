/*
 * rnn.h - the recurrent layers' front end (rnn.c): attributes, activations and
 * shape validation of LSTM, GRU and RNN, shared by the reference kernel (rnn.c,
 * in double) and the float32 kernels (src/kernels/rnn/).
 */
#ifndef ERT_OPS_RNN_H
#define ERT_OPS_RNN_H

#include "ops/op.h"

/* Input slots (LSTM has all eight; GRU and RNN stop at initial_h). */
enum {
    ERT_RNN_IN_X,
    ERT_RNN_IN_W,
    ERT_RNN_IN_R,
    ERT_RNN_IN_B,
    ERT_RNN_IN_SEQ_LENS,
    ERT_RNN_IN_INITIAL_H,
    ERT_RNN_IN_INITIAL_C,
    ERT_RNN_IN_P
};

typedef enum ert_rnn_cell {
    ERT_RNN_CELL_RNN = 0,
    ERT_RNN_CELL_GRU = 1,
    ERT_RNN_CELL_LSTM = 2
} ert_rnn_cell;

typedef enum ert_rnn_act_kind {
    ERT_RNN_ACT_RELU,
    ERT_RNN_ACT_TANH,
    ERT_RNN_ACT_SIGMOID,
    ERT_RNN_ACT_AFFINE,
    ERT_RNN_ACT_LEAKY_RELU,
    ERT_RNN_ACT_THRESHOLDED_RELU,
    ERT_RNN_ACT_SCALED_TANH,
    ERT_RNN_ACT_HARD_SIGMOID,
    ERT_RNN_ACT_ELU,
    ERT_RNN_ACT_SOFTSIGN,
    ERT_RNN_ACT_SOFTPLUS
} ert_rnn_act_kind;

typedef struct ert_rnn_act {
    ert_rnn_act_kind kind;
    double alpha, beta;
} ert_rnn_act;

enum { ERT_RNN_DIR_FORWARD = 0, ERT_RNN_DIR_REVERSE = 1, ERT_RNN_DIR_BIDI = 2 };
enum { ERT_RNN_MAX_ACTS = 3 }; /* activations per direction: LSTM f, g, h */

typedef struct ert_rnn_params {
    ert_rnn_cell cell;
    int gates; /* gate blocks in W/R: RNN 1, GRU 3, LSTM 4 */
    int n_acts; /* activations per direction: 1, 2, 3 */
    int dir; /* ERT_RNN_DIR_* */
    int nd; /* num_directions */
    int layout; /* 0: seq-major, 1: batch-major (opset 14+) */
    int64_t hidden; /* hidden_size attribute, -1 if absent */
    bool has_clip;
    double clip;
    bool input_forget; /* LSTM */
    bool linear_before_reset; /* GRU (opset 3+) */
    ert_rnn_act act[2][ERT_RNN_MAX_ACTS]; /* per direction */
} ert_rnn_params;

/* Shapes of the problem, as far as known. */
typedef struct ert_rnn_shape {
    int64_t seq, batch, input, hidden;
} ert_rnn_shape;

/* Reads the node's attributes into p (defaults where absent; fails on an
 * unknown direction, layout or activation, a bad hidden_size or clip, a
 * wrong-length list). */
ert_status ert_rnn_parse(ert_kctx *k, ert_rnn_params *p);
/* Checks the inputs' dtypes, ranks and dims against each other and p; fills sh
 * with what is known (-1 or a symbol where not). */
ert_status ert_rnn_shapes(ert_kctx *k, const ert_rnn_params *p, ert_rnn_shape *sh);

#endif /* ERT_OPS_RNN_H */
