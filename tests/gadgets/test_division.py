"""VarDivRound and BiasDivRoundRelu6 under the MockProver: honest batches equal the
Python-int round-half-up reference; changed quotients, remainders, outputs and input
copies are rejected, and so are forged witnesses that keep the gate true (r + 2b with
c - 1, r - 2b with c + 1, any r with the field quotient (2a + b - r) / 2b)."""

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


def round_half_up(a: int, b: int) -> int:
    return (2 * a + b) // (2 * b)


def limits(k):
    cfg = GadgetConfig(scale_factor=1, k=k, columns=[])
    return cfg.min_val, cfg.max_val, cfg.num_rows


def div_call(divisor, variable):
    def call(g, lay, ops):
        return g["var_div_round"].assign(lay, ops[0], ops[1] if variable else divisor)
    return call


def div_circuit(a, b, variable=False, k=8, num_cols=7, tamper=None):
    inputs = [a, np.array([b])] if variable else [a]
    return GadgetCircuit(["var_div_round"], div_call(b, variable), inputs, k=k,
                         num_cols=num_cols, tamper=tamper)


@SETTINGS
@given(st.data(), st.sampled_from([8, 9]), st.integers(4, 10), st.booleans(), st.integers(1, 9))
def test_var_div_round_honest(data, k, num_cols, variable, n):
    lo, hi, rows = limits(k)
    b = data.draw(st.integers(1, rows // 2))
    a = np.array(data.draw(st.lists(st.integers(lo * b, (hi - 1) * b), min_size=n, max_size=n)))
    c = div_circuit(a, b, variable, k=k, num_cols=num_cols)
    assert c.failures() == []
    assert c.out.values.tolist() == [round_half_up(int(x), b) for x in a]


def test_var_div_round_rounds_half_up_for_negatives():
    a = np.array([-7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7])
    c = div_circuit(a, 4)
    assert c.failures() == []
    assert c.out.values.tolist() == [-2, -1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2]


A = np.array([37, -41, 5, 100, -100, 0, 63], dtype=np.int64)
B = 6


def forge(op, dc, dr):
    def tamper(circ, asg):
        cells = circ.gadgets["var_div_round"].last_cells
        add_to_cell(asg, cells[op, 1], dc)
        add_to_cell(asg, cells[op, 2], dr)
    return tamper


@pytest.mark.parametrize("variable", [False, True])
@pytest.mark.parametrize("op", [0, 1, 3])
def test_var_div_round_tampering(variable, op):
    slot = op % 2  # 7 columns: 2 ops a row
    name = "var_div_round"
    cases = {
        "quotient": (forge(op, 1, 0), {("gate", f"{name} constraint op{slot}")}),
        "remainder": (forge(op, 0, 1), {("gate", f"{name} constraint op{slot}")}),
        # consistent with the gate: only the range checks see them
        "r + 2b, c - 1": (forge(op, -1, 2 * B), {("lookup", f"{name} remainder bound op{slot}")}),
        "r - 2b, c + 1": (forge(op, 1, -2 * B), {("lookup", f"{name} remainder op{slot}")}),
        # r one larger and c the field solution (2a + b - r) / 2b: a huge quotient
        "field quotient": (forge(op, P - pow(2 * B, -1, P), 1),
                           {("lookup", f"{name} quotient op{slot}")}),
    }
    for what, (tamper, expect) in cases.items():
        got = kinds(div_circuit(A, B, variable, tamper=tamper).failures())
        assert got == expect, what


@pytest.mark.parametrize("variable", [False, True])
def test_var_div_round_copies(variable):
    def input_copy(circ, asg):  # a + 1 in the gadget, r + 2 keeps the gate
        cells = circ.gadgets["var_div_round"].last_cells
        add_to_cell(asg, cells[2, 0], 1)
        add_to_cell(asg, cells[2, 2], 2)

    def divisor(circ, asg):  # another divisor on one row
        add_to_cell(asg, circ.gadgets["var_div_round"].last_divisor_cells[1], 1)

    assert {k for k, _ in kinds(div_circuit(A, B, variable, tamper=input_copy).failures())} == {"copy"}
    got = kinds(div_circuit(A, B, variable, tamper=divisor).failures())
    assert ("copy" in {k for k, _ in got}) and ("gate", "var_div_round constraint op0") in got


def test_var_div_round_divisor_checks():
    _, _, rows = limits(8)
    with pytest.raises(CircuitError, match="divisor 0 is outside"):
        div_circuit(A, 0, variable=True).failures()
    with pytest.raises(CircuitError, match="big3"):
        div_circuit(A, rows // 2 + 1).failures()
    with pytest.raises(CircuitError, match="quotient: value 300 is outside"):
        div_circuit(np.array([600]), 2).failures()


def test_variable_divisor_is_range_checked():
    """A divisor cell whose value is out of range (here 0, forged after synthesis into the
    source and every row) is caught by the divisor lookup."""
    def tamper(circ, asg):
        g = circ.gadgets["var_div_round"]
        for cell in [g.last_divisor_cells[i] for i in range(g.last_divisor_cells.size)]:
            add_to_cell(asg, cell, -B)
        add_to_cell(asg, circ.divisor_source, -B)

    def call(g, lay, ops):
        call.circ.divisor_source = ops[1].cells
        return g["var_div_round"].assign(lay, ops[0], ops[1])

    c = GadgetCircuit(["var_div_round"], call, [np.zeros(3, np.int64), np.array([B])], tamper=tamper)
    call.circ = c
    got = kinds(c.failures())
    assert ("lookup", "var_div_round divisor") in got


# ---- bias_div_round_relu6 ----------------------------------------------------------------

def bdr_call(g, lay, ops):
    return g["bias_div_round_relu6"].assign(lay, *ops)


@SETTINGS
@given(st.data(), st.sampled_from([8, 9]), st.integers(5, 11), st.integers(1, 3), st.integers(1, 4))
def test_bias_div_round_relu6_honest(data, k, num_cols, pixels, channels):
    lo, hi, rows = limits(k)
    sf = data.draw(st.integers(1, min(rows // 2, 20)))
    bias = np.array(data.draw(st.lists(st.integers(-50, 50), min_size=channels, max_size=channels)))
    x = np.array(data.draw(st.lists(st.integers((lo + 60) * sf, (hi - 60) * sf),
                                    min_size=pixels * channels, max_size=pixels * channels)))
    x = x.reshape(pixels, channels)
    c = GadgetCircuit(["bias_div_round_relu6"], bdr_call, [x, bias], sf=sf, k=k, num_cols=num_cols)
    assert c.failures() == []
    div = [[round_half_up(int(v), sf) + int(b) for v, b in zip(row, bias, strict=True)] for row in x]
    assert c.out.div.values.tolist() == div
    assert c.out.relu6.values.tolist() == [[min(max(v, 0), 6 * sf) for v in row] for row in div]


@pytest.mark.parametrize("op", [0, 3])  # divs 14 and 1: inside (0, 6 sf), relu6 follows
def test_bias_div_round_relu6_tampering(op):
    sf = 8
    x = np.array([[100, -30, 333, 7], [-200, 0, 40, 9]])
    bias = np.array([1, -2, 3, 0])
    name = "bias_div_round_relu6"

    def bump(*changes):
        def tamper(circ, asg):
            cells = circ.gadgets[name].last_cells
            for role, delta in changes:
                add_to_cell(asg, cells[op, role], delta)
        return tamper

    slot = op % 2  # 10 columns: 2 ops a row
    cases = {
        "div": (bump((2, 1)), {("gate", f"{name} constraint op{slot}"), ("lookup", f"{name} relu6 op{slot}")}),
        "mod": (bump((3, 1)), {("gate", f"{name} constraint op{slot}")}),
        "out": (bump((4, 1)), {("lookup", f"{name} relu6 op{slot}")}),
        "mod + 2sf, div - 1": (bump((2, -1), (3, 2 * sf), (4, -1)),
                               {("lookup", f"{name} remainder bound op{slot}")}),
        "mod - 2sf, div + 1": (bump((2, 1), (3, -2 * sf), (4, 1)),
                               {("lookup", f"{name} remainder op{slot}")}),
        "field quotient": (bump((2, P - pow(2 * sf, -1, P)), (3, 1)),
                           {("lookup", f"{name} relu6 op{slot}")}),
    }
    for what, (tamper, expect) in cases.items():
        c = GadgetCircuit([name], bdr_call, [x, bias], sf=sf, k=9, num_cols=10, tamper=tamper)
        assert kinds(c.failures()) == expect, what
    c = GadgetCircuit([name], bdr_call, [x, bias], sf=sf, k=9, num_cols=10,
                      tamper=bump((1, 1), (2, 1), (4, 1)))  # bias copy changed, div follows
    assert {k for k, _ in kinds(c.failures())} == {"copy"}


def test_bias_div_round_relu6_range():
    with pytest.raises(CircuitError, match="result: value"):
        GadgetCircuit(["bias_div_round_relu6"], bdr_call, [np.array([10**6]), np.array([0])],
                      sf=2).failures()
    with pytest.raises(CircuitError, match="2 sf <="):
        GadgetCircuit(["bias_div_round_relu6"], bdr_call, [np.array([1]), np.array([0])],
                      sf=200).failures()


@SETTINGS
@given(st.data(), st.integers(1, 4), st.integers(1, 7), st.integers(4, 10))
def test_var_div_round_one_divisor_per_row(data, rows, length, num_cols):
    """A divisor cell per row of the last axis: each row starts a circuit row, next to
    its own divisor."""
    lo, hi, table = limits(8)
    b = np.array(data.draw(st.lists(st.integers(1, table // 2), min_size=rows, max_size=rows)))
    a = np.array([data.draw(st.lists(st.integers(lo * int(d), (hi - 1) * int(d)), min_size=length,
                                     max_size=length)) for d in b])

    def call(g, lay, ops):
        return g["var_div_round"].assign(lay, ops[0], ops[1])

    c = GadgetCircuit(["var_div_round"], call, [a, b], num_cols=num_cols)
    assert c.failures() == []
    assert c.out.values.tolist() == [[round_half_up(int(v), int(d)) for v in row]
                                     for row, d in zip(a, b, strict=True)]


def test_per_row_divisors_are_copies_of_their_own_cell():
    a = np.array([[10, 20, 30], [40, 50, 60]])  # 7 columns: 2 ops a row, 2 rows per group
    b = np.array([3, 7])

    def call(g, lay, ops):
        return g["var_div_round"].assign(lay, ops[0], ops[1])

    def swap(circ, asg):  # row 2 (group 1) given group 0's divisor, its ops recomputed
        g = circ.gadgets["var_div_round"]
        add_to_cell(asg, g.last_divisor_cells[2], 3 - 7)
        for op, v in [(4, 40), (5, 50)]:
            add_to_cell(asg, g.last_cells[op, 1], round_half_up(v, 3) - round_half_up(v, 7))
            r_new = 2 * v + 3 - 6 * round_half_up(v, 3)
            r_old = 2 * v + 7 - 14 * round_half_up(v, 7)
            add_to_cell(asg, g.last_cells[op, 2], r_new - r_old)

    assert GadgetCircuit(["var_div_round"], call, [a, b]).failures() == []
    got = kinds(GadgetCircuit(["var_div_round"], call, [a, b], tamper=swap).failures())
    assert {k for k, _ in got} == {"copy"}
    with pytest.raises(CircuitError, match="one per row"):
        GadgetCircuit(["var_div_round"], call, [a, np.array([1, 2, 3])]).failures()
