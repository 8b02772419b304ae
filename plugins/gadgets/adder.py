"""Adder: sums along the last axis, ``num_cols - 1`` terms a row and a running sum in the
last column (see :mod:`._accumulate`)."""

from __future__ import annotations

from zkml_plugins.gadgets._accumulate import AccumulatorGadget

from zkml_core.hookspecs import hookimpl


class Adder(AccumulatorGadget):
    name = "adder"
    description = "sum along the last axis (running sum in the last column)"
    n_inputs = 1


@hookimpl
def zkml_register_gadgets():
    return [Adder]
