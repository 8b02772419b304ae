"""Mean: average over every axis but one, round_half_up(sum / count) (zkml semantics).

params = the axes to reduce; with the batch axis 0 (size 1) exactly one axis must remain.
The output holds one value per index of the kept axis, shaped as ``out_shapes[0]``. A
second input (TFLite's axes tensor) is ignored.

Circuit: the reduced values gathered per kept index (no rows), summed by ``adder``, then
a rounded division by the constant count (``var_div_round``, or ``var_div_round_big3``
when the count is beyond its remainder check).
"""

from __future__ import annotations

import math

import numpy as np
from zkml_plugins.layers._common import (
    BuiltinLayer,
    constant_ints,
    divider,
    expect_inputs,
    normalize_axis,
)

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl
from zkml_core.model.circuit import take
from zkml_core.model.fixed_point import check_product_fits, div_round_half_up


class Mean(BuiltinLayer):
    name = "Mean"
    description = "mean over all axes but one, rounded half up"
    tflite_ops = ("MEAN",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        expect_inputs(spec, (1, 2), "input, optional axes tensor")
        shape = spec.inp_shapes[0]
        if len(shape) < 2 or shape[0] != 1 or 0 in shape:
            raise ModelError("input must have batch size 1, >= 2 dimensions and no empty "
                             f"axis, got {list(shape)}")
        keep = [a for a in range(1, len(shape)) if a not in spec.params]
        if len(keep) != 1:
            raise ModelError(f"reducing axes {list(spec.params)} of {list(shape)} must leave "
                             f"exactly one non-batch axis, leaves {keep}")
        self.keep = keep[0]
        self.count = math.prod(shape) // shape[self.keep]
        self.out_shape = tuple(spec.out_shapes[0])
        if math.prod(self.out_shape) != shape[self.keep]:
            raise ModelError(f"out_shapes[0] {list(self.out_shape)} must hold the "
                             f"{shape[self.keep]} values of the kept axis {self.keep}")

    @classmethod
    def from_tflite(cls, op, ctx):
        """MEAN over all axes but the batch axis and one other (zkml's restriction)."""
        ndim = len(ctx.shape(op.inputs[0]))
        axes = sorted({normalize_axis(ctx, op, a, ndim)
                       for a in constant_ints(ctx, op, 1, "axes tensor")})
        if len(axes) + 2 != ndim or 0 in axes:
            raise ctx.unsupported(op, f"a mean over axes {axes} of {ndim} (all but the batch "
                                      "axis and one other are needed)")
        return ctx.layer("Mean", op, axes, inputs=op.inputs[:1])

    def required_inputs(self):
        return [0]

    def _sums(self, x):
        axes = tuple(a for a in range(x.ndim) if a != self.keep)
        return x.sum(axis=axes)

    def forward_int(self, inputs, ctx):
        check_product_fits("Mean", inputs[0], np.ones(1, np.int64), self.count)
        return [div_round_half_up(self._sums(inputs[0]), self.count).reshape(self.out_shape)]

    def forward_float(self, inputs, ctx):
        return [(self._sums(inputs[0]) / self.count).reshape(self.out_shape)]

    def gadgets(self, ctx):
        return ["adder", divider(self.count, ctx.k)]

    def synthesize(self, inputs, ctx):
        x = inputs[0]
        idx = np.moveaxis(np.arange(x.cells.size).reshape(x.shape), self.keep, 0)
        sums = ctx.gadget("adder").assign(ctx.layouter, take(x, idx.reshape(idx.shape[0], -1)))
        div = ctx.gadget(divider(self.count, ctx.k))
        return [div.assign(ctx.layouter, sums, self.count).reshape(*self.out_shape)]


@hookimpl
def zkml_register_layers():
    return [Mean]
