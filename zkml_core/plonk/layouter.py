"""Witness assignment: regions stacked in rows, blocks of cells assigned from numpy arrays.

A circuit is any object with two methods (halo2's shape)::

    class MyCircuit:
        def configure(self, cs: ConstraintSystem) -> Config: ...
        def synthesize(self, layouter: Layouter, config: Config) -> None: ...

``synthesize`` opens regions and assigns whole blocks at once::

    with layouter.region("mul") as region:
        a = region.assign_advice(cfg.a, 0, np.array([1, 2, 3]))   # int64 -> field
        region.enable_selector(cfg.q, 0, count=3)
        ...
    layouter.constrain_equal(a[0], other_cells)
    layouter.constrain_instance(c[-1:], cfg.inst, [0])

Values are int arrays (any signed integer dtype, converted vectorised; negative values
mean p - |v|), lists of Python ints, or field arrays (``uint64`` of shape ``(m, 4)``,
Montgomery form, see docs/arith.md). Several columns at once take ``(m, c)`` ints or
``(m, c, 4)`` field values. Every assignment returns :class:`Cells`, references usable
in copy constraints anywhere.

The same ``synthesize`` runs in several modes (``Assignment.mode``): ``"measure"``
(count rows only), ``"keygen"`` (fixed columns, selectors, tables, copies; advice values
are ignored, so pass zeros when there is no witness), ``"witness"`` (advice of one phase
at a time, for the prover; later phases read earlier challenges with
``layouter.challenge(ch)``) and ``"mock"`` (everything, all challenges known).

Floor planning is simple stacking: each region starts on the first row after the
previous region and spans all columns; tables occupy rows 0.. of their own columns, and
constants rows 0.. of the constants column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from zkml_core.errors import CircuitError
from zkml_core.plonk.constraint_system import ADVICE, FIXED, INSTANCE, Column, ConstraintSystem
from zkml_core.plonk.expression import Challenge

MODES = ("measure", "keygen", "witness", "mock")


class Cells:
    """References to cells: equal-shaped arrays of global column ids and absolute rows.

    Index, slice and reshape like a numpy array (``cells[0]``, ``cells[2:5]``,
    ``cells.reshape(3, 4)``); :meth:`concat` joins references from any columns.
    """

    __slots__ = ("gids", "rows")

    def __init__(self, gids: Any, rows: Any) -> None:
        g, r = np.broadcast_arrays(np.asarray(gids, dtype=np.int32), np.asarray(rows, dtype=np.int64))
        self.gids = np.ascontiguousarray(g)
        self.rows = np.ascontiguousarray(r)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.rows.shape

    @property
    def size(self) -> int:
        return self.rows.size

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, idx: Any) -> Cells:
        return Cells(np.atleast_1d(self.gids[idx]), np.atleast_1d(self.rows[idx]))

    def reshape(self, *shape: Any) -> Cells:
        return Cells(self.gids.reshape(*shape), self.rows.reshape(*shape))

    def flatten(self) -> Cells:
        return self.reshape(-1)

    @staticmethod
    def concat(parts: Sequence[Cells], axis: int = 0) -> Cells:
        return Cells(
            np.concatenate([p.gids for p in parts], axis=axis),
            np.concatenate([p.rows for p in parts], axis=axis),
        )

    def __repr__(self) -> str:
        return f"Cells(shape={self.shape})"


class Assigned:
    """Cells together with their values: what gadgets take and return.

    ``values`` is an int64 array of ``cells.shape`` (the usual case: fixed-point
    numbers), or a field array of shape ``cells.shape + (4,)``.
    """

    __slots__ = ("cells", "values")

    def __init__(self, cells: Cells, values: np.ndarray) -> None:
        self.cells = cells
        self.values = values

    @property
    def shape(self) -> tuple[int, ...]:
        return self.cells.shape

    def __getitem__(self, idx: Any) -> Assigned:
        return Assigned(self.cells[idx], np.atleast_1d(self.values[idx]))

    def reshape(self, *shape: Any) -> Assigned:
        extra = self.values.shape[self.cells.rows.ndim:]
        cells = self.cells.reshape(*shape)
        return Assigned(cells, self.values.reshape(cells.shape + extra))


class RegionInfo:
    __slots__ = ("name", "start", "end")

    def __init__(self, name: str, start: int, end: int) -> None:
        self.name, self.start, self.end = name, start, end


class Assignment:
    """The outcome of synthesis: column values, copies, regions, rows used.

    Column values are ``(n, 4)`` Montgomery arrays of ``field`` (allocated on first
    use; unassigned cells are zero). ``copies`` lists pairs of cells as four int arrays.
    """

    def __init__(
        self,
        cs: ConstraintSystem,
        field: Any,
        k: int,
        mode: str,
        phase: int | None = None,
        challenges: dict[int, int] | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.cs, self.field, self.k, self.mode, self.phase = cs, field, k, mode, phase
        self.n = 1 << k
        self.usable = cs.usable_rows(k) if mode != "measure" else None
        self.challenges = dict(challenges or {})
        na, nf = len(cs.advice), len(cs.fixed)
        self.columns: list[Column] = list(cs.advice) + list(cs.fixed) + list(cs.instance)
        self._gid = {c: i for i, c in enumerate(self.columns)}
        self._offset = {ADVICE: 0, FIXED: na, INSTANCE: na + nf}
        self.values: list[np.ndarray | None] = [None] * len(self.columns)
        # small int assignments wait here (int64 values and a pending-row mask per column)
        # and are converted with one engine call per column, not one per region
        self._small: list[np.ndarray | None] = [None] * len(self.columns)
        self._pending: list[np.ndarray | None] = [None] * len(self.columns)
        self.equality = np.zeros(len(self.columns), dtype=bool)
        for c in cs.equality:
            self.equality[self._gid[c]] = True
        self.copies: list[tuple[np.ndarray, ...]] = []
        self.regions: list[RegionInfo] = []
        self.rows_used = 0  # stacking cursor
        self.table_rows = 0
        self.constant_rows = 0
        self.instance_rows = 0  # rows of the instance columns that copies reach

    # ---- column bookkeeping ------------------------------------------------------
    def gid(self, column: Column) -> int:
        try:
            return self._gid[column]
        except KeyError:
            raise CircuitError(f"{column!r} is not a column of this circuit") from None

    def column_of(self, gid: int) -> Column:
        return self.columns[gid]

    def stores(self, column: Column) -> bool:
        """Whether values written to ``column`` are kept in this mode / phase."""
        if self.mode == "measure":
            return False
        if column.kind == ADVICE:
            if self.mode == "keygen":
                return False
            return self.mode == "mock" or column.phase == self.phase
        if column.kind == FIXED:
            return self.mode in ("keygen", "mock")
        return False

    @property
    def records_layout(self) -> bool:
        """Copies and regions are recorded in keygen and mock modes."""
        return self.mode in ("keygen", "mock")

    def column_values(self, column: Column) -> np.ndarray:
        """The column's ``(n, 4)`` field values (allocated, pending ints converted)."""
        g = self.gid(column)
        self._flush(g)
        if self.values[g] is None:
            self.values[g] = self.field.zeros(self.n)
        return self.values[g]

    def write_ints(self, column: Column, rows: np.ndarray, ints: np.ndarray) -> None:
        """Assign small ints (int64) to ``rows``; converted to the field on first read."""
        g = self.gid(column)
        if self._small[g] is None:
            self._small[g] = np.zeros(self.n, dtype=np.int64)
            self._pending[g] = np.zeros(self.n, dtype=bool)
        self._small[g][rows] = ints
        self._pending[g][rows] = True

    def write_field(self, column: Column, rows: np.ndarray, values: np.ndarray) -> None:
        self.column_values(column)[rows] = values

    def _flush(self, g: int) -> None:
        pending = self._pending[g]
        if pending is None:
            return
        idx = np.flatnonzero(pending)
        if idx.size:
            if self.values[g] is None:
                self.values[g] = self.field.zeros(self.n)
            self.values[g][idx] = self.field.from_ints(self._small[g][idx])
        self._small[g] = self._pending[g] = None

    def finalize(self) -> None:
        """Convert every pending int assignment (end of synthesis)."""
        for g in range(len(self.columns)):
            self._flush(g)

    def check_rows(self, end: int, what: str) -> None:
        if self.usable is not None and end > self.usable:
            raise CircuitError(
                f"{what} needs row {end - 1} but k={self.k} leaves only rows 0..{self.usable - 1} "
                "usable; increase k"
            )

    def region_of(self, row: int) -> RegionInfo | None:
        for r in self.regions:
            if r.start <= row < r.end:
                return r
        return None


def as_int64(values: Any) -> np.ndarray | None:
    """``values`` as an int64 array when they are plain ints that fit, else None."""
    if isinstance(values, np.ndarray):
        if values.dtype == np.uint64 or not (np.issubdtype(values.dtype, np.integer) or values.dtype == np.bool_):
            return None
        return values.astype(np.int64, copy=False)
    try:
        return np.asarray(values, dtype=np.int64)
    except (OverflowError, TypeError, ValueError):
        return None


def to_field(field: Any, values: Any, ncols: int | None = None) -> np.ndarray:
    """Convert ``values`` to a field array: ``(m, 4)``, or ``(m, ncols, 4)`` when
    ``ncols`` is given. Ints (any signed dtype, Python lists) are reduced mod p."""
    arr = values if isinstance(values, np.ndarray) else None
    if arr is None:
        try:
            arr = np.asarray(values, dtype=np.int64)
        except OverflowError:
            arr = np.asarray(values, dtype=object)
    want_dims = 1 if ncols is None else 2
    if arr.dtype == np.uint64 and arr.ndim == want_dims + 1 and arr.shape[-1] == 4:
        return np.ascontiguousarray(arr)
    if arr.ndim != want_dims:
        raise CircuitError(
            f"expected {'a 1-D' if ncols is None else 'a 2-D (rows, columns)'} array of "
            f"ints or a field array, got shape {arr.shape} dtype {arr.dtype}"
        )
    flat = arr.reshape(-1)
    if flat.dtype == object:
        out = field.from_ints([int(v) for v in flat])
    elif np.issubdtype(flat.dtype, np.integer) and flat.dtype != np.uint64:
        out = field.from_ints(flat.astype(np.int64, copy=False))
    elif flat.dtype == np.bool_:
        out = field.from_ints(flat.astype(np.int64))
    else:
        raise CircuitError(f"cannot assign values of dtype {arr.dtype}; use int64 or a field array")
    return out if ncols is None else out.reshape(arr.shape[0], arr.shape[1], 4)


class Region:
    """Rows ``start ..`` of the circuit; offsets given to its methods are relative."""

    def __init__(self, layouter: Layouter, name: str, start: int) -> None:
        self.layouter = layouter
        self.asg = layouter.asg
        self.name = name
        self.start = start
        self.height = 0

    def _block(self, columns: Column | Sequence[Column], offset: int, m: int, kind: str) -> tuple[list[Column], np.ndarray]:
        cols = [columns] if isinstance(columns, Column) else list(columns)
        for c in cols:
            if c.kind != kind:
                raise CircuitError(f"region {self.name!r}: {c!r} is not a {kind} column")
            if kind == FIXED and c.index in self.asg.cs.tables:
                raise CircuitError(f"region {self.name!r}: table column {c!r} is filled by assign_table")
        if offset < 0:
            raise CircuitError(f"region {self.name!r}: negative offset {offset}")
        self.height = max(self.height, offset + m)
        self.asg.check_rows(self.start + offset + m, f"region {self.name!r}")
        rows = np.arange(self.start + offset, self.start + offset + m, dtype=np.int64)
        return cols, rows

    def _assign(self, columns: Any, offset: int, values: Any, kind: str) -> Cells:
        single = isinstance(columns, Column)
        if single:
            vals_len = len(values) if not isinstance(values, np.ndarray) else values.shape[0]
        else:
            vals_len = np.shape(values)[0]
        cols, rows = self._block(columns, offset, vals_len, kind)
        if any(self.asg.stores(c) for c in cols):
            ints = as_int64(values)
            if ints is not None:
                if ints.shape != ((vals_len,) if single else (vals_len, len(cols))):
                    raise CircuitError(
                        f"region {self.name!r}: values of shape {ints.shape} do not match "
                        f"{len(cols)} column(s) of {vals_len} rows"
                    )
                for j, c in enumerate(cols):
                    if self.asg.stores(c):
                        self.asg.write_ints(c, rows, ints if single else ints[:, j])
            else:
                f = to_field(self.asg.field, values, None if single else len(cols))
                if f.shape[0] != vals_len or (not single and f.shape[1] != len(cols)):
                    raise CircuitError(f"region {self.name!r}: values do not match {len(cols)} columns")
                for j, c in enumerate(cols):
                    if self.asg.stores(c):
                        self.asg.write_field(c, rows, f if single else f[:, j])
        gids = np.array([self.asg.gid(c) for c in cols], dtype=np.int32)
        if single:
            return Cells(gids[0], rows)
        return Cells(gids[None, :], rows[:, None])

    def assign_advice(self, columns: Column | Sequence[Column], offset: int, values: Any) -> Cells:
        """Assign ``values`` to rows ``offset ..`` of one column (1-D values) or of several
        columns (``(m, c)`` values). Returns the cells, shaped ``(m,)`` or ``(m, c)``."""
        return self._assign(columns, offset, values, ADVICE)

    def copy_advice(self, columns: Column | Sequence[Column], offset: int, source: Cells, values: Any) -> Cells:
        """Assign ``values`` like :meth:`assign_advice` and tie each new cell to the
        matching cell of ``source`` (same shape) with a copy constraint."""
        cells = self.assign_advice(columns, offset, values)
        self.layouter.constrain_equal(cells, source.reshape(cells.shape))
        return cells

    def assign_fixed(self, columns: Column | Sequence[Column], offset: int, values: Any) -> Cells:
        """Like :meth:`assign_advice` for fixed columns (circuit constants per row)."""
        return self._assign(columns, offset, values, FIXED)

    def enable_selector(self, selector: Column, offset: int | Sequence[int] | np.ndarray, count: int = 1) -> None:
        """Set ``selector`` to 1 on rows ``offset .. offset+count-1``, or on the listed offsets."""
        if selector.kind != FIXED or selector.index not in self.asg.cs.selectors:
            raise CircuitError(f"{selector!r} is not a selector (use cs.selector())")
        if np.ndim(offset) == 0:
            offs = np.arange(int(offset), int(offset) + count, dtype=np.int64)
        else:
            offs = np.asarray(offset, dtype=np.int64)
        if offs.size == 0:
            return
        if offs.min() < 0:
            raise CircuitError(f"region {self.name!r}: negative selector offset")
        self.height = max(self.height, int(offs.max()) + 1)
        self.asg.check_rows(self.start + int(offs.max()) + 1, f"region {self.name!r}")
        if self.asg.stores(selector):
            self.asg.write_ints(selector, self.start + offs, np.ones(offs.size, dtype=np.int64))

    def constrain_equal(self, a: Cells, b: Cells) -> None:
        self.layouter.constrain_equal(a, b)

    def constrain_constant(self, cells: Cells, values: Any) -> None:
        """Force ``cells`` to equal ``values`` through copies from the constants column."""
        self.layouter.constrain_equal(cells.flatten(), self.layouter.constant(values))


class Layouter:
    """Places regions, tables and constants, and records copy constraints."""

    def __init__(self, assignment: Assignment) -> None:
        self.asg = assignment
        self.cs = assignment.cs

    @property
    def field(self) -> Any:
        return self.asg.field

    @contextmanager
    def region(self, name: str) -> Iterator[Region]:
        """A new region on the rows after every previous region."""
        reg = Region(self, name, self.asg.rows_used)
        yield reg
        self.asg.rows_used = reg.start + reg.height
        if self.asg.records_layout:
            self.asg.regions.append(RegionInfo(name, reg.start, reg.start + reg.height))

    def assign_region(self, name: str, fn: Callable[[Region], Any]) -> Any:
        """halo2 style: ``fn(region)`` inside a new region; returns what ``fn`` returns."""
        with self.region(name) as reg:
            return fn(reg)

    def assign_table(self, columns: Column | Sequence[Column], values: Any) -> None:
        """Fill table column(s) from row 0 with ``values`` (1-D, or ``(m, c)`` for a tuple
        table). The remaining usable rows repeat the first row, so they add no entries."""
        single = isinstance(columns, Column)
        cols = [columns] if single else list(columns)
        for c in cols:
            if c.kind != FIXED or c.index not in self.cs.tables:
                raise CircuitError(f"{c!r} is not a table column (use cs.table_column())")
        m = np.shape(values)[0]
        if m == 0:
            raise CircuitError("a lookup table needs at least one row")
        self.asg.check_rows(m, "lookup table")
        self.asg.table_rows = max(self.asg.table_rows, m)
        if not self.asg.stores(cols[0]):
            return
        u = self.asg.usable
        ints = as_int64(values)
        if ints is not None and ints.ndim == (1 if single else 2):
            for j, c in enumerate(cols):
                v = ints if single else ints[:, j]
                full = np.full(u, v[0], dtype=np.int64)
                full[:m] = v
                self.asg.write_ints(c, np.arange(u, dtype=np.int64), full)
            return
        f = to_field(self.field, values, None if single else len(cols))
        for j, c in enumerate(cols):
            v = f if single else f[:, j]
            col = self.asg.column_values(c)
            col[:m] = v
            col[m:u] = v[0]

    def constant(self, values: Any) -> Cells:
        """Cells of the constants column holding ``values`` (copy them where needed)."""
        if not self.cs.constants:
            raise CircuitError("the circuit uses constants: call cs.enable_constant(cs.fixed_column())")
        col = self.cs.constants[0]
        m = len(values)
        start = self.asg.constant_rows
        self.asg.check_rows(start + m, "constants column")
        self.asg.constant_rows = start + m
        rows = np.arange(start, start + m, dtype=np.int64)
        if self.asg.stores(col):
            ints = as_int64(values)
            if ints is not None and ints.shape == (m,):
                self.asg.write_ints(col, rows, ints)
            else:
                self.asg.write_field(col, rows, to_field(self.field, values))
        return Cells(self.asg.gid(col), rows)

    def constrain_equal(self, a: Cells, b: Cells) -> None:
        """Copy constraints ``a[i] == b[i]`` (a single cell broadcasts)."""
        if not self.asg.records_layout:
            return
        ga, ra, gb, rb = np.broadcast_arrays(a.gids, a.rows, b.gids, b.rows)
        ga, ra, gb, rb = (np.ascontiguousarray(x).reshape(-1) for x in (ga, ra, gb, rb))
        bad = ~(self.asg.equality[ga] & self.asg.equality[gb])
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            g = ga[i] if not self.asg.equality[ga[i]] else gb[i]
            raise CircuitError(
                f"copy constraint on {self.asg.column_of(int(g))!r}, which is not "
                "equality-enabled: call cs.enable_equality(column) in configure"
            )
        self.asg.copies.append((ga.astype(np.int32), ra.astype(np.int64), gb.astype(np.int32), rb.astype(np.int64)))

    def constrain_instance(self, cells: Cells, instance: Column, rows: Any) -> None:
        """Copy constraints ``cells[i] == instance[rows[i]]`` (public inputs / outputs)."""
        if instance.kind != INSTANCE:
            raise CircuitError(f"{instance!r} is not an instance column")
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        end = int(rows.max()) + 1 if rows.size else 0
        self.asg.check_rows(end, "instance")
        self.asg.instance_rows = max(self.asg.instance_rows, end)
        self.constrain_equal(cells.flatten(), Cells(self.asg.gid(instance), rows))

    def challenge(self, ch: Challenge) -> int | None:
        """The challenge's value when witnessing a later phase (None before it is drawn)."""
        return self.asg.challenges.get(ch.index)

    def values(self, cells: Cells) -> np.ndarray:
        """Assigned field values of ``cells``: shape ``cells.shape + (4,)``.

        Only meaningful for columns this mode stores (advice of the current phase)."""
        out = np.zeros(cells.shape + (4,), dtype=np.uint64)
        for g in np.unique(cells.gids):
            mask = cells.gids == g
            self.asg._flush(int(g))
            col = self.asg.values[int(g)]
            if col is not None:
                out[mask] = col[cells.rows[mask]]
        return out
