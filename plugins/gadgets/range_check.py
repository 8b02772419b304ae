"""RangeCheck: ``lo <= x <= hi`` for values copied in, with bounds fixed per row.

Each row holds up to one value per shared column; on a checked row the fixed columns
``LO`` and ``HI`` hold the bounds (0 elsewhere) and two lookups per column put
``q·x − LO`` and ``HI − q·x`` in the range table T = {0 .. num_rows − 1}: both are in T
exactly when lo <= x <= hi (T is far smaller than the field, so neither can wrap). On
other rows q = LO = HI = 0 and both inputs are 0, which T holds. Padding cells of the
last row hold ``lo``.

Used by the model circuit for the inputs of quantised models: an int8 input must be an
int8 code, or a committed input could be one no TFLite input is.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from zkml_plugins.gadgets._ops import check_in_range, require_config, witness_mode

from zkml_core.errors import CircuitError
from zkml_core.hookspecs import hookimpl
from zkml_core.interfaces import Gadget
from zkml_core.plonk.layouter import Assigned


class RangeCheck(Gadget):
    name = "range_check"
    description = "lo <= x <= hi for copied values (two range-table lookups per column)"
    requires: ClassVar[tuple[str, ...]] = ("input_lookup",)

    def configure(self, cs: Any, columns: Any, config: Any = None) -> None:
        require_config(self, config)
        self.columns = list(columns)
        for c in self.columns:
            cs.enable_equality(c)
        table = config.range_table(cs)
        self.q = cs.selector(f"{self.name}_q")
        self.lo = cs.fixed_column(f"{self.name}_LO")
        self.hi = cs.fixed_column(f"{self.name}_HI")
        q, lo, hi = self.q.cur(), self.lo.cur(), self.hi.cur()
        for i, col in enumerate(self.columns):
            x = col.cur()
            cs.lookup(f"{self.name} x >= lo ({i})", [(q * x - lo, table)])
            cs.lookup(f"{self.name} x <= hi ({i})", [(hi - q * x, table)])

    def assign(self, layouter: Any, x: Assigned, lo: int, hi: int) -> None:
        """Constrain every value of ``x`` (any shape) to ``[lo, hi]``."""
        rows_t = self.config.num_rows
        if not lo <= hi or hi - lo >= rows_t or max(abs(lo), abs(hi)) >= rows_t:
            raise CircuitError(f"{self.name}: [{lo}, {hi}] does not fit the range table of "
                               f"k = {self.config.k}")
        values = np.asarray(x.values, dtype=np.int64).reshape(-1)
        m = values.size
        if m == 0:
            return
        if witness_mode(layouter):
            check_in_range(f"{self.name} value", values, lo, hi,
                           "the input is outside its type's range")
        n = len(self.columns)
        rows = math.ceil(m / n)
        grid = np.full(rows * n, lo, dtype=np.int64)
        grid[:m] = values
        with layouter.region(self.name) as region:
            cells = region.assign_advice(self.columns, 0, grid.reshape(rows, n))
            region.assign_fixed(self.lo, 0, np.full(rows, lo, dtype=np.int64))
            region.assign_fixed(self.hi, 0, np.full(rows, hi, dtype=np.int64))
            region.enable_selector(self.q, np.arange(rows))
        flat = cells[np.arange(m) // n, np.arange(m) % n]
        layouter.constrain_equal(flat, x.cells.flatten())
        self.last_cells = flat  # for tests


@hookimpl
def zkml_register_gadgets():
    return [RangeCheck]
