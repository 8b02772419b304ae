"""QAveragePool2D: int8 AVERAGE_POOL_2D with TFLite's integer semantics.

params = [fh, fw, stride_h, stride_w, padding (0 SAME, 1 VALID), act_lo, act_hi]; input
and output share their quantisation. Each output is the sum of its window's valid taps
(SAME padding leaves the padded ones out) divided by their count, rounded half away from
zero (:func:`zkml_core.convert.tflite_quant.rounded_average`), clamped to
``[act_lo, act_hi]``.

Circuit: the window sums by the ``adder`` gadget (padded taps read a constant 0 cell),
then ``rounded_average`` with each window's count (a constant of the circuit).
"""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._qcommon import QPoolLayer, with_fill, with_zero_and_one

from zkml_core.convert.tflite_quant import rounded_average
from zkml_core.hookspecs import hookimpl
from zkml_core.model.circuit import take


class QAveragePool2D(QPoolLayer):
    name = "QAveragePool2D"
    description = "int8 average pooling (SAME/VALID), rounded half away from zero"
    tflite_ops = ("AVERAGE_POOL_2D:int8",)

    def counts(self) -> np.ndarray:
        """The number of valid taps of each window, [N, OH, OW, C]."""
        fill = int(np.prod(self.spec.inp_shapes[0]))
        return (self.taps() != fill).sum(axis=-1).astype(np.int64)

    def forward_int(self, inputs, ctx):
        total = with_fill(inputs[0], 0)[self.taps()].sum(axis=-1)
        return [np.clip(rounded_average(total, self.counts()), self.lo, self.hi)]

    def gadgets(self, ctx):
        return ["adder", "rounded_average"]

    def synthesize(self, inputs, ctx):
        xz, zero, _ = with_zero_and_one(ctx, inputs[0])
        taps = self.taps()
        taps = np.where(taps == inputs[0].cells.size, zero, taps)
        sums = ctx.gadget("adder").assign(ctx.layouter, take(xz, taps))
        return [ctx.gadget("rounded_average").assign(ctx.layouter, sums, self.counts(),
                                                      self.lo, self.hi)]


@hookimpl
def zkml_register_layers():
    return [QAveragePool2D]
