"""SquaredDifference: (a - b)^2 rescaled with broadcasting, round_half_up((a-b)^2 / sf).

Circuit: the ``squared_diff`` gadget (operands broadcast), then a rounded division by the
constant sf."""

from __future__ import annotations

from zkml_plugins.layers._common import BuiltinLayer, expect_inputs, expect_params

from zkml_core.hookspecs import hookimpl
from zkml_core.model.fixed_point import broadcast, check_product_fits, div_round_half_up


class SquaredDifference(BuiltinLayer):
    name = "SquaredDifference"
    description = "(a - b)^2 (broadcasting), rescaled with round-half-up"
    tflite_ops = ("SQUARED_DIFFERENCE",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        expect_params(spec, 0, "")
        expect_inputs(spec, (2,), "a, b")

    @classmethod
    def from_tflite(cls, op, ctx):
        return ctx.layer("SquaredDifference", op)

    def forward_int(self, inputs, ctx):
        a, b = broadcast("SquaredDifference", *inputs)
        d = a - b
        check_product_fits("SquaredDifference", d, d)
        return [div_round_half_up(d * d, ctx.scale_factor)]

    def forward_float(self, inputs, ctx):
        a, b = broadcast("SquaredDifference", *inputs)
        return [(a - b) ** 2]

    def gadgets(self, ctx):
        return ["squared_diff", "var_div_round"]

    def synthesize(self, inputs, ctx):
        sq = ctx.gadget("squared_diff").assign(ctx.layouter, inputs[0], inputs[1])
        return [ctx.gadget("var_div_round").assign(ctx.layouter, sq, ctx.scale_factor)]


@hookimpl
def zkml_register_layers():
    return [SquaredDifference]
