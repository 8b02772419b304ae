"""The shape of a Plonkish circuit: columns, gates, lookups, copies and challenges.

A circuit's ``configure(cs)`` declares everything on a :class:`ConstraintSystem`:

- ``cs.advice_column(phase=0)``: witness columns, committed in phases; a
  ``cs.challenge_usable_after(phase)`` is drawn once that phase is committed and may
  appear in gates and in the witness of later-phase columns.
- ``cs.fixed_column()``, ``cs.selector()`` (a fixed 0/1 column), ``cs.table_column()``
  (a fixed column holding a lookup table), ``cs.instance_column()`` (public inputs).
- ``cs.create_gate(name, constraints)``: polynomial expressions that must vanish on
  every usable row (put a selector factor in them to restrict where).
- ``cs.lookup(name, [(input_expr, table_column), ...])``: on every usable row the tuple
  of input values is a row of the tuple of table columns (LogUp argument).
- ``cs.enable_equality(column)``: the column may take part in copy constraints;
  ``cs.enable_constant(fixed_column)`` holds constants copied into advice cells.

Derived quantities (never declared):

- ``degree()``: the largest constraint degree among gates (as written), lookups
  (``2 + deg(input)`` for a helper column with one input, ``3`` for the table side)
  and the permutation (at least 3); ``cs.set_minimum_degree(d)`` can raise it so more
  lookup inputs share a helper column and more columns share a permutation product.
- ``blinding_factors()``: as in halo2, ``max(3, most distinct rotations at which any
  advice column is queried) + 1``. The permutation products are opened at 3 points,
  lookup running sums at 2, and every polynomial once more in the multi-point opening,
  so that many random rows hide the witness. The rows of a 2^k domain are then:
  ``0 .. u-1`` usable (``u = usable_rows(k) = 2^k - blinding_factors() - 1``), row
  ``u`` the "last" row where the grand products and running sums are checked, and
  ``blinding_factors()`` rows of randomness. Advice columns are random on rows ``u..``.
"""

from __future__ import annotations

from typing import Any

from zkml_core.errors import CircuitError
from zkml_core.plonk.expression import (
    Challenge,
    Expression,
    Query,
    as_expression,
    challenges_of,
    from_data,
    queries_of,
    to_data,
)

ADVICE, FIXED, INSTANCE = "advice", "fixed", "instance"
_KIND_ORDER = {ADVICE: 0, FIXED: 1, INSTANCE: 2}


class Column:
    """A column of the circuit: ``kind`` (advice / fixed / instance) and ``index``."""

    __slots__ = ("kind", "index", "phase", "name")

    def __init__(self, kind: str, index: int, phase: int = 0, name: str | None = None) -> None:
        self.kind = kind
        self.index = index
        self.phase = phase
        self.name = name or f"{kind}{index}"

    def rot(self, rotation: int) -> Query:
        """This column at ``rotation`` rows from the current row."""
        return Query(self, rotation)

    def cur(self) -> Query:
        return Query(self, 0)

    def next(self) -> Query:
        return Query(self, 1)

    def prev(self) -> Query:
        return Query(self, -1)

    @property
    def key(self) -> tuple[str, int]:
        return (self.kind, self.index)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Column) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __lt__(self, other: Column) -> bool:
        return (_KIND_ORDER[self.kind], self.index) < (_KIND_ORDER[other.kind], other.index)

    def __repr__(self) -> str:
        return f"Column({self.name})"


class Gate:
    """A named group of constraints, each ``(name, expression)``."""

    __slots__ = ("name", "constraints")

    def __init__(self, name: str, constraints: list[tuple[str, Expression]]) -> None:
        self.name = name
        self.constraints = constraints


class Lookup:
    """``inputs[j]`` (expressions) must, row by row, appear as a row of ``table[j]``."""

    __slots__ = ("name", "inputs", "table")

    def __init__(self, name: str, inputs: tuple[Expression, ...], table: tuple[Column, ...]):
        self.name = name
        self.inputs = inputs
        self.table = table

    def degree(self) -> int:
        return max(e.degree() for e in self.inputs)


class LookupGroup:
    """All lookups into one table tuple: one multiplicity column, one running sum,
    and helper columns each batching several inputs (``batches``: lookup indices)."""

    __slots__ = ("table", "lookups", "batches")

    def __init__(self, table: tuple[Column, ...], lookups: list[int], batches: list[list[int]]):
        self.table = table
        self.lookups = lookups
        self.batches = batches


class ConstraintSystem:
    """Collects the circuit's columns, gates, lookups and equality columns."""

    def __init__(self) -> None:
        self.advice: list[Column] = []
        self.fixed: list[Column] = []
        self.instance: list[Column] = []
        self.selectors: set[int] = set()
        self.tables: set[int] = set()
        self.constants: list[Column] = []
        self.equality: list[Column] = []
        self.gates: list[Gate] = []
        self.lookups: list[Lookup] = []
        self.challenges: list[Challenge] = []
        self.minimum_degree = 3

    # ---- columns ----------------------------------------------------------------
    def advice_column(self, phase: int = 0, name: str | None = None) -> Column:
        if not isinstance(phase, int) or phase < 0:
            raise CircuitError(f"advice phase must be a non-negative int, got {phase!r}")
        col = Column(ADVICE, len(self.advice), phase, name)
        self.advice.append(col)
        return col

    def fixed_column(self, name: str | None = None) -> Column:
        col = Column(FIXED, len(self.fixed), 0, name)
        self.fixed.append(col)
        return col

    def selector(self, name: str | None = None) -> Column:
        """A fixed column that is 1 on the rows a region enables and 0 elsewhere."""
        col = self.fixed_column(name or f"selector{len(self.selectors)}")
        self.selectors.add(col.index)
        return col

    def table_column(self, name: str | None = None) -> Column:
        """A fixed column holding a lookup table (filled by ``layouter.assign_table``)."""
        col = self.fixed_column(name or f"table{len(self.tables)}")
        self.tables.add(col.index)
        return col

    def instance_column(self, name: str | None = None) -> Column:
        col = Column(INSTANCE, len(self.instance), 0, name)
        self.instance.append(col)
        return col

    def enable_equality(self, column: Column) -> None:
        """Allow copy constraints on ``column`` (it joins the permutation argument)."""
        self._check_own(column)
        if column not in self.equality:
            self.equality.append(column)

    def enable_constant(self, column: Column) -> None:
        """Use fixed ``column`` to hold constants that are copied into advice cells."""
        self._check_own(column)
        if column.kind != FIXED:
            raise CircuitError("enable_constant needs a fixed column")
        if column not in self.constants:
            self.constants.append(column)
        self.enable_equality(column)

    def challenge_usable_after(self, phase: int) -> Challenge:
        """A challenge drawn once the advice columns of ``phase`` are committed."""
        ch = Challenge(len(self.challenges), phase)
        self.challenges.append(ch)
        return ch

    def set_minimum_degree(self, degree: int) -> None:
        self.minimum_degree = max(self.minimum_degree, int(degree))

    # ---- constraints ------------------------------------------------------------
    def create_gate(self, name: str, constraints: Any) -> Gate:
        """Add a gate; ``constraints`` is an expression, a list of expressions or of
        ``(name, expression)`` pairs, or a dict name -> expression."""
        if isinstance(constraints, Expression):
            constraints = [constraints]
        if isinstance(constraints, dict):
            constraints = list(constraints.items())
        named: list[tuple[str, Expression]] = []
        for i, c in enumerate(constraints):
            cname, expr = c if isinstance(c, tuple) else (f"{i}", c)
            expr = as_expression(expr)
            self._check_expression(expr, f"gate {name!r}")
            named.append((str(cname), expr))
        if not named:
            raise CircuitError(f"gate {name!r} has no constraints")
        gate = Gate(name, named)
        self.gates.append(gate)
        return gate

    def lookup(self, name: str, pairs: Any) -> Lookup:
        """Add a lookup: ``pairs`` is ``[(input, table_column), ...]`` (one pair for a
        single-column lookup); an input is an expression or a column (its current row)."""
        if isinstance(pairs, tuple) and len(pairs) == 2 and isinstance(pairs[1], Column):
            pairs = [pairs]
        inputs, table = [], []
        for inp, tcol in pairs:
            if isinstance(inp, Column):
                inp = inp.cur()
            inp = as_expression(inp)
            self._check_expression(inp, f"lookup {name!r}")
            if not isinstance(tcol, Column) or tcol.kind != FIXED or tcol.index not in self.tables:
                raise CircuitError(
                    f"lookup {name!r}: tables must be columns made by cs.table_column(), "
                    f"got {tcol!r}"
                )
            inputs.append(inp)
            table.append(tcol)
        if not inputs:
            raise CircuitError(f"lookup {name!r} has no inputs")
        if len(set(table)) != len(table):
            raise CircuitError(f"lookup {name!r} names a table column twice")
        lk = Lookup(name, tuple(inputs), tuple(table))
        self.lookups.append(lk)
        return lk

    def _check_own(self, column: Column) -> None:
        cols = {ADVICE: self.advice, FIXED: self.fixed, INSTANCE: self.instance}[column.kind]
        if column.index >= len(cols) or cols[column.index] != column:
            raise CircuitError(f"{column!r} does not belong to this constraint system")

    def _check_expression(self, expr: Expression, where: str) -> None:
        for q in queries_of(expr):
            self._check_own(q.column)
        for ch in challenges_of(expr):
            if ch.index >= len(self.challenges):
                raise CircuitError(f"{where} uses a challenge of another constraint system")

    # ---- derived shape ----------------------------------------------------------
    @property
    def num_phases(self) -> int:
        phases = [c.phase for c in self.advice] + [ch.phase for ch in self.challenges]
        return max(phases, default=0) + 1

    def column(self, kind: str, index: int) -> Column:
        cols = {ADVICE: self.advice, FIXED: self.fixed, INSTANCE: self.instance}.get(kind)
        if cols is None or not (0 <= index < len(cols)):
            raise CircuitError(f"no {kind} column {index}")
        return cols[index]

    def degree(self) -> int:
        """The largest constraint degree of the whole system (see the module docstring)."""
        d = self.minimum_degree
        for gate in self.gates:
            for _, expr in gate.constraints:
                d = max(d, expr.degree())
        for lk in self.lookups:
            d = max(d, 2 + lk.degree())
        return d

    def queries(self) -> dict[Column, list[int]]:
        """Every queried column with its sorted distinct rotations (gates, lookup inputs
        and tables, equality columns at rotation 0), columns in advice/fixed/instance order."""
        rots: dict[Column, set[int]] = {}
        exprs = [e for g in self.gates for _, e in g.constraints]
        exprs += [e for lk in self.lookups for e in lk.inputs]
        for e in exprs:
            for q in queries_of(e):
                rots.setdefault(q.column, set()).add(q.rotation)
        # the permutation argument reads equality columns, the lookup argument tables, at x
        for c in self.equality + [c for lk in self.lookups for c in lk.table]:
            rots.setdefault(c, set()).add(0)
        return {c: sorted(r) for c, r in sorted(rots.items())}

    def blinding_factors(self) -> int:
        most = max((len(r) for c, r in self.queries().items() if c.kind == ADVICE), default=1)
        return max(3, most) + 1

    def minimum_rows(self) -> int:
        # blinding rows, the last row, row 0 and at least one more usable row
        return self.blinding_factors() + 3

    def usable_rows(self, k: int) -> int:
        """Rows 0 .. usable_rows(k)-1 hold the circuit; the rest is the last row and blinding."""
        n = 1 << k
        if n < self.minimum_rows():
            raise CircuitError(
                f"k={k} gives {n} rows but this circuit needs at least {self.minimum_rows()}; "
                "increase k"
            )
        return n - self.blinding_factors() - 1

    def permutation_chunk_size(self) -> int:
        """Columns per permutation grand product (the argument has degree chunk + 2)."""
        return self.degree() - 2

    def quotient_pieces(self) -> int:
        """Number of degree-n pieces of the quotient polynomial h."""
        return self.degree() - 1

    def extended_k_extra(self) -> int:
        """log2 of the extended domain size over n (at least quotient_pieces())."""
        e = 0
        while (1 << e) < self.quotient_pieces():
            e += 1
        return e

    def lookup_groups(self) -> list[LookupGroup]:
        """Lookups grouped by table tuple, inputs packed into helper columns so that
        each helper constraint ``2 + sum of input degrees`` stays within ``degree()``."""
        d = self.degree()
        groups: dict[tuple[Column, ...], list[int]] = {}
        for i, lk in enumerate(self.lookups):
            groups.setdefault(lk.table, []).append(i)
        out = []
        for table, idxs in groups.items():
            batches: list[list[int]] = []
            used = d  # force a new batch at the start
            for i in idxs:
                deg = self.lookups[i].degree()
                if 2 + used + deg > d:
                    batches.append([])
                    used = 0
                batches[-1].append(i)
                used += deg
            out.append(LookupGroup(table, idxs, batches))
        return out

    # ---- serialisation (for the verifying key) ----------------------------------
    def to_data(self) -> dict:
        """Everything the verifier needs, as msgpack-able plain data."""
        return {
            "advice_phases": [c.phase for c in self.advice],
            "num_fixed": len(self.fixed),
            "num_instance": len(self.instance),
            "selectors": sorted(self.selectors),
            "tables": sorted(self.tables),
            "constants": [c.index for c in self.constants],
            "equality": [[c.kind, c.index] for c in self.equality],
            "challenge_phases": [ch.phase for ch in self.challenges],
            "minimum_degree": self.minimum_degree,
            "gates": [
                [g.name, [[n, to_data(e)] for n, e in g.constraints]] for g in self.gates
            ],
            "lookups": [
                [lk.name, [to_data(e) for e in lk.inputs], [c.index for c in lk.table]]
                for lk in self.lookups
            ],
        }

    @classmethod
    def from_data(cls, data: Any) -> ConstraintSystem:
        """Rebuild from :meth:`to_data`; raises ValueError / KeyError / TypeError when malformed."""
        cs = cls()
        for p in data["advice_phases"]:
            cs.advice_column(int(p))
        for _ in range(int(data["num_fixed"])):
            cs.fixed_column()
        for _ in range(int(data["num_instance"])):
            cs.instance_column()
        cs.selectors = {cs.column(FIXED, int(i)).index for i in data["selectors"]}
        cs.tables = {cs.column(FIXED, int(i)).index for i in data["tables"]}
        for i in data["constants"]:
            cs.constants.append(cs.column(FIXED, int(i)))
        for kind, i in data["equality"]:
            cs.equality.append(cs.column(str(kind), int(i)))
        for p in data["challenge_phases"]:
            cs.challenge_usable_after(int(p))
        cs.minimum_degree = int(data["minimum_degree"])
        for name, cons in data["gates"]:
            cs.create_gate(str(name), [(str(n), from_data(e, cs.column)) for n, e in cons])
        for name, inputs, table in data["lookups"]:
            cs.lookup(
                str(name),
                [(from_data(e, cs.column), cs.column(FIXED, int(t))) for e, t in zip(inputs, table, strict=True)],
            )
        return cs
