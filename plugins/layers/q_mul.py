"""QMul: int8 MUL with TFLite's integer semantics.

params = [zp1, zp2, zp_out, multiplier, shift, act_lo, act_hi]; two broadcastable int8
inputs. Semantics (TFLite's reference kernel, :func:`zkml_core.convert.tflite_quant.mul_int8`):

    out = clamp(zp_out + MBQM((x1 - zp1) (x2 - zp2), multiplier, shift), act_lo, act_hi)

Circuit: ``sub_pairs`` for the zero points (when nonzero), ``mul_pairs`` (broadcasting),
then the ``requantize`` gadget.
"""

from __future__ import annotations

from zkml_plugins.layers._qcommon import (
    QLayer,
    binary_quant,
    check_binary,
    check_multiplier,
    shifted,
)

from zkml_core.convert.tflite_quant import mul_int8, mul_multiplier
from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl
from zkml_core.model.fixed_point import broadcast


class QMul(QLayer):
    name = "QMul"
    description = "int8 elementwise multiply (broadcasting), TFLite's rescaling"
    tflite_ops = ("MUL:int8",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        p = [int(v) for v in spec.params]
        if len(p) != 7:
            raise ModelError("params must be [zp1, zp2, zp_out, multiplier, shift, act_lo, "
                             f"act_hi], got {p}")
        self.zps, self.mult, (self.lo, self.hi) = p[:3], p[3:5], p[5:]
        check_binary(spec, self.zps, self.lo, self.hi)
        check_multiplier(*self.mult)

    @classmethod
    def from_tflite(cls, op, ctx):
        zps, scales, lo, hi = binary_quant(ctx, op)
        return ctx.layer(cls.name, op, [*zps, *mul_multiplier(*scales), lo, hi])

    def forward_int(self, inputs, ctx):
        x1, x2 = broadcast(self.name, inputs[0], inputs[1])
        return [mul_int8(x1, x2, self.zps, self.mult, self.lo, self.hi)]

    def gadgets(self, ctx):
        return ["requantize", "mul_pairs"] + (["sub_pairs"] if any(self.zps[:2]) else [])

    def synthesize(self, inputs, ctx):
        d1, d2 = (shifted(ctx, x, zp) for x, zp in zip(inputs, self.zps[:2], strict=True))
        prod = ctx.gadget("mul_pairs").assign(ctx.layouter, d1, d2)
        return [ctx.gadget("requantize").assign(ctx.layouter, prod, *self.mult,
                                                 zero_point=self.zps[2], lo=self.lo,
                                                 hi=self.hi)]


@hookimpl
def zkml_register_layers():
    return [QMul]
