"""Softmax and MaskNegInf against Python-int references of zkml's steps.

Softmax bound, per entry, with n unmasked entries in the row and T = sum of the exact
e^(d/sf) sf^2 >= sf^2 (the maximum contributes exactly sf^2): the table rounds each e by
at most 1/2 (the maximum's e = sf^2 is exact), s = round(S / sf) by 1/2, so the
denominator S' = sf * s differs from T by |delta| <= (n - 1)/2 + sf/2, and
|out - p sf| <= 1/2 + sf (1/2 + |delta|) / (T - |delta|). Dividing by sf gives the stated
bound on |forward_int / sf - softmax|, checked here with T = sf^2.
"""

from __future__ import annotations

import math
from fractions import Fraction

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zkml_plugins.layers.mask_neg_inf import MaskNegInf
from zkml_plugins.layers.softmax import Softmax

from zkml_core.errors import ModelError
from zkml_core.model import ExecContext


def rust_round(v: float) -> int:
    f = Fraction(v)
    r = math.floor(abs(f) + Fraction(1, 2))
    return r if f >= 0 else -r


def softmax_row(row, keep, sf, ctx, rhu):
    idx = [i for i, k in enumerate(keep) if k]
    if not idx:
        return [0] * len(row)
    m = max(row[i] for i in idx)
    e = {}
    for i in idx:
        d = row[i] - m
        e[i] = 0 if d == ctx.min_val else rust_round(math.exp(d / sf) * float(sf * sf))
    s = rhu(sum(e.values()), sf)
    return [rhu(e[i], s) if keep[i] else 0 for i in range(len(row))]


@st.composite
def cases(draw):
    sf = draw(st.sampled_from([64, 256, 1024]))
    k = draw(st.integers(14, 20))
    ctx = ExecContext(scale_factor=sf, k=k, num_cols=10)
    shape = draw(st.sampled_from([(2, 5), (2, 3, 4), (1, 2, 2, 3), (3, 1)]))
    x = draw(hnp.arrays(np.int64, shape, elements=st.integers(ctx.min_val // 2,
                                                               ctx.max_val // 2)))
    mask_shape = draw(st.sampled_from([None, (shape[-1],), (1,) * (len(shape) - 1)
                                       + (shape[-1],), shape]))
    mask = None if mask_shape is None else draw(hnp.arrays(bool, mask_shape))
    return ctx, x, mask


def params_of(mask):
    if mask is None:
        return []
    return [mask.ndim, *mask.shape, *mask.astype(int).ravel().tolist()]


@settings(max_examples=40, deadline=None)
@given(cases())
def test_softmax(make_spec, rhu, case):
    ctx, x, mask = case
    sf = ctx.scale_factor
    layer = Softmax(make_spec("Softmax", params_of(mask), [x.shape], [x.shape]))
    (got,) = layer.forward_int([x], ctx)
    keep = np.ones(x.shape, bool) if mask is None else ~np.broadcast_to(mask, x.shape)
    rows, keeps = x.reshape(-1, x.shape[-1]), keep.reshape(-1, x.shape[-1])
    want = [softmax_row(r.tolist(), kk.tolist(), sf, ctx, rhu) for r, kk in zip(rows, keeps,
                                                                                 strict=True)]
    assert got.dtype == np.int64 and got.reshape(-1, x.shape[-1]).tolist() == want
    (got_f,) = layer.forward_float([x / sf], ctx)
    n = keeps.sum(axis=1).max()
    delta = (n - 1) / 2 + sf / 2
    bound = (0.5 + sf * (0.5 + delta) / (sf * sf - delta)) / sf
    assert np.abs(got / sf - got_f).max() <= bound + 1e-12
    # the float reference is a softmax: rows with an unmasked entry sum to 1
    sums = got_f.reshape(-1, x.shape[-1]).sum(axis=1)
    np.testing.assert_allclose(sums[keeps.any(axis=1)], 1.0)


def test_softmax_fully_masked_row_is_zero(make_spec):
    ctx = ExecContext(scale_factor=16, k=12, num_cols=10)
    layer = Softmax(make_spec("Softmax", [2, 2, 2, 1, 1, 0, 0], [(2, 2)], [(2, 2)]))
    got = layer.forward_int([np.array([[5, 7], [1, 1]])], ctx)[0]
    assert got[0].tolist() == [0, 0] and got[1].tolist() == [8, 8]
    assert layer.forward_float([np.array([[5.0, 7.0], [1.0, 1.0]])], ctx)[0][0].tolist() == [0, 0]


def test_mask_neg_inf(make_spec):
    ctx = ExecContext(scale_factor=16, k=12, num_cols=10)
    layer = MaskNegInf(make_spec("MaskNegInf", [2, 1, 3, 0, 1, 0], [(2, 3), (1, 3)], [(2, 3)]))
    x = np.arange(6, dtype=np.int64).reshape(2, 3)
    assert layer.required_inputs() == [0]
    assert layer.forward_int([x, None], ctx)[0].tolist() == [[0, -2048, 2], [3, -2048, 5]]
    assert layer.forward_float([x / 16, None], ctx)[0].tolist() == [
        [0, -128, 2 / 16], [3 / 16, -128, 5 / 16]]


@pytest.mark.parametrize("params,shape,match", [
    ([2, 2, 2, 1, 0, 1], (2, 2), "needs 4 values"),
    ([1, 3, 0, 0, 0], (2, 2), "does not broadcast"),
    ([1, 2, 0, 2], (2, 2), "0 or 1"),
    ([5, 1], (2, 2), r"\[ndim, shape"),
    ([], (2, 2, 2, 2), "batch 1"),
])
def test_bad_masks(make_spec, params, shape, match):
    with pytest.raises(ModelError, match=match):
        Softmax(make_spec("Softmax", params, [shape], [shape]))
