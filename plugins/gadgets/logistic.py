"""Logistic: ``round(sigmoid(x / sf) * sf)``.

The table gadget of :mod:`._table`, with the formula of zkml's table (the layers'
forward_int computes the same values).
"""

from __future__ import annotations

import math

from zkml_plugins.gadgets._table import TableGadget, scaled_table

from zkml_core.hookspecs import hookimpl


def sigmoid(v: float) -> float:
    try:
        return 1.0 / (1.0 + math.exp(-v))
    except OverflowError:
        return 0.0


class Logistic(TableGadget):
    name = "logistic"
    description = "sigmoid 1 / (1 + e^-x) by table lookup (2 columns per op)"

    @staticmethod
    def function(x, sf):
        return scaled_table(sigmoid, x, sf, sf)


@hookimpl
def zkml_register_gadgets():
    return [Logistic]
