"""Packer: several small signed values per field element, each one range-checked.

Packing (``b = GadgetConfig.k`` bits, ``n = floor(253 / b)`` values per element): a value
``v`` in the range table's ``[min_val, max_val]`` is shifted to ``s = v - min_val`` in
``T = {0 .. num_rows - 1}``, so ``0 <= s < 2^b``, and the tensor (flattened in C order)
is cut into elements of ``n`` consecutive values::

    packed[e] = sum_{i < n} s[e*n + i] * 2^(b*i)

The last element is padded with ``min_val`` (``s = 0``), i.e. it packs the remaining
values only. ``packed < 2^(b*n) <= 2^253`` is below the BN254 Fr and Pallas Fp moduli,
so packing is injective in both fields, which is what lets a commitment hash the packed
elements instead of the values. :func:`pack_native` computes the same outside the
circuit.

Soundness: every ``s`` is looked up in the shared range table (filled by
``input_lookup``). Without it ``s_i + 2^b`` with ``s_{i+1} - 1`` would pack to the same
element, so the packed value would not determine the values.

Layout: ``m = min(num_cols - 1, n)`` value columns and one accumulator column (the
``m + 1``-th shared column); an element takes ``R = ceil(n / m)`` rows, filled by
Horner's rule with the highest-indexed values first:

- first row of an element (selector ``packer_first``): the ``n - (R-1) m`` values of
  indices ``(R-1) m ..`` in slots ``0 ..``; ``acc = sum_i s_i 2^(b i)``;
- each later row ``j`` (``packer_next``): the ``m`` values of indices ``(R-1-j) m ..``;
  ``acc = acc[-1] * 2^(b m) + sum_i s_i 2^(b i)``.

The accumulator of an element's last row is ``packed[e]``. The value slots are copies of
the operand's cells; padding slots are copies of the constant ``min_val``.
"""

from __future__ import annotations

import functools
import operator
from typing import Any

import numpy as np
from zkml_plugins.gadgets._ops import check_in_range, is_field, witness_mode

from zkml_core.errors import CircuitError
from zkml_core.hookspecs import hookimpl
from zkml_core.interfaces import Gadget
from zkml_core.plonk.layouter import Assigned, Cells

#: packed elements stay below 2^PACK_BITS, under the BN254 Fr and Pallas Fp moduli
PACK_BITS = 253


def values_per_element(bits: int) -> int:
    """``floor(253 / bits)``: how many ``bits``-bit values one field element holds."""
    return PACK_BITS // bits


def pack_native(values: np.ndarray, k: int) -> list[int]:
    """The packed elements (Python ints) of int ``values`` for a circuit with range-table
    bits ``k`` (``GadgetConfig.k``); values must lie in ``[min_val, max_val]``."""
    lo, hi = -(2 ** (k - 1)), 2 ** (k - 1) - 10
    flat = np.asarray(values, dtype=np.int64).reshape(-1)
    check_in_range("packer", flat, lo, hi, f"only values in the range table of k = {k} "
                   "can be packed (use a larger k)")
    n = values_per_element(k)
    elems = -(-flat.size // n)
    shifted = np.zeros(elems * n, dtype=object)
    shifted[: flat.size] = (flat - lo).astype(object)
    weights = np.array([1 << (k * i) for i in range(n)], dtype=object)
    return [int(x) for x in (shifted.reshape(elems, n) * weights).sum(axis=1)] if elems else []


class Packer(Gadget):
    """``assign(layouter, x) -> Assigned``: the packed field elements of ``x`` (any
    shape, int64 values in the range table), shape ``(ceil(x.size / n),)``."""

    name = "packer"
    description = "packs floor(253/k) range-checked k-bit values per field element"
    requires = ("input_lookup",)

    def configure(self, cs: Any, columns: Any, config: Any = None) -> None:
        if config is None:
            raise CircuitError("gadget 'packer' needs a GadgetConfig (zkml_core.plonk.gadgets)")
        columns = list(columns)
        if len(columns) < 2:
            raise CircuitError(f"gadget 'packer' needs at least 2 advice columns, got "
                               f"{len(columns)}; use more columns (num_cols)")
        self.config = config
        self.bits = b = config.k
        self.per_elem = n = values_per_element(b)
        self.m = m = min(len(columns) - 1, n)
        self.rows_per_elem = R = -(-n // m)
        self.first = n - (R - 1) * m  # values on an element's first row
        self.value_cols, self.acc_col = columns[:m], columns[m]
        for c in columns:  # operands may sit in any shared column
            cs.enable_equality(c)
        config.constants(cs)
        table, lo = config.range_table(cs), config.min_val

        s = [c.cur() - lo for c in self.value_cols]
        acc = self.acc_col.cur()

        def chunk(count: int) -> Any:
            return functools.reduce(operator.add, [s[i] * (1 << (b * i)) for i in range(count)])

        self.q_first = cs.selector("packer_first")
        q_first = self.q_first.cur()
        cs.create_gate("packer first", [("acc", q_first * (acc - chunk(self.first)))])
        q_rows = q_first
        self.q_next = None
        if R > 1:
            self.q_next = cs.selector("packer_next")
            q_next = self.q_next.cur()
            cs.create_gate("packer next", [("acc", q_next * (
                acc - self.acc_col.prev() * (1 << (b * m)) - chunk(m)))])
            q_rows = q_first + q_next
        for i in range(m):
            q = q_rows if i < self.first else q_next
            cs.lookup(f"packer value{i}", [(q * s[i], table)])

    def assign(self, layouter: Any, x: Assigned) -> Assigned:
        if is_field(x) or x.values.dtype.kind not in "iu":
            raise CircuitError("the packer takes int64 values (fixed-point numbers), not field "
                               "values")
        cfg, n, m, R = self.config, self.per_elem, self.m, self.rows_per_elem
        lo = cfg.min_val
        values = np.asarray(x.values, dtype=np.int64).reshape(-1)
        size = values.size
        elems = -(-size // n)
        if elems == 0:
            empty = Cells(np.zeros(0, np.int32), np.zeros(0, np.int64))
            return Assigned(empty, np.zeros((0, 4), dtype=np.uint64))
        compute = witness_mode(layouter) and layouter.field is not None
        if compute:
            check_in_range("packer", values, lo, cfg.max_val, f"only values in the range table "
                           f"of k = {cfg.k} can be packed (use a larger k)")

        # value index g of an element sits on row R-1 - g // m, slot g % m
        g = np.arange(n)
        g_row, g_slot = R - 1 - g // m, g % m
        padded = np.full(elems * n, lo, dtype=np.int64)
        padded[:size] = values
        grid = np.zeros((elems, R, m), dtype=np.int64)
        grid[:, g_row, g_slot] = padded.reshape(elems, n)
        acc = self._accumulators(layouter.field, grid) if compute else (
            np.zeros((elems * R, 4), dtype=np.uint64))

        with layouter.region("packer") as region:
            vcells = region.assign_advice(self.value_cols, 0, grid.reshape(elems * R, m))
            acells = region.assign_advice(self.acc_col, 0, acc)
            starts = np.arange(elems) * R
            region.enable_selector(self.q_first, starts)
            if R > 1:
                later = (starts[:, None] + np.arange(1, R)[None, :]).reshape(-1)
                region.enable_selector(self.q_next, later)
        rows = (np.arange(elems)[:, None] * R + g_row[None, :]).reshape(-1)
        slots = np.broadcast_to(g_slot, (elems, n)).reshape(-1)
        placed = vcells[rows, slots]  # (elems * n,) in value order
        layouter.constrain_equal(placed[:size], x.cells.flatten())
        if elems * n > size:
            layouter.constrain_equal(placed[size:], layouter.constant([lo]))
        last = starts + R - 1
        self.last_cells = (vcells, acells)  # for tests and debugging
        return Assigned(acells[last], acc[last])

    def _accumulators(self, F: Any, grid: np.ndarray) -> np.ndarray:
        """Each row's accumulator, ``(elems * R, 4)``: Horner over an element's rows."""
        elems, R, m = grid.shape
        b, lo = self.bits, self.config.min_val
        shifted = grid - lo
        shifted[:, 0, self.first:] = 0  # unused slots of the first row
        flat = shifted.reshape(elems * R, m)
        chunk = F.zeros(elems * R)
        for i in range(m):  # one vectorised step per slot, all rows at once
            chunk = F.add(chunk, F.mul(F.from_ints(flat[:, i]), F.from_ints([1 << (b * i)])))
        chunk = chunk.reshape(elems, R, 4)
        acc = np.empty_like(chunk)
        acc[:, 0] = chunk[:, 0]
        shift = F.from_ints([1 << (b * m)])
        for j in range(1, R):
            acc[:, j] = F.add(F.mul(np.ascontiguousarray(acc[:, j - 1]), shift),
                              np.ascontiguousarray(chunk[:, j]))
        return acc.reshape(elems * R, 4)


@hookimpl
def zkml_register_gadgets() -> list[type]:
    return [Packer]

