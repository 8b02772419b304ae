"""QMaxPool2D: int8 MAX_POOL_2D with TFLite's integer semantics.

params = [fh, fw, stride_h, stride_w, padding (0 SAME, 1 VALID), act_lo, act_hi]; input
and output share their quantisation. Each output is the maximum of its window's valid
taps (SAME padding leaves the padded ones out), clamped to ``[act_lo, act_hi]``.

Circuit: the ``max`` gadget over each window's cells (a padded tap repeats the window's
first valid one, which leaves the maximum alone); a fused activation's clamp by
``rounded_average`` with count 1.
"""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._qcommon import QPoolLayer, with_fill

from zkml_core.hookspecs import hookimpl
from zkml_core.model.circuit import take


class QMaxPool2D(QPoolLayer):
    name = "QMaxPool2D"
    description = "int8 max pooling (SAME/VALID)"
    tflite_ops = ("MAX_POOL_2D:int8",)

    def forward_int(self, inputs, ctx):
        # a padded tap never wins: the fill is below every int8 value
        out = with_fill(inputs[0], -(2**31))[self.taps()].max(axis=-1)
        return [np.clip(out, self.lo, self.hi)]

    def _clamps(self) -> bool:
        return (self.lo, self.hi) != (-128, 127)

    def gadgets(self, ctx):
        names = ["max"] if self.fh * self.fw > 1 else []
        return names + (["rounded_average"] if self._clamps() else [])

    def synthesize(self, inputs, ctx):
        taps = self.taps()
        valid = taps != inputs[0].cells.size
        first = np.take_along_axis(taps, valid.argmax(axis=-1)[..., None], axis=-1)
        cells = take(inputs[0], np.where(valid, taps, first))
        out = ctx.gadget("max").assign(ctx.layouter, cells) if taps.shape[-1] > 1 \
            else cells[..., 0]
        if self._clamps():
            out = ctx.gadget("rounded_average").assign(ctx.layouter, out, 1, self.lo, self.hi)
        return [out]


@hookimpl
def zkml_register_layers():
    return [QMaxPool2D]
