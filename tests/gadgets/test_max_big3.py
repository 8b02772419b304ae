"""Max and VarDivRoundBig3 under the MockProver: honest batches equal Python references;
forged maxima, quotients and limbs are rejected by the named gate or lookup."""

from __future__ import annotations

import numpy as np
import pytest
from gadget_circuit import GadgetCircuit, add_to_cell, kinds
from hypothesis import given, settings
from hypothesis import strategies as st

from zkml_core.arith.field import BN254_FR
from zkml_core.errors import CircuitError
from zkml_core.plonk.gadgets import GadgetConfig

SETTINGS = settings(max_examples=10, deadline=None)
P = BN254_FR.p


def max_call(g, lay, ops):
    return g["max"].assign(lay, ops[0])


@SETTINGS
@given(st.data(), st.integers(1, 3), st.integers(1, 9), st.integers(3, 10))
def test_max_honest(data, batch, length, num_cols):
    x = np.array(data.draw(st.lists(st.integers(-100, 100), min_size=batch * length,
                                    max_size=batch * length))).reshape(batch, length)
    c = GadgetCircuit(["max"], max_call, [x], k=8, num_cols=num_cols)
    assert c.failures() == []
    assert c.out.values.tolist() == [max(int(v) for v in row) for row in x]


def test_max_tampering():
    x = np.array([[3, 9, -4, 7]])  # round 1: (3, 9) (-4, 7); round 2: (9, 7)
    name = "max"

    def last_op(change):
        def tamper(circ, asg):
            change(circ.gadgets[name].last_cells, asg)  # the last round: one op
        return tamper

    # the final max o = max(9, 7) set to 7 (= b): the gate holds, o - a < 0 is caught
    got = kinds(GadgetCircuit([name], max_call, [x], tamper=last_op(
        lambda cells, asg: add_to_cell(asg, cells[0, 2], -2))).failures())
    assert ("lookup", f"{name} not below a op0") in got
    assert ("gate", f"{name} constraint op0") not in got
    # o = 10, neither a nor b
    got = kinds(GadgetCircuit([name], max_call, [x], tamper=last_op(
        lambda cells, asg: add_to_cell(asg, cells[0, 2], 1))).failures())
    assert ("gate", f"{name} constraint op0") in got
    # the copy of a round's result into the next round
    got = kinds(GadgetCircuit([name], max_call, [x], tamper=last_op(
        lambda cells, asg: (add_to_cell(asg, cells[0, 0], 1), add_to_cell(asg, cells[0, 2], 1)))).failures())
    assert {k for k, _ in got} == {"copy"}


def test_max_needs_close_values():
    with pytest.raises(CircuitError, match="difference"):
        GadgetCircuit(["max"], max_call, [np.array([-200, 200])], k=8).failures()


# ---- var_div_round_big3 ------------------------------------------------------------------

def big_call(divisor, variable):
    def call(g, lay, ops):
        return g["var_div_round_big3"].assign(lay, ops[0], ops[1] if variable else divisor)
    return call


def big_circuit(a, b, variable, tamper=None, k=8, num_cols=10):
    inputs = [a, np.array([b])] if variable else [a]
    return GadgetCircuit(["var_div_round_big3"], big_call(b, variable), inputs, k=k,
                         num_cols=num_cols, tamper=tamper)


@SETTINGS
@given(st.data(), st.sampled_from([8, 9]), st.integers(10, 20), st.booleans(), st.integers(1, 6))
def test_big3_honest(data, k, num_cols, variable, n):
    cfg = GadgetConfig(scale_factor=1, k=k, columns=[])
    b = data.draw(st.integers(1, cfg.num_rows**3 // 2))
    lo, hi = cfg.min_val * b, (cfg.max_val - 1) * b
    a = np.array(data.draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n)), dtype=np.int64)
    c = big_circuit(a, b, variable, k=k, num_cols=num_cols)
    assert c.failures() == []
    assert c.out.values.tolist() == [(2 * int(x) + b) // (2 * b) for x in a]


B = 50_000  # beyond the k = 8 table (247 rows): two limbs in use
A = np.array([1_234_567, -2_500_001, 5_000_000, 0], dtype=np.int64)


@pytest.mark.parametrize("variable", [False, True])
def test_big3_tampering(variable):
    name = "var_div_round_big3"

    def bump(op, *changes):
        def tamper(circ, asg):
            cells = circ.gadgets[name].last_cells
            for role, delta in changes:
                add_to_cell(asg, cells[op, role], delta)
        return tamper

    def run(t):
        return kinds(big_circuit(A, B, variable, tamper=t).failures())

    # roles: a c c1 r0 r1 r2 t0 t1 t2
    assert run(bump(0, (1, 1))) == {("gate", f"{name} constraint op0 division")}
    assert run(bump(0, (3, 1))) == {("gate", f"{name} constraint op0 division"),
                                    ("gate", f"{name} constraint op0 remainder bound")}
    assert run(bump(0, (6, 1))) == {("gate", f"{name} constraint op0 remainder bound")}
    # c - 1, r + 2b, t - 2b: both gates hold; t's low limb goes negative
    got = run(bump(1, (1, -1), (3, 2 * B), (6, -2 * B)))
    assert ("lookup", f"{name} limb t0 op0") in got and {k for k, _ in got} == {"lookup"}
    # a limb of 247 moved into the next limb down: the same r, limb r0 out of the table
    got = run(bump(0, (3, 247), (4, -1)))
    assert ("lookup", f"{name} limb r0 op0") in got and {k for k, _ in got} == {"lookup"}
    # r + 1 and the field quotient (2a + b - r - 1) / 2b
    got = run(bump(0, (1, P - pow(2 * B, -1, P)), (3, 1), (6, -1)))
    assert got == {("lookup", f"{name} quotient low op0")}
    # the quotient's high limb lowered (c unchanged): the low part leaves T, c1 goes negative
    got = run(bump(0, (2, -1)))
    assert got == {("lookup", f"{name} quotient low op0"), ("lookup", f"{name} quotient high op0")}
    # the divisor of one row changed: its copy breaks
    def divisor(circ, asg):
        add_to_cell(asg, circ.gadgets[name].last_divisor_cells[0], 1)
    assert "copy" in {k for k, _ in kinds(big_circuit(A, B, variable, tamper=divisor).failures())}


def test_big3_limits():
    with pytest.raises(CircuitError, match="at least 10 advice columns, got 9"):
        big_circuit(A, B, False, num_cols=9).failures()
    with pytest.raises(CircuitError, match="quotient: value"):  # beyond min_val + 247^2
        big_circuit(np.array([10**9]), 3, False).failures()


def test_big3_large_quotients():
    """Quotients beyond max_val (118 at k = 8) up to min_val + num_rows^2: two limbs."""
    a = np.array([5_000 * 7, 60_000 * 7 + 3, -128 * 7], dtype=np.int64)
    c = big_circuit(a, 7, True)
    assert c.failures() == []
    assert c.out.values.tolist() == [5000, 60000, -128]
