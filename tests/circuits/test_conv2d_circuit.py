"""Conv2D's circuit in a one-layer model under the MockProver.

Stated bound (real inputs x, w, b quantized to q = rint(v sf), |q/sf - v| <= 0.5/sf):
|forward_int / sf - forward_float(x, w, b)| <= (2 + K (X + W)) / (2 sf), K the terms of a
sum (kh kw, times C for a regular convolution), X = max |x_q| / sf, W = max |w|:
- the rounding of acc / sf is off by <= 0.5 at scale sf: 0.5/sf;
- each term |x_q w_q / sf^2 - x w| <= |x_q/sf| |w_q/sf - w| + |w| |x_q/sf - x|
  <= (X + W) 0.5/sf, K terms;
- the bias quantization: 0.5/sf; relu and relu6 are 1-Lipschitz.

Honest circuits are accepted and their output cells (and the public instance tail) equal
a numpy reference; changed outputs, quotients, remainders, products (Freivalds' C and the
direct dot products) and powers of the Freivalds challenge are rejected.
"""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from gadget_circuit import add_to_cell, cell_value, kinds
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from layer_model import (
    GADGETS,
    F,
    LayerCircuit,
    bound_cells,
    check_honest,
    circuit_outputs,
    conv_acc_ref,
    conv_ref,
    forge_output,
    layer_model,
    mock,
    output_rows,
    quantize,
    rhu,
)
from zkml_plugins.gadgets.freivalds import Freivalds

from zkml_core.plonk.layouter import Cells

REALS = st.floats(-1, 1, allow_nan=False, allow_infinity=False)
BDR = "bias_div_round_relu6"


def conv_model(x, w, b, depthwise, same, strides, act, sf, num_cols=7):
    """A Conv2D model; x, w, b int64 (b None: no bias)."""
    n, h, wd, _ = x.shape
    kh, kw = w.shape[1], w.shape[2]
    out = conv_ref(x, w, b, depthwise, same, strides, act, sf).shape
    assert out[1:3] == ((-(-h // strides[0]), -(-wd // strides[1])) if same else
                        ((h - kh) // strides[0] + 1, (wd - kw) // strides[1] + 1))
    ops = [x, w] + ([] if b is None else [b])
    params = [int(depthwise), 0 if same else 1, act, *strides]
    return layer_model("Conv2D", params, ops, out, sf, num_cols=num_cols)


@st.composite
def conv_cases(draw, path):
    """Shapes for one path; "freivalds" draws wider products (most of them take it)."""
    depthwise, wide = path == "depthwise", path == "freivalds"
    same, bias = draw(st.booleans()), draw(st.booleans())
    kh, kw = draw(st.integers(1 + wide, 3)), draw(st.integers(1 + wide, 3))
    strides = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h = draw(st.integers(4 if wide else 1 if same else kh, 6 if wide else 5))
    wd = draw(st.integers(4 if wide else 1 if same else kw, 6 if wide else 5))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    o = c * draw(st.integers(1, 2)) if depthwise else draw(st.integers(3 if wide else 1,
                                                                       4 if wide else 3))
    w_shape = (1, kh, kw, o) if depthwise else (o, kh, kw, c)
    return dict(
        x=draw(hnp.arrays(np.float64, (n, h, wd, c), elements=REALS)),
        w=draw(hnp.arrays(np.float64, w_shape, elements=REALS)),
        b=draw(hnp.arrays(np.float64, (o,), elements=REALS)) if bias else None,
        depthwise=depthwise, same=same, strides=strides,
        act=draw(st.sampled_from([0, 1, 3])), sf=draw(st.sampled_from([1, 3, 8, 16])),
        num_cols=draw(st.sampled_from([5, 7, 10])))


@pytest.mark.parametrize("path", ["freivalds", "direct", "depthwise"])
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_conv2d_circuit_honest(path, data):
    case = data.draw(conv_cases(path))
    sf = case["sf"]
    x, w = quantize(case["x"], sf), quantize(case["w"], sf)
    b = None if case["b"] is None else quantize(case["b"], sf)
    geometry = (case["depthwise"], case["same"], case["strides"], case["act"])
    model, inputs = conv_model(x, w, b, *geometry, sf, case["num_cols"])
    circuit = LayerCircuit(model, inputs)
    assume(path == "depthwise" or ("freivalds" in circuit.gadget_names()) == (path == "freivalds"))
    reals = [case["x"], case["w"]] + ([] if b is None else [case["b"]])
    terms = w.shape[1] * w.shape[2] * (1 if case["depthwise"] else w.shape[3])
    bound = (2 + terms * (np.abs(x).max() / sf + np.abs(case["w"]).max())) / (2 * sf)
    check_honest(model, inputs, reals, bound, conv_ref(x, w, b, *geometry, sf))


# ---- fixed cases for the negative tests ------------------------------------------------------

SF = 16


def fixed_case(name):
    rng = np.random.default_rng(7)
    if name == "freivalds":  # 25 x 18 @ 18 x 3: the Freivalds check is cheaper
        x, w = rng.integers(-20, 20, (1, 5, 5, 2)), rng.integers(-20, 20, (3, 3, 3, 2))
        return (x, w, rng.integers(-20, 20, 3), False, True, (1, 1), 0)
    if name == "direct":  # a 1x1 output: direct dot products
        x, w = rng.integers(-20, 20, (1, 3, 3, 2)), rng.integers(-20, 20, (2, 3, 3, 2))
        return (x, w, rng.integers(-20, 20, 2), False, False, (1, 1), 0)
    if name == "depthwise":  # channel multiplier 2, stride 2, relu6
        x, w = rng.integers(-30, 30, (1, 4, 4, 2)), rng.integers(-30, 30, (1, 2, 2, 4))
        return (x, w, rng.integers(-20, 20, 4), True, False, (2, 2), 3)
    assert name == "relu"  # Freivalds, SAME with stride 2, no bias, relu
    x, w = rng.integers(-20, 20, (1, 5, 4, 2)), rng.integers(-20, 20, (3, 2, 3, 2))
    return (x, w, None, False, True, (2, 2), 1)


CASES = ["freivalds", "direct", "depthwise", "relu"]


def build(name, **kw):
    x, w, b, *geometry = fixed_case(name)
    model, inputs = conv_model(x, w, b, *geometry, SF)
    return LayerCircuit(model, inputs, **kw)


def failures(circuit, instances=None):
    return mock(circuit, instances).verify()


def test_fixed_cases_are_honest_and_take_the_expected_path():
    for name in CASES:
        circuit = build(name)
        prover = mock(circuit)
        assert prover.verify() == [], name
        x, w, b, *geometry = fixed_case(name)
        cells, _ = circuit_outputs(prover, circuit, circuit.instances(F))
        np.testing.assert_array_equal(cells, conv_ref(x, w, b, *geometry, SF))
        regions = {r.name for r in prover.asg.regions}
        freivalds = name in ("freivalds", "relu")
        assert ("freivalds" in circuit.gadget_names()) == freivalds, name
        assert ("freivalds_product" in regions) == freivalds, name
        # the shared-column dot product gadget (Freivalds has its own, on phase-1 columns)
        assert ("dot_product" in circuit.gadget_names()) == (not freivalds), name


@pytest.mark.parametrize("name", CASES)
def test_changed_output_cell_is_rejected(name):
    """The output cell and its public value both changed: the layer's own constraints
    (not the instance binding) reject it."""
    got = kinds(forge_output(lambda tamper: build(name, tamper=tamper)))
    assert got and {k for k, _ in got} <= {"gate", "lookup"}, got


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("role", [2, 3])  # quotient (+ bias), remainder
def test_changed_quotient_or_remainder_is_rejected(name, role):
    def tamper(circ, asg):
        add_to_cell(asg, circ.gadgets[BDR].last_cells[0, role], 1)

    # 7 columns: one op a row, so the gate has one constraint, named as the gate
    assert ("gate", BDR) in kinds(failures(build(name, tamper=tamper)))


@pytest.mark.parametrize("name", ["freivalds", "direct"])
@pytest.mark.parametrize("dq,dmod,expect", [(-1, 2 * SF, f"{BDR} remainder bound op0"),
                                            (1, -2 * SF, f"{BDR} remainder op0")])
def test_other_rounding_is_rejected_by_the_remainder_range(name, dq, dmod, expect):
    """div -/+ 1 (the output, and its public value) with mod +/- 2 sf keeps the gate and
    every copy (relu6's out follows): only the remainder's range check is left."""
    def more(circ, asg):
        cells = circ.gadgets[BDR].last_cells
        out = bound_cells(asg, more.rows)
        assert (out.gids[0], out.rows[0]) == (cells[0, 2].gids, cells[0, 2].rows)
        div = cell_value(asg, cells[0, 2]) - dq  # already changed
        add_to_cell(asg, cells[0, 3], dmod)
        add_to_cell(asg, cells[0, 4], int(np.clip(div + dq, 0, 6 * SF) - np.clip(div, 0, 6 * SF)))

    def make(tamper):
        circuit = build(name, tamper=tamper)
        more.rows = output_rows(circuit, circuit.instances(F))[:1]
        return circuit

    assert kinds(forge_output(make, dq, more)) == {("lookup", expect)}


def product_region_cell(circ, asg):
    (start,) = [r.start for r in asg.regions if r.name == "freivalds_product"]
    col = circ.gadgets["freivalds"].columns[0]
    return Cells(np.array([asg.gid(col)]), np.array([start]))


@pytest.mark.parametrize("name", ["freivalds", "relu"])
def test_changed_freivalds_product_cell_is_rejected(name):
    def tamper(circ, asg):
        add_to_cell(asg, product_region_cell(circ, asg), 1)

    got = kinds(failures(build(name, tamper=tamper)))
    assert "copy" in {k for k, _ in got}


def forged_freivalds(at, delta):
    """A Freivalds gadget whose prover commits C = X W + delta at ``at`` in phase 0 and
    uses that C everywhere after (the checks' copies, the division, the output)."""
    class Forged(Freivalds):
        def assign(self, layouter, x, w, c):
            if layouter.asg.mode == "mock" and delta:
                c.values[at] += delta
                add_to_cell(layouter.asg, c.cells[at], delta)
            return super().assign(layouter, x, w, c)
    return Forged


def test_forged_freivalds_product_is_rejected_by_the_check():
    """A wrong product entry whose rounded output is unchanged: the division, the output and
    its public value all agree with it, so only Freivalds' C r = X (W r) can reject it."""
    x, w, b, depthwise, same, strides, _ = fixed_case("freivalds")
    acc = conv_acc_ref(x, w, depthwise, same, strides).reshape(-1, w.shape[0])
    keeps = np.argwhere(rhu(acc + 1, SF) == rhu(acc, SF))
    at = tuple(int(v) for v in keeps[len(keeps) // 2])
    for delta, expect_fail in [(0, False), (1, True)]:
        gadgets = {**GADGETS, "freivalds": forged_freivalds(at, delta)}
        got = failures(build("freivalds", gadgets=gadgets))
        if not expect_fail:
            assert got == []
            continue
        assert len(got) == 1 and got[0].kind == "copy", got
        assert got[0].name.count("freivalds_") == 2, got  # X (W r) == C r, phase 1


@pytest.mark.parametrize("power", [0, 1, 2])
def test_changed_power_of_the_challenge_is_rejected(power):
    def tamper(circ, asg):
        add_to_cell(asg, circ.gadgets["freivalds"]._powers.cells[power], 1)

    got = kinds(failures(build("freivalds", tamper=tamper)))
    if power == 0:  # r_0 is a copy of the constant 1
        assert "copy" in {k for k, _ in got}
    else:
        assert ("gate", "freivalds_powers") in got


@pytest.mark.parametrize("name", ["direct", "depthwise"])
def test_forged_direct_dot_product_is_rejected(name):
    """The first dot product's result + 1, copied on into the division with the remainder
    + 2 (the rounded output unchanged): only the dot product's gate can reject it."""
    x, w, b, depthwise, same, strides, _ = fixed_case(name)
    acc0 = int(conv_acc_ref(x, w, depthwise, same, strides).reshape(-1)[0])
    assert rhu(acc0 + 1, SF) == rhu(acc0, SF), "pick a case whose first sum keeps its rounding"

    def tamper(circ, asg):
        dot = circ.gadgets["dot_product"]
        per = -(-(w.shape[1] * w.shape[2] * (1 if depthwise else w.shape[3])) // dot.slots)
        add_to_cell(asg, dot.last_cells[per - 1, dot.last_cells.shape[1] - 1], 1)
        bdr = circ.gadgets[BDR].last_cells
        add_to_cell(asg, bdr[0, 0], 1)
        add_to_cell(asg, bdr[0, 3], 2)

    got = kinds(failures(build(name, tamper=tamper)))
    assert got and got <= {("gate", "dot_product constraint first"),
                           ("gate", "dot_product constraint accumulate")}, got


def test_freivalds_challenge_comes_after_the_product():
    """The soundness of Freivalds' check needs rho drawn after C, X and W are committed:
    C and X sit in phase-0 advice columns (W in the fixed constants column), rho is usable
    after phase 0, and the powers and checks use phase-1 columns."""
    circuit = build("freivalds")
    prover = mock(circuit)
    g = circuit.gadgets["freivalds"]
    assert g.challenge.phase == 0
    assert {c.phase for c in g.columns} == {0} and g.powers_col.phase == 1
    assert {c.phase for c in g.phase1} == {1}
    (start,) = [r.start for r in prover.asg.regions if r.name == "freivalds_product"]
    cell = product_region_cell(circuit, prover.asg)
    assert prover.asg.column_of(int(cell.gids[0])).phase == 0 and cell.rows[0] == start
