"""Transpose: the input's cells read as ``shape`` then permuted. params = [shape..., perm...]

(zkml's form; the second input, TFLite's permutation tensor, is ignored).
"""

from __future__ import annotations

import math

import numpy as np
from zkml_plugins.layers._common import ShapeLayer, constant_ints, expect_inputs

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl


class Transpose(ShapeLayer):
    name = "Transpose"
    description = "reshape to params' shape, then permute its axes"
    tflite_ops = ("TRANSPOSE",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        expect_inputs(spec, (1, 2), "input, optional permutation tensor")
        params = spec.params
        if len(params) % 2:
            raise ModelError(f"params must be [shape..., permutation...], got {list(params)}")
        ndim = len(params) // 2
        self.shape, self.perm = tuple(params[:ndim]), tuple(params[ndim:])
        if sorted(self.perm) != list(range(ndim)):
            raise ModelError(f"{list(self.perm)} is not a permutation of {ndim} axes")
        if math.prod(self.shape) != math.prod(spec.inp_shapes[0]):
            raise ModelError(f"shape {list(self.shape)} does not hold the input "
                             f"{list(spec.inp_shapes[0])}")

    @classmethod
    def from_tflite(cls, op, ctx):
        shape = list(ctx.shape(op.inputs[0]))
        perm = constant_ints(ctx, op, 1, "permutation tensor")
        return ctx.layer("Transpose", op, shape + perm, inputs=op.inputs[:1])

    def required_inputs(self):
        return [0]

    def apply(self, inputs):
        return [np.transpose(inputs[0].reshape(self.shape), self.perm)]


@hookimpl
def zkml_register_layers():
    return [Transpose]
