"""Adder, DotProduct, AddPairs, SubPairs, MulPairs, Square, SquaredDiff under the
MockProver: honest batches pass and equal a numpy reference; a changed output, a changed
input copy or a changed running sum is rejected, and by which constraint."""

from __future__ import annotations

import numpy as np
import pytest
from gadget_circuit import GadgetCircuit, add_to_cell, kinds
from hypothesis import given, settings
from hypothesis import strategies as st

from zkml_core.arith.field import BN254_FR
from zkml_core.errors import CircuitError
from zkml_core.plonk.layouter import Assigned

SETTINGS = settings(max_examples=12, deadline=None)

PAIRS = {
    "add_pairs": lambda a, b: a + b,
    "sub_pairs": lambda a, b: a - b,
    "mul_pairs": lambda a, b: a * b,
    "squared_diff": lambda a, b: (a - b) ** 2,
}


def arrays(draw, shape, lo=-(2**20), hi=2**20):
    n = int(np.prod(shape))
    return np.array(draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n)),
                    dtype=np.int64).reshape(shape)


def shapes():
    return st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)


def call(name, *extra):
    return lambda g, lay, ops: g[name].assign(lay, *ops, *extra)


@SETTINGS
@given(st.data(), st.sampled_from(sorted(PAIRS)), shapes(), st.integers(3, 10))
def test_pairs_honest(data, name, shape, num_cols):
    a, b = arrays(data.draw, shape), arrays(data.draw, shape)
    c = GadgetCircuit([name], call(name), [a, b], num_cols=num_cols)
    assert c.failures() == []
    assert c.out.shape == shape
    expect = [int(x) for x in np.ravel(PAIRS[name](a.astype(object), b.astype(object)))]
    assert c.out.values.reshape(-1).tolist() == expect


@SETTINGS
@given(st.data(), shapes(), st.integers(2, 10))
def test_square_honest(data, shape, num_cols):
    x = arrays(data.draw, shape)
    c = GadgetCircuit(["square"], call("square"), [x], num_cols=num_cols)
    assert c.failures() == []
    assert c.out.values.reshape(-1).tolist() == [int(v) ** 2 for v in x.reshape(-1)]


def test_pairs_broadcast_a_scalar_operand():
    a = np.arange(7, dtype=np.int64).reshape(7)
    c = GadgetCircuit(["mul_pairs"], call("mul_pairs"), [a, np.array([3])])
    assert c.failures() == []
    assert c.out.values.tolist() == (a * 3).tolist()


@pytest.mark.parametrize("name", sorted(PAIRS) + ["square"])
@pytest.mark.parametrize("op", [0, 1, 2, 4])
def test_every_op_of_a_row_is_constrained(name, op):
    """num_cols = 10 lays 3 (square: 5) ops a row; changing the output of any of them,
    not only the first (zkml's Square), breaks the gate."""
    x = np.arange(1, 9, dtype=np.int64)
    inputs = [x] if name == "square" else [x, x[::-1].copy()]

    def tamper(circ, asg):
        add_to_cell(asg, circ.out.cells[op], 1)

    c = GadgetCircuit([name], call(name), inputs, num_cols=10, tamper=tamper)
    fs = c.failures()
    assert kinds(fs) == {("gate", f"{name} constraint op{op % c.gadgets[name].per_row}")}
    assert all(f.region == name for f in fs)


@pytest.mark.parametrize("name", ["add_pairs", "square"])
def test_changed_input_copy_is_rejected(name):
    x = np.arange(5, dtype=np.int64)
    inputs = [x] if name == "square" else [x, x]

    def tamper(circ, asg):  # the gadget's copy of input 0 of op 2, output adjusted too
        g = circ.gadgets[name]
        add_to_cell(asg, g.last_cells[2, 0], 1)
        add_to_cell(asg, g.last_cells[2, g.n_inputs], 5 if name == "square" else 1)

    fs = GadgetCircuit([name], call(name), inputs, tamper=tamper).failures()
    assert {f.kind for f in fs} == {"copy"}


def test_int64_overflow_is_a_clear_error():
    big = np.array([2**40], dtype=np.int64)
    with pytest.raises(CircuitError, match="64-bit"):
        GadgetCircuit(["mul_pairs"], call("mul_pairs"), [big, big]).failures()


# ---- adder and dot product ---------------------------------------------------------------

@SETTINGS
@given(st.data(), st.integers(1, 4), st.integers(0, 23), st.integers(2, 9))
def test_adder_honest(data, batch, length, num_cols):
    x = arrays(data.draw, (batch, length))
    c = GadgetCircuit(["adder"], call("adder"), [x], num_cols=num_cols)
    assert c.failures() == []
    assert c.out.values.tolist() == [sum(int(v) for v in row) for row in x]


@SETTINGS
@given(st.data(), st.integers(1, 4), st.integers(1, 23), st.integers(3, 10), st.booleans())
def test_dot_product_honest(data, batch, length, num_cols, shared_weights):
    x = arrays(data.draw, (batch, length))
    w = arrays(data.draw, (length,) if shared_weights else (batch, length))
    c = GadgetCircuit(["dot_product"], call("dot_product"), [x, w], num_cols=num_cols)
    assert c.failures() == []
    wb = np.broadcast_to(w, x.shape)
    assert c.out.values.tolist() == [sum(int(a) * int(b) for a, b in zip(r, s, strict=True))
                                     for r, s in zip(x, wb, strict=True)]


def test_dot_product_with_field_weights():
    """Freivalds vectors are field elements: the sum is computed in the field."""
    p = BN254_FR.p
    x = np.array([[3, -4, 5, 6, 7]], dtype=np.int64)
    r = [pow(7, i + 1, p) for i in range(5)]

    def run(g, lay, ops):
        w = Assigned(ops[1].cells, BN254_FR.from_ints(r))
        return g["dot_product"].assign(lay, ops[0], w)

    c = GadgetCircuit(["dot_product"], run, [x, np.zeros(5, np.int64)], num_cols=5)
    # the weight cells hold 0 in the inputs region but r in the gadget: copies break;
    # the gate itself holds
    fs = c.failures()
    assert {f.kind for f in fs} == {"copy"}
    expect = sum(int(a) * b for a, b in zip(x[0], r, strict=True)) % p
    assert BN254_FR.to_ints(c.out.values.reshape(-1, 4)) == [expect]


@pytest.mark.parametrize("name", ["adder", "dot_product"])
@pytest.mark.parametrize("where", ["output", "running sum", "padding", "input copy"])
def test_accumulator_tampering(name, where):
    # adder: 3 terms a row, 4 rows; dot product: 2 products a row, 6 rows; one padding term
    x = np.arange(1, 12, dtype=np.int64).reshape(1, 11)
    inputs, num_cols, pad_col = ([x], 4, 2) if name == "adder" else ([x, x], 6, 1)

    def tamper(circ, asg):
        cells = circ.gadgets[name].last_cells
        if where == "output":
            add_to_cell(asg, circ.out.cells, 1)
        elif where == "running sum":
            add_to_cell(asg, cells[0, -1], 1)
        elif where == "padding":  # a padding term of the last row
            add_to_cell(asg, cells[-1, pad_col], 1)
            if name == "adder":  # (the dot product's padding weight is 0)
                add_to_cell(asg, cells[-1, -1], 1)
        else:
            add_to_cell(asg, cells[0, 0], 1)
            for r in range(cells.shape[0]):  # x[0] * w[0] grows by w[0] = 1
                add_to_cell(asg, cells[r, -1], 1)

    fs = GadgetCircuit([name], call(name), inputs, num_cols=num_cols, tamper=tamper).failures()
    got = kinds(fs)
    if where in ("output", "running sum"):
        assert got and all(k == "gate" and n.startswith(name) for k, n in got)
    else:  # the gate still holds; the copy (to the input / to the constant 0) does not
        assert {k for k, _ in got} == {"copy"}
