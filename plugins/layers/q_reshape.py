"""QReshape: int8 RESHAPE (input and output share their quantisation): the values in
row-major order, shaped as ``out_shapes[0]``; TFLite's shape tensor is dropped. params = []."""

from __future__ import annotations

import math

from zkml_plugins.layers._qcommon import QLayer

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl


class QReshape(QLayer):
    name = "QReshape"
    description = "int8 row-major reshape (no constraints)"
    tflite_ops = ("RESHAPE:int8",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        if list(spec.params) or len(spec.inp_idxes) != 1 or len(spec.out_shapes) != 1:
            raise ModelError("takes no params, one input and one output")
        self.shape = tuple(spec.out_shapes[0])
        if math.prod(spec.inp_shapes[0]) != math.prod(self.shape):
            raise ModelError(f"cannot reshape {list(spec.inp_shapes[0])} to {list(self.shape)}")

    @classmethod
    def from_tflite(cls, op, ctx):
        q_in, q_out = ctx.quantization(op.inputs[0]), ctx.quantization(op.outputs[0])
        if (float(q_in.scales[0]), int(q_in.zero_points[0])) != (
                float(q_out.scales[0]), int(q_out.zero_points[0])):
            raise ctx.unsupported(op, "different input and output quantisation")
        return ctx.layer(cls.name, op, inputs=op.inputs[:1])

    def forward_int(self, inputs, ctx):
        return [inputs[0].reshape(self.shape)]

    def synthesize(self, inputs, ctx):
        return [inputs[0].reshape(*self.shape)]  # the same cells: no constraints


@hookimpl
def zkml_register_layers():
    return [QReshape]
