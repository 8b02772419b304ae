"""QAddSub: int8 ADD / SUB with TFLite's integer semantics.

params = [subtract, zp1, zp2, zp_out, m1, shift1, m2, shift2, m_out, shift_out, act_lo,
act_hi]; two broadcastable int8 inputs. Semantics (TFLite's reference kernel):

    a = MBQM((x1 - zp1) * 2^20, m1, shift1)      b = MBQM((x2 - zp2) * 2^20, m2, shift2)
    out = clamp(zp_out + MBQM(a +- b, m_out, shift_out), act_lo, act_hi)

(:func:`zkml_core.convert.tflite_quant.add_int8`; each input rescaled to twice the
larger input scale, the sum to the output scale).

Circuit: ``requantize`` without clamp for a and b (the zero point and the 2^20 shift
folded into its constants), ``add_pairs`` / ``sub_pairs`` (broadcasting), then
``requantize`` with the output's clamp.
"""

from __future__ import annotations

from zkml_plugins.layers._qcommon import QLayer, binary_quant, check_binary, check_multiplier

from zkml_core.convert.tflite_quant import ADD_LEFT_SHIFT, add_int8, add_params
from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl
from zkml_core.model.fixed_point import broadcast


class QAddSub(QLayer):
    name = "QAddSub"
    description = "int8 elementwise add or subtract (broadcasting), TFLite's rescaling"
    tflite_ops = ("ADD:int8", "SUB:int8")

    def __init__(self, spec) -> None:
        super().__init__(spec)
        p = [int(v) for v in spec.params]
        if len(p) != 12:
            raise ModelError("params must be [subtract, zp1, zp2, zp_out, m1, shift1, m2, "
                             f"shift2, m_out, shift_out, act_lo, act_hi], got {p}")
        self.subtract, self.zps, self.params, (self.lo, self.hi) = p[0], p[1:4], p[4:10], p[10:]
        if self.subtract not in (0, 1):
            raise ModelError(f"subtract must be 0 or 1, got {self.subtract}")
        check_binary(spec, self.zps, self.lo, self.hi)
        for i in range(3):
            check_multiplier(*self.params[2 * i:2 * i + 2])

    @classmethod
    def from_tflite(cls, op, ctx):
        zps, scales, lo, hi = binary_quant(ctx, op)
        return ctx.layer(cls.name, op, [int(op.op == "SUB"), *zps, *add_params(*scales), lo, hi])

    def forward_int(self, inputs, ctx):
        x1, x2 = broadcast(self.name, inputs[0], inputs[1])
        return [add_int8(x1, x2, self.zps, self.params, self.lo, self.hi,
                         subtract=bool(self.subtract))]

    def gadgets(self, ctx):
        return ["requantize", "sub_pairs" if self.subtract else "add_pairs"]

    def synthesize(self, inputs, ctx):
        lay, rq = ctx.layouter, ctx.gadget("requantize")
        m1, s1, m2, s2, mo, so = self.params
        a = rq.assign(lay, inputs[0], m1, s1, input_zero_point=self.zps[0],
                      input_shift=ADD_LEFT_SHIFT, clamp=False)
        b = rq.assign(lay, inputs[1], m2, s2, input_zero_point=self.zps[1],
                      input_shift=ADD_LEFT_SHIFT, clamp=False)
        raw = ctx.gadget("sub_pairs" if self.subtract else "add_pairs").assign(lay, a, b)
        return [rq.assign(lay, raw, mo, so, zero_point=self.zps[2], lo=self.lo, hi=self.hi)]


@hookimpl
def zkml_register_layers():
    return [QAddSub]
