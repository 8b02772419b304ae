"""Converted TFLite models as circuits: the bundled demo and random small float models
(tests/convert/random_models.py: convolutions, pools, elementwise ops, pad, transpose,
concatenation, logistic, tanh, reshape, mean, fully connected, softmax).

The demo's parameters are the ones ``zkml convert --calibrate`` picks (range analysis at
k = 11: the largest power-of-two scale factor that fits). The random models take sf = 16,
k = 11: range analysis first runs the model at a probe scale (2^9 here), where a softmax
input can already leave the exp table and the run fails instead of choosing a smaller
scale. Both use 10 columns (the converter's default, which softmax's three-limb division
needs). The MockProver accepts each converted model's circuit and rejects a changed
public output.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from builtin_layer_model import GADGETS, LAYERS, changed_public_output_fails
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from layer_model import F, mock, output_rows

from zkml_core.convert.converter import ConvertOptions, convert
from zkml_core.convert.inputs import scale_inputs
from zkml_core.convert.params import calibration_samples, choose_parameters
from zkml_core.convert.tflite_reader import parse_tflite, read_tflite
from zkml_core.model.circuit import ModelCircuit

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo"


def _random_models():
    spec = importlib.util.spec_from_file_location(
        "random_models", ROOT / "tests" / "convert" / "random_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


random_model = _random_models().random_model


def converted_circuit(graph, options, x):
    model = convert(graph, LAYERS, options)
    return ModelCircuit(model, LAYERS, GADGETS, inputs=scale_inputs(model, [x]))


def public_outputs(circuit, inst):
    rows = output_rows(circuit, inst)
    return np.array([v if v <= F.p // 2 else v - F.p for v in (inst[0][r] for r in rows)])


def test_bundled_demo_circuit():
    graph = read_tflite(DEMO / "digits_cnn.tflite")
    calibration = calibration_samples(graph, [np.load(DEMO / "digit_calibration.npy")])
    choice = choose_parameters(graph, LAYERS, calibration, ConvertOptions(k=11), auto_k=False)
    circuit = converted_circuit(graph, choice.options, np.load(DEMO / "digit_input.npy"))
    inst = circuit.instances(F)
    assert mock(circuit, inst).verify() == []
    label = json.loads((DEMO / "digit_input.json").read_text())["label"]
    assert int(np.argmax(public_outputs(circuit, inst))) == label
    assert changed_public_output_fails(circuit)


def check_random(case):
    data, x, ops = case
    options = ConvertOptions(scale_factor=16, k=11, num_cols=10)
    circuit = converted_circuit(parse_tflite(data, "random.tflite"), options, x)
    assert mock(circuit).verify() == [], ops
    assert changed_public_output_fails(circuit), ops


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_model())
def test_random_float_model_circuit(case):
    check_random(case)


OPS_4D = ["MAX_POOL_2D", "PAD", "TRANSPOSE", "CONCATENATION", "LOGISTIC", "TANH"]
OPS_2D = ["FULLY_CONNECTED", "SOFTMAX"]


@pytest.mark.parametrize("op", OPS_4D + OPS_2D + ["MEAN"])
@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_random_model_with_op_circuit(op, data):
    """Models drawn with ``op`` as the only 4-D (or 2-D) op kind, holding it at least once."""
    kinds = {"ops_4d": (op,)} if op in OPS_4D else {"ops_2d": (op,)} if op in OPS_2D else {}
    check_random(data.draw(random_model(**kinds).filter(lambda c: op in c[2])))
