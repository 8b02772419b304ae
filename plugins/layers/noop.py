"""Noop: passes one input through unchanged. params = [index of the input to return].

zkml's converter maps shape-only TFLite ops (SHAPE, GATHER, STRIDED_SLICE, ...) to it;
their outputs usually feed only ignored shape inputs, so the executor skips them.
"""

from __future__ import annotations

from zkml_plugins.layers._common import ShapeLayer, expect_params

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl


class Noop(ShapeLayer):
    name = "Noop"
    description = "pass one input through (zkml's stand-in for shape-only ops)"

    def __init__(self, spec) -> None:
        super().__init__(spec)
        (self.index,) = expect_params(spec, 1, "input index")
        if not 0 <= self.index < len(spec.inp_idxes):
            raise ModelError(f"input index {self.index} is out of range for "
                             f"{len(spec.inp_idxes)} inputs")

    def required_inputs(self):
        return [self.index]

    def apply(self, inputs):
        return [inputs[self.index]]


@hookimpl
def zkml_register_layers():
    return [Noop]
