"""The int8 gadgets (requantize, rounded_average): every named cell of every real op is
bound. Each (op, cell) pair in turn gets +1, -1 (the changes a forger tries first:
flipping a bit, moving a quotient or remainder by one) and a random non-zero field
element added, and the MockProver must reject every one of those witnesses.

The ops are chosen so that the witness is unique: |q1| > 0 (requantize) and x != 0
(rounded_average), since at zero the sign bit s is free and changes nothing (both signs
give the output zp, resp. 0). Whether an op is away from zero is checked with Python ints
(the TFLite formulas written out), not with the gadget's own values.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from gadget_circuit import GadgetCircuit, add_to_cell

from zkml_core.arith.field import BN254_FR


def sweep(names, call, inputs, k, num_cols, ops, seed):
    """Every (op, cell, delta) whose changed witness the MockProver accepts (want [])."""
    gadget = names[0]
    rng = random.Random(seed)  # the random deltas are reproducible
    probe = GadgetCircuit(names, call, inputs, k=k, num_cols=num_cols)
    assert probe.failures() == []
    cells = probe.gadgets[gadget].last_cells
    accepted = []
    for op in ops:
        for name in cells:
            for delta in (1, -1, rng.randrange(1, BN254_FR.p)):
                def tamper(circ, asg, name=name, op=op, delta=delta):
                    add_to_cell(asg, circ.gadgets[gadget].last_cells[name][op], delta)
                circ = GadgetCircuit(names, call, inputs, k=k, num_cols=num_cols, tamper=tamper)
                if not circ.failures():
                    accepted.append((op, name, delta))
    return accepted, len(cells)


# ---- requantize ------------------------------------------------------------------------

def q1_double(x, mult, shift):
    """SaturatingRoundingDoublingHighMul(x 2^left, M) with Python ints."""
    v = x * (1 << max(shift, 0)) * mult
    return (v + (1 << 30)) >> 31


def q1_single(x, mult, shift):
    """trunc(x M 2^P / 2^31), P = shift + 1 when shift >= 0 (else 0)."""
    v = x * mult * (1 << (shift + 1 if shift >= 0 else 0))
    return v >> 31 if v >= 0 else -((-v) >> 31)


#: (accumulators, multipliers, shifts, keyword arguments): right = 0, 1, 3, 6, 12 (two
#: limbs of r2 at k 10), 19, 20; saturating and clamped ops; both signs; a tie (-3: q1 =
#: -1 = -H)
REQUANTIZE = {
    "double clamped": (
        [5003, -4000, 2**22, -2**21, -3],
        [2**30 + 12345, 2**31 - 7, 2**30 + 1, 2**30, 2**30],
        [-6, -12, 1, -20, -1],
        dict(zero_point=3, lo=-100, hi=120)),
    "single clamped": (
        [5003, -4000, 2**20, -77],
        [2**30 + 12345, 2**31 - 7, 2**30 + 1, 2**30 + 999],
        [-6, -12, 2, -1],
        dict(zero_point=-5, lo=-128, hi=127, single_rounding=True)),
    "raw, ADD's input offsets": (
        [100, -128, -7],
        [2**30 + 12345, 2**31 - 7, 2**30 + 1],
        [-1, -3, -19],
        dict(clamp=False, input_zero_point=-9, input_shift=20)),
}
SEEDS = {case: i for i, case in enumerate(sorted(REQUANTIZE))}


def requantize_call(mult, shift, kw):
    def call(g, lay, ops):
        return g["requantize"].assign(lay, ops[0], np.array(mult), np.array(shift), **kw)
    return call


@pytest.mark.parametrize("case", sorted(REQUANTIZE))
def test_requantize_every_cell_of_every_op_is_bound(case):
    acc, mult, shift, kw = REQUANTIZE[case]
    q1 = q1_single if kw.get("single_rounding") else q1_double
    for a, m, s in zip(acc, mult, shift, strict=True):  # away from zero: a unique witness
        assert q1((a - kw.get("input_zero_point", 0)) << kw.get("input_shift", 0), m, s) != 0
    accepted, n_cells = sweep(["requantize"], requantize_call(mult, shift, kw), [np.array(acc)],
                              k=10, num_cols=10, ops=range(len(acc)), seed=SEEDS[case])
    assert n_cells == 18  # acc out s t nc wc, 4 limbs each of r1, r2 and the quotient
    assert accepted == []


def test_the_sweep_finds_a_free_cell():
    """At q1 = 0 the sign bit is free (both signs give zp): the sweep reports it, so an
    empty report above means every change was rejected."""
    accepted, _ = sweep(["requantize"], requantize_call([2**30], [-3], dict(zero_point=3)),
                        [np.array([0])], k=10, num_cols=10, ops=[0], seed=0)
    assert (0, "s", 1) in accepted


# ---- rounded_average -------------------------------------------------------------------

AVG_X = [37, -40, 12, -2, 500, -500, 1, 7]
AVG_COUNT = [6, 6, 5, 4, 3, 3, 1, 1]   # 500 / 3 and -500 / 3 leave the clamp [-50, 60]


def test_rounded_average_every_cell_of_every_op_is_bound():
    def call(g, lay, ops):
        return g["rounded_average"].assign(lay, ops[0], np.array(AVG_COUNT), -50, 60)
    accepted, n_cells = sweep(["rounded_average"], call, [np.array(AVG_X)], k=10, num_cols=8,
                              ops=range(len(AVG_X)), seed=5)
    assert n_cells == 8
    assert accepted == []
