"""MockProver: checks a witness against the circuit's constraints, without cryptography.

Every gate is evaluated vectorised on all 2^k rows (advice cells past the usable rows
hold random values, as in a real proof, so a gate that forgets its selector there
fails), every lookup on the usable rows (set membership of input tuples in the table),
every copy and instance constraint. Challenges get random values.

    prover = MockProver(circuit, instances=[[...]], k=10)
    prover.assert_satisfied()          # raises VerificationError with a readable report
    failures = prover.verify()         # or inspect the list
"""

from __future__ import annotations

import secrets
from typing import Any

import numpy as np

from zkml_core.errors import VerificationError
from zkml_core.plonk.circuit import configure, synthesize
from zkml_core.plonk.constraint_system import ADVICE, Column
from zkml_core.plonk.evaluation import ArrayContext, nonzero_rows, rows_in_set

MAX_ROWS_REPORTED = 5


class Failure:
    """One violated constraint: ``kind`` is gate / lookup / copy / instance."""

    def __init__(self, kind: str, name: str, row: int, region: Any, cells: list[tuple[str, int]], note: str = "") -> None:
        self.kind, self.name, self.row, self.cells, self.note = kind, name, row, cells, note
        #: the region's name and the row's offset in it (None outside every region)
        self.region: str | None = region.name if region else None
        self.offset: int | None = row - region.start if region else None

    def __str__(self) -> str:
        where = f"region {self.region!r} (offset {self.offset})" if self.region else "outside any region"
        cells = ", ".join(f"{label} = {value}" for label, value in self.cells)
        note = f" ({self.note})" if self.note else ""
        return f"{self.kind} {self.name} not satisfied at row {self.row} in {where}{note}: {cells}"

    def __repr__(self) -> str:
        return f"Failure({self})"


def _default_field() -> Any:
    from zkml_core.arith.field import BN254_FR

    return BN254_FR


class MockProver:
    """Synthesises ``circuit`` with ``instances`` at size 2^k and checks every constraint."""

    def __init__(self, circuit: Any, instances: list[Any] | None = None, k: int = 10, field: Any = None) -> None:
        self.field = field if field is not None else _default_field()
        self.k = k
        self.cs, config = configure(circuit)
        F = self.field
        self.challenges = {ch.index: secrets.randbelow(F.p) for ch in self.cs.challenges}
        self.asg = synthesize(
            circuit, self.cs, config, F, k, "mock",
            challenges=self.challenges, instances=instances or [[] for _ in self.cs.instance],
        )
        u, n = self.asg.usable, self.asg.n
        # the prover fills every advice column's unusable rows with randomness
        for col in self.cs.advice:
            vals = self.asg.column_values(col)
            vals[u:] = F.random(n - u)
        self.ctx = ArrayContext(F, self._column, 1, self.challenges)

    def _column(self, key: tuple) -> np.ndarray:
        return self.asg.column_values(self.cs.column(*key))

    # ---- reporting helpers -------------------------------------------------------
    def _signed(self, value: np.ndarray) -> int:
        return int(self.field.to_signed_ints(value.reshape(1, 4))[0])

    def _cell_value(self, col: Column, row: int) -> int:
        return self._signed(self.asg.column_values(col)[row % self.asg.n])

    def _query_cells(self, expr: Any, row: int) -> list[tuple[str, int]]:
        from zkml_core.plonk.expression import queries_of

        seen, out = set(), []
        for q in queries_of(expr):
            key = (q.column, q.rotation)
            if key in seen:
                continue
            seen.add(key)
            r = (row + q.rotation) % self.asg.n
            out.append((f"{q.column.name}[{r}]", self._cell_value(q.column, r)))
        return out

    def _row_note(self, expr: Any, row: int) -> str:
        from zkml_core.plonk.expression import queries_of

        u = self.asg.usable
        bad = [q for q in queries_of(expr) if q.column.kind == ADVICE and not (0 <= row + q.rotation < u)]
        if bad:
            return "queries advice past the usable rows, where the prover puts random blinding values; guard the gate with a selector"
        return ""

    # ---- checks --------------------------------------------------------------------
    def verify(self) -> list[Failure]:
        """Every failure found (empty when the witness satisfies the circuit)."""
        return self._check_gates() + self._check_lookups() + self._check_copies()

    def assert_satisfied(self) -> None:
        failures = self.verify()
        if failures:
            shown = "\n  ".join(str(f) for f in failures[:20])
            more = f"\n  ... and {len(failures) - 20} more" if len(failures) > 20 else ""
            raise VerificationError(
                f"the witness does not satisfy the circuit ({len(failures)} failures):\n  {shown}{more}"
            )

    def _check_gates(self) -> list[Failure]:
        out = []
        for gate in self.cs.gates:
            for cname, expr in gate.constraints:
                rows = nonzero_rows(self.ctx.expr(expr))
                label = f"{gate.name!r}" + (f" constraint {cname!r}" if len(gate.constraints) > 1 else "")
                for r in rows[:MAX_ROWS_REPORTED]:
                    r = int(r)
                    out.append(Failure("gate", label, r, self.asg.region_of(r), self._query_cells(expr, r), self._row_note(expr, r)))
        return out

    def _check_lookups(self) -> list[Failure]:
        out = []
        u = self.asg.usable
        for lk in self.cs.lookups:
            inputs = [self.ctx.expr(e)[:u] for e in lk.inputs]
            table = [self.asg.column_values(c)[:u] for c in lk.table]
            missing = np.flatnonzero(~rows_in_set(inputs, table))
            for r in missing[:MAX_ROWS_REPORTED]:
                r = int(r)
                cells = [(f"input{j} {e!r}", self._signed(inputs[j][r])) for j, e in enumerate(lk.inputs)]
                out.append(Failure("lookup", repr(lk.name), r, self.asg.region_of(r), cells, "input not in the table"))
        return out

    def _check_copies(self) -> list[Failure]:
        if not self.asg.copies:
            return []
        ga, ra, gb, rb = (np.concatenate([c[i] for c in self.asg.copies]) for i in range(4))
        va, vb = self._gather(ga, ra), self._gather(gb, rb)
        bad = np.flatnonzero(np.any(va != vb, axis=1))
        out = []
        for i in bad[: 4 * MAX_ROWS_REPORTED]:
            ca, cb = self.asg.column_of(int(ga[i])), self.asg.column_of(int(gb[i]))
            kind = "instance" if "instance" in (ca.kind, cb.kind) else "copy"
            cells = [
                (f"{ca.name}[{int(ra[i])}]", self._signed(va[i])),
                (f"{cb.name}[{int(rb[i])}]", self._signed(vb[i])),
            ]
            row = int(ra[i])
            out.append(Failure(kind, f"{ca.name}[{row}] == {cb.name}[{int(rb[i])}]", row, self.asg.region_of(row), cells))
        return out

    def _gather(self, gids: np.ndarray, rows: np.ndarray) -> np.ndarray:
        out = np.zeros((gids.size, 4), dtype=np.uint64)
        for g in np.unique(gids):
            m = gids == g
            out[m] = self.asg.column_values(self.asg.column_of(int(g)))[rows[m]]
        return out
