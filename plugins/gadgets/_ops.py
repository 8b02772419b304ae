"""Layout shared by the built-in gadgets: ops packed ⌊num_cols / width⌋ to a row.

:class:`RowOpGadget` lays a batch of independent ops (elementwise add, division, table
lookups, ...) in one region: op ``i`` sits on row ``i // per_row`` in slot
``i % per_row``, whose ``width`` columns hold the op's inputs then its outputs. One
selector enables a row, and the subclass constrains **every** slot of it (zkml's Square
checked only the first). The last row is padded with ops on zero inputs, which satisfy
the constraints and whose outputs nobody reads.

Operands are :class:`zkml_core.plonk.layouter.Assigned` of any shape (broadcast against
each other); values are int64 fixed-point numbers, or, for the arithmetic gadgets, field
arrays (Freivalds checks with challenge-derived vectors).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from zkml_core.errors import CircuitError
from zkml_core.interfaces import Gadget
from zkml_core.plonk.layouter import Assigned, Cells


def is_field(a: Assigned) -> bool:
    """Whether ``a`` holds field values (``shape + (4,)`` uint64) rather than int64."""
    return a.values.ndim == a.cells.rows.ndim + 1


def broadcast(operands: tuple[Assigned, ...]) -> tuple[tuple[int, ...], list[Assigned]]:
    """The operands broadcast to one shape (numpy rules on the cells)."""
    try:
        shape = np.broadcast_shapes(*(o.cells.shape for o in operands))
    except ValueError as exc:
        shapes = ", ".join(str(o.cells.shape) for o in operands)
        raise CircuitError(f"gadget operands of shapes {shapes} do not broadcast") from exc
    out = []
    for o in operands:
        cells = Cells(np.broadcast_to(o.cells.gids, shape), np.broadcast_to(o.cells.rows, shape))
        extra = (4,) if is_field(o) else ()
        if not is_field(o) and o.values.dtype.kind not in "iu":
            raise CircuitError(f"gadget operands must hold int64 or field values, got {o.values.dtype}")
        out.append(Assigned(cells, np.broadcast_to(o.values, shape + extra)))
    return shape, out


def field_of(layouter: Any, values: np.ndarray) -> np.ndarray:
    """Flat int64 (or field) values as an ``(m, 4)`` field array (zeros when measuring)."""
    if values.ndim == 2 and values.shape[-1] == 4 and values.dtype == np.uint64:
        return np.ascontiguousarray(values)
    if layouter.field is None:
        return np.zeros((values.shape[0], 4), dtype=np.uint64)
    return layouter.field.from_ints(np.ascontiguousarray(values, dtype=np.int64))


def check_fits(what: str, bound: int) -> None:
    """Raise when an intermediate could leave int64 (the witness would wrap around)."""
    if bound >= 2**63:
        raise CircuitError(f"{what}: values up to {bound} do not fit 64-bit integers; use a "
                           "smaller scale factor")


def max_abs(x: np.ndarray) -> int:
    return 0 if x.size == 0 else max(abs(int(x.min())), abs(int(x.max())))


def require_config(gadget: Any, config: Any) -> None:
    """Keep the gadget's GadgetConfig, or refuse a configure call without one."""
    if config is None:
        raise CircuitError(f"gadget {gadget.name!r} needs a GadgetConfig "
                           "(zkml_core.plonk.gadgets)")
    gadget.config = config


def witness_mode(layouter: Any) -> bool:
    """Whether operands hold a real witness: keygen and measuring runs may pass zeros
    (a zero divisor, say), which must lay out the same circuit instead of failing."""
    return layouter.asg.mode in ("witness", "mock")


def check_in_range(what: str, values: np.ndarray, lo: int, hi: int, fix: str) -> None:
    """Raise a CircuitError when a witness value falls outside ``[lo, hi]``."""
    if values.size and (int(values.min()) < lo or int(values.max()) > hi):
        bad = int(values.min()) if int(values.min()) < lo else int(values.max())
        raise CircuitError(f"{what}: value {bad} is outside [{lo}, {hi}], the range the "
                           f"circuit can check; {fix}")


class RowOpGadget(Gadget):
    """Batched independent ops of ``width`` cells (``n_inputs`` inputs, then outputs).

    Subclasses set ``name``, ``width``, ``n_inputs``, and implement ``constrain`` (the
    constraints of one slot, given the row selector) and ``compute`` (int64 outputs).
    ``compute_field`` (field outputs) makes field-valued operands allowed.
    """

    width: ClassVar[int] = 3
    n_inputs: ClassVar[int] = 2
    #: columns used beside the ops' (a shared divisor column), for error messages
    extra_columns: ClassVar[int] = 0
    requires: ClassVar[tuple[str, ...]] = ()

    def configure(self, cs: Any, columns: Any, config: Any = None) -> None:
        require_config(self, config)
        columns = list(columns)
        self.per_row = len(columns) // self.width
        if self.per_row < 1:
            extra = self.extra_columns
            raise CircuitError(f"gadget {self.name!r} needs at least {self.width + extra} "
                               f"advice columns, got {len(columns) + extra}; use more columns "
                               "(num_cols)")
        self.columns = columns[: self.per_row * self.width]
        for c in columns:  # all shared columns, as zkml: operands may sit in any of them
            cs.enable_equality(c)
        self.q = cs.selector(self.name)
        w = self.width
        slots = [[c.cur() for c in self.columns[j * w:(j + 1) * w]] for j in range(self.per_row)]
        self.constrain(cs, self.q.cur(), slots)

    def constrain(self, cs: Any, q: Any, slots: list[list[Any]]) -> None:
        raise NotImplementedError

    def compute(self, *inputs: np.ndarray) -> tuple[np.ndarray, ...]:
        raise NotImplementedError

    compute_field: Any = None
    #: whether out-of-range witness values raise (set per call from the layouter's mode)
    strict: bool = True

    def check_range(self, what: str, values: np.ndarray, lo: int, hi: int, fix: str) -> None:
        if self.strict:
            check_in_range(what, values, lo, hi, fix)

    def assign_extra(self, layouter: Any, region: Any, rows: int) -> None:
        """Cells beyond the ops' (e.g. a shared divisor column) in the batch's region."""

    def assign(self, layouter: Any, *operands: Assigned) -> Any:
        """One region for the whole batch; returns the output (or a tuple of outputs),
        shaped like the broadcast operands."""
        outs = self.assign_ops(layouter, operands)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def layout(self, m: int, group: int | None = None) -> tuple[int, int, np.ndarray]:
        """(groups, rows per group, padded position of each op) of ``m`` ops. Ops are
        packed densely, or in groups of ``group`` consecutive ops each starting a row
        (so that a row's shared cells, e.g. a divisor, serve one group)."""
        group = m if group is None else group
        groups = m // group if group else 0
        per_group = max(1, -(-group // self.per_row))
        i = np.arange(m, dtype=np.int64)
        pos = (i // group) * (per_group * self.per_row) + i % group if group else i
        return groups, per_group, pos

    def assign_ops(self, layouter: Any, operands: tuple[Assigned, ...],
                   group: int | None = None) -> list[Assigned]:
        """Lay out the ops (see :meth:`layout` for ``group``); returns the outputs."""
        if len(operands) != self.n_inputs:
            raise CircuitError(f"gadget {self.name!r} takes {self.n_inputs} operands, got "
                               f"{len(operands)}")
        self.strict = witness_mode(layouter)
        shape, ops = broadcast(operands)
        m = math.prod(shape)
        groups, per_group, pos = self.layout(m, group)
        rows = groups * per_group
        total = rows * self.per_row
        if any(is_field(o) for o in ops):
            if self.compute_field is None:
                raise CircuitError(f"gadget {self.name!r} takes int64 values, not field values")
            ins = [np.zeros((total, 4), dtype=np.uint64) for _ in ops]
            for buf, o in zip(ins, ops, strict=True):
                buf[pos] = field_of(layouter, o.values.reshape(m, -1) if is_field(o) else o.values.reshape(-1))
            outs = (self.compute_field(layouter.field, *ins) if layouter.field is not None
                    else [np.zeros((total, 4), dtype=np.uint64)] * (self.width - self.n_inputs))
        else:
            ins = [np.zeros(total, dtype=np.int64) for _ in ops]
            for buf, o in zip(ins, ops, strict=True):
                buf[pos] = o.values.reshape(-1)
            outs = self.compute(*ins)
        grid = np.stack(list(ins) + list(outs), axis=1)  # (total, width[, 4])
        grid = grid.reshape((rows, self.per_row * self.width) + grid.shape[2:])
        if m == 0:
            empty = Cells(np.zeros(shape, np.int32), np.zeros(shape, np.int64))
            return [Assigned(empty, o[:0].reshape(shape + o.shape[1:])) for o in outs]
        with layouter.region(self.name) as region:
            cells = region.assign_advice(self.columns, 0, grid)
            region.enable_selector(self.q, 0, count=rows)
            self.assign_extra(layouter, region, rows)
        cells = cells.reshape(total, self.width)
        self.last_cells = cells  # (op, role): for tests and debugging
        for i, o in enumerate(ops):
            layouter.constrain_equal(cells[pos, i], o.cells.reshape(-1))
        return [Assigned(cells[pos, self.n_inputs + j].reshape(shape), o[pos].reshape(shape + o.shape[1:]))
                for j, o in enumerate(outs)]


class _FieldValues:
    """Field arrays with ``+ - *``, so one ``relation`` also computes field witnesses."""

    __slots__ = ("field", "v")

    def __init__(self, field: Any, v: np.ndarray) -> None:
        self.field, self.v = field, v

    def __add__(self, other: _FieldValues) -> _FieldValues:
        return _FieldValues(self.field, self.field.add(self.v, other.v))

    def __sub__(self, other: _FieldValues) -> _FieldValues:
        return _FieldValues(self.field, self.field.sub(self.v, other.v))

    def __mul__(self, other: _FieldValues) -> _FieldValues:
        return _FieldValues(self.field, self.field.mul(self.v, other.v))


class ArithmeticGadget(RowOpGadget):
    """One output ``relation(*inputs)``, a polynomial written with ``+ - *``: the same
    function builds the gate ``out - relation(...)`` (on every slot), the int64 witness
    (checked against overflow through float64) and the field witness."""

    @staticmethod
    def relation(*inputs: Any) -> Any:
        raise NotImplementedError

    def constrain(self, cs: Any, q: Any, slots: list[list[Any]]) -> None:
        k = self.n_inputs
        cs.create_gate(self.name, [(f"op{j}", q * (s[k] - self.relation(*s[:k])))
                                   for j, s in enumerate(slots)])

    def compute(self, *inputs: np.ndarray) -> tuple[np.ndarray, ...]:
        approx = self.relation(*(x.astype(np.float64) for x in inputs))
        check_fits(self.name, int(np.abs(approx).max(initial=0.0)) * 2)
        return (self.relation(*inputs),)

    def compute_field(self, field: Any, *inputs: np.ndarray) -> tuple[np.ndarray, ...]:
        return (self.relation(*(_FieldValues(field, x) for x in inputs)).v,)
