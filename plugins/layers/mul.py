"""Mul: elementwise product rescaled to sf, round_half_up(a * b / sf) as zkml. params = []."""

from __future__ import annotations

from zkml_plugins.layers._common import BuiltinLayer, expect_inputs, expect_params

from zkml_core.hookspecs import hookimpl
from zkml_core.model.fixed_point import broadcast, check_product_fits, div_round_half_up


class Mul(BuiltinLayer):
    name = "Mul"
    description = "elementwise a * b (broadcasting), rescaled with round-half-up"
    tflite_ops = ("MUL",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        expect_params(spec, 0, "")
        expect_inputs(spec, (2,), "a, b")

    @classmethod
    def from_tflite(cls, op, ctx):
        ctx.activation(op, ("NONE",))
        return ctx.layer("Mul", op)

    def forward_int(self, inputs, ctx):
        a, b = broadcast("Mul", *inputs)
        check_product_fits("Mul", a, b)
        return [div_round_half_up(a * b, ctx.scale_factor)]

    def forward_float(self, inputs, ctx):
        a, b = broadcast("Mul", *inputs)
        return [a * b]

    def gadgets(self, ctx):
        return ["mul_pairs", "var_div_round"]


@hookimpl
def zkml_register_layers():
    return [Mul]
