"""Reshape: the input's cells in row-major order, shaped as ``out_shapes[0]``. params = [].

A second input (TFLite's shape tensor) is allowed and ignored, as in zkml.
"""

from __future__ import annotations

import math

from zkml_plugins.layers._common import BuiltinLayer, expect_inputs, expect_params

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl


class Reshape(BuiltinLayer):
    name = "Reshape"
    description = "row-major reshape to out_shapes[0] (no constraints)"
    tflite_ops = ("RESHAPE",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        expect_params(spec, 0, "")
        expect_inputs(spec, (1, 2), "input, optional shape tensor")
        if len(spec.out_shapes) != 1:
            raise ModelError(f"needs exactly one output shape, got {len(spec.out_shapes)}")
        self.shape = tuple(spec.out_shapes[0])
        have = math.prod(spec.inp_shapes[0])
        if have != math.prod(self.shape):
            raise ModelError(f"cannot reshape {list(spec.inp_shapes[0])} ({have} values) to "
                             f"{list(self.shape)}")

    @classmethod
    def from_tflite(cls, op, ctx):
        """RESHAPE; the shape comes from the output tensor, so the shape input is dropped."""
        return ctx.layer("Reshape", op, inputs=op.inputs[:1])

    def required_inputs(self):
        return [0]  # the shape comes from out_shapes; TFLite's shape tensor is ignored

    def forward_int(self, inputs, ctx):
        return [inputs[0].reshape(self.shape)]

    def forward_float(self, inputs, ctx):
        return [inputs[0].reshape(self.shape)]

    def synthesize(self, inputs, ctx):
        return [inputs[0].reshape(*self.shape)]  # same cells, no constraints needed


@hookimpl
def zkml_register_layers():
    return [Reshape]
