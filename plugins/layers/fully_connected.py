"""FullyConnected: X W^T rescaled, plus bias, optional relu (zkml semantics).

params = [activation] (0 none, 1 relu). Inputs: X [B, in] (more dimensions are flattened
to rows of ``in`` values, as TFLite does: [1, T, in] -> [T, in]), weights
W [out, in], optional bias [out]. Integer semantics: out = round_half_up(X W^T / sf)
+ bias, then max(., 0) for relu. Output [B, out].

Circuit: the products X W^T by Freivalds' check when that is cheaper (several rows of
input), else by dot products; then ``bias_div_round_relu6`` (rounded division by sf plus
bias, range-checked) and the relu table for relu.
"""

from __future__ import annotations

import math

import numpy as np
from zkml_plugins.layers._common import (
    ACT_NONE,
    ACT_RELU,
    BuiltinLayer,
    activate_float,
    activate_int,
    check_activation,
    expect_inputs,
    expect_params,
    freivalds_cheaper,
)

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl
from zkml_core.model.circuit import take
from zkml_core.model.fixed_point import check_product_fits, div_round_half_up, exact_matmul


def matrix_input(x):
    """The input as rows of ``in`` values (TFLite flattens the leading axes; for zkml's
    files, whose extra leading axis has size 1, this is zkml's first slice)."""
    return x.reshape(-1, x.shape[-1])


class FullyConnected(BuiltinLayer):
    name = "FullyConnected"
    description = "matrix product with weights [out, in], bias, optional relu"
    tflite_ops = ("FULLY_CONNECTED",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        (act,) = expect_params(spec, 1, "activation")
        expect_inputs(spec, (2, 3), "input, weights, optional bias")
        self.activation = check_activation(act, (ACT_NONE, ACT_RELU))
        x_shape, w_shape = spec.inp_shapes[0], spec.inp_shapes[1]
        if len(x_shape) < 2 or len(w_shape) != 2:
            raise ModelError(f"input must have >= 2 dimensions and weights 2, got "
                             f"{list(x_shape)} and {list(w_shape)}")
        if x_shape[-1] != w_shape[1]:
            raise ModelError(f"input {list(x_shape)} and weights {list(w_shape)}: the input "
                             "width must equal the weights' second dimension")
        if len(spec.inp_shapes) == 3 and tuple(spec.inp_shapes[2]) not in (
                (w_shape[0],), (1, w_shape[0])):
            raise ModelError(f"bias shape {list(spec.inp_shapes[2])} must be [{w_shape[0]}]")

    @classmethod
    def from_tflite(cls, op, ctx):
        """FULLY_CONNECTED with the default weights format, keep_num_dims false."""
        if op.options.get("keep_num_dims", False):
            raise ctx.unsupported(op, "keep_num_dims")
        if op.options.get("weights_format", 0) not in (0, "DEFAULT"):
            raise ctx.unsupported(op, "a shuffled weights format")
        return ctx.layer("FullyConnected", op, [ctx.activation(op, ("NONE", "RELU"))])

    def forward_int(self, inputs, ctx):
        x, w = matrix_input(inputs[0]), inputs[1]
        check_product_fits("FullyConnected", x, w, w.shape[1])
        out = div_round_half_up(exact_matmul(x, w.T), ctx.scale_factor)
        if len(inputs) == 3:
            out = out + inputs[2].reshape(-1)
        return [activate_int(out, self.activation, ctx.scale_factor)]

    def forward_float(self, inputs, ctx):
        out = matrix_input(inputs[0]) @ inputs[1].T
        if len(inputs) == 3:
            out = out + inputs[2].reshape(-1)
        return [activate_float(out, self.activation)]

    def _dims(self) -> tuple[int, int, int]:
        """(M, K, N) of the product: input rows, input width, output units."""
        x_shape, w_shape = self.spec.inp_shapes[0], self.spec.inp_shapes[1]
        return math.prod(x_shape[:-1]), x_shape[-1], w_shape[0]

    def gadgets(self, ctx):
        names = ["bias_div_round_relu6"]
        names.append("freivalds" if freivalds_cheaper(*self._dims()) else "dot_product")
        return names + ["relu"] if self.activation == ACT_RELU else names

    def synthesize(self, inputs, ctx):
        lay = ctx.layouter
        m, kdim, n = self._dims()
        x, w = inputs[0].reshape(m, kdim), inputs[1]
        if freivalds_cheaper(m, kdim, n):
            wt = take(w, np.arange(n * kdim).reshape(n, kdim).T)  # W^T, [K, N]
            acc = ctx.gadget("freivalds").matmul(lay, x, wt)
        else:
            acc = ctx.gadget("dot_product").assign(lay, x.reshape(m, 1, kdim),
                                                   w.reshape(1, n, kdim))
        bias = inputs[2].reshape(n) if len(inputs) == 3 else ctx.zeros((n,))
        div, _ = ctx.gadget("bias_div_round_relu6").assign(lay, acc, bias)
        if self.activation == ACT_RELU:
            return [ctx.gadget("relu").assign(lay, div)]
        return [div]


@hookimpl
def zkml_register_layers():
    return [FullyConnected]
