"""Pow: x^3 through zkml's table, round((x / sf)^3 * sf). params = [3] (zkml's table is
hard-wired to the cube); a second input (TFLite's exponent tensor) is ignored."""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import BuiltinLayer, expect_inputs, expect_params
from zkml_plugins.layers._table import TableLayer, f64_cube

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl


def cube(x: np.ndarray) -> np.ndarray:
    return x**3


class Pow(TableLayer, BuiltinLayer):
    name = "Pow"
    description = "x^3 by table lookup (the only power zkml supports)"
    tflite_ops = ("POW",)
    function = cube
    table_function = f64_cube
    gadget = "pow"

    def _check_spec(self, spec) -> None:
        (power,) = expect_params(spec, 1, "power")
        if power != 3:
            raise ModelError(f"only the power 3 is supported (zkml's table), got {power}")
        expect_inputs(spec, (1, 2), "input, optional exponent tensor")

    @classmethod
    def from_tflite(cls, op, ctx):
        exponent = ctx.constant(op.inputs[1])
        if exponent is None or exponent.size != 1 or float(exponent.reshape(-1)[0]) != 3.0:
            raise ctx.unsupported(op, "an exponent other than the constant 3")
        return ctx.layer("Pow", op, [3], inputs=op.inputs[:1])

    def required_inputs(self):
        return [0]


@hookimpl
def zkml_register_layers():
    return [Pow]
