"""Gadgets composed as the layers use them, against Python-int references of zkml's
integer semantics: a convolution's post-processing (dot products, bias, rounded division,
relu6 / relu) and softmax (max, differences, exp table, sum, two large divisions)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from gadget_circuit import GadgetCircuit, add_to_cell, kinds
from hypothesis import given, settings
from hypothesis import strategies as st

SETTINGS = settings(max_examples=8, deadline=None)


def conv_post(g, lay, ops):
    x, w, bias = ops  # x: (pixels, taps), w: (channels, taps)
    acc = g["dot_product"].assign(lay, x.reshape(x.shape[0], 1, x.shape[1]), w)  # (pixels, channels)
    div, relu6 = g["bias_div_round_relu6"].assign(lay, acc, bias)
    return acc, div, relu6, g["relu"].assign(lay, div)


@SETTINGS
@given(st.data(), st.integers(1, 3), st.integers(1, 3), st.integers(1, 5))
def test_conv_post_processing(data, pixels, channels, taps):
    sf = 8
    ints = lambda n, lo, hi: np.array(data.draw(st.lists(st.integers(lo, hi), min_size=n, max_size=n)))  # noqa: E731
    x = ints(pixels * taps, -20, 20).reshape(pixels, taps)
    w = ints(channels * taps, -20, 20).reshape(channels, taps)
    bias = ints(channels, -30, 30)
    c = GadgetCircuit(["dot_product", "bias_div_round_relu6", "relu"], conv_post, [x, w, bias],
                      sf=sf, k=9, num_cols=7)
    assert c.failures() == []
    acc, div, relu6, relu = c.out
    want_acc = [[sum(int(a) * int(b) for a, b in zip(xr, wr, strict=True)) for wr in w] for xr in x]
    want_div = [[(2 * v + sf) // (2 * sf) + int(b) for v, b in zip(row, bias, strict=True)] for row in want_acc]
    assert acc.values.tolist() == want_acc
    assert div.values.tolist() == want_div
    assert relu6.values.tolist() == [[min(max(v, 0), 6 * sf) for v in r] for r in want_div]
    assert relu.values.tolist() == [[max(v, 0) for v in r] for r in want_div]


def rust_round(v: float) -> int:
    f = Fraction(v)
    r = math.floor(abs(f) + Fraction(1, 2))
    return r if f >= 0 else -r


def softmax_parts(row: list[int], sf: int) -> tuple[list[int], int]:
    """zkml's exp values (scale sf^2) of a row and its divisor s = round(sum / sf)."""
    m = max(row)
    e = [rust_round(math.exp((v - m) / sf) * float(sf * sf)) for v in row]
    return e, (2 * sum(e) + sf) // (2 * sf)


def softmax_reference(x: np.ndarray, sf: int) -> list[list[int]]:
    """zkml's softmax steps in Python ints (facts file, section 3)."""
    out = []
    for row in x.tolist():
        e, s = softmax_parts(row, sf)
        out.append([(2 * v + s) // (2 * s) for v in e])
    return out


def softmax(sf):
    def call(g, lay, ops):
        x = ops[0]
        rows = x.shape[0]
        m = g["max"].assign(lay, x)
        d = g["sub_pairs"].assign(lay, x, m.reshape(rows, 1))
        e = g["exp"].assign(lay, d)
        s = g["var_div_round_big3"].assign(lay, g["adder"].assign(lay, e), sf)
        return g["var_div_round_big3"].assign(lay, e, s)  # one divisor cell per row
    return call


NAMES = ["max", "sub_pairs", "exp", "adder", "var_div_round_big3"]


@SETTINGS
@given(st.data(), st.integers(1, 3), st.integers(1, 6), st.sampled_from([4, 16, 20]))
def test_softmax_from_gadgets(data, rows, length, sf):
    x = np.array(data.draw(st.lists(st.integers(-200, 200), min_size=rows * length,
                                    max_size=rows * length))).reshape(rows, length)
    c = GadgetCircuit(NAMES, softmax(sf), [x], sf=sf, k=10, num_cols=10)
    assert c.failures() == []
    assert c.out.values.tolist() == softmax_reference(x, sf)


def test_softmax_forged_output_is_rejected():
    x = np.array([[10, -30, 25, 0]])
    _, s = softmax_parts(x[0].tolist(), 16)

    def tamper(circ, asg):  # probability 1 one larger, its remainder 2s smaller: gates hold
        cells = circ.gadgets["var_div_round_big3"].last_cells  # (op, a c c1 r0 r1 r2 t0 t1 t2)
        add_to_cell(asg, cells[1, 1], 1)
        add_to_cell(asg, cells[1, 3], -2 * s)
        add_to_cell(asg, cells[1, 6], 2 * s)

    c = GadgetCircuit(NAMES, softmax(16), [x], sf=16, k=10, num_cols=10, tamper=tamper)
    got = kinds(c.failures())
    assert got and {k for k, _ in got} == {"lookup"}
    assert all("limb" in n for _, n in got)
