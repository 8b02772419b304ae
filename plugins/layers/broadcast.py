"""Broadcast: repeat size-1 axes to ``out_shapes[0]`` (same number of axes). params = []."""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import ShapeLayer, expect_inputs

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl


class Broadcast(ShapeLayer):
    name = "Broadcast"
    description = "repeat size-1 axes up to the output shape"

    def __init__(self, spec) -> None:
        super().__init__(spec)
        expect_inputs(spec, (1,), "input")
        src, dst = tuple(spec.inp_shapes[0]), tuple(spec.out_shapes[0])
        if len(src) != len(dst) or any(a not in (1, b) for a, b in zip(src, dst, strict=True)):
            raise ModelError(f"cannot broadcast {list(src)} to {list(dst)}: only size-1 axes "
                             "of the same rank repeat")
        self.shape = dst

    def apply(self, inputs):
        return [np.broadcast_to(inputs[0], self.shape).copy()]


@hookimpl
def zkml_register_layers():
    return [Broadcast]
