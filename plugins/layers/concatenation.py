"""Concatenation: join the inputs along one axis. params = [axis].

zkml falls back to the first input when the shapes do not fit; here that is an error.
"""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import ShapeLayer, expect_params, join, normalize_axis

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl


class Concatenation(ShapeLayer):
    name = "Concatenation"
    description = "join the inputs along an axis"
    tflite_ops = ("CONCATENATION",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        (self.axis,) = expect_params(spec, 1, "axis")
        if not spec.inp_idxes:
            raise ModelError("needs at least one input")

    @classmethod
    def from_tflite(cls, op, ctx):
        ctx.activation(op, ("NONE",))
        ndim = len(ctx.shape(op.outputs[0]))
        return ctx.layer("Concatenation", op,
                         [normalize_axis(ctx, op, op.options.get("axis", 0), ndim)])

    def apply(self, inputs):
        return [join(np.concatenate, inputs, self.axis, "concatenate")]


@hookimpl
def zkml_register_layers():
    return [Concatenation]
