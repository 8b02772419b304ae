"""Sqrt through zkml's table, round(sqrt(x / sf) * sf); negative inputs give 0 (NaN cast).

params = []; ``mask`` holds (flat index, +1 | -1) pairs whose input is replaced by
max_val / min_val first (min_val's table row is 0).
"""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import BuiltinLayer
from zkml_plugins.layers._table import TableLayer, f64_sqrt

from zkml_core.hookspecs import hookimpl


class Sqrt(TableLayer, BuiltinLayer):
    name = "Sqrt"
    description = "square root by table lookup"
    tflite_ops = ("SQRT",)
    function = np.sqrt
    table_function = f64_sqrt
    gadget = "sqrt"
    masked = True


@hookimpl
def zkml_register_layers():
    return [Sqrt]
