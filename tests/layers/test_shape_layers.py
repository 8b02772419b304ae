"""Shape layers (pure re-indexing) against index-by-index references; bound 0 in both
modes, since the float run applies the same re-indexing."""

from __future__ import annotations

import itertools

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zkml_plugins.layers.broadcast import Broadcast
from zkml_plugins.layers.concatenation import Concatenation
from zkml_plugins.layers.noop import Noop
from zkml_plugins.layers.pack import Pack
from zkml_plugins.layers.pad import Pad
from zkml_plugins.layers.permute import Permute
from zkml_plugins.layers.rotate import Rotate
from zkml_plugins.layers.slice import Slice
from zkml_plugins.layers.split import Split
from zkml_plugins.layers.transpose import Transpose

from zkml_core.errors import ModelError

SHAPES = hnp.array_shapes(min_dims=1, max_dims=4, max_side=3)


def arange(shape):
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape) - 5


def run(layer, inputs, make_ctx):
    got = layer.forward_int(inputs, make_ctx(4))
    flt = layer.forward_float([None if x is None else x / 4 for x in inputs], make_ctx(4))
    for g, f in zip(got, flt, strict=True):
        assert g.dtype == np.int64
        np.testing.assert_array_equal(f * 4, g)
    return got


@settings(max_examples=30, deadline=None)
@given(SHAPES, st.data())
def test_transpose_and_permute(make_spec, make_ctx, shape, data):
    perm = data.draw(st.permutations(range(len(shape))))
    x = arange(shape)
    out_shape = tuple(shape[p] for p in perm)
    # Transpose reads the cells as `shape` first: give it a flat input
    t = Transpose(make_spec("Transpose", [*shape, *perm], [(x.size,), (len(shape),)],
                            [out_shape]))
    (got,) = run(t, [x.ravel(), None], make_ctx)
    p = Permute(make_spec("Permute", list(perm), [shape], [out_shape]))
    (got_p,) = run(p, [x], make_ctx)
    for j in itertools.product(*map(range, out_shape)):
        i = [0] * len(shape)
        for k, a in enumerate(perm):
            i[a] = j[k]
        assert got[j] == x[tuple(i)] == got_p[j]


@settings(max_examples=30, deadline=None)
@given(SHAPES, st.integers(1, 3), st.data())
def test_concatenation_pack_split(make_spec, make_ctx, shape, count, data):
    axis = data.draw(st.integers(0, len(shape) - 1))
    parts = [arange(shape) + 100 * i for i in range(count)]
    out_shape = list(shape)
    out_shape[axis] *= count
    c = Concatenation(make_spec("Concatenation", [axis], [shape] * count, [tuple(out_shape)]))
    (got,) = run(c, parts, make_ctx)
    for j in itertools.product(*map(range, out_shape)):
        part, rest = divmod(j[axis], shape[axis])
        src = list(j)
        src[axis] = rest
        assert got[j] == parts[part][tuple(src)]
    # Split undoes it (the data is input 1, input 0 is TFLite's axis tensor)
    s = Split(make_spec("Split", [axis, count], [(), tuple(out_shape)], [shape] * count))
    assert s.required_inputs() == [1]
    for a, b in zip(run(s, [None, got], make_ctx), parts, strict=True):
        np.testing.assert_array_equal(a, b)
    pack_axis = data.draw(st.sampled_from([0, 1] if len(shape) >= 1 else [0]))
    packed_shape = list(shape)
    packed_shape.insert(pack_axis, count)
    pk = Pack(make_spec("Pack", [pack_axis], [shape] * count, [tuple(packed_shape)]))
    (got,) = run(pk, parts, make_ctx)
    for j in itertools.product(*map(range, packed_shape)):
        src = list(j)
        which = src.pop(pack_axis)
        assert got[j] == parts[which][tuple(src)]


@settings(max_examples=30, deadline=None)
@given(SHAPES, st.data())
def test_slice_pad_rotate(make_spec, make_ctx, shape, data):
    x = arange(shape)
    begins = [data.draw(st.integers(0, n)) for n in shape]
    sizes = [data.draw(st.sampled_from([-1, *range(0, n - b + 1)]))
             for n, b in zip(shape, begins, strict=True)]
    ends = [n if s == -1 else b + s for n, b, s in zip(shape, begins, sizes, strict=True)]
    out = tuple(e - b for b, e in zip(begins, ends, strict=True))
    sl = Slice(make_spec("Slice", [*begins, *sizes], [shape, (len(shape),), (len(shape),)],
                         [out]))
    (got,) = run(sl, [x, None, None], make_ctx)
    for j in itertools.product(*map(range, out)):
        assert got[j] == x[tuple(b + i for b, i in zip(begins, j, strict=True))]
    pads = [(data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))) for _ in shape]
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(shape, pads, strict=True))
    pd = Pad(make_spec("Pad", [v for p in pads for v in p], [shape], [padded]))
    (got,) = run(pd, [x], make_ctx)
    for j in itertools.product(*map(range, padded)):
        src = [i - lo for i, (lo, _) in zip(j, pads, strict=True)]
        inside = all(0 <= s < n for s, n in zip(src, shape, strict=True))
        assert got[j] == (x[tuple(src)] if inside else 0)
    axes = data.draw(st.lists(st.integers(0, len(shape) - 1), max_size=3))
    rt = Rotate(make_spec("Rotate", axes, [shape], [shape]))
    (got,) = run(rt, [x], make_ctx)
    for j in itertools.product(*map(range, shape)):
        src = tuple(n - 1 - i if a in axes else i
                    for a, (i, n) in enumerate(zip(j, shape, strict=True)))
        assert got[j] == x[src]


def test_noop_and_broadcast(make_spec, make_ctx):
    n = Noop(make_spec("Noop", [1], [(2,), (3,)], [(3,)]))
    assert n.required_inputs() == [1]
    assert run(n, [None, np.array([1, 2, 3])], make_ctx)[0].tolist() == [1, 2, 3]
    b = Broadcast(make_spec("Broadcast", [], [(1, 2, 1, 1)], [(2, 2, 3, 1)]))
    (got,) = run(b, [np.array([5, 6]).reshape(1, 2, 1, 1)], make_ctx)
    assert got.shape == (2, 2, 3, 1) and got[1, 1, 2, 0] == 6 and got[0, 0, 1, 0] == 5


@pytest.mark.parametrize("cls,params,shapes,match", [
    (Noop, [2], [(1,), (1,)], "out of range"),
    (Transpose, [2, 2, 0], [(4,)], r"shape\.\.\., permutation"),
    (Transpose, [2, 3, 0, 1], [(4,)], "does not hold"),
    (Transpose, [2, 2, 0, 0], [(4,)], "not a permutation"),
    (Permute, [0, 0], [(2, 2)], "not a permutation"),
    (Pack, [2], [(2,), (2,)], "axis must be 0 or 1"),
    (Slice, [0, 3], [(2,)], "do not fit"),
    (Slice, [0], [(2,)], r"begin\.\.\., size"),
    (Split, [0, 3], [(), (4,)], "not divisible"),
    (Split, [1, 1], [(), (4,)], "out of range"),
    (Pad, [1], [(2,)], r"\[lo, hi\]"),
    (Broadcast, [], [(2, 1)], "cannot broadcast"),
    (Rotate, [3], [(2, 2)], "out of range"),
])
def test_bad_specs(make_spec, cls, params, shapes, match):
    with pytest.raises(ModelError, match=match):
        cls(make_spec(cls.name, params, shapes, [(3, 3)]))


def test_concatenation_shape_error(make_spec, make_ctx):
    c = Concatenation(make_spec("Concatenation", [0], [(2, 2), (2, 3)], [(4, 2)]))
    with pytest.raises(ModelError, match=r"cannot concatenate \[2, 2\], \[2, 3\]"):
        c.forward_int([np.zeros((2, 2), np.int64), np.zeros((2, 3), np.int64)], make_ctx(1))
