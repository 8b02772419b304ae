"""QAddSub: int8 ADD / SUB with TFLite's integer semantics.

params = [subtract, zp1, zp2, zp_out, m1, shift1, m2, shift2, m_out, shift_out, act_lo,
act_hi]; two broadcastable int8 inputs. Semantics (TFLite's reference kernel):

    a = MBQM((x1 - zp1) * 2^20, m1, shift1)      b = MBQM((x2 - zp2) * 2^20, m2, shift2)
    out = clamp(zp_out + MBQM(a +- b, m_out, shift_out), act_lo, act_hi)

(:func:`zkml_core.convert.tflite_quant.add_int8`; each input rescaled to twice the
larger input scale, the sum to the output scale).
"""

from __future__ import annotations

from zkml_plugins.layers._qcommon import QLayer, binary_quant, check_binary, check_multiplier

from zkml_core.convert.tflite_quant import add_int8, add_params
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


@hookimpl
def zkml_register_layers():
    return [QAddSub]
