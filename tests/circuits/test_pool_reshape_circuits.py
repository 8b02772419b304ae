"""AveragePool2D and Reshape circuits in one-layer models.

Stated bounds (real inputs x quantized to q = rint(x sf), |q/sf - x| <= 0.5/sf):
- AveragePool2D: |forward_int / sf - forward_float(x)| <= 1/sf: the window mean of the
  quantization errors is <= 0.5/sf and the rounding of sum / (fh fw) is off by <= 0.5 at
  scale sf;
- Reshape: <= 0.5/sf (it moves values only).

Honest circuits are accepted with output cells (and public tail) equal to numpy's; a
changed output, window sum, quotient or remainder is rejected. Reshape has no constraints
of its own: its output cells are the input's, bound by both public columns.
"""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from gadget_circuit import add_to_cell, kinds
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_model import (
    LayerCircuit,
    avg_pool_ref,
    check_honest,
    forge_output,
    layer_model,
    mock,
    quantize,
    rhu,
)

SETTINGS = settings(max_examples=8, deadline=None)
REALS = st.floats(-4, 4, allow_nan=False, allow_infinity=False)


def pool_model(x, window, strides, sf, num_cols=7):
    out = avg_pool_ref(x, window, strides).shape
    return layer_model("AveragePool2D", [*window, *strides], [x], out, sf, num_cols=num_cols)


@st.composite
def pool_cases(draw):
    fh, fw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    strides = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    shape = (draw(st.integers(1, 2)), draw(st.integers(fh, 5)), draw(st.integers(fw, 5)),
             draw(st.integers(1, 2)))
    x = draw(hnp.arrays(np.float64, shape, elements=REALS))
    return x, (fh, fw), strides, draw(st.sampled_from([1, 3, 8, 16])), \
        draw(st.sampled_from([4, 7, 10]))


@SETTINGS
@given(pool_cases())
def test_avg_pool_circuit_honest(case):
    rx, window, strides, sf, num_cols = case
    x = quantize(rx, sf)
    model, inputs = pool_model(x, window, strides, sf, num_cols)
    check_honest(model, inputs, [rx], 1 / sf, avg_pool_ref(x, window, strides))


@st.composite
def reshape_cases(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, max_side=3))
    size = math.prod(shape)
    out = draw(st.sampled_from([(size,), (1, size), tuple(reversed(shape)), (*shape, 1)]))
    return draw(hnp.arrays(np.float64, shape, elements=REALS)), out, \
        draw(st.sampled_from([1, 3, 8, 16]))


@SETTINGS
@given(reshape_cases())
def test_reshape_circuit_honest(case):
    rx, out, sf = case
    x = quantize(rx, sf)
    model, inputs = layer_model("Reshape", [], [x], out, sf)
    check_honest(model, inputs, [rx], 0.5 / sf, x.reshape(out))


SF = 8
X = np.arange(-24, 24).reshape(1, 4, 4, 3) * 5 % 61 - 30
WINDOW, STRIDES = (2, 3), (2, 1)


def build_pool(**kw):
    model, inputs = pool_model(X, WINDOW, STRIDES, SF)
    return LayerCircuit(model, inputs, **kw)


def test_changed_pool_output_cell_is_rejected():
    got = kinds(forge_output(lambda tamper: build_pool(tamper=tamper)))
    assert got and {k for k, _ in got} <= {"gate", "lookup"}, got


@pytest.mark.parametrize("role", [1, 2])  # quotient, remainder
def test_pool_changed_quotient_or_remainder_is_rejected(role):
    def tamper(circ, asg):
        add_to_cell(asg, circ.gadgets["var_div_round"].last_cells[0, role], 1)

    assert ("gate", "var_div_round constraint op0") in kinds(mock(build_pool(tamper=tamper)).verify())


@pytest.mark.parametrize("dq,dr,expect", [(-1, 2 * 6, "var_div_round remainder bound op0"),
                                          (1, -2 * 6, "var_div_round remainder op0")])
def test_pool_other_rounding_is_rejected_by_the_remainder_range(dq, dr, expect):
    """Quotient (the output, and its public value) -/+ 1 with the remainder +/- 2 fh fw."""
    def more(circ, asg):
        add_to_cell(asg, circ.gadgets["var_div_round"].last_cells[0, 2], dr)

    assert kinds(forge_output(lambda tamper: build_pool(tamper=tamper), dq, more)) == \
        {("lookup", expect)}


def test_forged_window_sum_is_rejected():
    """The first window sum + 1, copied on into the division with the remainder + 2 (the
    rounded output unchanged): only the adder's gate can reject it."""
    fh, fw = WINDOW
    total = int(X[0, :fh, :fw, 0].sum())
    assert rhu(total + 1, fh * fw) == rhu(total, fh * fw), "pick X so the rounding stays"

    def tamper(circ, asg):
        adder = circ.gadgets["adder"]
        per = -(-(fh * fw) // adder.slots)
        add_to_cell(asg, adder.last_cells[per - 1, adder.last_cells.shape[1] - 1], 1)
        div = circ.gadgets["var_div_round"].last_cells
        add_to_cell(asg, div[0, 0], 1)
        add_to_cell(asg, div[0, 2], 2)

    got = kinds(mock(build_pool(tamper=tamper)).verify())
    assert got and got <= {("gate", "adder constraint first"),
                           ("gate", "adder constraint accumulate")}, got


def test_reshape_output_is_the_bound_input():
    """Reshape adds no constraints: its output cells are the input cells, so changing one
    with its public output value still breaks the public input's binding."""
    x = np.arange(12).reshape(2, 6) - 5
    model, inputs = layer_model("Reshape", [], [x], (3, 4), SF)
    got = kinds(forge_output(lambda tamper: LayerCircuit(model, inputs, tamper=tamper)))
    assert {k for k, _ in got} == {"instance"}
