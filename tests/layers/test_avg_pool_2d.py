"""AveragePool2D against a loop reference on Python ints, and the int-vs-float bound.

Stated bound: |forward_int / sf - forward_float| <= 0.5 / sf. The window sum is exact and
the single round-half-up division by fh*fw is off by at most 1/2 at scale sf.
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zkml_plugins.layers.avg_pool_2d import AveragePool2D

from zkml_core.errors import ModelError


@st.composite
def pool_cases(draw):
    fh, fw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    h, w = draw(st.integers(fh, 7)), draw(st.integers(fw, 7))
    sf = draw(st.sampled_from([1, 2, 7, 512, 4096]))
    x = draw(hnp.arrays(np.int64, (n, h, w, c), elements=st.integers(-8 * sf, 8 * sf)))
    return x, (fh, fw, sh, sw), sf


@settings(max_examples=60, deadline=None)
@given(pool_cases())
def test_avg_pool_matches_reference_and_float_bound(make_spec, make_ctx, rhu, case):
    x, (fh, fw, sh, sw), sf = case
    n, h, w, c = x.shape
    oh, ow = (h - fh) // sh + 1, (w - fw) // sw + 1
    layer = AveragePool2D(make_spec("AveragePool2D", [fh, fw, sh, sw], [x.shape],
                                    [(n, oh, ow, c)]))
    want = np.zeros((n, oh, ow, c), dtype=np.int64)
    for idx in np.ndindex(n, oh, ow, c):
        b, i, j, ch = idx
        total = sum(int(x[b, i * sh + a, j * sw + d, ch]) for a in range(fh) for d in range(fw))
        want[idx] = rhu(total, fh * fw)
    (got,) = layer.forward_int([x], make_ctx(sf))
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want)
    (got_f,) = layer.forward_float([x / sf], make_ctx(sf))
    assert got_f.shape == want.shape
    assert np.abs(got / sf - got_f).max() <= 0.5 / sf + 1e-9


@pytest.mark.parametrize("params,shape,match", [
    ([2, 2, 2], (1, 4, 4, 1), "params must be"),
    ([0, 2, 2, 2], (1, 4, 4, 1), ">= 1"),
    ([5, 2, 2, 2], (1, 4, 4, 1), "does not fit"),
    ([2, 2, 2, 2], (4, 4, 1), "4-D"),
])
def test_bad_specs(make_spec, params, shape, match):
    with pytest.raises(ModelError, match=match):
        AveragePool2D(make_spec("AveragePool2D", params, [shape], [(1, 2, 2, 1)]))
