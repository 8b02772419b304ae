"""Circuits of the computing layers beyond the MNIST slice, in one-layer models.

Each layer: hypothesis cases whose ``forward_int``, output cells and public values equal a
numpy reference written here from the layer's integer semantics (plugins/layers'
docstrings), every listed gadget laid out; then a changed public output, a changed output
cell with its public value (what a prover claiming another result does) and a changed
intermediate cell are each rejected by the constraint that should catch them.
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
from gadget_circuit import add_to_cell, kinds
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_model import forge_output, mock, rhu

from zkml_core.plonk.layouter import Cells

SETTINGS = settings(max_examples=6, deadline=None)


def ints(shape, lo, hi):
    return hnp.arrays(np.int64, shape, elements=st.integers(lo, hi))


def region_cell(asg, name, column=0, offset=0) -> Cells:
    """The cell of shared advice column ``column`` at ``offset`` in the first region
    ``name``."""
    region = next(r for r in asg.regions if r.name == name)
    return Cells(asg.gid(asg.cs.advice[column]), region.start + offset)


def forged(model, inputs, delta=1, more=None):
    """forge_output of the first output of this one-layer model: the failures' kinds."""
    return kinds(forge_output(lambda t: AnyLayerCircuit(model, inputs, tamper=t), delta, more))


def tampered(model, inputs, tamper):
    return kinds(mock(AnyLayerCircuit(model, inputs, tamper=tamper)).verify())


def changed_gadget_cell(model, inputs, gadget, at):
    """The failures' kinds when the cell ``at`` (row, column) of the gadget's last region
    is +1."""
    return tampered(model, inputs, lambda c, asg: add_to_cell(
        asg, c.gadgets[gadget].last_cells[at], 1))


# ---- FullyConnected -----------------------------------------------------------------------

@st.composite
def fc_cases(draw):
    rows, width, units = draw(st.integers(1, 4)), draw(st.integers(1, 6)), draw(st.integers(1, 5))
    lead = draw(st.sampled_from([(rows,), (1, rows)]))
    x = draw(ints(lead + (width,), -20, 20))
    w = draw(ints((units, width), -20, 20))
    bias = draw(st.none() | ints((units,), -20, 20))
    return x, w, bias, draw(st.sampled_from([0, 1])), draw(st.sampled_from([4, 8, 16]))


def fc_model(x, w, bias, act, sf):
    out = rhu(x.reshape(-1, x.shape[-1]) @ w.T, sf) + (0 if bias is None else bias)
    if act == 1:
        out = np.maximum(out, 0)
    operands = [x, w] + ([] if bias is None else [bias])
    model, inputs = one_layer("FullyConnected", [act], operands, [out.shape], sf, k=11)
    return model, inputs, out


@SETTINGS
@given(fc_cases())
def test_fully_connected_circuit(case):
    model, inputs, want = fc_model(*case)
    circuit, _ = check_honest(model, inputs, [want])
    assert changed_public_output_fails(circuit)


@pytest.mark.parametrize("rows", [1, 4])  # dot products; Freivalds (4 x 6 x 5)
@pytest.mark.parametrize("act", [0, 1])
def test_fully_connected_forgeries_rejected(rows, act):
    rng = np.random.default_rng(rows + 10 * act)
    x, w = rng.integers(-20, 20, (rows, 6)), rng.integers(-20, 20, (5, 6))
    model, inputs, _ = fc_model(x, w, rng.integers(-9, 9, 5), act, 8)
    gadgets = AnyLayerCircuit(model, inputs).gadget_names()
    assert ("freivalds" in gadgets) == (rows == 4)
    last = "relu" if act else "bias_div_round_relu6"
    assert ("lookup" if act else "gate", f"{last} {'op0' if act else 'constraint op0'}") \
        in forged(model, inputs)
    # a changed product (before the rounded division)
    if rows == 1:  # the running sum on the first row of the first dot product
        got = changed_gadget_cell(model, inputs, "dot_product", (0, -1))
        assert got == {("gate", "dot_product constraint first"),
                       ("gate", "dot_product constraint accumulate")}
    else:  # the product cell C[0, 0]: its copies into the division and Freivalds' check
        # (test_conv2d_circuit forges a C consistent with every copy: the check rejects it)
        got = tampered(model, inputs, lambda c, asg: add_to_cell(
            asg, region_cell(asg, "freivalds_product"), 1))
        assert {k for k, _ in got} == {"copy"}


# ---- MaxPool2D ----------------------------------------------------------------------------

def max_pool_ref(x, window, strides):
    n, h, w, c = x.shape
    (fh, fw), (sh, sw) = window, strides
    oh, ow = (h - fh) // sh + 1, (w - fw) // sw + 1
    out = np.full((n, oh, ow, c), np.iinfo(np.int64).min)
    for a in range(fh):
        for b in range(fw):
            out = np.maximum(out, x[:, a:a + (oh - 1) * sh + 1:sh, b:b + (ow - 1) * sw + 1:sw])
    return out


@SETTINGS
@given(data=st.data())
def test_max_pool_circuit(data):
    fh, fw = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    strides = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    shape = (data.draw(st.integers(1, 2)), data.draw(st.integers(fh, 5)),
             data.draw(st.integers(fw, 5)), data.draw(st.integers(1, 2)))
    x = data.draw(ints(shape, -200, 200))
    want = max_pool_ref(x, (fh, fw), strides)
    model, inputs = one_layer("MaxPool2D", [fh, fw, *strides], [x], [want.shape], 4,
                              num_cols=data.draw(st.sampled_from([3, 7, 10])))
    circuit, _ = check_honest(model, inputs, [want])
    assert changed_public_output_fails(circuit)


@pytest.mark.parametrize("first", [(5, -3), (-3, 5)])
def test_max_pool_claiming_the_smaller_value_is_rejected(first):
    """Windows of two: the first output forged to its window's smaller value satisfies
    the gate (the output is one of the two), only a range lookup rejects it."""
    x = np.array([[[[first[0]], [first[1]], [7], [1]]]])
    model, inputs = one_layer("MaxPool2D", [1, 2, 1, 2], [x], [(1, 1, 2, 1)], 4)
    check_honest(model, inputs, [np.array([[[[max(first)], [7]]]])])
    got = forged(model, inputs, delta=min(first) - max(first))
    assert got and {k for k, _ in got} == {"lookup"}
    assert got <= {("lookup", "max not below a op0"), ("lookup", "max not below b op0")}
    assert forged(model, inputs, delta=1) >= {("gate", "max constraint op0")}


# ---- table layers: Logistic, Tanh, Sqrt, Rsqrt, Pow -----------------------------------------

TABLE_K = 10
MIN_VAL, MAX_VAL = -(2 ** (TABLE_K - 1)), 2 ** (TABLE_K - 1) - 10


def _sigmoid(v):
    try:
        return 1.0 / (1.0 + math.exp(-v))
    except OverflowError:  # e^-v beyond f64: sigmoid is 0 (Rust gives 1 / inf)
        return 0.0


def _rsqrt(v):
    if v < 0:
        return math.nan
    return math.inf if v == 0 else 1.0 / math.sqrt(v)


# (layer, params, f(v) in f64 as zkml's Rust table computes it)
TABLES = {
    "Logistic": ([], _sigmoid),
    "Tanh": ([], math.tanh),
    "Sqrt": ([], lambda v: math.sqrt(v) if v >= 0 else math.nan),
    "Rsqrt": ([], _rsqrt),
    "Pow": ([3], lambda v: v ** 3),
}


def table_ref(fn, x, sf):
    """round(f(x / sf) * sf) with Rust's f64 round and saturating cast; x = min_val -> 0."""
    out = []
    for v in x.reshape(-1).tolist():
        y = fn(v / sf) * sf
        if v == MIN_VAL or math.isnan(y):
            out.append(0)
        elif math.isinf(y) or abs(y) >= 2.0**63:
            out.append(2**63 - 1 if y > 0 else -(2**63))
        else:
            out.append(int(math.copysign(math.floor(abs(y) + 0.5), y)))
    return np.array(out, dtype=np.int64).reshape(x.shape)


@pytest.mark.parametrize("layer", list(TABLES))
@SETTINGS
@given(data=st.data())
def test_table_layer_circuit(layer, data):
    params, fn = TABLES[layer]
    x = data.draw(ints(data.draw(hnp.array_shapes(max_dims=3, max_side=4)), MIN_VAL, MAX_VAL))
    sf = data.draw(st.sampled_from([1, 4, 16, 64]))
    mask = []
    if layer in ("Sqrt", "Rsqrt"):  # (flat index, +1 | -1): the input becomes max_val / min_val
        pairs = data.draw(st.lists(st.tuples(st.integers(0, x.size - 1), st.sampled_from([1, -1])),
                                   max_size=3))
        mask = [v for p in pairs for v in p]
        masked = x.reshape(-1).copy()
        for i, sign in pairs:
            masked[i] = MAX_VAL if sign == 1 else MIN_VAL
        want = table_ref(fn, masked.reshape(x.shape), sf)
    else:
        want = table_ref(fn, x, sf)
    model, inputs = one_layer(layer, params, [x], [x.shape], sf, k=TABLE_K,
                              num_cols=data.draw(st.sampled_from([3, 5, 10])), mask=mask)
    circuit, _ = check_honest(model, inputs, [want])
    assert changed_public_output_fails(circuit)
    gadget = layer.lower()
    assert forged(model, inputs) == {("lookup", f"{gadget} op0")}


# ---- Softmax ------------------------------------------------------------------------------

def softmax_ref(x, keep, sf):
    """zkml's steps per row of the last axis over the unmasked entries: m = max, e =
    round(e^((x - m) / sf) sf^2), s = round_half_up(sum e / sf), out = round_half_up(e / s);
    masked entries and all-masked rows 0."""
    rows, flags = x.reshape(-1, x.shape[-1]), keep.reshape(-1, x.shape[-1])
    out = np.zeros(rows.shape, dtype=np.int64)
    for i, (row, kept) in enumerate(zip(rows, flags, strict=True)):
        if not kept.any():
            continue
        vals = row[kept]
        e = np.array([math.floor(math.exp((v - vals.max()) / sf) * float(sf * sf) + 0.5)
                      for v in vals.tolist()], dtype=np.int64)
        out[i, kept] = rhu(e, rhu(e.sum(), sf))
    return out.reshape(x.shape)


@st.composite
def softmax_cases(draw):
    shape = draw(st.sampled_from([(2, 5), (3, 1), (1, 7), (2, 2, 3), (1, 2, 2, 4)]))
    x = draw(ints(shape, -200, 200))
    keep, params = np.ones(shape, bool), []
    if draw(st.booleans()):  # zkml's mask params: [ndim, shape..., values...], 1 = masked
        mshape = tuple(draw(st.sampled_from([1, d])) for d in shape)
        mask = draw(ints(mshape, 0, 1))
        keep = np.broadcast_to(mask == 0, shape)
        params = [mask.ndim, *mask.shape, *mask.reshape(-1).tolist()]
    return x, keep, params, draw(st.sampled_from([4, 8, 16])), draw(st.sampled_from([10, 19]))


@SETTINGS
@given(softmax_cases())
def test_softmax_circuit(case):
    x, keep, params, sf, num_cols = case
    want = softmax_ref(x, keep, sf)
    model, inputs = one_layer("Softmax", params, [x], [x.shape], sf, num_cols=num_cols)
    circuit, _ = check_honest(model, inputs, [want])
    assert changed_public_output_fails(circuit)


def test_softmax_forgeries_rejected():
    x = np.array([[30, -12, 7, 7, 50], [3, 1, 2, -60, 0]])
    model, inputs = one_layer("Softmax", [], [x], [x.shape], 8)
    check_honest(model, inputs, [softmax_ref(x, np.ones(x.shape, bool), 8)])
    assert ("gate", "var_div_round_big3 constraint op0 division") in forged(model, inputs)
    # another exponential of the first entry: its table lookup fails
    got = changed_gadget_cell(model, inputs, "exp", (0, 1))
    assert ("lookup", "exp op0") in got
    # another row maximum: the max gadget (the winner differs from both candidates)
    got = tampered(model, inputs, lambda c, asg: add_to_cell(
        asg, region_cell(asg, "max", column=2), -1))
    assert ("gate", "max constraint op0") in got


def test_softmax_all_masked_row_is_constant_zero():
    x = np.array([[5, 6, 7], [1, 2, 3]])
    params = [2, 2, 1, 1, 0]  # mask [[1], [0]]: the first row entirely
    model, inputs = one_layer("Softmax", params, [x], [x.shape], 8)
    want = softmax_ref(x, np.array([[False] * 3, [True] * 3]), 8)
    assert (want[0] == 0).all()
    check_honest(model, inputs, [want])


# ---- Mean ---------------------------------------------------------------------------------

@SETTINGS
@given(data=st.data())
def test_mean_circuit(data):
    shape = (1, *data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)))
    keep = data.draw(st.integers(1, len(shape) - 1))
    x = data.draw(ints(shape, -200, 200))
    axes = [a for a in range(1, len(shape)) if a != keep]
    count = x.size // shape[keep]
    want = rhu(np.moveaxis(x, keep, 0).reshape(shape[keep], -1).sum(axis=1), count)
    out_shape = data.draw(st.sampled_from([(shape[keep],), (1, shape[keep])]))
    model, inputs = one_layer("Mean", axes, [x], [out_shape], 4)
    circuit, _ = check_honest(model, inputs, [want.reshape(out_shape)])
    assert changed_public_output_fails(circuit)
    assert ("gate", "var_div_round constraint op0") in forged(model, inputs)


def test_mean_large_count_takes_the_three_limb_division():
    """A count beyond var_div_round's remainder check at k = 8 (2 count > 2^8 - 9); the
    input is a fixed tensor (the instance column holds only the outputs)."""
    x = np.random.default_rng(3).integers(-100, 100, (1, 2, 16, 8))
    want = rhu(x.reshape(2, -1).sum(axis=1), 128).reshape(1, 2)
    model, inputs = one_layer("Mean", [2, 3], [x], [(1, 2)], 4, k=8, n_inputs=0)
    circuit, _ = check_honest(model, inputs, [want])
    assert "var_div_round" not in circuit.gadget_names()
    assert ("gate", "var_div_round_big3 constraint op0 division") in forged(model, inputs)


# ---- Square, SquaredDifference, Div, DivVar, BatchMatMul -----------------------------------

SFS = st.sampled_from([1, 4, 8, 16])


@SETTINGS
@given(data=st.data())
def test_square_circuit(data):
    x = data.draw(ints(data.draw(hnp.array_shapes(max_dims=3, max_side=4)), -40, 40))
    sf = data.draw(SFS.filter(lambda s: s > 1))
    model, inputs = one_layer("Square", [], [x], [x.shape], sf)
    circuit, _ = check_honest(model, inputs, [rhu(x * x, sf)])
    assert changed_public_output_fails(circuit)
    assert ("gate", "var_div_round constraint op0") in forged(model, inputs)
    got = changed_gadget_cell(model, inputs, "square", (0, 1))
    assert ("gate", "square constraint op0") in got


@SETTINGS
@given(data=st.data())
def test_squared_difference_circuit(data):
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3,
                                                        max_side=3))
    a, b = (data.draw(ints(s, -20, 20)) for s in shapes.input_shapes)
    sf = data.draw(SFS.filter(lambda s: s > 1))
    n_inputs = data.draw(st.sampled_from([1, 2]))
    model, inputs = one_layer("SquaredDifference", [], [a, b], [shapes.result_shape], sf,
                              n_inputs=n_inputs)
    circuit, _ = check_honest(model, inputs, [rhu((a - b) ** 2, sf)])
    assert changed_public_output_fails(circuit)
    got = changed_gadget_cell(model, inputs, "squared_diff", (0, 2))
    assert ("gate", "squared_diff constraint op0") in got


@SETTINGS
@given(data=st.data())
def test_div_circuit(data):
    """Constant divisors; 600 is beyond var_div_round's remainder check at k = 10."""
    x = data.draw(ints(data.draw(hnp.array_shapes(max_dims=3, max_side=4)), -500, 500))
    divisor = data.draw(st.sampled_from([1, 2, 3, 7, 600]))
    model, inputs = one_layer("Div", [divisor], [x], [x.shape], 4)
    circuit, _ = check_honest(model, inputs, [rhu(x, divisor)])
    big = "var_div_round_big3" in circuit.gadget_names()
    assert big == (divisor == 600)
    assert changed_public_output_fails(circuit)
    gate = "var_div_round_big3 constraint op0 division" if big else \
        "var_div_round constraint op0"
    assert ("gate", gate) in forged(model, inputs)


@SETTINGS
@given(data=st.data())
def test_div_var_circuit(data):
    a = data.draw(ints(data.draw(hnp.array_shapes(max_dims=3, max_side=4)), -60, 60))
    b = np.array([data.draw(st.integers(1, 40))])
    sf = data.draw(st.sampled_from([1, 2, 4]))
    model, inputs = one_layer("DivVar", [], [a, b], [a.shape], sf,
                              n_inputs=data.draw(st.sampled_from([1, 2])))
    circuit, _ = check_honest(model, inputs, [rhu(a * sf, int(b[0]))])
    assert changed_public_output_fails(circuit)
    assert ("gate", "var_div_round constraint op0") in forged(model, inputs)


def test_div_var_divisor_is_the_bound_cell():
    """The division's divisor cells are copies of the divisor input: another divisor in
    the division's rows breaks the copy."""
    a, b = np.array([[9, -4, 30]]), np.array([6])
    model, inputs = one_layer("DivVar", [], [a, b], [a.shape], 4, n_inputs=2)
    check_honest(model, inputs, [rhu(a * 4, 6)])
    got = tampered(model, inputs, lambda c, asg: add_to_cell(
        asg, c.gadgets["var_div_round"].last_divisor_cells[0], 1))
    assert "copy" in {k for k, _ in got}


def bmm_ref(a, b, adj_y, sf):
    bt = np.swapaxes(b, 1, 2) if adj_y else b
    return rhu(np.einsum("bmk,bkn->bmn", a, bt), sf)


@SETTINGS
@given(data=st.data())
def test_batch_mat_mul_circuit(data):
    bsz, m, kdim, n = (data.draw(st.integers(1, 5)) for _ in range(4))
    adj_y = data.draw(st.sampled_from([0, 1]))
    a = data.draw(ints((bsz, m, kdim), -10, 10))
    b = data.draw(ints((bsz, n, kdim) if adj_y else (bsz, kdim, n), -10, 10))
    sf = data.draw(st.sampled_from([2, 4]))
    model, inputs = one_layer("BatchMatMul", [0, adj_y], [a, b], [(bsz, m, n)], sf,
                              n_inputs=data.draw(st.sampled_from([1, 2])))
    circuit, _ = check_honest(model, inputs, [bmm_ref(a, b, adj_y, sf)])
    assert changed_public_output_fails(circuit)
    assert ("gate", "var_div_round constraint op0") in forged(model, inputs)


@pytest.mark.parametrize("m", [1, 5])  # dot products; Freivalds (5 x 4 x 5)
def test_batch_mat_mul_changed_product_rejected(m):
    rng = np.random.default_rng(m)
    a, b = rng.integers(-9, 9, (2, m, 4)), rng.integers(-9, 9, (2, 4, 5))
    model, inputs = one_layer("BatchMatMul", [0, 0], [a, b], [(2, m, 5)], 4, n_inputs=2)
    circuit, _ = check_honest(model, inputs, [bmm_ref(a, b, 0, 4)])
    assert ("freivalds" in circuit.gadget_names()) == (m == 5)
    if m == 1:
        got = changed_gadget_cell(model, inputs, "dot_product", (0, -1))
        assert ("gate", "dot_product constraint first") in got
    else:  # the second batch's product region
        got = tampered(model, inputs, lambda c, asg: add_to_cell(
            asg, Cells(asg.gid(asg.cs.advice[0]),
                       [r.start for r in asg.regions if r.name == "freivalds_product"][1]), 1))
        assert {k for k, _ in got} == {"copy"}
