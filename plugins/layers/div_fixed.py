"""Div (zkml's DivFixed): division by a constant integer, round_half_up(a / divisor).

params = [divisor], a positive integer (not a scaled value). Circuit: a rounded division
by the constant divisor (``var_div_round``, ``var_div_round_big3`` for divisors beyond
its remainder check).
"""

from __future__ import annotations

from zkml_plugins.layers._common import BuiltinLayer, divider, expect_inputs, expect_params

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl
from zkml_core.model.fixed_point import div_round_half_up


class Div(BuiltinLayer):
    name = "Div"
    description = "division by a constant integer divisor, rounded half up"

    def __init__(self, spec) -> None:
        super().__init__(spec)
        (self.divisor,) = expect_params(spec, 1, "divisor")
        if self.divisor <= 0:
            raise ModelError(f"the divisor must be positive, got {self.divisor}")
        expect_inputs(spec, (1,), "input")

    def forward_int(self, inputs, ctx):
        return [div_round_half_up(inputs[0], self.divisor)]

    def forward_float(self, inputs, ctx):
        return [inputs[0] / self.divisor]

    def gadgets(self, ctx):
        return [divider(self.divisor, ctx.k)]

    def synthesize(self, inputs, ctx):
        div = ctx.gadget(divider(self.divisor, ctx.k))
        return [div.assign(ctx.layouter, inputs[0], self.divisor)]


@hookimpl
def zkml_register_layers():
    return [Div]
