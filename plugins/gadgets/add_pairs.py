"""AddPairs: ``out = a + b`` (no rescaling); 3 columns per op, every op of a row
constrained."""

from __future__ import annotations

from zkml_plugins.gadgets._ops import ArithmeticGadget

from zkml_core.hookspecs import hookimpl


class AddPairs(ArithmeticGadget):
    name = "add_pairs"
    description = "out = a + b (3 columns per op)"
    width, n_inputs = 3, 2

    @staticmethod
    def relation(a, b):
        return a + b


@hookimpl
def zkml_register_gadgets():
    return [AddPairs]
