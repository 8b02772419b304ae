"""RoundedAverage under the MockProver: honest batches equal TFLite's int8 average
(zkml_core.convert.tflite_quant.rounded_average, then the clamp); forged quotients,
remainders, rounding bits, signs and clamps that keep the gates true are rejected by the
range checks, changed outputs by the gates."""

from __future__ import annotations

import numpy as np
import pytest
from gadget_circuit import GadgetCircuit, add_to_cell, cell_value, kinds
from hypothesis import given, settings
from hypothesis import strategies as st

from zkml_core.convert.tflite_quant import rounded_average
from zkml_core.errors import CircuitError

NAME = "rounded_average"


def circuit(x, count, lo=-128, hi=127, *, k=10, num_cols=8, tamper=None):
    def call(g, lay, ops):
        return g[NAME].assign(lay, ops[0], count, lo, hi)
    return GadgetCircuit([NAME], call, [np.asarray(x, dtype=np.int64)], k=k,
                         num_cols=num_cols, tamper=tamper)


@settings(max_examples=20, deadline=None)
@given(st.data(), st.integers(1, 12), st.sampled_from([3, 8, 11]))
def test_honest(data, n, num_cols):
    count = np.array(data.draw(st.lists(st.integers(1, 25), min_size=n, max_size=n)))
    x = np.array([data.draw(st.integers(-128 * int(c), 127 * int(c))) for c in count])
    lo = data.draw(st.integers(-128, 127))
    hi = data.draw(st.integers(lo, 127))
    c = circuit(x, count, lo, hi, num_cols=num_cols)
    assert c.failures() == []
    np.testing.assert_array_equal(c.out.values, np.clip(rounded_average(x, count), lo, hi))


def test_ties_round_away_from_zero():
    x = np.array([-6, -5, -3, -2, -1, 0, 1, 2, 3, 5, 6, 7])
    for count in (1, 2, 3, 4):
        c = circuit(x, count)
        assert c.failures() == []
        assert c.out.values.tolist() == rounded_average(x, count).tolist()
    assert rounded_average(np.array([-2, 2, -6]), 4).tolist() == [-1, 1, -2]


def test_refused():
    with pytest.raises(CircuitError, match="counts must lie"):
        circuit(np.array([1]), 0).failures()
    with pytest.raises(CircuitError, match="empty"):
        circuit(np.array([1]), 1, 5, 4).failures()


def lookup(*names):
    return {("lookup", f"{NAME} {n}") for n in names}


def gate(*names):
    return {("gate", f"{NAME} constraint {n}") for n in names}


def forged(x, count, changes, lo=-128, hi=127):
    def tamper(circ, asg):
        cells = circ.gadgets[NAME].last_cells
        honest = {n: cell_value(asg, c[0]) for n, c in cells.items()}
        deltas = changes(honest) if callable(changes) else changes
        for name, delta in deltas.items():
            add_to_cell(asg, cells[name][0], delta)
    return kinds(circuit(x, count, lo, hi, tamper=tamper).failures())


def test_forged_division():
    # 37 / 6: g 6, r 1 (u 1, t 0): out 6
    x = np.array([37])
    assert forged(x, 6, {"g": 1, "u": -6, "out": 1}) == lookup("remainder")
    assert forged(x, 6, {"g": -1, "u": 6, "out": -1}) == lookup("remainder bound")
    # the rounding bit: r 1 -> t 1 needs u = 1 - 3 < 0
    assert forged(x, 6, {"t": 1, "u": -3, "out": 1}) == lookup("remainder")
    # 40 / 6: r 4 = 3 + 1 (t 1): t 0 needs u 4 >= ceil(6 / 2)
    assert forged(np.array([40]), 6, {"t": -1, "u": 3, "out": -1}) == lookup("remainder bound")
    # odd count 5: 12 = 2 5 + 2, r 2 < 3 = ceil(5/2): t 0; t 1 would need u = -1
    assert forged(np.array([12]), 5, {"t": 1, "u": -3, "out": 1}) == lookup("remainder")


def test_forged_sign_at_a_tie():
    # -2 / 4 = -0.5: away from zero, -1 (s 1, g 0, r 2 = 2 t + 0); s 0 needs |x| = -2
    x = np.array([-2])
    assert forged(x, 4, {}) == set()
    got = forged(x, 4, {"s": -1, "t": -1, "u": -2, "out": 1})
    assert got == lookup("remainder")
    assert ("gate", f"{NAME} constraint division") in forged(np.array([37]), 6, {"s": 1})


def test_forged_clamp():
    x = np.array([37])  # average 6, clamp [0, 4]: out 4 = 6 - ep 2
    assert forged(x, 6, {}, 0, 4) == set()
    assert forged(x, 6, {"out": -1, "ep": 1}, 0, 4) == gate("at hi")
    # out = v = 6 with nothing clamped: only the range check sees it
    assert forged(x, 6, {"out": 2, "ep": -2}, 0, 4) == lookup("out <= hi")
    assert forged(-x, 6, {"out": -2, "en": -2}, -4, 0) == lookup("out >= lo")
    assert forged(np.array([-37]), 6, {"out": 1, "en": 1}, -4, 0) == gate("at lo")
    assert forged(x, 6, {"out": 1}) == gate("clamp")
    assert forged(x, 6, {"ep": 1, "en": 1}) == gate("at hi", "at lo")


def test_changed_cells():
    x = np.array([37, -12])
    assert forged(x, 6, {"g": 1}) == gate("division", "clamp")
    assert forged(x, 6, {"s": 2}) >= gate("s boolean")
    assert "copy" in {k for k, _ in forged(x, 6, {"x": 6, "g": 1, "out": 1})}


def test_forged_remainder_boundaries():
    # 36 / 6: g 6, r 0. g 5 with r = 6 = count: as t 1, u 3 = HC (same output 6) or t 0,
    # u 6 (output 5): the remainder bound rejects both
    x = np.array([36])
    assert forged(x, 6, {"g": -1, "t": 1, "u": 3}) == lookup("remainder bound")
    assert forged(x, 6, {"g": -1, "u": 6, "out": -1}) == lookup("remainder bound")
    # 39 / 6: r 3 = HC, t 1 (rounds up to 7); t 0 with u = 3 = HC (rounds down to 6)
    assert forged(np.array([39]), 6, {"t": -1, "u": 3, "out": -1}) == lookup("remainder bound")
    # odd count 5, 13 = 2 5 + 3: r 3 = HC, t 1, u 0; t 0 needs u 3 = HC
    assert forged(np.array([13]), 5, {"t": -1, "u": 3, "out": -1}) == lookup("remainder bound")


@pytest.mark.parametrize("sign", [1, -1])
def test_forged_output_outside_int8(sign):
    """The full int8 clamp: an average of +-300 gives 127 / -128; 128 / -129 is rejected."""
    x = np.array([sign * 300])
    moved = {"out": sign, "ep": -1} if sign > 0 else {"out": sign, "en": -1}
    bound = lookup("out <= hi") if sign > 0 else lookup("out >= lo")
    at = gate("at hi") if sign > 0 else gate("at lo")
    assert forged(x, 1, moved) == bound | at
