"""MaskNegInf: masked cells become min_val, zkml's stand-in for -inf (no constraints:
the circuit's output cells are the input's and one constant cell holding min_val).

params = [ndim, mask shape..., mask values...], broadcast to the input (1 = masked). The
second input (the converter's mask constant) is ignored. The float reference uses the
same value, min_val / sf, so both runs agree exactly.
"""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import BuiltinLayer, expect_inputs, flat_join
from zkml_plugins.layers._mask import parse_mask

from zkml_core.hookspecs import hookimpl
from zkml_core.model.circuit import take


class MaskNegInf(BuiltinLayer):
    name = "MaskNegInf"
    description = "replace masked cells by min_val (-inf stand-in)"

    def __init__(self, spec) -> None:
        super().__init__(spec)
        expect_inputs(spec, (1, 2), "input, optional mask tensor")
        self.mask = parse_mask(spec.params, spec.inp_shapes[0])

    def required_inputs(self):
        return [0]

    def forward_int(self, inputs, ctx):
        x = inputs[0]
        return [x if self.mask is None else np.where(self.mask, ctx.min_val, x)]

    def forward_float(self, inputs, ctx):
        x = inputs[0]
        low = ctx.min_val / ctx.scale_factor
        return [x if self.mask is None else np.where(self.mask, low, x)]

    def synthesize(self, inputs, ctx):
        x = inputs[0]
        if self.mask is None or not self.mask.any():
            return [x]
        low = ctx.constant([ctx.min_val])  # bound by the verifying key, as every constant
        index = np.where(self.mask, x.cells.size, np.arange(x.cells.size).reshape(x.shape))
        return [take(flat_join([x, low]), index)]


@hookimpl
def zkml_register_layers():
    return [MaskNegInf]
