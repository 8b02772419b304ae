"""Permute: permute the input's axes. params = the permutation (one entry per axis)."""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import ShapeLayer, expect_inputs

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl


class Permute(ShapeLayer):
    name = "Permute"
    description = "permute the axes of the input"

    def __init__(self, spec) -> None:
        super().__init__(spec)
        expect_inputs(spec, (1,), "input")
        if sorted(spec.params) != list(range(len(spec.inp_shapes[0]))):
            raise ModelError(f"{list(spec.params)} is not a permutation of the "
                             f"{len(spec.inp_shapes[0])} axes of the input")

    def apply(self, inputs):
        return [np.transpose(inputs[0], self.spec.params)]


@hookimpl
def zkml_register_layers():
    return [Permute]
