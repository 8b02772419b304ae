"""DotProduct: ``sum(x * w)`` along the last axis, ``(num_cols - 1) // 2`` products a row
(x in the first columns, w in the next, a spare column when num_cols is even) and a
running sum in the last column (see :mod:`._accumulate`). Operands broadcast, so one
weight vector serves a batch; field-valued operands (Freivalds vectors) are accepted."""

from __future__ import annotations

from zkml_plugins.gadgets._accumulate import AccumulatorGadget

from zkml_core.hookspecs import hookimpl


class DotProduct(AccumulatorGadget):
    name = "dot_product"
    description = "dot products along the last axis (running sum in the last column)"
    n_inputs = 2


@hookimpl
def zkml_register_gadgets():
    return [DotProduct]
