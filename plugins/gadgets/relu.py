"""Relu: ``y = max(x, 0)`` by a tuple lookup in the relu table (see :mod:`._table`)."""

from __future__ import annotations

import numpy as np
from zkml_plugins.gadgets._table import TableGadget

from zkml_core.hookspecs import hookimpl


class Relu(TableGadget):
    name = "relu"
    description = "max(x, 0) by table lookup (2 columns per op)"

    @staticmethod
    def function(x, sf):
        return np.maximum(x, 0)


@hookimpl
def zkml_register_gadgets():
    return [Relu]
