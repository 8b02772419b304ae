"""Converting int8-quantised models: ops are keyed "OP:int8", constants stay raw integers,
input quantisation is kept for `zkml input`; the int8 layer plugins (built on tflite_quant)
run the converted model bit-exactly like the interpreter."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tflite_refs as ref
from int8_plugins import INT8_LAYERS
from mnist_layers import LAYERS

from zkml_core.convert.check import compare_with_tflite
from zkml_core.convert.converter import ConvertOptions, convert
from zkml_core.convert.inputs import INPUT_QUANT_KEY, quantize_input, scale_inputs
from zkml_core.convert.tflite_reader import parse_tflite, read_tflite
from zkml_core.convert.tflite_writer import Quant, TFLiteWriter, affine_params
from zkml_core.errors import UnsupportedError
from zkml_core.interfaces import Layer
from zkml_core.model import execute_int, load_model, save_model


def _int8_mlp(rng) -> tuple[TFLiteWriter, np.ndarray]:
    x = rng.uniform(-1, 1, (1, 12)).astype(np.float32)
    w = TFLiteWriter()
    q_in = affine_params(-1, 1)
    xi = w.add_input("x", x.shape, "int8", q_in)
    prev, q_prev = xi, q_in
    for i, (units, act) in enumerate([(8, "RELU"), (5, "NONE")]):
        fan_in = 12 if i == 0 else 8
        wq = rng.integers(-127, 128, (units, fan_in)).astype(np.int8)
        s_w = float(np.float32(rng.uniform(0.005, 0.02)))
        bias = rng.integers(-500, 500, units).astype(np.int32)
        q_out = Quant(float(np.float32(rng.uniform(0.02, 0.1))), int(rng.integers(-20, 20)))
        y = w.add_tensor(f"fc{i}", (1, units), "int8", q_out)
        bias_q = Quant(float(np.float32(q_prev.scales()[0]) * np.float32(s_w)), 0)
        w.add_op("FULLY_CONNECTED", [prev, w.add_constant(f"w{i}", wq, "int8", Quant(s_w, 0)),
                                     w.add_constant(f"b{i}", bias, "int32", bias_q)], [y],
                 fused_activation_function=act)
        prev, q_prev = y, q_out
    w.mark_output(prev)
    return w, x


LAYERS_Q = {**LAYERS, **INT8_LAYERS}


def _saved_mlp(tmp_path, seed=11):
    w, x = _int8_mlp(np.random.default_rng(seed))
    path = tmp_path / "q.tflite"
    w.save(path)
    return w, x, path


def test_int8_model_converts_and_runs_bit_exactly(tmp_path):
    w, x, path = _saved_mlp(tmp_path)
    layers = LAYERS_Q
    model = convert(read_tflite(path), layers, ConvertOptions())
    assert [s.layer_type for s in model.layers] == ["QFullyConnected"] * 2
    # int8 weights and int32 biases are stored as their raw integers
    graph = read_tflite(path)
    for t in model.tensors:
        np.testing.assert_array_equal(t.data, graph.tensor(t.idx).data.reshape(-1))
    save_model(model, tmp_path / "q.msgpack")
    model = load_model(tmp_path / "q.msgpack")
    scale, zp, type_name = model.extra[INPUT_QUANT_KEY][str(model.inp_idxes[0])]
    assert type_name == "INT8" and zp == w.tensors[0].quant.zero_points()[0]

    inputs = scale_inputs(model, [x])
    xq = quantize_input(x, scale, zp, "INT8").astype(np.int8)
    np.testing.assert_array_equal(inputs[0].array(), xq)
    (want,) = ref.run_interpreter(w.to_bytes(), xq)
    got = execute_int(model, layers, inputs=inputs).outputs[0]
    np.testing.assert_array_equal(got, want)


def test_int8_ops_need_a_layer_that_lists_the_int8_key(tmp_path):
    _, _, path = _saved_mlp(tmp_path, seed=3)
    float_fc = type("FloatFC", (Layer,), {"name": "FloatFC",
                                          "tflite_ops": ("FULLY_CONNECTED",)})
    with pytest.raises(UnsupportedError) as info:
        convert(read_tflite(path), {**LAYERS, "FloatFC": float_fc})
    msg = str(info.value)
    assert "#0 FULLY_CONNECTED:int8, #1 FULLY_CONNECTED:int8" in msg
    assert "converts FULLY_CONNECTED:int8" in msg


def test_quantize_input_matches_the_quantize_op():
    x = np.linspace(-2, 2, 41, dtype=np.float32).reshape(1, 41)
    q = Quant(float(np.float32(0.05)), 3)
    w = TFLiteWriter()
    xi = w.add_input("x", x.shape)
    y = w.add_tensor("y", x.shape, "int8", q)
    w.add_op("QUANTIZE", [xi], [y])
    w.mark_output(y)
    (want,) = ref.run_interpreter(w.to_bytes(), x)
    got = quantize_input(x, q.scales()[0], 3, "INT8")
    np.testing.assert_array_equal(got, want)


def test_check_against_tflite_is_exact_for_the_int8_model(tmp_path):
    _, x, path = _saved_mlp(tmp_path)
    graph = read_tflite(path)
    model = convert(graph, LAYERS_Q)
    result = compare_with_tflite(path, graph, model, LAYERS_Q, [x])
    assert result.max_abs_error == (0.0,) and result.same_argmax == (True,)
    assert result.max_abs_output[0] > 0


def test_int8_demo_converts_and_runs_bit_exactly():
    demo = Path(__file__).resolve().parents[2] / "demo"
    path = demo / "digits_cnn_int8.tflite"
    graph = read_tflite(path)
    model = convert(graph, LAYERS_Q)
    assert [s.layer_type for s in model.layers] == [
        "QConv2D", "QAveragePool2D", "QConv2D", "QConv2D"]
    x = np.load(demo / "digit_input.npy")
    label = json.loads((demo / "digit_input.json").read_text())["label"]
    rng = np.random.default_rng(0)
    for sample in (x, *rng.uniform(0, 1, (5, *x.shape)).astype(np.float32)):
        inputs = scale_inputs(model, [sample])
        (want,) = ref.run_interpreter(path.read_bytes(), inputs[0].array().astype(np.int8))
        got = execute_int(model, LAYERS_Q, inputs=inputs).outputs[0]
        np.testing.assert_array_equal(got, want)
    result = compare_with_tflite(path, graph, model, LAYERS_Q, [x])
    assert result.max_abs_error == (0.0,)
    got = execute_int(model, LAYERS_Q, inputs=scale_inputs(model, [x])).outputs[0]
    assert int(np.argmax(got)) == label


def test_check_accepts_model_bytes():
    w, x = _int8_mlp(np.random.default_rng(5))
    data = w.to_bytes()
    graph = parse_tflite(data)
    model = convert(graph, LAYERS_Q)
    assert compare_with_tflite(data, graph, model, LAYERS_Q, [x]).max_abs_error == (0.0,)
