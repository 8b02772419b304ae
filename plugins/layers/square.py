"""Square: x^2 rescaled, round_half_up(x * x / sf). params = [].

Circuit: the ``square`` gadget, then a rounded division by the constant sf."""

from __future__ import annotations

from zkml_plugins.layers._common import BuiltinLayer, expect_inputs, expect_params

from zkml_core.hookspecs import hookimpl
from zkml_core.model.fixed_point import check_product_fits, div_round_half_up


class Square(BuiltinLayer):
    name = "Square"
    description = "x^2, rescaled with round-half-up"
    tflite_ops = ("SQUARE",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        expect_params(spec, 0, "")
        expect_inputs(spec, (1,), "input")

    @classmethod
    def from_tflite(cls, op, ctx):
        return ctx.layer("Square", op)

    def forward_int(self, inputs, ctx):
        x = inputs[0]
        check_product_fits("Square", x, x)
        return [div_round_half_up(x * x, ctx.scale_factor)]

    def forward_float(self, inputs, ctx):
        return [inputs[0] * inputs[0]]

    def gadgets(self, ctx):
        return ["square", "var_div_round"]

    def synthesize(self, inputs, ctx):
        sq = ctx.gadget("square").assign(ctx.layouter, inputs[0])
        return [ctx.gadget("var_div_round").assign(ctx.layouter, sq, ctx.scale_factor)]


@hookimpl
def zkml_register_layers():
    return [Square]
