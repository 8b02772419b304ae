"""VarDivRound: ``c = round_half_up(a / b)`` for a batch sharing one divisor ``b``.

Layout: ``a | c | r`` per op, ``(num_cols - 1) // 3`` ops a row, the divisor in the last
column of every row. On every op of an enabled row:

- gate ``2a + b = 2b c + r``;
- lookups ``r in T`` and ``2b - 1 - r in T``, so ``0 <= r < 2b`` (zkml checked
  ``2b - r``, which admits ``r = 2b`` and with it a second quotient);
- lookup ``c - min_val in T``: the quotient is in ``[min_val, max_val]`` (zkml left it
  free, and a free ``c`` takes any value ``(2a + b - r) / 2b`` of the field).

Two witnesses (c, r), (c', r') then give ``2b (c - c') = r' - r`` with both sides far below
the field size, so ``|r' - r| < 2b`` forces ``c = c'``.

The divisor is never free: a Python int is a constant (copies from the constants column,
bound by the verifying key); a cell is copied into every row and range-checked,
``b - 1 in T``. Either way ``2b <= num_rows``; larger divisors need
``var_div_round_big3``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from zkml_plugins.gadgets._ops import RowOpGadget, witness_mode

from zkml_core.errors import CircuitError
from zkml_core.hookspecs import hookimpl
from zkml_core.plonk.layouter import Assigned


def round_div_parts(a: np.ndarray, b: int) -> tuple[np.ndarray, np.ndarray]:
    """``c = floor((2a + b) / 2b)`` and ``r = 2a + b - 2bc`` without forming 2a (int64)."""
    q, rem = np.divmod(a, np.int64(b))
    up = (2 * rem >= b).astype(np.int64)
    return q + up, 2 * (rem - b * up) + b


class VarDivRound(RowOpGadget):
    name = "var_div_round"
    description = "round-half-up division by a constant or range-checked divisor"
    width, n_inputs, extra_columns = 3, 1, 1
    requires = ("input_lookup",)
    #: whether a witness divisor gets the lookup ``b - 1 in T``
    checks_divisor = True

    def configure(self, cs, columns, config=None):
        columns = list(columns)
        self.b_col = columns[-1]
        cs.enable_equality(self.b_col)
        self.q_var = cs.selector(f"{self.name}_variable_divisor") if self.checks_divisor else None
        super().configure(cs, columns[:-1], config)
        config.constants(cs)

    def constrain(self, cs, q, slots):
        t, lo = self.config.range_table(cs), self.config.min_val
        b = self.b_col.cur()
        cs.create_gate(self.name, [(f"op{j}", q * (2 * a + b - 2 * b * c - r))
                                   for j, (a, c, r) in enumerate(slots)])
        for j, (_, c, r) in enumerate(slots):
            cs.lookup(f"{self.name} remainder op{j}", [(q * r, t)])
            cs.lookup(f"{self.name} remainder bound op{j}", [(q * (2 * b - 1 - r), t)])
            cs.lookup(f"{self.name} quotient op{j}", [(q * (c - lo), t)])
        cs.lookup(f"{self.name} divisor", [(self.q_var.cur() * (b - 1), t)])

    def divisor_limit(self) -> int:
        """The largest divisor the remainder's range check covers."""
        return self.config.num_rows // 2

    def assign(self, layouter: Any, a: Assigned, divisor: int | Assigned) -> Assigned:
        """``round_half_up(a / divisor)``, shaped like ``a``. ``divisor`` is an int (a
        constant of the circuit), a one-cell ``Assigned`` (a witness), or one witness
        cell per row of ``a``'s last axis (shape ``a.shape[:-1]``, e.g. softmax's per-row
        sums); each row of ``a`` then starts a row of the circuit, next to its divisor."""
        group = None
        if isinstance(divisor, Assigned):
            self._variable = True
            self._source = divisor.cells.flatten()
            b = np.asarray(divisor.values, dtype=np.int64).reshape(-1)
            if b.size != 1:
                if not a.cells.shape or a.cells.shape[:-1] != divisor.cells.shape:
                    raise CircuitError(f"{self.name}: the divisor must be one cell or one per "
                                       f"row of the last axis (shape {a.cells.shape[:-1]}), got "
                                       f"{divisor.cells.shape}")
                group = a.cells.shape[-1]
        else:
            b, self._variable, self._source = np.array([int(divisor)]), False, None
        limit = self.divisor_limit()
        bad = (b < 1) | (b > limit)
        # Only a witness divisor may get a placeholder when keygen / measuring runs without
        # a witness (its cells are advice: the circuit checks them, and zeros lay out the
        # same circuit). A constant divisor goes into the constants column, i.e. into the
        # verifying key: replacing it by 1 there built a key for division by 1, which a
        # prover then satisfied with c = a (the honest prover alone refused the divisor).
        if bad.any() and self._variable and not witness_mode(layouter):
            b = np.where(bad, 1, b)
        elif bad.any():
            raise CircuitError(f"{self.name}: divisor {int(b[bad][0])} is outside [1, {limit}], "
                               "the range its remainder check covers; use a larger k or "
                               "var_div_round_big3")
        groups, self._per_group, _ = self.layout(a.cells.size, group)
        self._divisors = b if group is not None else np.repeat(b, groups)
        self._b = np.repeat(self._divisors, self._per_group * self.per_row)
        return self.assign_ops(layouter, (a,), group)[0]

    def compute(self, a):
        c, r = round_div_parts(a, self._b)
        cfg = self.config
        self.check_range(f"{self.name} quotient", c, cfg.min_val, cfg.max_val,
                       "use a larger k (or a smaller scale factor)")
        return c, r

    def assign_extra(self, layouter, region, rows):
        values = np.repeat(self._divisors, self._per_group)
        cells = region.assign_advice(self.b_col, 0, values)
        if self._variable:
            source = self._source
            if source.size > 1:
                source = source[np.repeat(np.arange(source.size), self._per_group)]
        else:
            source = layouter.constant([int(self._divisors[0])])
        layouter.constrain_equal(cells, source)
        if self._variable and self.q_var is not None:
            region.enable_selector(self.q_var, 0, count=rows)
        self.last_divisor_cells = cells


@hookimpl
def zkml_register_gadgets():
    return [VarDivRound]
