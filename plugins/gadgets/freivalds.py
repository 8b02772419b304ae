"""Freivalds: checks a committed matrix product ``C = X W`` with a random vector.

Checking ``C = X W`` cell by cell costs ``M K N`` multiplications; Freivalds' check costs
``M K + K N + M N``: with ``r = (1, rho, rho^2, ...)``, ``C r = X (W r)`` holds for a
wrong ``C`` with probability at most ``(N - 1) / p`` over ``rho``.

Soundness needs ``rho`` drawn after ``C``, ``X`` and ``W`` are fixed, so the gadget:

- keeps ``C`` (and the operands) in phase-0 advice columns (or fixed cells);
- draws one challenge ``rho`` usable after phase 0 (``cs.challenge_usable_after(0)``);
- lays the check out on phase-1 advice columns of its own (as many as the shared ones):
  the powers ``r_j`` in one column, ``r_0`` a copy of the constant 1 and the gate
  ``r_(j+1) = r_j * rho`` between consecutive rows; then three dot products on a
  ``dot_product`` gadget configured on the phase-1 columns (``W r``, ``X (W r)``,
  ``C r``), operands copied in from phase 0; and copy constraints ``X (W r) = C r``.

One challenge serves every product of the circuit (each check is sound on its own: the
bound above holds for each ``C`` separately, and a union bound over all checks).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from zkml_plugins.gadgets._ops import check_fits, max_abs
from zkml_plugins.gadgets.dot_product import DotProduct

from zkml_core.errors import CircuitError
from zkml_core.hookspecs import hookimpl
from zkml_core.interfaces import Gadget
from zkml_core.plonk.gadgets import configure_gadgets
from zkml_core.plonk.layouter import Assigned


class Freivalds(Gadget):
    name = "freivalds"
    description = "matrix products C = X W checked with a random vector (phase-1 challenge)"

    def configure(self, cs: Any, columns: Any, config: Any = None) -> None:
        if config is None:
            raise CircuitError("gadget 'freivalds' needs a GadgetConfig (zkml_core.plonk.gadgets)")
        columns = list(columns)
        if len(columns) < 3:
            raise CircuitError("gadget 'freivalds' needs at least 3 advice columns; use more "
                               "columns (num_cols)")
        self.config = config
        self.columns = columns
        for c in columns:
            cs.enable_equality(c)
        self.challenge = cs.challenge_usable_after(0)
        self.phase1 = [cs.advice_column(phase=1, name=f"freivalds_{i}")
                       for i in range(len(columns))]
        sub = config.for_columns(self.phase1)
        self.dot = configure_gadgets(cs, sub, ["dot_product"], {"dot_product": DotProduct})[
            "dot_product"]
        self.powers_col = self.phase1[0]
        self.q_pow = cs.selector("freivalds_powers")
        p = self.powers_col
        cs.create_gate("freivalds_powers",
                       [("next power", self.q_pow.cur() * (p.next() - p.cur() * self.challenge))])
        self._powers: Assigned | None = None

    def _powers_of(self, layouter: Any, n: int) -> Assigned:
        """Cells ``r_j = rho^j``, j < n, laid out once per synthesis at the largest n used
        (a later, longer request lays out a new run)."""
        have = self._powers
        if have is not None and have.shape[0] >= n and have.cells.size and \
                getattr(self, "_powers_asg", None) is layouter.asg:
            return have[:n]
        rho = layouter.challenge(self.challenge)
        f = layouter.field
        if rho is None or f is None:  # before the challenge is drawn: placeholders
            vals = np.zeros((n, 4), dtype=np.uint64)
        else:
            p = f.p
            ints, x = [], 1
            for _ in range(n):  # n is a matrix dimension (tens to hundreds): not a hot path
                ints.append(x)
                x = x * rho % p
            vals = f.from_ints(ints)
        with layouter.region("freivalds_powers") as region:
            cells = region.assign_advice(self.powers_col, 0, vals)
            if n > 1:
                region.enable_selector(self.q_pow, 0, count=n - 1)
        layouter.constrain_equal(cells[:1], layouter.constant([1]))
        self._powers, self._powers_asg = Assigned(cells, vals), layouter.asg
        return self._powers

    def assign(self, layouter: Any, x: Assigned, w: Assigned, c: Assigned) -> None:
        """Constrain ``c == x @ w`` for ``x (M, K)``, ``w (K, N)``, ``c (M, N)`` (int64 or
        field values, any columns)."""
        if len(x.shape) != 2 or len(w.shape) != 2 or c.shape != (x.shape[0], w.shape[1]) \
                or x.shape[1] != w.shape[0]:
            raise CircuitError(f"freivalds: shapes {x.shape} @ {w.shape} != {c.shape}")
        r = self._powers_of(layouter, w.shape[1])
        wr = self.dot.assign(layouter, w, r)          # (K,)
        xwr = self.dot.assign(layouter, x, wr)        # (M,)
        cr = self.dot.assign(layouter, c, r)          # (M,)
        layouter.constrain_equal(xwr.cells, cr.cells)

    def matmul(self, layouter: Any, x: Assigned, w: Assigned) -> Assigned:
        """``x @ w`` for int64 operands: the product assigned in phase 0 (rows of the
        shared columns), then checked by :meth:`assign`."""
        m, kdim = x.shape
        n = w.shape[1]
        check_fits(self.name, max_abs(x.values) * max_abs(w.values) * max(kdim, 1))
        prod = x.values @ w.values
        cols = self.columns
        per = len(cols)
        rows = -(-(m * n) // per)
        grid = np.zeros(rows * per, dtype=np.int64)
        grid[: m * n] = prod.reshape(-1)
        with layouter.region("freivalds_product") as region:
            cells = region.assign_advice(cols, 0, grid.reshape(rows, per))
        c = Assigned(cells.flatten()[: m * n].reshape(m, n), prod)
        self.assign(layouter, x, w, c)
        return c


@hookimpl
def zkml_register_gadgets():
    return [Freivalds]
