"""Circuits of the re-indexing layers (Pad, Transpose, Concatenation, Noop, Permute, Slice,
Split, Broadcast, Rotate, ResizeNearestNeighbor, Pack) and MaskNegInf.

Their outputs are the inputs' own cells, and constant cells (Pad's zeros, MaskNegInf's
min_val): no rows, no new advice a prover could choose. Each case: ``forward_int`` and
the circuit's output cells and public values equal a numpy reference written here from
the layer's meaning; the layer uses 0 rows; a changed public output is rejected, and so
is a changed output cell with its public value (the cell is an input cell, bound to the
public input too).
"""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from builtin_layer_model import (
    AnyLayerCircuit,
    changed_public_output_fails,
    check_honest,
    one_layer,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_model import bound_cells, forge_output, output_rows

from zkml_core.arith.field import BN254_FR

# public inputs and outputs stay below the 2^10 - 6 usable rows: the instance column is
# not counted by rows_needed
SF, K = 4, 10
MIN_VAL = -(2 ** (K - 1))
VALUES = st.integers(-60, 60)


def ints(shape):
    return hnp.arrays(np.int64, shape, elements=VALUES)


def shapes(min_dims=1, max_dims=4, max_side=4):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def letters(n):
    return "abcdef"[:n]


@st.composite
def pad_case(draw):
    x = draw(ints(draw(shapes(max_dims=3))))
    pads = [(draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in x.shape]
    want = np.zeros([d + lo + hi for d, (lo, hi) in zip(x.shape, pads, strict=True)], np.int64)
    want[tuple(slice(lo, lo + d) for d, (lo, _) in zip(x.shape, pads, strict=True))] = x
    return "Pad", [v for p in pads for v in p], [x], [want], 1


@st.composite
def transpose_case(draw):
    x = draw(ints(draw(shapes())))
    read = draw(st.sampled_from([x.shape, (x.size,), (1, *x.shape)]))
    perm = draw(st.permutations(range(len(read))))
    src = letters(len(read))
    want = np.einsum(f"{src}->{''.join(src[p] for p in perm)}", x.reshape(read))
    return "Transpose", [*read, *perm], [x], [want], 1


@st.composite
def concat_case(draw):
    base = draw(shapes(max_side=3))
    axis = draw(st.integers(0, len(base) - 1))
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    parts = [draw(ints(base[:axis] + (n,) + base[axis + 1:])) for n in sizes]
    want = np.zeros(base[:axis] + (sum(sizes),) + base[axis + 1:], np.int64)
    start = 0
    for p, n in zip(parts, sizes, strict=True):
        want[(slice(None),) * axis + (slice(start, start + n),)] = p
        start += n
    return "Concatenation", [axis], parts, [want], len(parts)


@st.composite
def noop_case(draw):
    xs = [draw(ints(draw(shapes()))) for _ in range(draw(st.integers(1, 3)))]
    index = draw(st.integers(0, len(xs) - 1))
    return "Noop", [index], xs, [xs[index]], len(xs)


@st.composite
def permute_case(draw):
    x = draw(ints(draw(shapes())))
    perm = draw(st.permutations(range(x.ndim)))
    src = letters(x.ndim)
    return "Permute", perm, [x], [np.einsum(f"{src}->{''.join(src[p] for p in perm)}", x)], 1


@st.composite
def slice_case(draw):
    x = draw(ints(draw(shapes())))
    begins = [draw(st.integers(0, d - 1)) for d in x.shape]
    sizes = [draw(st.sampled_from([-1, *range(1, d - b + 1)]))
             for d, b in zip(x.shape, begins, strict=True)]
    ranges = [np.arange(b, d if s == -1 else b + s)
              for d, b, s in zip(x.shape, begins, sizes, strict=True)]
    return "Slice", begins + sizes, [x], [x[np.ix_(*ranges)]], 1


@st.composite
def split_case(draw):
    shape = list(draw(shapes(max_side=3)))
    axis = draw(st.integers(0, len(shape) - 1))
    parts = draw(st.integers(1, 3))
    shape[axis] *= parts
    x = draw(ints(tuple(shape)))
    n = shape[axis] // parts
    want = [np.take(x, np.arange(i * n, (i + 1) * n), axis=axis) for i in range(parts)]
    return "Split", [axis, parts], [np.array([axis]), x], want, 2


@st.composite
def broadcast_case(draw):
    src = draw(shapes())
    reps = [draw(st.integers(1, 3)) if d == 1 else 1 for d in src]
    x = draw(ints(src))
    return "Broadcast", [], [x], [np.tile(x, reps)], 1


@st.composite
def rotate_case(draw):
    x = draw(ints(draw(shapes())))
    axes = draw(st.lists(st.integers(0, x.ndim - 1), max_size=x.ndim))
    want = x[tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(x.ndim))]
    return "Rotate", axes, [x], [want], 1


@st.composite
def resize_case(draw):
    """Whole upscale factors f (and 1): the source of output o is o // f for both
    half_pixel_centers settings ((o + 0.5) / f has the same floor)."""
    n, h, w, c = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3)),
                  draw(st.integers(1, 2)))
    fh, fw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    x = draw(ints((n, h, w, c)))
    want = np.repeat(np.repeat(x, fh, axis=1), fw, axis=2)
    return "ResizeNearestNeighbor", [0, draw(st.integers(0, 1))], [x], [want], 1


@st.composite
def pack_case(draw):
    shape = draw(shapes(max_dims=3))
    xs = [draw(ints(shape)) for _ in range(draw(st.integers(1, 3)))]
    axis = draw(st.integers(0, 1 if shape else 0))
    want = np.zeros(shape[:axis] + (len(xs),) + shape[axis:], np.int64)
    for i, x in enumerate(xs):
        want[(slice(None),) * axis + (i,)] = x
    return "Pack", [axis], xs, [want], len(xs)


@st.composite
def mask_case(draw):
    x = draw(ints(draw(shapes(max_dims=3))))
    mshape = tuple(draw(st.sampled_from([1, d])) for d in x.shape)
    mask = draw(hnp.arrays(np.int64, mshape, elements=st.integers(0, 1)))
    want = np.where(np.broadcast_to(mask, x.shape) == 1, MIN_VAL, x)
    params = [mask.ndim, *mask.shape, *mask.reshape(-1).tolist()]
    return "MaskNegInf", params, [x], [want], 1


CASES = {"Pad": pad_case(), "Transpose": transpose_case(), "Concatenation": concat_case(),
         "Noop": noop_case(), "Permute": permute_case(), "Slice": slice_case(),
         "Split": split_case(), "Broadcast": broadcast_case(), "Rotate": rotate_case(),
         "ResizeNearestNeighbor": resize_case(), "Pack": pack_case(),
         "MaskNegInf": mask_case()}


@pytest.mark.parametrize("layer", list(CASES))
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_reindexing_circuit(layer, data):
    layer_type, params, operands, want, n_inputs = data.draw(CASES[layer])
    model, inputs = one_layer(layer_type, params, operands, [w.shape for w in want], SF,
                              n_inputs=n_inputs, k=K)
    circuit, prover = check_honest(model, inputs, want, rows=0)
    if not sum(w.size for w in want):
        return
    assert changed_public_output_fails(circuit)
    assert changed_public_output_fails(circuit, delta=-7)
    first = bound_cells(prover.asg, output_rows(circuit, circuit.instances(BN254_FR))[:1])
    if int(first.gids[0]) != prover.asg.gid(prover.asg.cs.constants[0]):
        assert forge_output(lambda tamper: AnyLayerCircuit(model, inputs, tamper=tamper))


def test_pad_cells_are_the_constant_zero():
    """The padding is a fixed cell (bound by the verifying key), not advice."""
    x = np.arange(1, 7).reshape(2, 3)
    want = np.pad(x, ((1, 0), (0, 2)))
    model, inputs = one_layer("Pad", [1, 0, 0, 2], [x], [want.shape], SF, k=K)
    circuit, prover = check_honest(model, inputs, [want], rows=0)
    asg = prover.asg
    cells = bound_cells(asg, output_rows(circuit, circuit.instances(BN254_FR)))
    fixed = asg.gid(asg.cs.constants[0])
    is_fixed = (cells.gids == fixed).reshape(want.shape)
    np.testing.assert_array_equal(is_fixed, want == 0)  # x has no zeros
    inputs_cells = np.flatnonzero(~is_fixed.reshape(-1))
    assert math.prod(x.shape) == inputs_cells.size
