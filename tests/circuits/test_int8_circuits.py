"""int8 TFLite models as circuits: the int8 layer plugins (QConv2D, QFullyConnected,
QAddSub, QMul, QAveragePool2D, QMaxPool2D, QReshape) through the requantize,
rounded_average, max, Freivalds / dot product and pairwise gadgets.

Random small int8 CNNs (tests/convert/random_int8_models.py) and the bundled int8 demo
are converted, the MockProver accepts their circuits, and the public outputs equal
TFLite's reference interpreter (BUILTIN_REF kernels) bit for bit; a changed public
output (with its cell) and a changed Freivalds product are rejected. The demo's KZG proof
verifies and binds its logits. The layers' constants (zero points, multipliers, clamps,
counts) are fixed columns, the same for every witness and keygen. Inputs must be int8
codes (the range_check gadget). The gadgets' forged-witness tests are tests/gadgets/test_requantize.py, test_rounded_average.py and
test_int8_any_cell.py.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from builtin_layer_model import (
    LAYERS,
    AnyLayerCircuit,
    changed_public_output_fails,
    gadgets_laid_out,
)
from gadget_circuit import add_to_cell
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from layer_model import F, circuit_k, forge_output, mock, output_rows

from zkml_core.convert.converter import ConvertOptions, convert
from zkml_core.convert.inputs import scale_inputs
from zkml_core.convert.tflite_reader import parse_tflite
from zkml_core.model import Tensor, load_model
from zkml_core.plonk import create_proof, keygen_pk, keygen_vk, verify_proof
from zkml_core.plonk.circuit import configure, synthesize
from zkml_core.plonk.layouter import Cells
from zkml_core.plugins import Registry

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"int8_{name}",
                                                  ROOT / "tests" / "convert" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


refs = _load("tflite_refs")
random_int8 = _load("random_int8_models")


def public_outputs(circuit, inst):
    return np.array([v if v <= F.p // 2 else v - F.p
                     for v in (inst[0][r] for r in output_rows(circuit, inst))])


def circuit_of(model, inputs, tamper=None):
    return AnyLayerCircuit(model, inputs, tamper=tamper)


def check_model(data, xq, *, forge=False):
    """Convert (k 10: 9-bit limbs, 10 columns), MockProver, outputs vs the interpreter."""
    (want,) = refs.run_interpreter(data, xq)
    model = convert(parse_tflite(data, "int8.tflite"), LAYERS, ConvertOptions(k=10, num_cols=10))
    (idx,) = model.inp_idxes
    inputs = [Tensor(idx=idx, shape=xq.shape, data=xq.astype(np.int64).ravel())]
    circuit = circuit_of(model, inputs)
    inst = circuit.instances(F)
    prover = mock(circuit, inst)
    assert prover.verify() == [], model.layer_types()
    np.testing.assert_array_equal(public_outputs(circuit, inst), want.reshape(-1))
    # every gadget the layers list lays out a region (the circuit refuses unlisted ones)
    assert set(circuit.gadget_names()) - {"input_lookup"} <= gadgets_laid_out(prover.asg)
    if forge:
        assert changed_public_output_fails(circuit)
        # the output cell changed too: the layer's own constraints see it
        assert forge_output(lambda tamper: circuit_of(model, inputs, tamper)) != []
    return model


SLOW = [HealthCheck.too_slow, HealthCheck.filter_too_much]


@settings(max_examples=25, deadline=None, suppress_health_check=SLOW)
@given(random_int8.random_int8_cnn())
def test_random_int8_model_circuit(case):
    check_model(*case)


@pytest.mark.parametrize("op", [*random_int8.OPS, "FULLY_CONNECTED"])
@settings(max_examples=3, deadline=None, suppress_health_check=SLOW)
@given(data=st.data())
def test_each_int8_op_circuit(op, data):
    """Models whose body is only ``op`` (FULLY_CONNECTED: any body, then the RESHAPE +
    FULLY_CONNECTED head); a forged output is rejected."""
    ops = random_int8.OPS if op == "FULLY_CONNECTED" else (op,)
    case = data.draw(random_int8.random_int8_cnn(ops=ops, head=op == "FULLY_CONNECTED"))
    model = check_model(*case, forge=True)
    want = {"CONV_2D": "QConv2D", "DEPTHWISE_CONV_2D": "QConv2D", "AVERAGE_POOL_2D":
            "QAveragePool2D", "MAX_POOL_2D": "QMaxPool2D", "ADD": "QAddSub", "SUB": "QAddSub",
            "MUL": "QMul", "FULLY_CONNECTED": "QFullyConnected"}[op]
    assert want in model.layer_types()


def test_bundled_int8_demo(zkml_cli, tmp_path):
    """`zkml convert` takes the int8 demo (defaults, and with range analysis: k 10 for the
    values, raised to what the layout needs); its circuit passes the MockProver with the interpreter's logits as public
    outputs (argmax: the sample's label); a changed logit or Freivalds product fails."""
    src = DEMO / "digits_cnn_int8.tflite"
    out = tmp_path / "m.msgpack"
    code, _, err = zkml_cli("convert", str(src), "-o", str(out))
    assert code == 0, err
    assert load_model(out).layer_types() == ["QAveragePool2D", "QConv2D"]
    code, stdout, err = zkml_cli("convert", str(src), "-o", str(out), "--calibrate",
                                 str(DEMO / "digit_calibration.npy"), "--check", "--json")
    assert code == 0, err
    summary = json.loads(stdout)
    # range analysis asks k 10 for int8 codes; the circuit's layout may raise it
    assert summary["k"] >= 10 and summary["rows"] <= 2 ** summary["k"]
    assert summary["tflite_max_abs_error"] == [0.0]
    model = load_model(out)
    x = np.load(DEMO / "digit_input.npy")
    inputs = scale_inputs(model, [x])
    (want,) = refs.run_interpreter(src.read_bytes(), inputs[0].array().astype(np.int8))
    circuit = circuit_of(model, inputs)
    inst = circuit.instances(F)
    assert mock(circuit, inst).verify() == []
    logits = public_outputs(circuit, inst)
    np.testing.assert_array_equal(logits, want.reshape(-1))
    label = json.loads((DEMO / "digit_input.json").read_text())["label"]
    assert int(np.argmax(logits)) == label
    assert changed_public_output_fails(circuit)

    def product(circ, asg):  # a product of the first convolution (Freivalds' check)
        start = next(r.start for r in asg.regions if r.name == "freivalds_product")
        column = circ.gadgets["freivalds"].columns[0]
        add_to_cell(asg, Cells(np.array([asg.gid(column)]), np.array([start])), 1)

    assert mock(circuit_of(model, inputs, product)).verify() != []


def test_int8_demo_kzg_proof():
    """A real proof: the verifying key from a circuit without inputs (the gadgets' fixed
    constants come from the layer params only), the proof verifies and binds the logits."""
    src = DEMO / "digits_cnn_int8.tflite"
    model = convert(parse_tflite(src.read_bytes(), "demo_int8.tflite"), LAYERS,
                    ConvertOptions(k=10, num_cols=10))
    inputs = scale_inputs(model, [np.load(DEMO / "digit_input.npy")])
    backend = Registry().backends()["kzg"]()
    circuit = AnyLayerCircuit(model, inputs, field=backend.scalar_field)
    params = backend.setup(circuit_k(circuit))
    keyed = AnyLayerCircuit(model, None, field=backend.scalar_field)
    vk = keygen_vk(backend, params, keyed)
    pk = keygen_pk(backend, params, keyed, vk)
    inst = circuit.instances(backend.scalar_field)
    proof = create_proof(backend, params, pk, circuit, inst)
    assert verify_proof(backend, params, vk, proof, inst)
    bad = [list(inst[0])]
    bad[0][-1] = (bad[0][-1] + 1) % backend.scalar_field.p
    assert not verify_proof(backend, params, vk, proof, bad)


def fixed_and_copies(asg):
    """Every fixed column (selectors, tables, constants, the gadgets' per-op constants:
    multipliers, shifts, zero points, clamps, counts) and every copy constraint."""
    fixed = [asg.column_values(c).copy() for c in asg.cs.fixed]
    copies = [np.concatenate([c[i] for c in asg.copies]) for i in range(4)]
    return fixed, copies


@pytest.mark.parametrize("op", [*random_int8.OPS, "FULLY_CONNECTED"])
@settings(max_examples=2, deadline=None, suppress_health_check=SLOW)
@given(data=st.data())
def test_int8_constants_do_not_depend_on_the_witness(op, data):
    """Zero points, multipliers, shifts, clamps and pool counts are constants of the
    verifying key: the fixed columns and copy constraints of an int8 layer's circuit are
    the same for two inputs and for keygen (no inputs), so a prover cannot pick them."""
    ops = random_int8.OPS if op == "FULLY_CONNECTED" else (op,)
    blob, xq = data.draw(random_int8.random_int8_cnn(ops=ops, head=op == "FULLY_CONNECTED"))
    model = convert(parse_tflite(blob, "int8.tflite"), LAYERS, ConvertOptions(k=10, num_cols=10))
    (idx,) = model.inp_idxes
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    runs = []
    for x in (xq, rng.integers(-128, 128, xq.shape)):
        circuit = circuit_of(model, [Tensor(idx=idx, shape=x.shape, data=x.astype(np.int64).ravel())])
        prover = mock(circuit)
        assert prover.verify() == []
        runs.append(fixed_and_copies(prover.asg))
    keyed = circuit_of(model, None)
    cs, config = configure(keyed)
    runs.append(fixed_and_copies(synthesize(keyed, cs, config, F, prover.k, "keygen")))
    # the per-op constants are there: requantize's multipliers, the average's counts
    per_op = {"requantize": "requantize_M1", "rounded_average": "rounded_average_CNT"}
    for gadget in set(per_op) & set(circuit.gadget_names()):
        (col,) = [i for i, c in enumerate(cs.fixed) if c.name == per_op[gadget]]
        assert runs[0][0][col].any()
    for fixed, copies in runs[1:]:
        assert len(fixed) == len(runs[0][0])
        for a, b in zip(fixed, runs[0][0], strict=True):
            np.testing.assert_array_equal(a, b)
        for a, b in zip(copies, runs[0][1], strict=True):
            np.testing.assert_array_equal(a, b)


def test_int8_inputs_must_be_int8_codes(monkeypatch):
    """An int8 model's input must hold int8 codes: an input cell of 400 (no TFLite input
    is) is refused when the witness is made and, with that refusal bypassed, by the
    range_check lookups; without the range check the same witness passed (the gap the
    int8 audit found: int8 layers saturate, so any integer input gives outputs)."""
    import zkml_plugins.gadgets.range_check as rc

    from zkml_core.errors import CircuitError

    src = DEMO / "digits_cnn_int8.tflite"
    model = convert(parse_tflite(src.read_bytes(), "demo_int8.tflite"), LAYERS,
                    ConvertOptions(k=11, num_cols=7))
    (good,) = scale_inputs(model, [np.load(DEMO / "digit_input.npy")])
    assert AnyLayerCircuit(model, [good]).input_bounds() == {good.idx: (-128, 127)}
    data = good.array().copy()
    data.reshape(-1)[5] = 400
    bad = [Tensor(idx=good.idx, shape=good.shape, data=data.reshape(-1))]

    def failures(inputs):
        circuit = AnyLayerCircuit(model, inputs)
        return mock(circuit, circuit.instances(F)).verify()

    assert failures([good]) == []
    with pytest.raises(CircuitError, match="outside"):
        failures(bad)
    monkeypatch.setattr(rc, "check_in_range", lambda *a, **kw: None)
    got = failures(bad)
    assert got and {f.kind for f in got} == {"lookup"}
    assert all("range_check x <= hi" in f.name for f in got)
    monkeypatch.setattr(AnyLayerCircuit, "input_bounds", lambda self: {})
    assert failures(bad) == []


def test_hashed_int8_weights_must_be_int8_codes(monkeypatch):
    """Weights the converter stored as raw int8 codes are bounded to int8 when they are
    not fixed (hashed here): a weight of 200 is refused when the witness is made and,
    with that refusal bypassed, by the range_check lookups; fixed weights need no check
    (the verifying key holds them)."""
    import attrs
    import zkml_plugins.gadgets.range_check as rc

    from zkml_core.errors import CircuitError
    from zkml_core.model.circuit import Visibility

    src = DEMO / "digits_cnn_int8.tflite"
    # k 15: hashing packs every weight into the range table, int32 biases included
    model = convert(parse_tflite(src.read_bytes(), "demo_int8.tflite"), LAYERS,
                    ConvertOptions(k=15, num_cols=8))
    (good,) = scale_inputs(model, [np.load(DEMO / "digit_input.npy")])
    hashed = Visibility(input="public", weights="hashed", output="public")
    int8_weights = {t.idx for t in model.tensors if t.shape != (t.shape[0],)}
    bounds = AnyLayerCircuit(model, [good], visibility=hashed).weight_bounds()
    assert set(bounds) == int8_weights and set(bounds.values()) == {(-128, 127)}
    assert AnyLayerCircuit(model, [good]).weight_bounds() == {}  # fixed by default

    def failures(m):
        circuit = AnyLayerCircuit(m, [good], visibility=hashed)
        return mock(circuit, circuit.instances(F)).verify()

    assert failures(model) == []
    idx = min(int8_weights)
    tensors = [attrs.evolve(t, data=t.data.copy()) for t in model.tensors]
    next(t for t in tensors if t.idx == idx).data[0] = 200
    bad = attrs.evolve(model, tensors=tensors)
    with pytest.raises(CircuitError, match="outside"):
        failures(bad)
    monkeypatch.setattr(rc, "check_in_range", lambda *a, **kw: None)
    got = failures(bad)
    assert got and all(f.kind == "lookup" and "range_check x <= hi" in f.name for f in got)
