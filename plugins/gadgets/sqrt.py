"""Sqrt: ``round(sqrt(x / sf) * sf)``; negative inputs give 0 (NaN cast).

The table gadget of :mod:`._table`, with the formula of zkml's table (the layers'
forward_int computes the same values).
"""

from __future__ import annotations

import math

from zkml_plugins.gadgets._table import TableGadget, scaled_table

from zkml_core.hookspecs import hookimpl


def f64_sqrt(v: float) -> float:
    return math.sqrt(v) if v >= 0 else math.nan


class Sqrt(TableGadget):
    name = "sqrt"
    description = "square root by table lookup (2 columns per op)"

    @staticmethod
    def function(x, sf):
        return scaled_table(f64_sqrt, x, sf, sf)


@hookimpl
def zkml_register_gadgets():
    return [Sqrt]
