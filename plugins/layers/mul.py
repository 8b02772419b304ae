"""Mul: elementwise product rescaled to sf, round_half_up(a * b / sf) as zkml. params = []."""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import BuiltinLayer, expect_inputs, expect_params

from zkml_core.hookspecs import hookimpl
from zkml_core.model.fixed_point import broadcast, check_product_fits, div_round_half_up


class Mul(BuiltinLayer):
    name = "Mul"
    description = "elementwise a * b (broadcasting), rescaled with round-half-up"
    tflite_ops = ("DIV", "MUL")

    def __init__(self, spec) -> None:
        super().__init__(spec)
        expect_params(spec, 0, "")
        expect_inputs(spec, (2,), "a, b")

    @classmethod
    def from_tflite(cls, op, ctx):
        """MUL; DIV by a one-element constant d becomes a Mul by round(sf / d), as zkml's
        converter does (stored unscaled, since it already is at scale sf)."""
        ctx.activation(op, ("NONE",))
        if op.op == "MUL":
            return ctx.layer("Mul", op)
        divisor = ctx.constant(op.inputs[1])
        if divisor is None or divisor.size != 1 or float(divisor.reshape(-1)[0]) == 0:
            raise ctx.unsupported(op, "a divisor that is not one non-zero constant")
        inverse = np.array([round(ctx.scale_factor / float(divisor.reshape(-1)[0]))])
        idx = ctx.add_constant(inverse.astype(np.int64), scaled=False)
        return ctx.layer("Mul", op, inputs=[op.inputs[0], idx])

    def forward_int(self, inputs, ctx):
        a, b = broadcast("Mul", *inputs)
        check_product_fits("Mul", a, b)
        return [div_round_half_up(a * b, ctx.scale_factor)]

    def forward_float(self, inputs, ctx):
        a, b = broadcast("Mul", *inputs)
        return [a * b]

    def gadgets(self, ctx):
        return ["mul_pairs", "var_div_round"]

    def synthesize(self, inputs, ctx):
        product = ctx.gadget("mul_pairs").assign(ctx.layouter, inputs[0], inputs[1])
        return [ctx.gadget("var_div_round").assign(ctx.layouter, product, ctx.scale_factor)]


@hookimpl
def zkml_register_layers():
    return [Mul]
