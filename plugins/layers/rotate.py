"""Rotate: reverse the order along the axes listed in params."""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import ShapeLayer, expect_inputs

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl


class Rotate(ShapeLayer):
    name = "Rotate"
    description = "flip the input along the given axes"

    def __init__(self, spec) -> None:
        super().__init__(spec)
        expect_inputs(spec, (1,), "input")
        ndim = len(spec.inp_shapes[0])
        if any(not 0 <= a < ndim for a in spec.params):
            raise ModelError(f"axes {list(spec.params)} out of range for {ndim} axes")

    def apply(self, inputs):
        return [np.flip(inputs[0], axis=tuple(sorted(set(self.spec.params))))]


@hookimpl
def zkml_register_layers():
    return [Rotate]
