"""Requantize under the MockProver: honest batches equal TFLite's requantisation
(zkml_core.convert.tflite_quant, itself checked bit for bit against the interpreter);
forged witnesses that keep the gates true (another quotient with a remainder out of
range, another sign, rounding bit, saturation split or clamp) are rejected by the range
checks, and changed outputs, limbs and input copies by the gates."""

from __future__ import annotations

import numpy as np
import pytest
from gadget_circuit import GadgetCircuit, add_to_cell, cell_value, kinds
from hypothesis import given, settings
from hypothesis import strategies as st

from zkml_core.convert.tflite_quant import (
    multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_single,
)
from zkml_core.errors import CircuitError

NAME = "requantize"


def circuit(acc, mult, shift, *, k=12, num_cols=10, tamper=None, **kw):
    def call(g, lay, ops):
        return g[NAME].assign(lay, ops[0], mult, shift, **kw)
    return GadgetCircuit([NAME], call, [np.asarray(acc, dtype=np.int64)], k=k, num_cols=num_cols,
                     tamper=tamper)


def reference(acc, mult, shift, *, zero_point=0, lo=-128, hi=127, input_zero_point=0,
              input_shift=0, single_rounding=False, clamp=True):
    x = (np.asarray(acc, dtype=np.int64) - input_zero_point) << input_shift
    if single_rounding:
        q = multiply_by_quantized_multiplier_single(x, mult, shift)
    else:
        q = multiply_by_quantized_multiplier(x, mult, shift)
    return np.clip(q + zero_point, lo, hi) if clamp else q


@st.composite
def case(draw, single=False):
    k = draw(st.sampled_from([10, 12]))
    n = draw(st.integers(1, 12))
    mult = np.array(draw(st.lists(st.one_of(st.just(0), st.just(2**30),
                                            st.integers(2**30, 2**31 - 1)),
                                  min_size=n, max_size=n)), dtype=np.int64)
    top = 5 if single else 30
    shift = np.array(draw(st.lists(st.integers(-31, top), min_size=n, max_size=n)),
                     dtype=np.int64)
    # accumulators TFLite can hold: (acc - zp) << left stays an int32; small ones too, to
    # meet ties and zeros
    if single:
        acc_bound = np.full(n, 2**24)
    else:
        acc_bound = np.int64(2**31) >> np.maximum(shift, 0)
    wide = [draw(st.integers(-int(a), int(a) - 1)) for a in acc_bound]
    small = draw(st.lists(st.integers(-300, 300), min_size=n, max_size=n))
    acc = np.where(draw(st.lists(st.booleans(), min_size=n, max_size=n)), wide, small)
    acc = np.clip(acc, -acc_bound, acc_bound - 1)
    lo = draw(st.integers(-128, 127))
    hi = draw(st.integers(lo, 127))
    zp = draw(st.integers(lo, hi))
    return dict(acc=acc, mult=mult, shift=shift, k=k, num_cols=draw(st.sampled_from([5, 10, 17])),
                zero_point=zp, lo=lo, hi=hi)


def run_honest(c, **kw):
    circ = circuit(c["acc"], c["mult"], c["shift"], k=c["k"], num_cols=c["num_cols"], **kw)
    assert circ.failures() == []
    want = reference(c["acc"], c["mult"], c["shift"], **kw)
    np.testing.assert_array_equal(circ.out.values, want)


@settings(max_examples=25, deadline=None)
@given(case())
def test_double_rounding_clamped(c):
    run_honest(c, zero_point=c["zero_point"], lo=c["lo"], hi=c["hi"])


@settings(max_examples=15, deadline=None)
@given(case(), st.booleans())
def test_double_rounding_raw_and_input_offsets(c, raw):
    """ADD's use: (x - zp) 2^20 rescaled, unclamped (raw) or clamped."""
    acc = np.clip(c["acc"], -128, 127)
    shift = np.minimum(c["shift"], 0)  # (x - zp) 2^20 2^left stays an int32
    c = dict(c, acc=acc, shift=shift)
    kw = dict(input_zero_point=int(c["zero_point"]) // 2, input_shift=20)
    if raw:
        run_honest(c, clamp=False, **kw)
    else:
        run_honest(c, zero_point=c["zero_point"], lo=c["lo"], hi=c["hi"], **kw)


@settings(max_examples=20, deadline=None)
@given(case(single=True))
def test_single_rounding(c):
    run_honest(c, single_rounding=True, zero_point=c["zero_point"], lo=c["lo"], hi=c["hi"])


def test_ties_and_signs():
    """Half-way cases of both roundings, both signs (away from zero), zeros, saturation."""
    acc = np.array([-7, -6, -5, -3, -2, -1, 0, 1, 2, 3, 5, 6, 7, 10**6, -10**6])
    for single in (False, True):
        for shift in (-1, -2, 0, 3):
            circ = circuit(acc, 2**30, shift, single_rounding=single, zero_point=0)
            assert circ.failures() == []
            want = reference(acc, 2**30, shift, single_rounding=single)
            np.testing.assert_array_equal(circ.out.values, want)
    # 2^30 2^(-1-31) = 1/4 per unit: -2 -> -0.5 -> -1 (single); double: q1 = -1 -> -1
    assert reference(np.array([-2, 2]), 2**30, -1, single_rounding=True).tolist() == [-1, 1]


def test_out_of_range_inputs_are_refused():
    with pytest.raises(CircuitError, match="int32 range"):
        circuit(np.array([2**29]), 2**30, 3).failures()  # 2^29 << 3 overflows int32
    with pytest.raises(CircuitError, match="lo <= zero_point <= hi"):
        circuit(np.array([1]), 2**30, -1, zero_point=5, lo=10, hi=20).failures()


# ---- forged witnesses --------------------------------------------------------------------

#: k = 12: 11-bit limbs; r1 in limbs of 11, 11, 9 bits
K, B, TOP = 12, 11, 9
ZP, LO, HI = 3, -100, 120


def op_values(circ, i):
    asg_cells = circ.gadgets[NAME].last_cells
    return {name: cell_value(circ.asg, cells[i]) for name, cells in asg_cells.items()}


def forged(acc, mult, shift, changes, i=0, **kw):
    """Failures when op ``i``'s cells change by ``changes`` ({cell: delta} or a function
    of the honest values returning it)."""
    def tamper(circ, asg):
        circ.asg = asg
        cells = circ.gadgets[NAME].last_cells
        deltas = changes(op_values(circ, i)) if callable(changes) else changes
        for name, delta in deltas.items():
            add_to_cell(asg, cells[name][i], delta)
    kw = {"zero_point": ZP, "lo": LO, "hi": HI, **kw}
    return kinds(circuit(acc, mult, shift, k=K, tamper=tamper, **kw).failures())


def lookup(*names):
    return {("lookup", f"{NAME} {n}") for n in names}


def gate(*names):
    return {("gate", f"{NAME} constraint {n}") for n in names}


def honest(acc, mult, shift, **kw):
    box = {}

    def tamper(circ, asg):
        circ.asg = asg
        box["v"] = [op_values(circ, i) for i in range(len(acc))]
    kw = {"zero_point": ZP, "lo": LO, "hi": HI, **kw}
    assert circuit(acc, mult, shift, k=K, tamper=tamper, **kw).failures() == []
    return box["v"]


# op 0: q1 ~ 2500 > 0, right 6 (D 64, H 32), inside the clamp
M0, S0 = 2**30 + 12345, -6


def test_forgery_setup():
    (v,) = honest(np.array([5003]), M0, S0)
    assert v["s"] == 0 and v["t"] == 0 and 1 <= v["a_0"] < 31 and v["a_1"] == 0
    assert 0 < v["r1_2"] < 2**TOP - 1 and 0 < v["wc"] < HI - ZP and v["d_0"] == 0


def test_stage1_quotient_with_remainder_out_of_range():
    acc = np.array([5003])
    # q1 + 1 with r1 - 2^31: the top limb goes negative
    assert forged(acc, M0, S0, {"a_0": 1, "r1_2": -(2**TOP)}) == lookup(
        "r1 limb 2", f"r1 top limb < 2^{TOP}")
    # q1 - 1 with r1 + 2^31: the top limb stays below 2^11, only its width check sees it
    assert forged(acc, M0, S0, {"a_0": -1, "r1_2": 2**TOP}) == lookup(f"r1 top limb < 2^{TOP}")


def test_stage2_quotient_with_remainder_out_of_range():
    acc = np.array([5003])
    # another output: n + 1 with r2 - 64 (a0 negative), or n - 1 with r2 + 64 (a0 >= H)
    assert forged(acc, M0, S0, {"nc": 1, "a_0": -64, "wc": 1, "out": 1}) == lookup(
        "r2 limb 0", "r2 width")
    assert forged(acc, M0, S0, {"nc": -1, "a_0": 64, "wc": -1, "out": -1}) == lookup(
        "r2 width")


def test_rounding_bit_forged():
    acc = np.array([5003])
    assert forged(acc, M0, S0, {"t": 1, "a_0": -32, "wc": 1, "out": 1}) == lookup(
        "r2 limb 0", "r2 width")
    (v,) = honest(np.array([5059]), M0, S0)
    assert v["t"] == 1
    assert forged(np.array([5059]), M0, S0, {"t": -1, "a_0": 32, "wc": -1, "out": -1}) == \
        lookup("r2 width")
    # right = 0 (shift >= 0): no rounding bit
    assert forged(np.array([7]), 2**30, 1, {"t": 1, "wc": 1, "out": 1}) >= gate(
        "t = 0 without rounding")


@pytest.mark.parametrize("single", [False, True])
def test_sign_forged_at_a_tie(single):
    """-3 * 2^30 / 2^32 rounds twice to q1 = -1 = -H (double), -2 * 2^30 / 2^32 = -0.5
    once (single): away from zero, -1. The sign s = 0 would give 0: it needs |q1| = -1."""
    acc = np.array([-2 if single else -3])
    (v,) = honest(acc, 2**30, -1, single_rounding=single)
    assert v["out"] == ZP - 1 and v["s"] == 1 and v["t"] == 1 and v["a_0"] == 0

    def sign_flip(v):
        # q1 stays -1 = (1 - 2s)(a0 + H t) with s = 0, t = 0: a0 = -1; the single rounding's
        # stage 1 loses its s (2^31 - 1) term: r1 = 2^31 - 1 becomes 0
        flip = {"s": -1, "t": -1, "a_0": -1, "wc": -1, "out": 1}
        if single:
            flip.update({f"r1_{i}": -v[f"r1_{i}"] for i in range(3)})
        return flip

    assert forged(acc, 2**30, -1, sign_flip, single_rounding=single) == lookup(
        "r2 limb 0", "r2 width")
    # a positive q1 cannot take s = 1
    got = forged(np.array([5003]), M0, S0, {"s": 1}, single_rounding=single)
    assert ("gate", f"{NAME} constraint stage 1") in got


def test_saturation_forged():
    acc = np.array([2**22])  # |q2| ~ 2^22 M / 2^37 ~ 2^16: saturates at hi
    (v,) = honest(acc, M0, S0)
    assert v["out"] == HI and v["nc"] == 256 and v["d_0"] > 0
    # a smaller saturation part: nc 100 with d grown to match, out zp + 100
    got = forged(acc, M0, S0, lambda v: {"nc": -156, "d_0": 156, "wc": 100 - v["wc"],
                                         "out": ZP + 100 - v["out"]})
    assert got == gate("saturation")


def test_clamp_forged():
    acc = np.array([5003])
    assert forged(acc, M0, S0, {"wc": -1, "out": -1}) == gate("min")
    assert forged(acc, M0, S0, {"wc": 1, "out": 1}) == gate("min") | lookup("wc <= nc + t")
    sat = np.array([2**22])
    assert forged(sat, M0, S0, {"wc": 1, "out": 1}) == gate("min") | lookup("wc <= cap")


def test_changed_cells_break_the_gates():
    acc = np.array([5003, -4000])
    assert forged(acc, M0, S0, {"out": 1}) == gate("output")
    assert forged(acc, M0, S0, {"out": 1}, clamp=False) == gate("output")
    assert forged(acc, M0, S0, {"r1_0": 1}, i=1) == gate("stage 1")
    assert forged(acc, M0, S0, {"d_1": 1}) == gate("stage 1", "saturation")
    assert forged(acc, M0, S0, {"s": 2}) >= gate("s boolean")
    got = forged(acc, M0, S0, {"acc": 1})  # another accumulator than the input cell's
    assert "copy" in {k for k, _ in got}


def test_two_limb_remainder_widths():
    """right = 15: r2lo has 14 bits, a full limb and 3 bits of the next; the limb above
    must stay 0 (here with the quotient lowered to keep |q1|: only the width check sees it)."""
    acc = np.array([2**26])  # |q1| ~ 2^25 = n 2^15 + r2, n ~ 1000: saturated
    (v,) = honest(acc, M0, -15)
    assert v["d_0"] >= 128 and v["out"] == HI
    assert forged(acc, M0, -15, {"a_2": 1, "d_0": -128}) == lookup("r2 width")
    assert forged(acc, M0, -15, {"a_1": 2**4, "d_0": -1}) == lookup("r2 width")


# ---- boundaries: the first forbidden value of every range --------------------------------

def first_acc(pred, start=1):
    """The first accumulator >= start whose q1 = floor((acc M0 + 2^30) / 2^31) (Python
    ints) satisfies ``pred``."""
    acc = start
    while not pred((acc * M0 + 2**30) >> 31):
        acc += 1
    return acc


def test_stage2_remainder_exactly_the_divisor():
    """|q1| = 64 n exactly (r2 = 0): n - 1 with r2 = D = 64, written without the rounding
    bit (r2lo = 64: the output drops by one) or with it (r2lo = H = 32, the width check's
    first forbidden value; n - 1 + t keeps the output): only the r2 width check sees
    either."""
    acc = np.array([first_acc(lambda q: q > 64 and q % 64 == 0)])
    (v,) = honest(acc, M0, S0)
    assert v["t"] == 0 and v["a_0"] == 0 and v["nc"] >= 1
    assert forged(acc, M0, S0, {"nc": -1, "a_0": 64, "wc": -1, "out": -1}) == lookup(
        "r2 width")
    assert forged(acc, M0, S0, {"nc": -1, "t": 1, "a_0": 32}) == lookup("r2 width")
    # r2lo = H - 1 = 31 passes the width check: the same change breaks stage 1 only
    assert forged(acc, M0, S0, {"nc": -1, "t": 1, "a_0": 31}) == gate("stage 1")


def test_stage1_remainder_exactly_2_31():
    """acc 1, M 2^30: acc M + 2^30 = 2^31 exactly, q1 = 1 (r1 = 0), which rounds to 1 at
    right = 1 (t = 1). q1 = 0 with r1 = 2^31 (the top limb's first forbidden value 2^9)
    would give the output zp: only the top limb's width check sees it."""
    acc = np.array([1])
    (v,) = honest(acc, 2**30, -1)
    assert v["t"] == 1 and v["out"] == ZP + 1 and all(v[f"r1_{i}"] == 0 for i in range(3))
    got = forged(acc, 2**30, -1, {"t": -1, "r1_2": 2**TOP, "wc": -1, "out": -1})
    assert got == lookup(f"r1 top limb < 2^{TOP}")


@pytest.mark.parametrize("sign", [1, -1])
def test_output_outside_int8(sign):
    """The full int8 clamp (zp 0): a saturated op gives 127 / -128; 128 / -129 (wc one
    above the room cap on its side) is rejected."""
    acc = np.array([sign * 2**22])
    kw = dict(zero_point=0, lo=-128, hi=127)
    (v,) = honest(acc, M0, S0, **kw)
    assert v["out"] == (127 if sign > 0 else -128) and v["nc"] == 256
    got = forged(acc, M0, S0, {"wc": 1, "out": sign}, **kw)
    assert got == gate("min") | lookup("wc <= cap")


def test_per_channel_multipliers_follow_the_last_axis():
    """acc [2, 3] with three channels' (multiplier, shift): each op is requantised with its
    own channel's pair (an element-wise Python-int reference, no broadcasting)."""
    acc = np.array([[5003, -4000, 777], [-5003, 4000, 2**20]])
    mult = np.array([2**30 + 12345, 2**31 - 7, 2**30])
    shift = np.array([-6, -12, -3])
    circ = circuit(acc, mult, shift, k=10, zero_point=ZP, lo=LO, hi=HI)
    assert circ.failures() == []
    for (i, j), a in np.ndenumerate(acc):
        q1 = (int(a) * int(mult[j]) + 2**30) >> 31
        right = -int(shift[j])
        q2 = (abs(q1) + (1 << (right - 1))) >> right
        want = min(max(ZP + (q2 if q1 >= 0 else -q2), LO), HI)
        assert circ.out.values[i, j] == want, (i, j)
