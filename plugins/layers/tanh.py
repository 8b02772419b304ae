"""Tanh through zkml's table, round(tanh(x / sf) * sf). params = []."""

from __future__ import annotations

import math

import numpy as np
from zkml_plugins.layers._common import BuiltinLayer
from zkml_plugins.layers._table import TableLayer

from zkml_core.hookspecs import hookimpl


class Tanh(TableLayer, BuiltinLayer):
    name = "Tanh"
    description = "hyperbolic tangent by table lookup"
    tflite_ops = ("TANH",)
    function = np.tanh
    table_function = math.tanh
    gadget = "tanh"


@hookimpl
def zkml_register_layers():
    return [Tanh]
