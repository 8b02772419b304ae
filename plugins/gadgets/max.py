"""Max: the maximum along the last axis, by rounds of pairwise maxima.

Each round pairs neighbours ``(x[2i], x[2i+1])`` (an odd last element waits for the next
round) and lays the pairs as ``a | b | o`` ops, ``num_cols // 3`` a row. On every op of
an enabled row: gate ``(a - o)(b - o) = 0`` (o is a or b) and lookups ``o - a in T``,
``o - b in T`` (o is not below either), so ``o = max(a, b)`` when ``|a - b| < num_rows``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from zkml_plugins.gadgets._ops import RowOpGadget, broadcast

from zkml_core.errors import CircuitError
from zkml_core.hookspecs import hookimpl
from zkml_core.plonk.layouter import Assigned, Cells


def _join(parts: list[Assigned]) -> Assigned:
    cells = Cells.concat([p.cells for p in parts], axis=-1)
    return Assigned(cells, np.concatenate([p.values for p in parts], axis=-1))


class Max(RowOpGadget):
    name = "max"
    description = "maximum along the last axis (pairwise, 3 columns per op)"
    width, n_inputs = 3, 2
    requires = ("input_lookup",)

    def constrain(self, cs, q, slots):
        t = self.config.range_table(cs)
        cs.create_gate(self.name, [(f"op{j}", q * (a - o) * (b - o)) for j, (a, b, o) in enumerate(slots)])
        for j, (a, b, o) in enumerate(slots):
            cs.lookup(f"{self.name} not below a op{j}", [(q * (o - a), t)])
            cs.lookup(f"{self.name} not below b op{j}", [(q * (o - b), t)])

    def compute(self, a, b):
        self.check_range(f"{self.name} difference", a - b, -(self.config.num_rows - 1),
                       self.config.num_rows - 1, "use a larger k")
        return (np.maximum(a, b),)

    def assign(self, layouter: Any, x: Assigned) -> Assigned:
        """``x`` of shape ``(..., L)``, L >= 1, to its maxima ``(...)``: one region a round."""
        _, (x,) = broadcast((x,))
        if not x.cells.shape or x.cells.shape[-1] < 1:
            raise CircuitError(f"{self.name}: needs at least one value along the last axis")
        while x.cells.shape[-1] > 1:
            n = x.cells.shape[-1]
            pairs = self.assign_ops(layouter, (x[..., 0:n - 1:2], x[..., 1:n:2]))[0]
            x = _join([pairs, x[..., n - 1:]]) if n % 2 else pairs
        return x[..., 0]


@hookimpl
def zkml_register_gadgets():
    return [Max]
