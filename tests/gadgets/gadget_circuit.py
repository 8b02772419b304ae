"""A tiny circuit around one gadget call, and tampering helpers for negative tests.

``GadgetCircuit(names, call, inputs)`` configures the named gadgets (plus what they
require) on ``num_cols`` shared advice columns, places each input array in an
``inputs`` region (row-major over the columns), runs ``call(gadgets, layouter,
operands)`` and keeps its result in ``circuit.out``. ``tamper(circuit, asg)`` runs after
synthesis in mock mode, to change witness cells.
"""

from __future__ import annotations

import importlib
import math

import numpy as np

from zkml_core.dev.mock import MockProver
from zkml_core.plonk.gadgets import GadgetConfig, configure_gadgets, load_gadget_tables
from zkml_core.plugins import Registry

MODULES = ["input_lookup", "adder", "dot_product", "add_pairs", "sub_pairs", "mul_pairs",
           "square", "squared_diff", "var_div_round", "bias_div_round_relu6", "relu", "max",
           "var_div_round_big3", "exp", "logistic", "tanh", "pow", "sqrt", "rsqrt",
           "requantize", "rounded_average", "range_check"]


def gadget_classes() -> dict[str, type]:
    """The built-in gadgets, from their modules (independent of installed entry points)."""
    reg = Registry(autoload=False)
    for m in MODULES:
        try:
            reg.register(importlib.import_module(f"zkml_plugins.gadgets.{m}"))
        except ModuleNotFoundError:
            pass  # not written yet
    return reg.gadgets()


CLASSES = gadget_classes()


class GadgetCircuit:
    def __init__(self, names, call, inputs, sf=4, k=8, num_cols=7, tamper=None):
        self.names, self.call, self.inputs = list(names), call, inputs
        self.sf, self.k, self.num_cols, self.tamper = sf, k, num_cols, tamper

    def configure(self, cs):
        # equality is left to the gadgets: they enable it on every shared column
        cols = [cs.advice_column() for _ in range(self.num_cols)]
        config = GadgetConfig(scale_factor=self.sf, k=self.k, columns=cols)
        return configure_gadgets(cs, config, self.names, CLASSES), cols

    def synthesize(self, layouter, cfg):
        gadgets, cols = cfg
        load_gadget_tables(layouter, gadgets)
        operands = [place(layouter, cols, x) for x in self.inputs]
        self.gadgets = gadgets
        self.out = self.call(gadgets, layouter, operands)
        if self.tamper is not None and layouter.asg.mode == "mock":
            self.tamper(self, layouter.asg)

    def failures(self):
        return MockProver(self, [], k=self.k).verify()


def place(layouter, cols, values):
    """Assign an int array in a region of its own; returns it as ``Assigned``."""
    from zkml_core.plonk.layouter import Assigned

    values = np.asarray(values, dtype=np.int64)
    m, n = values.size, len(cols)
    rows = max(1, math.ceil(m / n))
    grid = np.zeros(rows * n, dtype=np.int64)
    grid[:m] = values.reshape(-1)
    with layouter.region("inputs") as region:
        cells = region.assign_advice(cols, 0, grid.reshape(rows, n))
    return Assigned(cells.flatten()[:m].reshape(values.shape), values)


def add_to_cell(asg, cells, delta):
    """Add ``delta`` to the witness value of the first cell of ``cells``."""
    g, r = int(cells.gids.reshape(-1)[0]), int(cells.rows.reshape(-1)[0])
    vals = asg.column_values(asg.column_of(g))
    vals[r] = asg.field.add(vals[r:r + 1], asg.field.from_ints([delta]))[0]


def cell_value(asg, cells):
    g, r = int(cells.gids.reshape(-1)[0]), int(cells.rows.reshape(-1)[0])
    return asg.field.to_signed_ints(asg.column_values(asg.column_of(g))[r:r + 1])[0]


def kinds(failures):
    """{(kind, name)} of MockProver failures, names without quotes."""
    return {(f.kind, f.name.replace("'", "")) for f in failures}
