"""Exp: ``round(e^(x / sf) * sf^2)``, at scale sf^2 as softmax uses it.

The table gadget of :mod:`._table`, with the formula of zkml's table (the layers'
forward_int computes the same values).
"""

from __future__ import annotations

import math

from zkml_plugins.gadgets._table import TableGadget, scaled_table

from zkml_core.hookspecs import hookimpl


def f64_exp(v: float) -> float:
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


class Exp(TableGadget):
    name = "exp"
    description = "e^x at scale sf^2 by table lookup (2 columns per op)"

    @staticmethod
    def function(x, sf):
        return scaled_table(f64_exp, x, sf, sf * sf)


@hookimpl
def zkml_register_gadgets():
    return [Exp]
