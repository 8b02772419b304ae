"""Split: equal parts along an axis. params = [axis, num_splits]; the data is the second
input (TFLite's order: axis tensor first), and there is one output per part."""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import (
    ShapeLayer,
    constant_ints,
    expect_inputs,
    expect_params,
    normalize_axis,
)

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl


class Split(ShapeLayer):
    name = "Split"
    description = "split into equal parts along an axis"
    tflite_ops = ("SPLIT",)
    outputs = None  # one per part, checked below

    def __init__(self, spec) -> None:
        super().__init__(spec)
        self.axis, self.parts = expect_params(spec, 2, "axis, num_splits")
        expect_inputs(spec, (2,), "axis tensor, data")
        shape = spec.inp_shapes[1]
        if not 0 <= self.axis < len(shape):
            raise ModelError(f"axis {self.axis} is out of range for {list(shape)}")
        if self.parts < 1 or shape[self.axis] % self.parts:
            raise ModelError(f"{shape[self.axis]} is not divisible into {self.parts} parts")
        if len(spec.out_idxes) != self.parts:
            raise ModelError(f"{self.parts} parts need {self.parts} outputs, got "
                             f"{len(spec.out_idxes)}")

    @classmethod
    def from_tflite(cls, op, ctx):
        (axis,) = constant_ints(ctx, op, 0, "axis tensor")
        ndim = len(ctx.shape(op.inputs[1]))
        return ctx.layer("Split", op, [normalize_axis(ctx, op, axis, ndim),
                                       op.options.get("num_splits", len(op.outputs))])

    def required_inputs(self):
        return [1]

    def apply(self, inputs):
        return list(np.split(inputs[1], self.parts, axis=self.axis))


@hookimpl
def zkml_register_layers():
    return [Split]
