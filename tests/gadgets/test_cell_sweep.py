"""Every cell a constraint reads is bound, for the gadgets test_any_cell samples only in
part (or not at all): each such cell of every real op in turn gets +1, -1 and a random
non-zero field element added, and the MockProver must reject every one of those witnesses.

Covered here: var_div_round (constant and per-row divisors, the divisor column),
var_div_round_big3 (both, every limb), bias_div_round_relu6, max (every round, not only
the last), the seven table gadgets, freivalds (the phase-0 product, the powers of the
challenge and the cells of its three phase-1 dot products) and the packer (value slots,
padding slots, accumulators). Cells no constraint reads are listed apart and left out:
padding ops' cells, the packer's unused first-row slots, the dot products' weights of
padding terms (their x is a copy of 0).
"""

from __future__ import annotations

import importlib
import random

import numpy as np
import pytest
from gadget_circuit import CLASSES, GadgetCircuit, add_to_cell

from zkml_core.arith.field import BN254_FR
from zkml_core.plonk.gadgets import configure_gadgets
from zkml_core.plonk.layouter import Cells
from zkml_core.plugins import Registry

X = np.array([[5, -7, 30, 2, 11], [0, 9, -3, 14, 6]], dtype=np.int64)


def _more_classes() -> dict[str, type]:
    reg = Registry(autoload=False)
    for m in ("freivalds", "packer"):
        reg.register(importlib.import_module(f"zkml_plugins.gadgets.{m}"))
    return {**CLASSES, **reg.gadgets()}


ALL = _more_classes()


class SweepCircuit(GadgetCircuit):
    """GadgetCircuit over the built-in gadgets plus freivalds and the packer."""

    def configure(self, cs):
        from zkml_core.plonk.gadgets import GadgetConfig

        cols = [cs.advice_column() for _ in range(self.num_cols)]
        config = GadgetConfig(scale_factor=self.sf, k=self.k, columns=cols)
        return configure_gadgets(cs, config, self.names, ALL), cols


def one(cells: Cells, i) -> Cells:
    return Cells(np.array([int(cells.gids[i])]), np.array([int(cells.rows[i])]))


def sweep(make, bound_cells, seed=1):
    """``make(tamper)`` builds the circuit; ``bound_cells(circuit)`` lists ``(label,
    Cells)`` after synthesis. Returns (accepted changes, number of cells swept)."""
    rng = random.Random(seed)
    probe = make(None)
    assert probe.failures() == []
    labels = [label for label, _ in bound_cells(probe)]
    accepted = []
    for i, label in enumerate(labels):
        for delta in (1, -1, rng.randrange(2, BN254_FR.p - 1)):
            def tamper(circ, asg, i=i, delta=delta):
                add_to_cell(asg, bound_cells(circ)[i][1], delta)
            if not make(tamper).failures():
                accepted.append((label, delta))
    return accepted, len(labels)


def op_cells(cells, ops, roles, prefix=""):
    """(label, cell) of ``cells[op, role]`` (a (ops, width) Cells grid)."""
    return [(f"{prefix}op{op} role{r}", cells[op, r]) for op in ops for r in roles]


def divisor_cells(g):
    d = g.last_divisor_cells
    return [(f"divisor row{i}", d[i]) for i in range(d.size)]


# ---- divisions ---------------------------------------------------------------------------

def div_make(name, a, divisor, k=8, num_cols=7):
    """``divisor``: an int (constant) or an array (one witness cell per row of ``a``)."""
    variable = not isinstance(divisor, int)

    def call(g, lay, ops):
        return g[name].assign(lay, ops[0], ops[1] if variable else divisor)
    inputs = [a, divisor] if variable else [a]
    return lambda tamper: SweepCircuit([name], call, inputs, k=k, num_cols=num_cols,
                                       tamper=tamper)


def div_cells(name, a, divisor):
    def cells(circ):
        g = circ.gadgets[name]
        group = None if isinstance(divisor, int) else a.shape[-1]
        pos = g.layout(a.size, group)[2]
        return op_cells(g.last_cells, pos, range(g.width)) + divisor_cells(g)
    return cells


DIVISIONS = {  # id -> (gadget, a, divisor, num_cols)
    "var_div_round constant": ("var_div_round", X, 3, 7),
    "var_div_round per row": ("var_div_round", X, np.array([3, 5]), 7),
    "big3 constant": ("var_div_round_big3", X * 1000, 700, 10),
    "big3 per row": ("var_div_round_big3", X * 1000, np.array([700, 50_000]), 10),
}


@pytest.mark.parametrize("case", sorted(DIVISIONS))
def test_every_division_cell_is_bound(case):
    name, a, divisor, num_cols = DIVISIONS[case]
    accepted, n = sweep(div_make(name, a, divisor, num_cols=num_cols), div_cells(name, a, divisor))
    assert n >= a.size * (3 if name == "var_div_round" else 9)
    assert accepted == []


def test_every_bias_div_round_relu6_cell_is_bound():
    name = "bias_div_round_relu6"
    x = X * 4 + np.array([[1, -3, 2, 0, 3]])  # remainders 0 .. 7 of 2 sf = 8, both signs

    def make(tamper):
        return SweepCircuit([name], lambda g, lay, ops: g[name].assign(lay, *ops),
                            [x, X[1]], sf=4, k=8, num_cols=10, tamper=tamper)

    def cells(circ):
        return op_cells(circ.gadgets[name].last_cells, range(x.size), range(5))

    accepted, n = sweep(make, cells)
    assert n == x.size * 5 and accepted == []


# ---- max: every round --------------------------------------------------------------------

def test_every_cell_of_every_max_round_is_bound():
    """Rounds of X's rows: 5 values -> 3 -> 2 -> 1; each round's ops (a, b, o)."""
    def call(g, lay, ops):
        m = g["max"]
        rounds = []
        inner = m.assign_ops

        def record(layouter, operands, group=None):
            out = inner(layouter, operands, group)
            rounds.append((m.last_cells, operands[0].cells.size))
            return out
        m.assign_ops = record
        call.rounds = rounds
        return m.assign(lay, ops[0])

    def make(tamper):
        c = SweepCircuit(["max"], call, [X], k=8, num_cols=7, tamper=tamper)
        return c

    def cells(circ):
        out = []
        for r, (grid, m) in enumerate(call.rounds):
            out += op_cells(grid, range(m), range(3), prefix=f"round{r} ")
        return out

    accepted, n = sweep(make, cells)
    assert n == 3 * (4 + 2 + 2) and accepted == []  # ops (pairs) per round, both rows


# ---- table gadgets -----------------------------------------------------------------------

TABLES = ["relu", "exp", "logistic", "tanh", "pow", "sqrt", "rsqrt"]


@pytest.mark.parametrize("name", TABLES)
def test_every_table_gadget_cell_is_bound(name):
    x = -np.abs(X) if name == "exp" else X

    def make(tamper):
        return SweepCircuit([name], lambda g, lay, ops: g[name].assign(lay, ops[0]), [x],
                            sf=4, k=8, num_cols=10, tamper=tamper)

    def cells(circ):
        return op_cells(circ.gadgets[name].last_cells, range(x.size), range(2))

    accepted, n = sweep(make, cells)
    assert n == 2 * x.size and accepted == []


# ---- freivalds ---------------------------------------------------------------------------

FX = np.array([[3, -1, 4], [1, -5, 9], [2, 6, -5], [3, 5, -8], [9, 7, 9]], dtype=np.int64)
FW = np.array([[2, -7, 1, 8], [-2, 8, 1, 8], [2, 8, -4, 5]], dtype=np.int64)


def freivalds_call(g, lay, ops):
    f = g["freivalds"]
    dots, inner = [], f.dot.assign

    def record(layouter, *operands):
        out = inner(layouter, *operands)
        length = operands[0].cells.shape[-1]
        dots.append((f.dot.last_cells, f.dot.slots, length))
        return out
    f.dot.assign = record
    f.dots = dots
    f.product = f.matmul(lay, ops[0], ops[1])
    return f.product


def freivalds_cells(circ):
    f = circ.gadgets["freivalds"]
    c = f.product.cells.flatten()
    out = [(f"C[{i}]", one(c, i)) for i in range(c.size)]
    p = f._powers.cells
    out += [(f"rho^{j}", one(p, j)) for j in range(p.size)]
    for d, (grid, s, length) in enumerate(f.dots):
        per = -(-length // s)
        for row in range(grid.shape[0]):
            used = length - (row % per) * s  # real terms on this row
            for j in range(s):
                out.append((f"dot{d} row{row} x{j}", grid[row, j]))
                if j < used:
                    out.append((f"dot{d} row{row} w{j}", grid[row, s + j]))
            out.append((f"dot{d} row{row} acc", grid[row, grid.shape[1] - 1]))
    return out


@pytest.mark.parametrize("num_cols", [5, 7])
def test_every_freivalds_cell_is_bound(num_cols):
    """The product C (phase 0), the powers r_j and every term, weight and running sum of
    W r, X (W r) and C r (phase 1)."""
    def make(tamper):
        return SweepCircuit(["freivalds"], freivalds_call, [FX, FW], k=8, num_cols=num_cols,
                            tamper=tamper)

    probe = make(None)
    assert probe.failures() == []
    np.testing.assert_array_equal(probe.out.values, FX @ FW)  # numpy's own product
    accepted, n = sweep(make, freivalds_cells)
    assert n > FX.shape[0] * FW.shape[1] + FW.shape[1] and accepted == []


# ---- packer ------------------------------------------------------------------------------

def test_every_packer_cell_is_bound():
    """40 values at k = 8 (31 a field element, 2 elements, the second padded with 22 copies
    of min_val); 6 columns: 5 value slots, 7 rows an element, 1 value on its first row."""
    vals = (np.arange(40) * 37) % 240 - 128

    def make(tamper):
        return SweepCircuit(["packer"], lambda g, lay, ops: g["packer"].assign(lay, ops[0]),
                            [vals], k=8, num_cols=6, tamper=tamper)

    def cells(circ):
        p = circ.gadgets["packer"]
        vcells, acells = p.last_cells
        out = []
        for row in range(vcells.shape[0]):
            first = row % p.rows_per_elem == 0
            for j in range(p.first if first else p.m):
                out.append((f"row{row} value{j}", vcells[row, j]))
            out.append((f"row{row} acc", acells[row]))
        return out

    probe = make(None)
    assert probe.failures() == []
    p = probe.gadgets["packer"]
    assert (p.per_elem, p.rows_per_elem, p.first) == (31, 7, 1)
    accepted, n = sweep(make, cells)
    assert n == 2 * (31 + 7) and accepted == []
