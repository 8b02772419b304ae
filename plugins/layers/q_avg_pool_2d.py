"""QAveragePool2D: int8 AVERAGE_POOL_2D with TFLite's integer semantics.

params = [fh, fw, stride_h, stride_w, padding (0 SAME, 1 VALID), act_lo, act_hi]; input
and output share their quantisation. Each output is the sum of its window's valid taps
(SAME padding leaves the padded ones out) divided by their count, rounded half away from
zero (:func:`zkml_core.convert.tflite_quant.rounded_average`), clamped to
``[act_lo, act_hi]``.
"""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._qcommon import QPoolLayer, with_fill

from zkml_core.convert.tflite_quant import rounded_average
from zkml_core.hookspecs import hookimpl


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


@hookimpl
def zkml_register_layers():
    return [QAveragePool2D]
