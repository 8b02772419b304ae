"""Reductions along the last axis with a running sum in the last column (Adder, DotProduct).

A reduction of ``L`` terms takes ``R = ceil(L / s)`` consecutive rows, ``s`` terms per row
(``terms(row)``: the inputs, or input * weight products); the last column ``acc`` holds
the running sum:

    q_first: acc = terms(row)                  (the first row of each reduction)
    q_next:  acc = terms(row) + acc[prev row]  (the others)

so ``acc`` on the last row is the result, with no copies between partial sums. Input
slots past ``L`` on the last row are copies of the constant 0.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from zkml_plugins.gadgets._ops import broadcast, check_fits, field_of, is_field, max_abs

from zkml_core.errors import CircuitError
from zkml_core.interfaces import Gadget
from zkml_core.plonk.layouter import Assigned, Cells


class AccumulatorGadget(Gadget):
    """Subclasses set ``n_inputs`` (1: sum, 2: dot product)."""

    n_inputs: ClassVar[int] = 1
    requires: ClassVar[tuple[str, ...]] = ()

    def configure(self, cs: Any, columns: Any, config: Any = None) -> None:
        if config is None:
            raise CircuitError(f"gadget {self.name!r} needs a GadgetConfig (zkml_core.plonk.gadgets)")
        columns = list(columns)
        self.slots = (len(columns) - 1) // self.n_inputs
        if self.slots < 1:
            raise CircuitError(f"gadget {self.name!r} needs at least {self.n_inputs + 1} advice "
                               f"columns, got {len(columns)}; use more columns (num_cols)")
        self.config = config
        self.inputs = [columns[i * self.slots:(i + 1) * self.slots] for i in range(self.n_inputs)]
        self.columns, self.acc = columns, columns[-1]
        for c in columns:  # all shared columns, as zkml: operands may sit in any of them
            cs.enable_equality(c)
        config.constants(cs)
        self.q_first = cs.selector(f"{self.name}_first")
        self.q_next = cs.selector(f"{self.name}_next")
        terms = self._row_terms([[c.cur() for c in cols] for cols in self.inputs])
        acc = self.acc.cur()
        cs.create_gate(self.name, [
            ("first", self.q_first.cur() * (acc - terms)),
            ("accumulate", self.q_next.cur() * (acc - terms - self.acc.prev())),
        ])

    @staticmethod
    def _row_terms(inputs: list[list[Any]]) -> Any:
        """The sum of a row's terms (works on expressions and on arrays)."""
        if len(inputs) == 1:
            out = inputs[0][0]
            for x in inputs[0][1:]:
                out = out + x
            return out
        out = inputs[0][0] * inputs[1][0]
        for x, w in zip(inputs[0][1:], inputs[1][1:], strict=True):
            out = out + x * w
        return out

    def assign(self, layouter: Any, *operands: Assigned) -> Assigned:
        """Reduce along the last axis: operands ``(..., L)`` give a result ``(...)``."""
        if len(operands) != self.n_inputs:
            raise CircuitError(f"gadget {self.name!r} takes {self.n_inputs} operands")
        shape, ops = broadcast(operands)
        if not shape:
            raise CircuitError(f"gadget {self.name!r} reduces the last axis; got a 0-d operand")
        out_shape, length = shape[:-1], shape[-1]
        batch = math.prod(out_shape)
        s = self.slots
        per = max(1, -(-length // s))  # rows per reduction
        total_rows = batch * per
        field_mode = any(is_field(o) for o in ops)
        # grid[input][reduction, row, slot]
        if field_mode:
            grids = [np.zeros((batch, per * s, 4), dtype=np.uint64) for _ in ops]
            for g, o in zip(grids, ops, strict=True):
                flat = o.values.reshape(batch * length, -1) if is_field(o) else o.values.reshape(-1)
                g[:, :length] = field_of(layouter, flat).reshape(batch, length, 4)
        else:
            grids = [np.zeros((batch, per * s), dtype=np.int64) for _ in ops]
            for g, o in zip(grids, ops, strict=True):
                g[:, :length] = o.values.reshape(batch, length)
        grids = [g.reshape((batch, per, s) + g.shape[2:]) for g in grids]
        acc = self._running_sums(layouter, grids, field_mode)  # (batch, per[, 4])

        n = len(self.columns)
        values = np.zeros((total_rows, n) + acc.shape[2:], dtype=acc.dtype)
        for i, g in enumerate(grids):
            values[:, i * s:(i + 1) * s] = g.reshape((total_rows, s) + g.shape[3:])
        values[:, n - 1] = acc.reshape((total_rows,) + acc.shape[2:])
        if batch == 0:
            empty = Cells(np.zeros(out_shape, np.int32), np.zeros(out_shape, np.int64))
            return Assigned(empty, acc.reshape(out_shape + acc.shape[2:]))
        with layouter.region(self.name) as region:
            cells = region.assign_advice(self.columns, 0, values)
            firsts = np.arange(batch, dtype=np.int64) * per
            region.enable_selector(self.q_first, firsts)
            if per > 1:
                region.enable_selector(self.q_next, np.setdiff1d(np.arange(total_rows), firsts))
        self.last_cells = cells  # (row, column): for tests and debugging
        # term t of reduction b: row b*per + t // s, column i*s + t % s
        t = np.arange(per * s)
        rows = np.arange(batch)[:, None] * per + t[None, :] // s
        for i, o in enumerate(ops):
            cols = np.broadcast_to(i * s + t % s, rows.shape)
            dest = cells[rows[:, :length], cols[:, :length]]
            layouter.constrain_equal(dest, o.cells.reshape(batch, length))
        if per * s > length:  # padding terms: the first input is 0 (then x * w = 0 too)
            dest = cells[rows[:, length:], np.broadcast_to(t[length:] % s, rows[:, length:].shape)]
            layouter.constrain_equal(dest.flatten(), layouter.constant([0]))
        result = cells[np.arange(batch) * per + per - 1, np.full(batch, cells.shape[1] - 1)]
        return Assigned(result.reshape(out_shape), acc[:, -1].reshape(out_shape + acc.shape[2:]))

    def _running_sums(self, layouter: Any, grids: list[np.ndarray], field_mode: bool) -> np.ndarray:
        if not field_mode:
            bound = max_abs(grids[0]) * (max_abs(grids[1]) if len(grids) > 1 else 1)
            check_fits(self.name, bound * grids[0].shape[1] * grids[0].shape[2])
            return np.cumsum(self._row_terms([[g[..., j] for j in range(g.shape[2])] for g in grids]), axis=1)
        f = layouter.field
        batch, per = grids[0].shape[:2]
        if f is None:
            return np.zeros((batch, per, 4), dtype=np.uint64)
        flat = [g.reshape(batch * per, g.shape[2], 4) for g in grids]
        if len(flat) == 1:
            row = flat[0][:, 0]
            for j in range(1, flat[0].shape[1]):
                row = f.add(row, flat[0][:, j])
        else:
            row = f.mul(flat[0][:, 0], flat[1][:, 0])
            for j in range(1, flat[0].shape[1]):
                row = f.add(row, f.mul(flat[0][:, j], flat[1][:, j]))
        row = row.reshape(batch, per, 4)
        acc = row.copy()
        for r in range(1, per):
            acc[:, r] = f.add(acc[:, r - 1], row[:, r])
        return acc
