"""DivVar: a / b for a one-element tensor b, round_half_up(a * sf / b). params = [].

b must be positive (zkml reads it as an unsigned field value). Circuit: a * sf by
``mul_pairs`` with the constant sf, then ``var_div_round`` by the divisor cell, which that
gadget range-checks (1 <= b, 2 b <= 2^k - 9).
"""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import BuiltinLayer, expect_inputs, expect_params

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl
from zkml_core.model.fixed_point import check_product_fits, div_round_half_up


class DivVar(BuiltinLayer):
    name = "DivVar"
    description = "division by a computed one-element tensor, rounded half up"

    def __init__(self, spec) -> None:
        super().__init__(spec)
        expect_params(spec, 0, "")
        expect_inputs(spec, (2,), "a, divisor")
        if tuple(spec.inp_shapes[1]) not in ((1,), ()):
            raise ModelError(f"the divisor must be one element of shape [1], got "
                             f"{list(spec.inp_shapes[1])}")

    def forward_int(self, inputs, ctx):
        a, b = inputs[0], int(inputs[1].reshape(-1)[0])
        if b <= 0:
            raise ModelError(f"DivVar: the divisor is {b}; it must be positive")
        check_product_fits("DivVar", a, np.array([ctx.scale_factor]))
        return [div_round_half_up(a * ctx.scale_factor, b)]

    def forward_float(self, inputs, ctx):
        return [inputs[0] / inputs[1].reshape(-1)[0]]

    def gadgets(self, ctx):
        return ["mul_pairs", "var_div_round"]

    def synthesize(self, inputs, ctx):
        lay = ctx.layouter
        scaled = ctx.gadget("mul_pairs").assign(lay, inputs[0], ctx.constant([ctx.scale_factor]))
        return [ctx.gadget("var_div_round").assign(lay, scaled, inputs[1].reshape(1))]


@hookimpl
def zkml_register_layers():
    return [DivVar]
