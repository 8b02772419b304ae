"""MaxPool2D: maximum over fh x fw windows, VALID padding (exact). params = [fh, fw, sh, sw].

Circuit: each window's cells gathered (no rows), then the ``max`` gadget's pairwise rounds.
"""

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
        return ["max"] if self.window[0] * self.window[1] > 1 else []  # 1x1: a copy

    def synthesize(self, inputs, ctx):
        windows = self.window_cells(inputs[0])
        if windows.shape[-1] == 1:
            return [windows[..., 0]]
        return [ctx.gadget("max").assign(ctx.layouter, windows)]


@hookimpl
def zkml_register_layers():
    return [MaxPool2D]
