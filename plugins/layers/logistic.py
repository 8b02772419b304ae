"""Logistic: sigmoid through zkml's table, round(sigma(x / sf) * sf). params = []."""

from __future__ import annotations

import numpy as np
from zkml_plugins.layers._common import BuiltinLayer
from zkml_plugins.layers._table import TableLayer, f64_sigmoid

from zkml_core.hookspecs import hookimpl


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class Logistic(TableLayer, BuiltinLayer):
    name = "Logistic"
    description = "sigmoid 1 / (1 + e^-x) by table lookup"
    tflite_ops = ("LOGISTIC",)
    function = sigmoid
    table_function = f64_sigmoid
    gadget = "logistic"


@hookimpl
def zkml_register_layers():
    return [Logistic]
