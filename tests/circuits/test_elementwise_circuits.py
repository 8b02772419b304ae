"""Add (with and without fused relu), Sub and Mul circuits, broadcasting, in one-layer models.

Stated bounds (real operands a, b quantized to q = rint(v sf), |q/sf - v| <= 0.5/sf):
- Add, Sub: |forward_int / sf - forward_float(a, b)| <= 1/sf: integer + and - are exact,
  the two quantizations add up; relu is 1-Lipschitz.
- Mul: <= (1 + A + B) / (2 sf), A = max |a_q| / sf, B = max |b|: the rounding of
  a_q b_q / sf is off by <= 0.5 at scale sf, and |a_q b_q / sf^2 - a b| <=
  |a_q/sf| |b_q/sf - b| + |b| |a_q/sf - a|.

The second operand is a model input or a (fixed) weight. Honest circuits are accepted and
their output cells (and the public tail) equal numpy's result; a changed output, sum,
quotient or remainder is rejected.
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from gadget_circuit import add_to_cell, kinds
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_model import LayerCircuit, check_honest, forge_output, layer_model, mock, quantize, rhu

REALS = st.floats(-4, 4, allow_nan=False, allow_infinity=False)
# (layer type, params, numpy reference on ints at scale sf)
OPS = {
    "Add": ("Add", [0], lambda a, b, sf: a + b),
    "Add+relu": ("Add", [1], lambda a, b, sf: np.maximum(a + b, 0)),
    "Sub": ("Sub", [], lambda a, b, sf: a - b),
    "Mul": ("Mul", [], lambda a, b, sf: rhu(a * b, sf)),
}


def pair_model(op, a, b, sf, b_is_input, num_cols=7):
    layer_type, params, _ = OPS[op]
    out = np.broadcast_shapes(a.shape, b.shape)
    return layer_model(layer_type, params, [a, b], out, sf, n_inputs=2 if b_is_input else 1,
                       num_cols=num_cols)


@pytest.mark.parametrize("op", list(OPS))
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_elementwise_circuit_honest(op, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3,
                                                         max_side=3))
    ra = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=REALS))
    rb = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=REALS))
    sf = data.draw(st.sampled_from([1, 3, 8, 16]))
    num_cols = data.draw(st.sampled_from([4, 7, 10]))
    b_is_input = data.draw(st.booleans())
    a, b = quantize(ra, sf), quantize(rb, sf)
    model, inputs = pair_model(op, a, b, sf, b_is_input, num_cols)
    if op == "Mul":
        bound = (1 + np.abs(a).max() / sf + np.abs(rb).max()) / (2 * sf)
    else:
        bound = 1 / sf
    out = np.broadcast_shapes(a.shape, b.shape)
    want = OPS[op][2](np.broadcast_to(a, out), np.broadcast_to(b, out), sf)
    check_honest(model, inputs, [ra, rb], bound, want)


SF = 8
A = np.array([[13, -7, 22], [-30, 5, 0]])
B = np.array([9, -17, 3])  # broadcast along the rows


def build(op, b_is_input=False, **kw):
    model, inputs = pair_model(op, A, B, SF, b_is_input)
    return LayerCircuit(model, inputs, **kw)


@pytest.mark.parametrize("b_is_input", [False, True])
@pytest.mark.parametrize("op", list(OPS))
def test_changed_output_cell_is_rejected(op, b_is_input):
    got = kinds(forge_output(lambda tamper: build(op, b_is_input, tamper=tamper)))
    assert got and {k for k, _ in got} <= {"gate", "lookup"}, got


@pytest.mark.parametrize("op,gadget", [("Add+relu", "add_pairs"), ("Mul", "mul_pairs")])
def test_changed_intermediate_is_rejected(op, gadget):
    """The sum before relu, the product before the division: +1 where it is made."""
    def tamper(circ, asg):
        add_to_cell(asg, circ.gadgets[gadget].last_cells[0, 2], 1)

    got = kinds(mock(build(op, tamper=tamper)).verify())
    assert ("gate", f"{gadget} constraint op0") in got  # 7 columns: two ops a row


@pytest.mark.parametrize("role", [1, 2])  # quotient, remainder
def test_mul_changed_quotient_or_remainder_is_rejected(role):
    def tamper(circ, asg):
        add_to_cell(asg, circ.gadgets["var_div_round"].last_cells[0, role], 1)

    assert ("gate", "var_div_round constraint op0") in kinds(mock(build("Mul", tamper=tamper)).verify())


@pytest.mark.parametrize("dq,dr,expect", [(-1, 2 * SF, "var_div_round remainder bound op0"),
                                          (1, -2 * SF, "var_div_round remainder op0")])
def test_mul_other_rounding_is_rejected_by_the_remainder_range(dq, dr, expect):
    """Quotient (the output, and its public value) -/+ 1 with the remainder +/- 2 sf: the
    gate holds, only the remainder's range check rejects it."""
    def more(circ, asg):
        add_to_cell(asg, circ.gadgets["var_div_round"].last_cells[0, 2], dr)

    got = kinds(forge_output(lambda tamper: build("Mul", tamper=tamper), dq, more))
    assert got == {("lookup", expect)}
