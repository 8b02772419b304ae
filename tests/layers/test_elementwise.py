"""Add, Sub, Mul: broadcasting, exact integer semantics, and their int-vs-float bounds.

Stated bounds (|forward_int / sf - forward_float|):
- Add, Sub: 0 up to float64 rounding (1e-9 here): integer + and - at one scale are exact.
- Mul: 0.5 / sf: a*b is exact at scale sf^2 and one round-half-up division by sf
  brings it back, off by at most 1/2 at scale sf.
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zkml_plugins.layers.add import Add
from zkml_plugins.layers.mul import Mul
from zkml_plugins.layers.sub import Sub

from zkml_core.errors import ModelError


@st.composite
def operand_pairs(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=4,
                                                    max_side=4))
    sf = draw(st.sampled_from([1, 3, 16, 512, 16384]))
    vals = st.integers(-20 * sf, 20 * sf)
    a = draw(hnp.arrays(np.int64, shapes.input_shapes[0], elements=vals))
    b = draw(hnp.arrays(np.int64, shapes.input_shapes[1], elements=vals))
    return a, b, shapes.result_shape, sf


def run(layer_cls, params, make_spec, make_ctx, a, b, out_shape, sf):
    layer = layer_cls(make_spec(layer_cls.name, params, [a.shape, b.shape], [out_shape]))
    ctx = make_ctx(sf)
    (got,) = layer.forward_int([a, b], ctx)
    (got_f,) = layer.forward_float([a / sf, b / sf], ctx)
    assert got.dtype == np.int64 and got.shape == out_shape and got_f.shape == out_shape
    return got, got_f


@settings(max_examples=40, deadline=None)
@given(operand_pairs(), st.sampled_from([0, 1]))
def test_add(make_spec, make_ctx, case, act):
    a, b, out_shape, sf = case
    got, got_f = run(Add, [act], make_spec, make_ctx, a, b, out_shape, sf)
    aa, bb = np.broadcast_arrays(a.astype(object), b.astype(object))
    want = [max(x + y, 0) if act else x + y for x, y in zip(aa.ravel(), bb.ravel(), strict=True)]
    assert got.ravel().tolist() == want
    assert np.abs(got / sf - got_f).max() <= 1e-9


@settings(max_examples=40, deadline=None)
@given(operand_pairs())
def test_sub(make_spec, make_ctx, case):
    a, b, out_shape, sf = case
    got, got_f = run(Sub, [], make_spec, make_ctx, a, b, out_shape, sf)
    aa, bb = np.broadcast_arrays(a.astype(object), b.astype(object))
    assert got.ravel().tolist() == [x - y for x, y in zip(aa.ravel(), bb.ravel(), strict=True)]
    assert np.abs(got / sf - got_f).max() <= 1e-9


@settings(max_examples=40, deadline=None)
@given(operand_pairs())
def test_mul(make_spec, make_ctx, rhu, case):
    a, b, out_shape, sf = case
    got, got_f = run(Mul, [], make_spec, make_ctx, a, b, out_shape, sf)
    aa, bb = np.broadcast_arrays(a.astype(object), b.astype(object))
    want = [rhu(int(x) * int(y), sf) for x, y in zip(aa.ravel(), bb.ravel(), strict=True)]
    assert got.ravel().tolist() == want
    assert np.abs(got / sf - got_f).max() <= 0.5 / sf + 1e-9


def test_mul_rounds_half_up_for_negative_products(make_spec, make_ctx):
    a = np.array([-3, -1, 1, 3, -5], dtype=np.int64)
    b = np.array([1], dtype=np.int64)
    got, _ = run(Mul, [], make_spec, make_ctx, a, b, (5,), 2)
    # -1.5 -> -1, -0.5 -> 0, 0.5 -> 1, 1.5 -> 2, -2.5 -> -2
    assert got.tolist() == [-1, 0, 1, 2, -2]


def test_broadcast_error_names_the_shapes(make_spec, make_ctx):
    a, b = np.zeros((2, 3), np.int64), np.zeros((4,), np.int64)
    layer = Sub(make_spec("Sub", [], [a.shape, b.shape], [(2, 3)]))
    with pytest.raises(ModelError, match=r"\[2, 3\] and \[4\] do not broadcast"):
        layer.forward_int([a, b], make_ctx(1))


@pytest.mark.parametrize("cls,params,match", [
    (Add, [], "params must be"), (Add, [3], "activation"), (Sub, [1], "params must be"),
    (Mul, [0], "params must be"),
])
def test_bad_params(make_spec, cls, params, match):
    with pytest.raises(ModelError, match=match):
        cls(make_spec(cls.name, params, [(2,), (2,)], [(2,)]))
