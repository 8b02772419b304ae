"""QFullyConnected: int8 FULLY_CONNECTED with per-tensor weights (TFLite's semantics).

params = [in_zp, w_zp, out_zp, multiplier, shift, act_lo, act_hi]. Inputs: X (rows of
``in`` int8 values, leading axes flattened), weights W [out, in] int8, optional int32
bias [out]. Semantics (ai-edge-litert's reference kernel, bit for bit):

    acc = (X - in_zp) (W - w_zp)^T + bias                     (int32)
    out = clamp(out_zp + round(acc * multiplier * 2^(shift - 31)), act_lo, act_hi)

with one rounding, half away from zero (``multiply_by_quantized_multiplier_single`` of
:mod:`zkml_core.convert.tflite_quant`; CONV_2D rounds twice).

Circuit: the zero points subtracted by ``sub_pairs`` (when nonzero), the product by
Freivalds' check when cheaper, else dot products, the bias as one more term; then the
``requantize`` gadget with the single rounding.
"""

from __future__ import annotations

import math

import numpy as np
from zkml_plugins.layers._qcommon import (
    QLayer,
    check_clamp,
    check_multiplier,
    check_zero_point,
    matmul,
    matmul_gadget,
    product_rows,
    shifted,
    with_zero_and_one,
)

from zkml_core.convert.tflite_quant import (
    activation_range,
    fc_multiplier,
    multiply_by_quantized_multiplier_single,
)
from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl
from zkml_core.model.circuit import take
from zkml_core.model.fixed_point import exact_matmul


class QFullyConnected(QLayer):
    name = "QFullyConnected"
    description = "int8 fully connected layer, per-tensor requantisation (one rounding)"
    tflite_ops = ("FULLY_CONNECTED:int8",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        p = [int(v) for v in spec.params]
        if len(p) != 7:
            raise ModelError("params must be [in_zp, w_zp, out_zp, multiplier, shift, act_lo, "
                             f"act_hi], got {p}")
        self.in_zp, self.w_zp, self.out_zp, self.mult, self.shift, self.lo, self.hi = p
        for zp, what in ((self.in_zp, "input"), (self.w_zp, "weights"),
                         (self.out_zp, "output")):
            check_zero_point(zp, what)
        check_clamp(self.lo, self.hi, self.out_zp)
        check_multiplier(self.mult, self.shift)
        if len(spec.inp_idxes) not in (2, 3):
            raise ModelError(f"needs 2 or 3 inputs (input, weights, optional bias), got "
                             f"{len(spec.inp_idxes)}")
        x_shape, w_shape = tuple(spec.inp_shapes[0]), tuple(spec.inp_shapes[1])
        if len(x_shape) < 1 or len(w_shape) != 2 or x_shape[-1] != w_shape[1]:
            raise ModelError(f"input {list(x_shape)} and weights {list(w_shape)} do not fit: "
                             "weights [out, in], input rows of `in` values")
        if len(spec.inp_shapes) == 3 and tuple(spec.inp_shapes[2]) not in (
                (w_shape[0],), (1, w_shape[0])):
            raise ModelError(f"bias shape {list(spec.inp_shapes[2])} must be [{w_shape[0]}]")
        self.dims = (math.prod(x_shape[:-1]), w_shape[1], w_shape[0])  # (M, K, N)

    @classmethod
    def from_tflite(cls, op, ctx):
        if op.options.get("keep_num_dims", False):
            raise ctx.unsupported(op, "keep_num_dims")
        if op.options.get("weights_format", 0) not in (0, "DEFAULT"):
            raise ctx.unsupported(op, "a shuffled weights format")
        qx, qw, qy = (ctx.quantization(i) for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
        if qw.per_channel:
            raise ctx.unsupported(op, "per-channel weights")
        mult, shift = fc_multiplier(qx.scales[0], qw.scales[0], qy.scales[0])
        lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"),
                                  qy.scales[0], int(qy.zero_points[0]))
        return ctx.layer(cls.name, op, [qx.zero_points[0], qw.zero_points[0],
                                        qy.zero_points[0], mult, shift, lo, hi])

    def forward_int(self, inputs, ctx):
        m, kdim, _ = self.dims
        x = np.asarray(inputs[0], dtype=np.int64).reshape(m, kdim) - self.in_zp
        w = np.asarray(inputs[1], dtype=np.int64) - self.w_zp
        acc = exact_matmul(x, w.T)
        if len(inputs) == 3:
            acc = acc + np.asarray(inputs[2], dtype=np.int64).reshape(-1)
        out = multiply_by_quantized_multiplier_single(acc, self.mult, self.shift) + self.out_zp
        return [np.clip(out, self.lo, self.hi)]

    def _kdim(self) -> int:
        return self.dims[1] + (len(self.spec.inp_idxes) == 3)

    def gadgets(self, ctx):
        m, _, n = self.dims
        names = ["requantize", matmul_gadget(m, self._kdim(), n)]
        return names + (["sub_pairs"] if self.in_zp or self.w_zp else [])

    def synthesize(self, inputs, ctx):
        m, kdim, n = self.dims
        bias = inputs[2].reshape(n) if len(inputs) == 3 else None
        xs, _, one = with_zero_and_one(ctx, shifted(ctx, inputs[0].reshape(m, kdim),
                                                    self.in_zp))
        idx = np.arange(m * kdim, dtype=np.int64).reshape(m, kdim)
        if bias is not None:
            idx = np.concatenate([idx, np.full((m, 1), one)], axis=1)
        w_rows = product_rows(ctx, shifted(ctx, inputs[1], self.w_zp), bias, n)
        acc = matmul(ctx, take(xs, idx), w_rows)
        return [ctx.gadget("requantize").assign(ctx.layouter, acc, self.mult, self.shift,
                                                 zero_point=self.out_zp, lo=self.lo,
                                                 hi=self.hi, single_rounding=True)]


@hookimpl
def zkml_register_layers():
    return [QFullyConnected]
