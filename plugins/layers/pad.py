"""Pad: zero padding. params = [lo, hi] per axis, flattened (other inputs are ignored)."""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import ShapeLayer, constant_ints

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl


class Pad(ShapeLayer):
    name = "Pad"
    description = "pad with zeros"
    tflite_ops = ("PAD",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        ndim = len(spec.inp_shapes[0])
        if len(spec.params) != 2 * ndim or min(spec.params, default=0) < 0:
            raise ModelError(f"params must be [lo, hi] >= 0 for each of the {ndim} axes, got "
                             f"{list(spec.params)}")
        self.pads = [tuple(spec.params[2 * a:2 * a + 2]) for a in range(ndim)]

    @classmethod
    def from_tflite(cls, op, ctx):
        return ctx.layer("Pad", op, constant_ints(ctx, op, 1, "paddings tensor"),
                         inputs=op.inputs[:1])

    def required_inputs(self):
        return [0]

    def apply(self, inputs):
        return [np.pad(inputs[0], self.pads) if self.pads else inputs[0].copy()]


@hookimpl
def zkml_register_layers():
    return [Pad]
