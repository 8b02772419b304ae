"""Rsqrt through zkml's table, round(sf / sqrt(x / sf)); 0 saturates to i64 max.

params = []; ``mask`` holds (flat index, +1 | -1) pairs whose input is replaced by
max_val / min_val first (min_val's table row is 0).
"""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import BuiltinLayer
from zkml_plugins.layers._table import TableLayer, f64_rsqrt

from zkml_core.hookspecs import hookimpl


def rsqrt(x: np.ndarray) -> np.ndarray:
    return 1.0 / np.sqrt(x)


class Rsqrt(TableLayer, BuiltinLayer):
    name = "Rsqrt"
    description = "1 / sqrt(x) by table lookup"
    tflite_ops = ("RSQRT",)
    function = rsqrt
    table_function = f64_rsqrt
    gadget = "rsqrt"
    masked = True


@hookimpl
def zkml_register_layers():
    return [Rsqrt]
