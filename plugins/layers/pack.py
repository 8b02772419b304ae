"""Pack: stack the inputs along a new axis 0 or 1. params = [axis]."""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import ShapeLayer, expect_params, join, normalize_axis

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl


class Pack(ShapeLayer):
    name = "Pack"
    description = "stack the inputs along a new axis (0 or 1)"
    tflite_ops = ("PACK",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        (self.axis,) = expect_params(spec, 1, "axis")
        if self.axis not in (0, 1):
            raise ModelError(f"axis must be 0 or 1 (as in zkml), got {self.axis}")

    @classmethod
    def from_tflite(cls, op, ctx):
        ndim = len(ctx.shape(op.outputs[0]))
        axis = normalize_axis(ctx, op, op.options.get("axis", 0), ndim)
        if axis > 1:
            raise ctx.unsupported(op, f"packing along axis {axis} (0 or 1 only)")
        return ctx.layer("Pack", op, [axis])

    def apply(self, inputs):
        return [join(np.stack, inputs, self.axis, "stack")]


@hookimpl
def zkml_register_layers():
    return [Pack]
