"""MaxPool2D: maximum over fh x fw windows, VALID padding (exact). params = [fh, fw, sh, sw]."""

from __future__ import annotations

from numpy.lib.stride_tricks import sliding_window_view
from zkml_plugins.layers._common import PoolLayer

from zkml_core.hookspecs import hookimpl


class MaxPool2D(PoolLayer):
    name = "MaxPool2D"
    description = "max pooling over fh x fw windows (VALID)"
    tflite_ops = ("MAX_POOL_2D",)

    def _max(self, x):
        sh, sw = self.strides
        win = sliding_window_view(x, self.window, axis=(1, 2))[:, ::sh, ::sw]
        return win.max(axis=(-2, -1))

    def forward_int(self, inputs, ctx):
        return [self._max(inputs[0])]

    def forward_float(self, inputs, ctx):
        return [self._max(inputs[0])]

    def gadgets(self, ctx):
        return ["max"]


@hookimpl
def zkml_register_layers():
    return [MaxPool2D]
