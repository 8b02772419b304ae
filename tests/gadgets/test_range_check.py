"""RangeCheck under the MockProver: values in [lo, hi] pass; a value moved outside (the
input cell and the gadget's copy changed together, so only the bounds can object) is
rejected by the lookup of the side it crossed (and only by lookups); a copy that differs from its source is
rejected by the copy constraint."""

from __future__ import annotations

import numpy as np
import pytest
from gadget_circuit import GadgetCircuit, add_to_cell, cell_value, kinds
from hypothesis import given, settings
from hypothesis import strategies as st

from zkml_core.arith.field import BN254_FR
from zkml_core.errors import CircuitError

NAME = "range_check"


def circuit(x, lo, hi, *, k=9, num_cols=5, tamper=None):
    def call(g, lay, ops):
        g[NAME].assign(lay, ops[0], lo, hi)
        return ops[0]
    return GadgetCircuit([NAME], call, [np.asarray(x, dtype=np.int64)], k=k,
                         num_cols=num_cols, tamper=tamper)


@st.composite
def case(draw):
    lo = draw(st.integers(-200, 100))
    hi = draw(st.integers(lo, lo + 255))
    n = draw(st.integers(1, 13))
    x = draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n))
    return np.array(x), lo, hi


@settings(max_examples=25, deadline=None)
@given(case(), st.sampled_from([3, 5, 8]))
def test_values_in_range_pass(c, num_cols):
    x, lo, hi = c
    assert circuit(x, lo, hi, num_cols=num_cols).failures() == []


def move(i, value):
    """Set op i's value to ``value`` in both its source cell and the gadget's copy."""
    def tamper(circ, asg):
        src = circ.out.cells.flatten()[i:i + 1]
        delta = value - cell_value(asg, src)
        add_to_cell(asg, src, delta)
        add_to_cell(asg, circ.gadgets[NAME].last_cells[i:i + 1], delta)
    return tamper


@settings(max_examples=25, deadline=None)
@given(case(), st.data())
def test_value_moved_outside_is_rejected(c, data):
    x, lo, hi = c
    i = data.draw(st.integers(0, len(x) - 1))
    p = BN254_FR.p
    below = data.draw(st.one_of(st.just(lo - 1), st.integers(-p // 2, lo - 1)))
    above = data.draw(st.one_of(st.just(hi + 1), st.integers(hi + 1, p // 2)))
    # the crossed side objects (the other may too: far values leave the table both ways)
    for value, side in ((below, "x >= lo"), (above, "x <= hi")):
        got = kinds(circuit(x, lo, hi, tamper=move(i, value)).failures())
        assert any(side in name for _, name in got), got
        assert all(kind == "lookup" and name.startswith(NAME) for kind, name in got), got


def test_copy_must_match_its_source():
    def tamper(circ, asg):  # the gadget's copy only, to a value still in range
        add_to_cell(asg, circ.gadgets[NAME].last_cells[1:2], 1)

    got = kinds(circuit([3, 4, 5], 0, 10, tamper=tamper).failures())
    assert got and {kind for kind, _ in got} == {"copy"}, got


def test_refused():
    with pytest.raises(CircuitError, match="outside"):
        circuit([3, 11], 0, 10).failures()
    with pytest.raises(CircuitError, match="does not fit"):
        circuit([0], 0, 1 << 12).failures()
    with pytest.raises(CircuitError, match="does not fit"):
        circuit([0], 5, 4).failures()
