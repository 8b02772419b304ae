"""FullyConnected and BatchMatMul against Python-int references, and their float bounds.

Stated bounds (|forward_int / sf - forward_float| on the same integers):
- FullyConnected: 0.5 / sf: the product is exact, one round-half-up division by sf, an
  exact bias add, and relu is 1-Lipschitz.
- BatchMatMul: 0.5 / sf: exact products, one rounding.
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zkml_plugins.layers.batch_mat_mul import BatchMatMul
from zkml_plugins.layers.fully_connected import FullyConnected

from zkml_core.errors import ModelError

SFS = st.sampled_from([1, 3, 64, 512, 4096])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 4), st.booleans(),
       st.sampled_from([0, 1]), st.booleans(), SFS, st.data())
def test_fully_connected(make_spec, make_ctx, rhu, b, n_in, n_out, three_d, act, bias, sf,
                         data):
    vals = st.integers(-8 * sf, 8 * sf)
    x_shape = (1, b, n_in) if three_d else (b, n_in)
    x = data.draw(hnp.arrays(np.int64, x_shape, elements=vals))
    w = data.draw(hnp.arrays(np.int64, (n_out, n_in), elements=vals))
    bb = data.draw(hnp.arrays(np.int64, (n_out,), elements=vals))
    inputs = [x, w, bb] if bias else [x, w]
    layer = FullyConnected(make_spec("FullyConnected", [act], [i.shape for i in inputs],
                                     [(b, n_out)]))
    (got,) = layer.forward_int(inputs, make_ctx(sf))
    xm = x[0] if three_d else x
    want = [[rhu(sum(int(xm[i, k]) * int(w[j, k]) for k in range(n_in)), sf)
             + (int(bb[j]) if bias else 0) for j in range(n_out)] for i in range(b)]
    if act:
        want = [[max(v, 0) for v in row] for row in want]
    assert got.dtype == np.int64 and got.tolist() == want
    (got_f,) = layer.forward_float([i / sf for i in inputs], make_ctx(sf))
    assert np.abs(got / sf - got_f).max() <= 0.5 / sf + 1e-9


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4),
       st.booleans(), SFS, st.data())
def test_batch_mat_mul(make_spec, make_ctx, rhu, batch, m, k, n, adj_y, sf, data):
    vals = st.integers(-8 * sf, 8 * sf)
    a = data.draw(hnp.arrays(np.int64, (batch, m, k), elements=vals))
    b = data.draw(hnp.arrays(np.int64, (batch, n, k) if adj_y else (batch, k, n),
                             elements=vals))
    layer = BatchMatMul(make_spec("BatchMatMul", [0, int(adj_y)], [a.shape, b.shape],
                                  [(batch, m, n)]))
    (got,) = layer.forward_int([a, b], make_ctx(sf))

    def bv(i, kk, j):
        return int(b[i, j, kk]) if adj_y else int(b[i, kk, j])

    want = [[[rhu(sum(int(a[i, r, kk]) * bv(i, kk, j) for kk in range(k)), sf)
              for j in range(n)] for r in range(m)] for i in range(batch)]
    assert got.tolist() == want
    (got_f,) = layer.forward_float([a / sf, b / sf], make_ctx(sf))
    assert np.abs(got / sf - got_f).max() <= 0.5 / sf + 1e-9


@pytest.mark.parametrize("cls,params,shapes,match", [
    (FullyConnected, [3], [(1, 2), (3, 2)], "activation"),
    (FullyConnected, [0], [(1, 2), (3, 4)], "input width"),
    (FullyConnected, [0], [(1, 2), (3, 2), (4,)], "bias shape"),
    (BatchMatMul, [1, 0], [(1, 2, 3), (1, 3, 2)], "adj_x must be 0"),
    (BatchMatMul, [0, 0], [(1, 2, 3), (1, 2, 2)], "inner dimensions"),
    (BatchMatMul, [0, 0], [(2, 3), (1, 3, 2)], "3-D"),
])
def test_bad_specs(make_spec, cls, params, shapes, match):
    with pytest.raises(ModelError, match=match):
        cls(make_spec(cls.name, params, shapes, [(1, 1)]))
