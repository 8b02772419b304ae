"""The circuit's shape does not depend on the witness: keygen with zero operands (a zero
divisor, table inputs of 0) lays out the same fixed columns, selectors, tables and copies
as the mock run with the real values."""

from __future__ import annotations

import numpy as np
import pytest
from gadget_circuit import GadgetCircuit

from zkml_core.arith.field import BN254_FR
from zkml_core.plonk.circuit import configure, synthesize


def g_call(name, *extra):
    return lambda g, lay, ops: g[name].assign(lay, *ops, *extra)


def var_div(name):
    return lambda g, lay, ops: g[name].assign(lay, ops[0], ops[1])


X = np.array([[5, -7, 30, 2, 11], [0, 9, -3, 14, 6]], dtype=np.int64)
SCENARIOS = {
    "adder": (["adder"], g_call("adder"), [X]),
    "dot_product": (["dot_product"], g_call("dot_product"), [X, X[0]]),
    "mul_pairs": (["mul_pairs"], g_call("mul_pairs"), [X, X]),
    "var_div_round": (["var_div_round"], var_div("var_div_round"), [X, np.array([7])]),
    "var_div_round fixed": (["var_div_round"], g_call("var_div_round", 3), [X]),
    "var_div_round_big3": (["var_div_round_big3"], var_div("var_div_round_big3"), [X, np.array([9000])]),
    "bias_div_round_relu6": (["bias_div_round_relu6"], g_call("bias_div_round_relu6"), [X, X[1]]),
    "max": (["max"], g_call("max"), [X]),
    "exp": (["exp"], g_call("exp"), [X]),
    "rsqrt": (["rsqrt"], g_call("rsqrt"), [X]),
}


def layout(circuit, mode):
    cs, cfg = configure(circuit)
    asg = synthesize(circuit, cs, cfg, BN254_FR, circuit.k, mode)
    fixed = [asg.column_values(c).copy() for c in cs.fixed]
    copies = [np.concatenate([c[i] for c in asg.copies]) for i in range(4)]
    regions = [(r.name, r.start, r.end) for r in asg.regions]
    return fixed, copies, regions


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_keygen_with_zeros_lays_out_the_same_circuit(scenario):
    names, call, inputs = SCENARIOS[scenario]
    real = GadgetCircuit(names, call, inputs, sf=4, k=8, num_cols=10)
    zeros = GadgetCircuit(names, call, [np.zeros_like(x) for x in inputs], sf=4, k=8, num_cols=10)
    assert real.failures() == []
    f1, c1, r1 = layout(real, "mock")
    f2, c2, r2 = layout(zeros, "keygen")
    assert r1 == r2
    assert all(np.array_equal(a, b) for a, b in zip(f1, f2, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(c1, c2, strict=True))
