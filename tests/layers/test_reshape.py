"""Reshape keeps the cells in row-major order (exact: bound 0 in both modes)."""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zkml_plugins.layers.reshape import Reshape

from zkml_core.errors import ModelError


@settings(max_examples=30, deadline=None)
@given(hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), st.randoms(use_true_random=False),
       st.booleans())
def test_reshape_row_major(make_spec, make_ctx, shape, rnd, with_shape_tensor):
    size = math.prod(shape)
    dims = [d for d in range(1, size + 1) if size % d == 0]
    first = rnd.choice(dims)
    out_shape = (first, size // first)
    x = np.arange(size, dtype=np.int64).reshape(shape) - size // 2
    inputs, shapes = [x], [shape]
    if with_shape_tensor:  # TFLite's shape tensor: accepted and ignored
        inputs.append(np.array(out_shape, dtype=np.int64))
        shapes.append((2,))
    layer = Reshape(make_spec("Reshape", [], shapes, [out_shape]))
    (got,) = layer.forward_int(inputs, make_ctx(4))
    assert got.shape == out_shape and got.dtype == np.int64
    assert got.ravel().tolist() == x.ravel().tolist()
    (got_f,) = layer.forward_float([i / 4 for i in inputs], make_ctx(4))
    np.testing.assert_array_equal(got_f * 4, got)


def test_reshape_size_mismatch(make_spec):
    with pytest.raises(ModelError, match="cannot reshape"):
        Reshape(make_spec("Reshape", [], [(2, 3)], [(4, 2)]))
