"""Mean, MaxPool2D, Div, DivVar, Square, SquaredDifference against Python-int references.

Stated bounds (|forward_int / sf - forward_float| on the same integers): 0.5 / sf for
Mean, Div, Square, SquaredDifference (one round-half-up division, everything else exact)
and DivVar (a * sf is exact, one rounding of the division by b); 0 for MaxPool2D.
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zkml_plugins.layers.div_fixed import Div
from zkml_plugins.layers.div_var import DivVar
from zkml_plugins.layers.max_pool_2d import MaxPool2D
from zkml_plugins.layers.mean import Mean
from zkml_plugins.layers.square import Square
from zkml_plugins.layers.squared_difference import SquaredDifference

from zkml_core.errors import ModelError

SFS = st.sampled_from([1, 3, 64, 512, 4096])


def ints(sf):
    return st.integers(-20 * sf, 20 * sf)


@settings(max_examples=30, deadline=None)
@given(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), SFS, st.data())
def test_mean(make_spec, make_ctx, rhu, inner, sf, data):
    shape = (1, *inner)
    keep = data.draw(st.integers(1, len(shape) - 1)) if len(shape) > 1 else None
    x = data.draw(hnp.arrays(np.int64, shape, elements=ints(sf)))
    axes = [a for a in range(1, len(shape)) if a != keep]
    out_shape = tuple(shape[a] if a == keep else 1 for a in range(len(shape)))
    layer = Mean(make_spec("Mean", axes, [shape], [out_shape]))
    (got,) = layer.forward_int([x], make_ctx(sf))
    moved = np.moveaxis(x, keep, 0).reshape(shape[keep], -1)
    want = [rhu(sum(int(v) for v in row), moved.shape[1]) for row in moved]
    assert got.shape == out_shape and got.ravel().tolist() == want
    (got_f,) = layer.forward_float([x / sf], make_ctx(sf))
    assert np.abs(got / sf - got_f).max() <= 0.5 / sf + 1e-9


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.data())
def test_max_pool(make_spec, make_ctx, fh, fw, sh, sw, data):
    x = data.draw(hnp.arrays(np.int64, (1, data.draw(st.integers(fh, 6)),
                                        data.draw(st.integers(fw, 6)), 2),
                             elements=st.integers(-1000, 1000)))
    _, h, w, c = x.shape
    oh, ow = (h - fh) // sh + 1, (w - fw) // sw + 1
    layer = MaxPool2D(make_spec("MaxPool2D", [fh, fw, sh, sw], [x.shape], [(1, oh, ow, c)]))
    (got,) = layer.forward_int([x], make_ctx(1))
    for i, j, ch in np.ndindex(oh, ow, c):
        assert got[0, i, j, ch] == max(int(x[0, i * sh + a, j * sw + d, ch])
                                       for a in range(fh) for d in range(fw))
    np.testing.assert_array_equal(layer.forward_float([x / 8], make_ctx(8))[0] * 8, got)


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.int64, hnp.array_shapes(max_dims=3, max_side=4),
                  elements=st.integers(-10**6, 10**6)), st.integers(1, 1000), SFS)
def test_div_fixed(make_spec, make_ctx, rhu, x, divisor, sf):
    layer = Div(make_spec("Div", [divisor], [x.shape], [x.shape]))
    (got,) = layer.forward_int([x], make_ctx(sf))
    assert got.ravel().tolist() == [rhu(int(v), divisor) for v in x.ravel()]
    (got_f,) = layer.forward_float([x / sf], make_ctx(sf))
    assert np.abs(got / sf - got_f).max() <= 0.5 / sf + 1e-9


@settings(max_examples=30, deadline=None)
@given(SFS, st.data())
def test_div_var(make_spec, make_ctx, rhu, sf, data):
    x = data.draw(hnp.arrays(np.int64, hnp.array_shapes(max_dims=3, max_side=4),
                             elements=ints(sf)))
    b = data.draw(st.integers(1, 50 * sf))
    layer = DivVar(make_spec("DivVar", [], [x.shape, (1,)], [x.shape]))
    (got,) = layer.forward_int([x, np.array([b])], make_ctx(sf))
    assert got.ravel().tolist() == [rhu(int(v) * sf, b) for v in x.ravel()]
    (got_f,) = layer.forward_float([x / sf, np.array([b / sf])], make_ctx(sf))
    assert np.abs(got / sf - got_f).max() <= 0.5 / sf + 1e-9


def test_div_var_rejects_non_positive_divisors(make_spec, make_ctx):
    layer = DivVar(make_spec("DivVar", [], [(2,), (1,)], [(2,)]))
    with pytest.raises(ModelError, match="the divisor is 0"):
        layer.forward_int([np.array([1, 2]), np.array([0])], make_ctx(4))


@settings(max_examples=30, deadline=None)
@given(SFS, st.data())
def test_square_and_squared_difference(make_spec, make_ctx, rhu, sf, data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3,
                                                         max_side=3))
    a = data.draw(hnp.arrays(np.int64, shapes.input_shapes[0], elements=ints(sf)))
    b = data.draw(hnp.arrays(np.int64, shapes.input_shapes[1], elements=ints(sf)))
    sq = Square(make_spec("Square", [], [a.shape], [a.shape]))
    (got,) = sq.forward_int([a], make_ctx(sf))
    assert got.ravel().tolist() == [rhu(int(v) ** 2, sf) for v in a.ravel()]
    assert np.abs(got / sf - sq.forward_float([a / sf], make_ctx(sf))[0]).max(
        initial=0) <= 0.5 / sf + 1e-9
    sd = SquaredDifference(make_spec("SquaredDifference", [], [a.shape, b.shape],
                                     [shapes.result_shape]))
    (got,) = sd.forward_int([a, b], make_ctx(sf))
    aa, bb = np.broadcast_arrays(a, b)
    assert got.ravel().tolist() == [rhu((int(u) - int(v)) ** 2, sf)
                                    for u, v in zip(aa.ravel(), bb.ravel(), strict=True)]
    got_f = sd.forward_float([a / sf, b / sf], make_ctx(sf))[0]
    assert np.abs(got / sf - got_f).max(initial=0) <= 0.5 / sf + 1e-9


@pytest.mark.parametrize("cls,params,shapes,match", [
    (Mean, [1], [(2, 3, 4)], "batch size 1"),
    (Mean, [], [(1, 3, 4)], "exactly one non-batch axis"),
    (Div, [0], [(2,)], "positive"),
    (DivVar, [], [(2,), (2,)], "one element"),
    (MaxPool2D, [3, 3, 1, 1], [(1, 2, 2, 1)], "does not fit"),
])
def test_bad_specs(make_spec, cls, params, shapes, match):
    with pytest.raises(ModelError, match=match):
        cls(make_spec(cls.name, params, shapes, [(1, 1)]))
