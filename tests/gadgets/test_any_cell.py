"""Every cell of every real op is bound: adding any non-zero field element to any one of
them (an input copy, an output, a remainder, a limb) is rejected by the MockProver."""

from __future__ import annotations

import numpy as np
from gadget_circuit import GadgetCircuit, add_to_cell
from hypothesis import given, settings
from hypothesis import strategies as st

from zkml_core.arith.field import BN254_FR

X = np.array([[5, -7, 30, 2, 11], [0, 9, -3, 14, 6]], dtype=np.int64)


def g_call(name, *extra):
    return lambda g, lay, ops: g[name].assign(lay, *ops, *extra)


CASES = {  # name -> (call, inputs)
    "add_pairs": (g_call("add_pairs"), [X, X[::-1]]),
    "sub_pairs": (g_call("sub_pairs"), [X, X[::-1]]),
    "mul_pairs": (g_call("mul_pairs"), [X, X[::-1]]),
    "square": (g_call("square"), [X]),
    "squared_diff": (g_call("squared_diff"), [X, X[::-1]]),
    "var_div_round": (lambda g, lay, ops: g["var_div_round"].assign(lay, ops[0], ops[1]), [X, np.array([3, 5])]),
    "var_div_round_big3": (g_call("var_div_round_big3", 700), [X * 1000]),
    "bias_div_round_relu6": (g_call("bias_div_round_relu6"), [X * 4, X[1]]),
    "max": (g_call("max"), [X]),
    "relu": (g_call("relu"), [X]),
    "exp": (g_call("exp"), [-np.abs(X)]),
    "tanh": (g_call("tanh"), [X]),
}


def real_ops(name, gadget):
    """Positions (rows of ``last_cells``) of the real ops of the gadget's last region."""
    if name == "max":
        return [0]  # the last round: one pair
    if name == "var_div_round":  # one divisor per row: each row of X starts a group
        return gadget.layout(X.size, X.shape[1])[2].tolist()
    return list(range(X.size))


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(sorted(CASES)), st.data(), st.integers(1, BN254_FR.p - 1))
def test_any_changed_cell_of_a_real_op_is_rejected(name, data, delta):
    call, inputs = CASES[name]

    def tamper(circ, asg):
        g = circ.gadgets[name]
        op = data.draw(st.sampled_from(real_ops(name, g)))
        role = data.draw(st.integers(0, g.last_cells.shape[1] - 1))
        add_to_cell(asg, g.last_cells[op, role], delta)

    assert GadgetCircuit([name], call, inputs, sf=4, k=9, num_cols=10, tamper=tamper).failures()


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(["adder", "dot_product"]), st.sampled_from([5, 6]), st.data(),
       st.integers(1, BN254_FR.p - 1))
def test_any_changed_cell_of_a_reduction_is_rejected(name, num_cols, data, delta):
    """Terms, padding terms (copies of 0) and running sums; not the spare column of an even
    num_cols nor the padding weights (their x is 0), which no constraint reads."""
    inputs = [X] if name == "adder" else [X, X[::-1]]

    def tamper(circ, asg):
        g = circ.gadgets[name]
        s, length = g.slots, X.shape[1]
        per = -(-length // s)
        cells = []
        for r in range(X.shape[0] * per):
            cells += [(r, c) for c in range(s)] + [(r, num_cols - 1)]  # x terms, running sum
            if name == "dot_product":
                used = length - (r % per) * s  # weights of real terms on this row
                cells += [(r, s + c) for c in range(min(s, used))]
        row, col = data.draw(st.sampled_from(cells))
        add_to_cell(asg, g.last_cells[row, col], delta)

    call = lambda g, lay, ops: g[name].assign(lay, *ops)  # noqa: E731
    assert GadgetCircuit([name], call, inputs, num_cols=num_cols, tamper=tamper).failures()
