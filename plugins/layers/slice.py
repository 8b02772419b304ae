"""Slice: one box of the input. params = [begin..., size...] (size -1: to the end).

Further inputs (TFLite's begin and size tensors) are ignored.
"""

from __future__ import annotations

from zkml_plugins.layers._common import ShapeLayer, constant_ints

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl


class Slice(ShapeLayer):
    name = "Slice"
    description = "take a box [begin, begin + size) of the input"
    tflite_ops = ("SLICE",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        shape = spec.inp_shapes[0]
        if len(spec.params) != 2 * len(shape):
            raise ModelError(f"params must be [begin..., size...] for the {len(shape)} axes "
                             f"of {list(shape)}, got {list(spec.params)}")
        begins, sizes = spec.params[:len(shape)], spec.params[len(shape):]
        self.box = []
        for axis, (b, s, n) in enumerate(zip(begins, sizes, shape, strict=True)):
            end = n if s == -1 else b + s
            if not (0 <= b <= end <= n) or s < -1:
                raise ModelError(f"axis {axis}: begin {b}, size {s} do not fit {n}")
            self.box.append(slice(b, end))

    @classmethod
    def from_tflite(cls, op, ctx):
        begin = constant_ints(ctx, op, 1, "begin tensor")
        size = constant_ints(ctx, op, 2, "size tensor")
        return ctx.layer("Slice", op, begin + size, inputs=op.inputs[:1])

    def required_inputs(self):
        return [0]

    def apply(self, inputs):
        return [inputs[0][tuple(self.box)]]


@hookimpl
def zkml_register_layers():
    return [Slice]
