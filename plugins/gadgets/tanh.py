"""Tanh: ``round(tanh(x / sf) * sf)``.

The table gadget of :mod:`._table`, with the formula of zkml's table (the layers'
forward_int computes the same values).
"""

from __future__ import annotations

import math

from zkml_plugins.gadgets._table import TableGadget, scaled_table

from zkml_core.hookspecs import hookimpl


class Tanh(TableGadget):
    name = "tanh"
    description = "tanh by table lookup (2 columns per op)"

    @staticmethod
    def function(x, sf):
        return scaled_table(math.tanh, x, sf, sf)


@hookimpl
def zkml_register_gadgets():
    return [Tanh]
