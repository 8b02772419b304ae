"""AveragePool2D: mean over fh x fw windows, VALID padding (zkml semantics).

params = [fh, fw, stride_h, stride_w]; input [N,H,W,C]. Integer semantics:
out = round_half_up(sum(window) / (fh * fw)), the divisor a constant of the layer.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from zkml_plugins.layers._common import PoolLayer

from zkml_core.hookspecs import hookimpl
from zkml_core.model.fixed_point import check_product_fits, div_round_half_up


class AveragePool2D(PoolLayer):
    name = "AveragePool2D"
    description = "average pooling over fh x fw windows (VALID), rounded half up"
    tflite_ops = ("AVERAGE_POOL_2D",)

    def window_sums(self, x: np.ndarray) -> np.ndarray:
        """Sums over each VALID window, [N, OH, OW, C]."""
        fh, fw = self.window
        sh, sw = self.strides
        win = sliding_window_view(x, (fh, fw), axis=(1, 2))[:, ::sh, ::sw]
        return win.sum(axis=(-2, -1))

    def forward_int(self, inputs, ctx):
        check_product_fits("AveragePool2D", inputs[0], np.ones(1, np.int64),
                           self.window[0] * self.window[1])
        return [div_round_half_up(self.window_sums(inputs[0]), self.window[0] * self.window[1])]

    def forward_float(self, inputs, ctx):
        return [self.window_sums(inputs[0]) / (self.window[0] * self.window[1])]

    def gadgets(self, ctx):
        return ["adder", "var_div_round"]

    def synthesize(self, inputs, ctx):
        fh, fw = self.window
        sums = ctx.gadget("adder").assign(ctx.layouter, self.window_cells(inputs[0]))
        # the divisor is a constant of the circuit (zkml took it as free advice)
        return [ctx.gadget("var_div_round").assign(ctx.layouter, sums, fh * fw)]


@hookimpl
def zkml_register_layers():
    return [AveragePool2D]
