"""int8 layers with TFLite's integer semantics, for the converter's int8 tests.

They list the ``"OP:int8"`` keys, compute their integer params in ``from_tflite`` with
zkml_core.convert.tflite_quant, and reproduce the reference kernels in ``forward_int``
(sums through tflite_refs in float64, exact for these small integers). Test-only: no
circuits.
"""

from __future__ import annotations

import attrs
import numpy as np
import tflite_refs as ref

from zkml_core.convert.tflite_quant import (
    activation_range,
    add_int8,
    add_params,
    conv_multipliers,
    fc_multiplier,
    mul_int8,
    mul_multiplier,
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_single,
    rounded_average,
)
from zkml_core.interfaces import Layer

PADDING = {"SAME": 0, "VALID": 1}


def _q(ctx, idx) -> tuple[float, int]:
    q = ctx.quantization(idx)
    return float(q.scales[0]), int(q.zero_points[0])


class QConv2D(Layer):
    """int8 CONV_2D / DEPTHWISE_CONV_2D, per-channel weights.

    params = [depthwise, padding, stride_h, stride_w, in_zp, out_zp, act_lo, act_hi,
    multiplier_0, shift_0, multiplier_1, shift_1, ...]
    """

    name = "TestQConv2D"
    tflite_ops = ("CONV_2D:int8", "DEPTHWISE_CONV_2D:int8")

    def __init__(self, spec) -> None:
        super().__init__(spec)
        p = spec.params
        self.depthwise, self.padding, self.sh, self.sw, self.in_zp, self.out_zp = p[:6]
        self.lo, self.hi = p[6:8]
        self.mult = np.array(p[8::2], dtype=np.int64)
        self.shift = np.array(p[9::2], dtype=np.int64)

    @classmethod
    def from_tflite(cls, op, ctx):
        x, w = op.inputs[0], op.inputs[1]
        s_in, zp_in = _q(ctx, x)
        s_out, zp_out = _q(ctx, op.outputs[0])
        mult, shift = conv_multipliers(s_in, ctx.quantization(w).scales, s_out)
        lo, hi = activation_range(op.options["fused_activation_function"], s_out, zp_out)
        o = op.options
        per_channel = [v for pair in zip(mult.tolist(), shift.tolist(), strict=True)
                       for v in pair]
        return ctx.layer(cls.name, op, [int(op.op == "DEPTHWISE_CONV_2D"),
                                        PADDING[o["padding"]], o["stride_h"], o["stride_w"],
                                        zp_in, zp_out, lo, hi, *per_channel])

    def forward_int(self, inputs, ctx):
        x = inputs[0].astype(np.float64) - self.in_zp
        w = inputs[1].astype(np.float64)
        padding = "SAME" if self.padding == 0 else "VALID"
        if self.depthwise:
            acc = ref.depthwise_conv2d(x, w, None, w.shape[3] // x.shape[3],
                                       (self.sh, self.sw), (1, 1), padding)
        else:
            acc = ref.conv2d(x, w, None, (self.sh, self.sw), (1, 1), padding)
        acc = np.rint(acc).astype(np.int64)
        if len(inputs) == 3:
            acc = acc + inputs[2]
        out = multiply_by_quantized_multiplier(acc, self.mult, self.shift) + self.out_zp
        return [np.clip(out, self.lo, self.hi)]


class QAveragePool2D(Layer):
    """int8 AVERAGE_POOL_2D (input and output share their quantisation).

    params = [fh, fw, sh, sw, padding, act_lo, act_hi]; tflite_quant.rounded_average of
    each window's sum over its valid taps.
    """

    name = "TestQAveragePool2D"
    tflite_ops = ("AVERAGE_POOL_2D:int8",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        self.fh, self.fw, self.sh, self.sw, self.padding, self.lo, self.hi = spec.params

    @classmethod
    def from_tflite(cls, op, ctx):
        o = op.options
        s_out, zp_out = _q(ctx, op.outputs[0])
        lo, hi = activation_range(o["fused_activation_function"], s_out, zp_out)
        return ctx.layer(cls.name, op, [o["filter_height"], o["filter_width"], o["stride_h"],
                                        o["stride_w"], PADDING[o["padding"]], lo, hi])

    def forward_int(self, inputs, ctx):
        x = inputs[0].astype(np.float64)
        padding = "SAME" if self.padding == 0 else "VALID"
        window = (self.fh, self.fw)
        strides = (self.sh, self.sw)
        count = np.rint(ref.pool2d(np.ones_like(x), "sum", window, strides, padding))
        total = np.rint(ref.pool2d(x, "sum", window, strides, padding))
        avg = rounded_average(total.astype(np.int64), count.astype(np.int64))
        return [np.clip(avg, self.lo, self.hi)]


class QFullyConnected(Layer):
    """int8 FULLY_CONNECTED with per-tensor weights (one rounding: see tflite_quant)."""

    name = "TestQFullyConnected"
    tflite_ops = ("FULLY_CONNECTED:int8",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        self.in_zp, self.w_zp, self.out_zp, self.mult, self.shift, self.lo, self.hi = spec.params

    @classmethod
    def from_tflite(cls, op, ctx):
        qx, qw, qy = (ctx.quantization(i) for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
        if qw.per_channel:
            raise ctx.unsupported(op, "per-channel weights")
        mult, shift = fc_multiplier(qx.scales[0], qw.scales[0], qy.scales[0])
        lo, hi = activation_range(op.options["fused_activation_function"], qy.scales[0],
                                  int(qy.zero_points[0]))
        return ctx.layer(cls.name, op, [qx.zero_points[0], qw.zero_points[0],
                                        qy.zero_points[0], mult, shift, lo, hi])

    def forward_int(self, inputs, ctx):
        x, w = inputs[0], inputs[1]
        acc = (x - self.in_zp) @ (w - self.w_zp).T
        if len(inputs) == 3:
            acc = acc + inputs[2]
        out = multiply_by_quantized_multiplier_single(acc, self.mult, self.shift) + self.out_zp
        return [np.clip(out, self.lo, self.hi)]


class QAddSub(Layer):
    """int8 ADD / SUB. params = [subtract, zp1, zp2, zp_out, m1, s1, m2, s2, m_out, s_out,
    act_lo, act_hi]."""

    name = "TestQAddSub"
    tflite_ops = ("ADD:int8", "SUB:int8")

    def __init__(self, spec) -> None:
        super().__init__(spec)
        p = spec.params
        self.subtract, self.zps, self.params, (self.lo, self.hi) = p[0], p[1:4], p[4:10], p[10:]

    @classmethod
    def from_tflite(cls, op, ctx):
        (s1, zp1), (s2, zp2), (so, zpo) = (_q(ctx, i) for i in (*op.inputs, op.outputs[0]))
        lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), so, zpo)
        return ctx.layer(cls.name, op, [int(op.op == "SUB"), zp1, zp2, zpo,
                                        *add_params(s1, s2, so), lo, hi])

    def forward_int(self, inputs, ctx):
        return [add_int8(inputs[0], inputs[1], self.zps, self.params, self.lo, self.hi,
                         subtract=bool(self.subtract))]


class QMul(Layer):
    """int8 MUL. params = [zp1, zp2, zp_out, multiplier, shift, act_lo, act_hi]."""

    name = "TestQMul"
    tflite_ops = ("MUL:int8",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        p = spec.params
        self.zps, self.mult, (self.lo, self.hi) = p[:3], p[3:5], p[5:]

    @classmethod
    def from_tflite(cls, op, ctx):
        (s1, zp1), (s2, zp2), (so, zpo) = (_q(ctx, i) for i in (*op.inputs, op.outputs[0]))
        lo, hi = activation_range(op.options.get("fused_activation_function", "NONE"), so, zpo)
        return ctx.layer(cls.name, op, [zp1, zp2, zpo, *mul_multiplier(s1, s2, so), lo, hi])

    def forward_int(self, inputs, ctx):
        return [mul_int8(inputs[0], inputs[1], self.zps, self.mult, self.lo, self.hi)]


class QMaxPool2D(Layer):
    """int8 MAX_POOL_2D (shared quantisation). params = [fh, fw, sh, sw, padding, lo, hi]."""

    name = "TestQMaxPool2D"
    tflite_ops = ("MAX_POOL_2D:int8",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        self.fh, self.fw, self.sh, self.sw, self.padding, self.lo, self.hi = spec.params

    @classmethod
    def from_tflite(cls, op, ctx):
        # the same params as the average pool's
        return attrs.evolve(QAveragePool2D.from_tflite(op, ctx), layer_type=cls.name)

    def forward_int(self, inputs, ctx):
        padding = "SAME" if self.padding == 0 else "VALID"
        out = ref.pool2d(inputs[0].astype(np.float64), "max", (self.fh, self.fw),
                         (self.sh, self.sw), padding)
        return [np.clip(np.rint(out).astype(np.int64), self.lo, self.hi)]


class QReshape(Layer):
    """int8 RESHAPE (shared quantisation): the values in row-major order."""

    name = "TestQReshape"
    tflite_ops = ("RESHAPE:int8",)

    @classmethod
    def from_tflite(cls, op, ctx):
        return ctx.layer(cls.name, op, inputs=op.inputs[:1])

    def forward_int(self, inputs, ctx):
        return [inputs[0].reshape(self.spec.out_shapes[0])]


INT8_LAYERS = {c.name: c for c in (QConv2D, QAveragePool2D, QFullyConnected, QAddSub, QMul,
                                   QMaxPool2D, QReshape)}
