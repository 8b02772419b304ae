"""Rsqrt: ``round(1 / sqrt(x / sf) * sf)``; 0 saturates to the int64 maximum, negative inputs give 0.

The table gadget of :mod:`._table`, with the formula of zkml's table (the layers'
forward_int computes the same values).
"""

from __future__ import annotations

import math

from zkml_plugins.gadgets._table import TableGadget, scaled_table

from zkml_core.hookspecs import hookimpl


def f64_rsqrt(v: float) -> float:
    if v < 0:
        return math.nan
    return math.inf if v == 0 else 1.0 / math.sqrt(v)


class Rsqrt(TableGadget):
    name = "rsqrt"
    description = "1 / sqrt(x) by table lookup (2 columns per op)"

    @staticmethod
    def function(x, sf):
        return scaled_table(f64_rsqrt, x, sf, sf)


@hookimpl
def zkml_register_gadgets():
    return [Rsqrt]
