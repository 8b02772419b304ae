"""QMaxPool2D: int8 MAX_POOL_2D with TFLite's integer semantics.

params = [fh, fw, stride_h, stride_w, padding (0 SAME, 1 VALID), act_lo, act_hi]; input
and output share their quantisation. Each output is the maximum of its window's valid
taps (SAME padding leaves the padded ones out), clamped to ``[act_lo, act_hi]``.
"""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._qcommon import QPoolLayer, with_fill

from zkml_core.hookspecs import hookimpl


class QMaxPool2D(QPoolLayer):
    name = "QMaxPool2D"
    description = "int8 max pooling (SAME/VALID)"
    tflite_ops = ("MAX_POOL_2D:int8",)

    def forward_int(self, inputs, ctx):
        # a padded tap never wins: the fill is below every int8 value
        out = with_fill(inputs[0], -(2**31))[self.taps()].max(axis=-1)
        return [np.clip(out, self.lo, self.hi)]


@hookimpl
def zkml_register_layers():
    return [QMaxPool2D]
