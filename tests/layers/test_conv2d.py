"""Conv2D against a naive loop reference on Python ints, and the int-vs-float bound.

Stated bound: |forward_int / sf - forward_float| <= 0.5 / sf (+ float64 noise). The only
inexact integer step is one round-half-up division of the accumulator by sf (error at
most 1/2 at scale sf, i.e. 0.5/sf); the bias add is exact and relu / relu6 are
1-Lipschitz, so they cannot enlarge the error.
"""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zkml_plugins.layers.conv2d import Conv2D, same_padding

from zkml_core.errors import ModelError

SFS = st.sampled_from([1, 2, 3, 16, 100, 512, 1024])


def geometry(size, kernel, stride, padding):
    if padding == 0:  # SAME, TensorFlow's definition written out
        out = math.ceil(size / stride)
        pad = max((out - 1) * stride + kernel - size, 0)
        return out, pad // 2
    return (size - kernel) // stride + 1, 0


def conv_reference(x, w, b, depthwise, padding, strides, act, sf, rhu):
    """Exact integer Conv2D by loops over Python ints, and the rational float value."""
    n_, h, wd, c = x.shape
    kh, kw = w.shape[1], w.shape[2]
    o_count = w.shape[3] if depthwise else w.shape[0]
    oh, top = geometry(h, kh, strides[0], padding)
    ow, left = geometry(wd, kw, strides[1], padding)
    ints = np.zeros((n_, oh, ow, o_count), dtype=object)
    floats = np.zeros((n_, oh, ow, o_count))
    for n in range(n_):
        for i in range(oh):
            for j in range(ow):
                for o in range(o_count):
                    acc = 0
                    for a in range(kh):
                        for bb in range(kw):
                            y, z = i * strides[0] + a - top, j * strides[1] + bb - left
                            if not (0 <= y < h and 0 <= z < wd):
                                continue
                            if depthwise:
                                acc += int(x[n, y, z, o // (o_count // c)]) * int(w[0, a, bb, o])
                            else:
                                acc += sum(int(x[n, y, z, ch]) * int(w[o, a, bb, ch])
                                           for ch in range(c))
                    v = rhu(acc, sf) + int(b[o])
                    f = acc / sf**2 + int(b[o]) / sf
                    if act == 1:
                        v, f = max(v, 0), max(f, 0.0)
                    elif act == 3:
                        v, f = min(max(v, 0), 6 * sf), min(max(f, 0.0), 6.0)
                    ints[n, i, j, o], floats[n, i, j, o] = v, f
    return ints.astype(np.int64), floats


@st.composite
def conv_cases(draw):
    depthwise = draw(st.booleans())
    padding = draw(st.sampled_from([0, 1]))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h = draw(st.integers(kh if padding else 1, 6))
    w = draw(st.integers(kw if padding else 1, 6))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    if depthwise:
        o = c * draw(st.integers(1, 2))
        w_shape = (1, kh, kw, o)
    else:
        o = draw(st.integers(1, 3))
        w_shape = (o, kh, kw, c)
    sf = draw(SFS)
    vals = st.integers(-4 * sf, 4 * sf)
    x = draw(hnp.arrays(np.int64, (n, h, w, c), elements=vals))
    wt = draw(hnp.arrays(np.int64, w_shape, elements=vals))
    bias = draw(hnp.arrays(np.int64, (o,), elements=vals))
    act = draw(st.sampled_from([0, 1, 3]))
    return dict(x=x, w=wt, b=bias, depthwise=depthwise, padding=padding, strides=(sh, sw),
                act=act, sf=sf)


def make_layer(make_spec, case, with_bias=True):
    x, w, b = case["x"], case["w"], case["b"]
    params = [int(case["depthwise"]), case["padding"], case["act"], *case["strides"]]
    o = b.shape[0]
    oh = geometry(x.shape[1], w.shape[1], case["strides"][0], case["padding"])[0]
    ow = geometry(x.shape[2], w.shape[2], case["strides"][1], case["padding"])[0]
    shapes = [x.shape, w.shape, b.shape] if with_bias else [x.shape, w.shape]
    return Conv2D(make_spec("Conv2D", params, shapes, [(x.shape[0], oh, ow, o)]))


@settings(max_examples=60, deadline=None)
@given(conv_cases())
def test_conv2d_matches_reference_and_float_bound(make_spec, make_ctx, rhu, case):
    sf = case["sf"]
    layer = make_layer(make_spec, case)
    ctx = make_ctx(sf)
    x, w, b = case["x"], case["w"], case["b"]
    want_int, want_float = conv_reference(x, w, b, case["depthwise"], case["padding"],
                                          case["strides"], case["act"], sf, rhu)
    (got,) = layer.forward_int([x, w, b], ctx)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want_int)
    (got_f,) = layer.forward_float([x / sf, w / sf, b / sf], ctx)
    np.testing.assert_allclose(got_f, want_float, rtol=1e-12, atol=1e-12)
    assert np.abs(got / sf - got_f).max(initial=0) <= 0.5 / sf + 1e-9


def test_conv2d_without_bias(make_spec, make_ctx, rhu):
    rng = np.random.default_rng(1)
    x = rng.integers(-50, 50, (1, 4, 4, 2))
    w = rng.integers(-50, 50, (3, 2, 2, 2))
    case = dict(x=x, w=w, b=np.zeros(3, np.int64), depthwise=False, padding=1,
                strides=(1, 1), act=0, sf=16)
    layer = make_layer(make_spec, case, with_bias=False)
    want, _ = conv_reference(x, w, case["b"], False, 1, (1, 1), 0, 16, rhu)
    np.testing.assert_array_equal(layer.forward_int([x, w], make_ctx(16))[0], want)


@pytest.mark.parametrize("size,kernel,stride,expected", [
    (5, 3, 2, (3, 1, 1)),   # out ceil(5/2)=3, total pad 2
    (6, 3, 2, (3, 0, 1)),   # total pad 1: TensorFlow puts the extra row after
    (6, 3, 1, (6, 1, 1)),
    (7, 2, 3, (3, 0, 1)),
    (4, 1, 2, (2, 0, 0)),
])
def test_same_padding_is_tensorflows(size, kernel, stride, expected):
    assert same_padding(size, kernel, stride) == expected


def test_same_padding_uses_the_height_stride(make_spec, make_ctx, rhu):
    # zkml computed the height padding with the width stride; with sh=2, sw=1 on a 6x6
    # input and a 3x3 kernel the correct height padding is (0, 1), zkml's would be 2.
    x = np.arange(36, dtype=np.int64).reshape(1, 6, 6, 1) - 18
    w = np.arange(9, dtype=np.int64).reshape(1, 3, 3, 1) - 4
    b = np.zeros(1, np.int64)
    case = dict(x=x, w=w, b=b, depthwise=False, padding=0, strides=(2, 1), act=0, sf=1)
    layer = make_layer(make_spec, case)
    got = layer.forward_int([x, w, b], make_ctx(1))[0]
    assert got.shape == (1, 3, 6, 1)
    want, _ = conv_reference(x, w, b, False, 0, (2, 1), 0, 1, rhu)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("params,shapes,match", [
    ([0, 1, 3, 1], [(1, 4, 4, 1), (2, 3, 3, 1), (2,)], "params must be"),
    ([2, 1, 3, 1, 1], [(1, 4, 4, 1), (2, 3, 3, 1), (2,)], "conv_type"),
    ([0, 2, 3, 1, 1], [(1, 4, 4, 1), (2, 3, 3, 1), (2,)], "padding"),
    ([0, 1, 2, 1, 1], [(1, 4, 4, 1), (2, 3, 3, 1), (2,)], "activation"),
    ([0, 1, 3, 0, 1], [(1, 4, 4, 1), (2, 3, 3, 1), (2,)], "strides"),
    ([0, 1, 3, 1, 1], [(1, 4, 4, 2), (2, 3, 3, 1), (2,)], "channels"),
    ([1, 1, 3, 1, 1], [(1, 4, 4, 2), (2, 3, 3, 2), (2,)], "depthwise"),
    ([0, 1, 3, 1, 1], [(1, 4, 4, 1), (2, 3, 3, 1), (3,)], "bias"),
    ([0, 1, 3, 1, 1], [(1, 4, 4, 1)], "inputs"),
])
def test_bad_specs_are_model_errors(make_spec, params, shapes, match):
    with pytest.raises(ModelError, match=match):
        Conv2D(make_spec("Conv2D", params, shapes, [(1, 2, 2, 2)]))


def test_overflow_is_refused(make_spec, make_ctx):
    x = np.full((1, 2, 2, 1), 2**31, dtype=np.int64)
    w = np.full((1, 2, 2, 1), 2**31, dtype=np.int64)
    layer = Conv2D(make_spec("Conv2D", [0, 1, 0, 1, 1], [x.shape, w.shape], [(1, 1, 1, 1)]))
    with pytest.raises(ModelError, match="64-bit"):
        layer.forward_int([x, w], make_ctx(512))
