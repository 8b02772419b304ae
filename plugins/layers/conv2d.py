"""Conv2D: regular and depthwise 2-D convolution with a fused activation (zkml semantics).

params = [conv_type (0 regular, 1 depthwise), padding (0 SAME, 1 VALID), activation
(0 none, 1 relu, 3 relu6), stride_h, stride_w]. Inputs: x [N,H,W,C]; weights
[O,KH,KW,C] (regular) or [1,KH,KW,C*M] (depthwise, channel multiplier M); optional bias
[O]. Integer semantics: acc = sum x*w (scale sf^2), out = round_half_up(acc / sf) + bias,
then relu (max 0) or relu6 (clamp to [0, 6 sf]).

SAME padding is TensorFlow's: out = ceil(H / s), total pad = max((out-1) s + KH - H, 0),
floor(total / 2) before and the rest after (zkml used the width stride for the height).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from zkml_plugins.layers._common import (
    ACT_NONE,
    ACT_RELU,
    ACT_RELU6,
    BuiltinLayer,
    activate_float,
    activate_int,
    check_activation,
    expect_inputs,
    expect_params,
)

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl
from zkml_core.model.circuit import take
from zkml_core.model.fixed_point import (
    check_product_fits,
    div_round_half_up,
    exact_einsum,
    exact_matmul,
)
from zkml_core.plonk.layouter import Assigned, Cells

REGULAR, DEPTHWISE = 0, 1
SAME, VALID = 0, 1


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """TensorFlow SAME padding along one axis: (output size, pad before, pad after)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return out, total // 2, total - total // 2


def valid_size(size: int, kernel: int, stride: int) -> int:
    return (size - kernel) // stride + 1 if size >= kernel else 0


class Conv2D(BuiltinLayer):
    name = "Conv2D"
    description = "2-D convolution, regular or depthwise, SAME/VALID, strides, relu/relu6"
    tflite_ops = ("CONV_2D", "DEPTHWISE_CONV_2D")

    def __init__(self, spec) -> None:
        super().__init__(spec)
        conv_type, padding, act, sh, sw = expect_params(
            spec, 5, "conv_type, padding, activation, stride_h, stride_w")
        expect_inputs(spec, (2, 3), "input, weights, optional bias")
        if conv_type not in (REGULAR, DEPTHWISE):
            raise ModelError(f"conv_type must be 0 (Conv2D) or 1 (depthwise), got {conv_type}")
        if padding not in (SAME, VALID):
            raise ModelError(f"padding must be 0 (SAME) or 1 (VALID), got {padding}")
        if sh < 1 or sw < 1:
            raise ModelError(f"strides must be >= 1, got {sh}, {sw}")
        self.depthwise = conv_type == DEPTHWISE
        self.padding = padding
        self.activation = check_activation(act, (ACT_NONE, ACT_RELU, ACT_RELU6))
        self.strides = (sh, sw)
        x_shape, w_shape = spec.inp_shapes[0], spec.inp_shapes[1]
        if len(x_shape) != 4 or len(w_shape) != 4:
            raise ModelError(f"input and weights must be 4-D, got {list(x_shape)} and "
                             f"{list(w_shape)}")
        c = x_shape[3]
        if self.depthwise:
            if w_shape[0] != 1 or c == 0 or w_shape[3] % c:
                raise ModelError(f"depthwise weights must be [1,KH,KW,C*M] with C={c}, got "
                                 f"{list(w_shape)}")
            self.out_channels = w_shape[3]
        else:
            if w_shape[3] != c:
                raise ModelError(f"weights {list(w_shape)} must be [O,KH,KW,{c}] for an input "
                                 f"with {c} channels")
            self.out_channels = w_shape[0]
        if len(spec.inp_shapes) == 3 and tuple(spec.inp_shapes[2]) != (self.out_channels,):
            raise ModelError(f"bias shape {list(spec.inp_shapes[2])} must be "
                             f"[{self.out_channels}]")

    @classmethod
    def from_tflite(cls, op, ctx):
        """CONV_2D / DEPTHWISE_CONV_2D without dilation; a missing bias stays missing."""
        opts = op.options
        if (opts.get("dilation_h_factor", 1), opts.get("dilation_w_factor", 1)) != (1, 1):
            raise ctx.unsupported(op, "dilation")
        conv_type = DEPTHWISE if op.op == "DEPTHWISE_CONV_2D" else REGULAR
        padding = SAME if opts.get("padding", "VALID") == "SAME" else VALID
        return ctx.layer("Conv2D", op, [conv_type, padding, ctx.activation(op),
                                        opts.get("stride_h", 1), opts.get("stride_w", 1)])

    def _geometry(self, x_shape, w_shape):
        _, h, w, _ = x_shape
        kh, kw = w_shape[1], w_shape[2]
        sh, sw = self.strides
        if self.padding == SAME:
            oh, top, bottom = same_padding(h, kh, sh)
            ow, left, right = same_padding(w, kw, sw)
        else:
            oh, ow, top, bottom, left, right = (valid_size(h, kh, sh), valid_size(w, kw, sw),
                                                0, 0, 0, 0)
        if oh < 1 or ow < 1:
            raise ModelError(f"a {kh}x{kw} kernel does not fit the {h}x{w} input with VALID "
                             "padding")
        return oh, ow, ((0, 0), (top, bottom), (left, right), (0, 0))

    def accumulate(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        """The convolution sums (same dtype as the inputs), [N, OH, OW, O]."""
        oh, ow, pads = self._geometry(x.shape, w.shape)
        kh, kw = w.shape[1], w.shape[2]
        sh, sw = self.strides
        xp = np.pad(x, pads)
        # windows: [N, OH, OW, C, KH, KW]
        win = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::sh, ::sw][:, :oh, :ow]
        if self.depthwise:
            c = x.shape[3]
            wd = w.reshape(kh, kw, c, self.out_channels // c)
            out = exact_einsum("nhwcij,ijcm->nhwcm", win, wd, kh * kw)
            return out.reshape(*out.shape[:3], self.out_channels)
        n = x.shape[0]
        cols = win.transpose(0, 1, 2, 4, 5, 3).reshape(n * oh * ow, -1)
        out = exact_matmul(cols, w.reshape(w.shape[0], -1).T)
        return out.reshape(n, oh, ow, w.shape[0])

    def forward_int(self, inputs, ctx):
        x, w = inputs[0], inputs[1]
        terms = w.shape[1] * w.shape[2] * (1 if self.depthwise else w.shape[3])
        check_product_fits("Conv2D", x, w, terms)
        out = div_round_half_up(self.accumulate(x, w), ctx.scale_factor)
        if len(inputs) == 3:
            out = out + inputs[2]
        return [activate_int(out, self.activation, ctx.scale_factor)]

    def forward_float(self, inputs, ctx):
        out = self.accumulate(inputs[0], inputs[1])
        if len(inputs) == 3:
            out = out + inputs[2]
        return [activate_float(out, self.activation)]

    def gadgets(self, ctx):
        names = ["bias_div_round_relu6"]
        # the Freivalds gadget configures its own dot products on its phase-1 columns
        names.append("freivalds" if not self.depthwise and self._use_freivalds()
                     else "dot_product")
        return names + ["relu"] if self.activation == ACT_RELU else names

    def _product_dims(self) -> tuple[int, int, int]:
        """(M, K, N) of the regular convolution as a matrix product (im2col)."""
        (n, oh, ow, o), w = self.spec.out_shapes[0], self.spec.inp_shapes[1]
        return n * oh * ow, w[1] * w[2] * w[3], o

    def _use_freivalds(self) -> bool:
        """Freivalds costs M K + K N + 2 M N multiplications and cells, the direct product
        M K N: take the cheaper (a 1x1 output, say, is cheaper directly)."""
        m, k, n = self._product_dims()
        return m * k + k * n + 2 * m * n < m * k * n

    def synthesize(self, inputs, ctx):
        x, w = inputs[0], inputs[1]
        lay = ctx.layouter
        kh, kw = w.shape[1], w.shape[2]
        sh, sw = self.strides
        oh, ow, pads = self._geometry(x.shape, w.shape)
        # positions of the padded input in x's cells plus one zero cell (index x.size)
        xz = Assigned(Cells.concat([x.cells.flatten(), ctx.zeros((1,)).cells]),
                      np.concatenate([x.values.reshape(-1), np.zeros(1, np.int64)]))
        idx = np.pad(np.arange(x.cells.size).reshape(x.shape), pads,
                     constant_values=x.cells.size)
        win = sliding_window_view(idx, (kh, kw), axis=(1, 2))[:, ::sh, ::sw][:, :oh, :ow]
        n, o = x.shape[0], self.out_channels
        if self.depthwise:
            mult = o // x.shape[3]
            # out channel j reads input channel j // mult: [N, OH, OW, O, KH*KW]
            sel = win[:, :, :, np.arange(o) // mult].reshape(n, oh, ow, o, kh * kw)
            wt = take(w, np.arange(w.cells.size).reshape(kh * kw, o).T)  # [O, KH*KW]
            acc = ctx.gadget("dot_product").assign(lay, take(xz, sel), wt)
        else:
            m = n * oh * ow
            cols = take(xz, win.transpose(0, 1, 2, 4, 5, 3).reshape(m, -1))     # [M, K]
            wm = take(w, np.arange(w.cells.size).reshape(o, -1).T)              # [K, O]
            if self._use_freivalds():
                acc = ctx.gadget("freivalds").matmul(lay, cols, wm)
            else:
                rows = take(w, np.arange(w.cells.size).reshape(1, o, -1))         # [1, O, K]
                acc = ctx.gadget("dot_product").assign(lay, cols.reshape(m, 1, -1), rows)
            acc = acc.reshape(n, oh, ow, o)
        bias = inputs[2] if len(inputs) == 3 else ctx.zeros((o,))
        div, relu6 = ctx.gadget("bias_div_round_relu6").assign(lay, acc, bias)
        if self.activation == ACT_RELU6:
            return [relu6]
        if self.activation == ACT_RELU:
            return [ctx.gadget("relu").assign(lay, div)]
        return [div]


@hookimpl
def zkml_register_layers():
    return [Conv2D]
