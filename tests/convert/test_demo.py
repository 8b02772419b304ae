"""The bundled demo model: the committed files run in TFLite's reference interpreter and
classify the committed sample correctly; the training script still produces them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import tflite_refs as ref
from mnist_layers import LAYERS

from zkml_core.convert.converter import ConvertOptions, convert
from zkml_core.convert.tflite_reader import read_tflite
from zkml_core.model import Tensor, execute_int

DEMO = Path(__file__).resolve().parents[2] / "demo"


def _sample():
    x = np.load(DEMO / "digit_input.npy")
    meta = json.loads((DEMO / "digit_input.json").read_text())
    return x, meta["label"]


def test_committed_demo_files_are_small():
    for name in ("digits_cnn.tflite", "digits_cnn_int8.tflite", "digit_input.npy",
                 "digit_calibration.npy"):
        assert (DEMO / name).stat().st_size < 16_000, name


def test_float_demo_predicts_the_sample_label():
    x, label = _sample()
    assert x.shape == (1, 8, 8, 1) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    (logits,) = ref.run_interpreter((DEMO / "digits_cnn.tflite").read_bytes(), x)
    assert logits.shape == (1, 1, 1, 10)
    assert int(np.argmax(logits)) == label


def test_int8_demo_predicts_the_sample_label():
    x, label = _sample()
    g = read_tflite(DEMO / "digits_cnn_int8.tflite")
    q_in = g.tensor(g.inputs[0]).quantization
    assert g.tensor(g.inputs[0]).type == "INT8"
    xq = np.clip(np.round(x / q_in.scales[0]) + q_in.zero_points[0], -128, 127).astype(np.int8)
    (logits,) = ref.run_interpreter((DEMO / "digits_cnn_int8.tflite").read_bytes(), xq)
    assert logits.dtype == np.int8
    assert int(np.argmax(logits)) == label


def test_demo_graph_as_read():
    g = read_tflite(DEMO / "digits_cnn.tflite")
    assert [op.op for op in g.operators] == ["CONV_2D", "AVERAGE_POOL_2D", "CONV_2D",
                                             "CONV_2D"]
    params = sum(t.data.size for t in g.tensors if t.is_constant)
    assert 1000 < params < 2000


def test_training_script_writes_working_models(tmp_path):
    spec = importlib.util.spec_from_file_location("train_digits", DEMO / "train_digits.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.main(["--out", str(tmp_path), "--epochs", "3"])
    x = np.load(tmp_path / "digit_input.npy")
    label = json.loads((tmp_path / "digit_input.json").read_text())["label"]
    (logits,) = ref.run_interpreter((tmp_path / "digits_cnn.tflite").read_bytes(), x)
    # the script picks a sample its numpy model classifies correctly: the TFLite model agrees
    assert int(np.argmax(logits)) == label


def test_converted_demo_predicts_the_label_and_tracks_the_interpreter():
    x, label = _sample()
    (want,) = ref.run_interpreter((DEMO / "digits_cnn.tflite").read_bytes(), x)
    sf = 512
    model = convert(read_tflite(DEMO / "digits_cnn.tflite"), LAYERS,
                    ConvertOptions(scale_factor=sf))
    assert [s.layer_type for s in model.layers] == ["Conv2D", "AveragePool2D", "Conv2D",
                                                    "Conv2D"]
    (idx,) = model.inp_idxes
    inp = Tensor(idx=idx, shape=x.shape, data=np.round(x * sf).astype(np.int64).ravel())
    got = execute_int(model, LAYERS, inputs=[inp]).outputs[0] / sf
    assert int(np.argmax(got)) == label
    # weights and input rounded to 1/512 through three small convolutions
    assert np.abs(got - want).max() < 0.05
