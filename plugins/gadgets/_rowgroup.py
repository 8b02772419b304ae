"""Layout of gadgets whose op is wider than a row: one op per group of rows.

An op has ``W`` named cells and a few per-op constants. With ``n`` shared advice
columns, op ``j`` occupies rows ``j R .. j R + R - 1``, ``R = ceil(W / n)``: cell ``i``
sits in column ``i mod n`` at rotation ``i // n`` from the group's first row, where the
gadget's selectors and its **fixed** columns (the per-op constants: a multiplier, a
zero point, ...) are set. Constants in fixed columns are part of the verifying key, and
they are 0 on every other row, so a constraint term with a fixed factor vanishes there
without a selector (which keeps the degrees low).

Subclasses list ``cell_names(config)``, ``fixed_names``, ``selector_names`` and write
``constrain(cs, cell, fixed, sel)`` with the queries by name.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from zkml_plugins.gadgets._ops import require_config

from zkml_core.errors import CircuitError
from zkml_core.interfaces import Gadget
from zkml_core.plonk.layouter import Assigned, Cells


class RowGroupGadget(Gadget):
    fixed_names: ClassVar[tuple[str, ...]] = ()
    selector_names: ClassVar[tuple[str, ...]] = ("q",)
    requires: ClassVar[tuple[str, ...]] = ("input_lookup",)

    def cell_names(self, config: Any) -> list[str]:
        raise NotImplementedError

    def constrain(self, cs: Any, cell: dict, fixed: dict, sel: dict) -> None:
        raise NotImplementedError

    def configure(self, cs: Any, columns: Any, config: Any = None) -> None:
        require_config(self, config)
        self.columns = list(columns)
        n = len(self.columns)
        if n < 1:
            raise CircuitError(f"gadget {self.name!r} needs advice columns")
        for c in self.columns:
            cs.enable_equality(c)
        self.names = self.cell_names(config)
        self.rows = math.ceil(len(self.names) / n)
        self.place = {name: (i % n, i // n) for i, name in enumerate(self.names)}
        cell = {name: self.columns[c].rot(r) for name, (c, r) in self.place.items()}
        self.fixed = {f: cs.fixed_column(f"{self.name}_{f}") for f in self.fixed_names}
        self.sel = {s: cs.selector(f"{self.name}_{s}") for s in self.selector_names}
        self.constrain(cs, cell, {f: c.cur() for f, c in self.fixed.items()},
                       {s: c.cur() for s, c in self.sel.items()})

    def lay_out(self, layouter: Any, values: dict[str, np.ndarray],
                fixed: dict[str, np.ndarray], selectors: dict[str, np.ndarray],
                copies: dict[str, Cells]) -> dict[str, Assigned]:
        """Assign ``m`` ops: ``values[name]`` (m,) int64 per cell (missing: 0),
        ``fixed[name]`` (m,) per-op constants, ``selectors[name]`` (m,) booleans,
        ``copies[name]`` (m,) source cells the op's cell must equal. Returns every
        cell as ``Assigned`` of shape (m,)."""
        m = len(next(iter(fixed.values())))
        n, r = len(self.columns), self.rows
        grid = np.zeros((m, r * n), dtype=np.int64)
        for i, name in enumerate(self.names):
            if name in values:
                grid[:, i] = values[name]
        out: dict[str, Assigned] = {}
        if m == 0:
            empty = Cells(np.zeros(0, np.int32), np.zeros(0, np.int64))
            return {name: Assigned(empty, np.zeros(0, np.int64)) for name in self.names}
        first = np.arange(m, dtype=np.int64) * r
        with layouter.region(self.name) as region:
            cells = region.assign_advice(self.columns, 0, grid.reshape(m * r, n))
            for name, col in self.fixed.items():
                full = np.zeros(m * r, dtype=np.int64)
                full[first] = fixed[name]
                region.assign_fixed(col, 0, full)
            for name, col in self.sel.items():
                region.enable_selector(col, first[np.asarray(selectors[name], dtype=bool)])
        for i, name in enumerate(self.names):
            c, rot = self.place[name]
            out[name] = Assigned(cells[first + rot, c], grid[:, i].copy())
        for name, source in copies.items():
            layouter.constrain_equal(out[name].cells, source)
        self.last_cells = {name: a.cells for name, a in out.items()}  # for tests
        return out
