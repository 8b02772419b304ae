"""Pow: ``round((x / sf)^3 * sf)`` (zkml's table is the cube).

The table gadget of :mod:`._table`, with the formula of zkml's table (the layers'
forward_int computes the same values).
"""

from __future__ import annotations

import math

from zkml_plugins.gadgets._table import TableGadget, scaled_table

from zkml_core.hookspecs import hookimpl


def cube(v: float) -> float:
    try:
        return math.pow(v, 3.0)
    except OverflowError:
        return math.copysign(math.inf, v)


class Pow(TableGadget):
    name = "pow"
    description = "x^3 by table lookup (2 columns per op)"

    @staticmethod
    def function(x, sf):
        return scaled_table(cube, x, sf, sf)


@hookimpl
def zkml_register_gadgets():
    return [Pow]
