"""QConv2D: int8 CONV_2D / DEPTHWISE_CONV_2D with TFLite's integer semantics.

params = [depthwise, padding (0 SAME, 1 VALID), stride_h, stride_w, in_zp, out_zp,
act_lo, act_hi, multiplier_0, shift_0, multiplier_1, shift_1, ...] (one pair per output
channel). Inputs: x [N,H,W,C] int8; weights [O,KH,KW,C] (regular) or [1,KH,KW,C*M]
(depthwise) int8 with zero points 0 (TFLite's rule for int8 convolutions); optional
int32 bias [O]. Semantics (TFLite's reference kernel, bit for bit):

    acc[o] = sum (x - in_zp) * w + bias[o]                  (int32; padding adds 0)
    out[o] = clamp(out_zp + MBQM(acc[o], multiplier_o, shift_o), act_lo, act_hi)

MBQM is TFLite's MultiplyByQuantizedMultiplier (:mod:`zkml_core.convert.tflite_quant`).

Circuit: ``x - in_zp`` by ``sub_pairs`` (skipped when in_zp = 0); the sums by Freivalds'
check of the im2col product when cheaper, else dot products (depthwise: one per output),
the bias as one more term (a constant 1 times the bias cell); then the ``requantize``
gadget per output channel (its multiplier and shift are constants of the circuit).
Padded taps read a constant 0 cell.
"""

from __future__ import annotations

import functools

import numpy as np
from zkml_plugins.layers._qcommon import (
    SAME,
    VALID,
    QLayer,
    check_clamp,
    check_multiplier,
    check_windows,
    check_zero_point,
    matmul,
    matmul_gadget,
    padding_of,
    product_rows,
    quant,
    shifted,
    window_index,
    with_fill,
    with_zero_and_one,
)

from zkml_core.convert.tflite_quant import (
    activation_range,
    conv_multipliers,
    multiply_by_quantized_multiplier,
)
from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl
from zkml_core.model.circuit import take
from zkml_core.model.fixed_point import exact_einsum, exact_matmul


class QConv2D(QLayer):
    name = "QConv2D"
    description = "int8 2-D convolution (regular or depthwise), per-channel requantisation"
    tflite_ops = ("CONV_2D:int8", "DEPTHWISE_CONV_2D:int8")

    def __init__(self, spec) -> None:
        super().__init__(spec)
        p = [int(v) for v in spec.params]
        if len(p) < 10 or len(p) % 2:
            raise ModelError("params must be [depthwise, padding, stride_h, stride_w, in_zp, "
                             "out_zp, act_lo, act_hi, multiplier, shift, ...] (one multiplier "
                             f"and shift per output channel), got {p}")
        self.depthwise, self.padding, self.sh, self.sw, self.in_zp, self.out_zp = p[:6]
        self.lo, self.hi = p[6:8]
        self.mult = np.array(p[8::2], dtype=np.int64)
        self.shift = np.array(p[9::2], dtype=np.int64)
        if self.depthwise not in (0, 1) or self.padding not in (SAME, VALID):
            raise ModelError(f"depthwise must be 0 or 1 and padding 0 (SAME) or 1 (VALID), got "
                             f"{self.depthwise}, {self.padding}")
        if self.sh < 1 or self.sw < 1:
            raise ModelError(f"strides must be >= 1, got {self.sh}, {self.sw}")
        check_zero_point(self.in_zp, "input")
        check_zero_point(self.out_zp, "output")
        check_clamp(self.lo, self.hi, self.out_zp)
        for m, s in zip(self.mult.tolist(), self.shift.tolist(), strict=True):
            check_multiplier(m, s)
        if len(spec.inp_idxes) not in (2, 3):
            raise ModelError(f"needs 2 or 3 inputs (input, weights, optional bias), got "
                             f"{len(spec.inp_idxes)}")
        x_shape, w_shape = tuple(spec.inp_shapes[0]), tuple(spec.inp_shapes[1])
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
                raise ModelError(f"weights {list(w_shape)} must be [O,KH,KW,{c}]")
            self.out_channels = w_shape[0]
        if len(self.mult) != self.out_channels:
            raise ModelError(f"{len(self.mult)} multipliers for {self.out_channels} output "
                             "channels")
        if len(spec.inp_shapes) == 3 and tuple(spec.inp_shapes[2]) != (self.out_channels,):
            raise ModelError(f"bias shape {list(spec.inp_shapes[2])} must be "
                             f"[{self.out_channels}]")
        self.kernel = (w_shape[1], w_shape[2])
        oh, _, ow, _ = check_windows(x_shape, *self.kernel, self.sh, self.sw, self.padding)
        self.out_hw = (oh, ow)

    @functools.cached_property
    def windows(self) -> np.ndarray:
        """The window taps, [N, OH, OW, C, KH, KW] (built when first needed: they are as
        large as the im2col matrix)."""
        return window_index(tuple(self.spec.inp_shapes[0]), *self.kernel, self.sh, self.sw,
                            self.padding)

    @classmethod
    def from_tflite(cls, op, ctx):
        o = op.options
        if (o.get("dilation_h_factor", 1), o.get("dilation_w_factor", 1)) != (1, 1):
            raise ctx.unsupported(op, "dilation")
        x, w = op.inputs[0], op.inputs[1]
        qw = ctx.quantization(w)
        if np.any(np.asarray(qw.zero_points) != 0):
            raise ctx.unsupported(op, "int8 weights with nonzero zero points")
        s_in, zp_in = quant(ctx, x)
        s_out, zp_out = quant(ctx, op.outputs[0])
        mult, shift = conv_multipliers(s_in, qw.scales, s_out)
        lo, hi = activation_range(o.get("fused_activation_function", "NONE"), s_out, zp_out)
        depthwise = op.op == "DEPTHWISE_CONV_2D"
        channels = ctx.shape(w)[3] if depthwise else ctx.shape(w)[0]
        if len(mult) == 1 and channels > 1:  # per-tensor weights: one multiplier for all
            mult, shift = np.repeat(mult, channels), np.repeat(shift, channels)
        per_channel = [v for pair in zip(mult.tolist(), shift.tolist(), strict=True)
                       for v in pair]
        return ctx.layer(cls.name, op, [int(depthwise), padding_of(ctx, op), o["stride_h"],
                                        o["stride_w"], zp_in, zp_out, lo, hi, *per_channel])

    def accumulate(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        """sum (x - in_zp) * w over each window, [N, OH, OW, O] (int64)."""
        xz = with_fill(np.asarray(x, dtype=np.int64) - self.in_zp, 0)
        kh, kw = self.kernel
        n, oh, ow = self.windows.shape[:3]
        o = self.out_channels
        if self.depthwise:
            sel = self.windows[:, :, :, np.arange(o) // (o // x.shape[3])]
            wt = np.asarray(w, dtype=np.int64).reshape(kh * kw, o).T
            return exact_einsum("nhwok,ok->nhwo", xz[sel.reshape(n, oh, ow, o, kh * kw)], wt,
                                kh * kw)
        cols = self.windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * oh * ow, -1)
        wm = np.asarray(w, dtype=np.int64).reshape(o, -1).T
        return exact_matmul(xz[cols], wm).reshape(n, oh, ow, o)

    def forward_int(self, inputs, ctx):
        acc = self.accumulate(inputs[0], inputs[1])
        if len(inputs) == 3:
            acc = acc + np.asarray(inputs[2], dtype=np.int64)
        out = multiply_by_quantized_multiplier(acc, self.mult, self.shift) + self.out_zp
        return [np.clip(out, self.lo, self.hi)]

    def _dims(self) -> tuple[int, int, int]:
        """(M, K, N) of the regular convolution as a product (bias included in K)."""
        n, (oh, ow) = self.spec.inp_shapes[0][0], self.out_hw
        kdim = int(np.prod(self.spec.inp_shapes[1][1:])) + (len(self.spec.inp_idxes) == 3)
        return n * oh * ow, kdim, self.out_channels

    def gadgets(self, ctx):
        names = ["requantize", "dot_product" if self.depthwise else matmul_gadget(*self._dims())]
        return names + (["sub_pairs"] if self.in_zp else [])

    def synthesize(self, inputs, ctx):
        x, w = inputs[0], inputs[1]
        bias = inputs[2] if len(inputs) == 3 else None
        xz, zero, one = with_zero_and_one(ctx, shifted(ctx, x, self.in_zp))
        win = np.where(self.windows == x.cells.size, zero, self.windows)
        n, oh, ow = win.shape[:3]
        kh, kw = self.kernel
        o = self.out_channels
        if self.depthwise:
            taps = win[:, :, :, np.arange(o) // (o // x.shape[3])].reshape(n, oh, ow, o, -1)
            w_rows = take(w, np.arange(w.cells.size).reshape(kh * kw, o).T)  # [O, KH*KW]
            if bias is not None:
                taps = np.concatenate([taps, np.full((n, oh, ow, o, 1), one)], axis=-1)
                w_rows = product_rows(ctx, w_rows, bias, o)
            acc = ctx.gadget("dot_product").assign(ctx.layouter, take(xz, taps), w_rows)
        else:
            m = n * oh * ow
            cols = win.transpose(0, 1, 2, 4, 5, 3).reshape(m, -1)
            if bias is not None:
                cols = np.concatenate([cols, np.full((m, 1), one)], axis=1)
            acc = matmul(ctx, take(xz, cols), product_rows(ctx, w, bias, o))
            acc = acc.reshape(n, oh, ow, o)
        return [ctx.gadget("requantize").assign(ctx.layouter, acc, self.mult, self.shift,
                                                 zero_point=self.out_zp, lo=self.lo,
                                                 hi=self.hi)]


@hookimpl
def zkml_register_layers():
    return [QConv2D]
