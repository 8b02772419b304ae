"""Square: ``out = x * x`` (no rescaling); 2 columns per op, every op of a row
constrained."""

from __future__ import annotations

from zkml_plugins.gadgets._ops import ArithmeticGadget

from zkml_core.hookspecs import hookimpl


class Square(ArithmeticGadget):
    name = "square"
    description = "out = x * x (2 columns per op)"
    width, n_inputs = 2, 1

    @staticmethod
    def relation(x):
        return x * x


@hookimpl
def zkml_register_gadgets():
    return [Square]
