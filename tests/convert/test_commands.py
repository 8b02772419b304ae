"""``zkml convert`` and ``zkml input`` against the original zkml converter's files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from mnist_layers import Plugin

from zkml_core.convert.options import ConvertOptions
from zkml_core.model import load_input, load_model
from zkml_core.plugins import Registry


@pytest.fixture(name="registry")
def _registry() -> Registry:
    reg = Registry(autoload=False)
    reg.register(Plugin(), name="mnist-test-layers")
    return reg


MNIST_FLAGS = ["--scale-factor", "512", "--k", "15", "--num-cols", "7", "--end-layer", "16"]


def test_convert_and_input_reproduce_the_zkml_mnist_files(zkml_cli, registry, mnist_tflite,
                                                           tmp_path):
    out, cfg = tmp_path / "model.msgpack", tmp_path / "config.msgpack"
    code, stdout, stderr = zkml_cli("convert", str(mnist_tflite), "-o", str(out),
                                    "--config-output", str(cfg), "--json", *MNIST_FLAGS,
                                    registry=registry)
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert summary["layers"] == 16 and summary["out_idxes"] == [37]
    assert summary["layer_types"] == ["Add", "AveragePool2D", "Conv2D", "Mul"]
    got, want = load_model(out), load_model(mnist_tflite.parent / "model.msgpack")
    assert got.layers == want.layers
    for g, w in zip(got.tensors, want.tensors, strict=True):
        assert g.idx == w.idx and g.shape == w.shape
        np.testing.assert_array_equal(g.data, w.data)
    assert load_model(cfg).is_config_only

    (want_inp,) = load_input(mnist_tflite.parent / "inp.msgpack")
    npy = tmp_path / "x.npy"
    np.save(npy, want_inp.array().astype(np.float64) / 512)
    inp = tmp_path / "inp.msgpack"
    code, stdout, stderr = zkml_cli("input", "--model", str(cfg), str(npy), "-o", str(inp),
                                    registry=registry)
    assert code == 0, stderr
    (got_inp,) = load_input(inp)
    assert got_inp.idx == 0 and got_inp.shape == (1, 28, 28, 1)
    np.testing.assert_array_equal(got_inp.data, want_inp.data)


def test_convert_errors_are_one_line(zkml_cli, mnist_tflite, tmp_path):
    empty = Registry(autoload=False)
    code, stdout, stderr = zkml_cli("convert", str(mnist_tflite), "-o",
                                    str(tmp_path / "m.msgpack"), registry=empty)
    assert code == 1
    assert stderr.count("\n") == 1 and "18 operator(s)" in stderr and "#17 SOFTMAX" in stderr
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(mnist_tflite.read_bytes()[:1000])
    code, _, stderr = zkml_cli("convert", str(bad), "-o", str(tmp_path / "m.msgpack"),
                               registry=empty)
    assert code == 1 and "bad.tflite" in stderr and stderr.count("\n") == 1
    assert not (tmp_path / "m.msgpack").exists()


def test_input_rejects_a_wrong_shape(zkml_cli, registry, mnist_tflite, tmp_path):
    out = tmp_path / "model.msgpack"
    assert zkml_cli("convert", str(mnist_tflite), "-o", str(out), *MNIST_FLAGS,
                    registry=registry)[0] == 0
    npy = tmp_path / "x.npy"
    np.save(npy, np.zeros((1, 27, 28, 1)))
    code, _, stderr = zkml_cli("input", "--model", str(out), str(npy), "-o",
                               str(tmp_path / "i.msgpack"), registry=registry)
    assert code == 1 and "does not fit model input 0 of shape [1, 28, 28, 1]" in stderr


def test_convert_with_calibration_chooses_scale_factor_and_k(zkml_cli, registry, tmp_path):
    demo = Path(__file__).resolve().parents[2] / "demo"
    out = tmp_path / "demo.msgpack"
    code, stdout, stderr = zkml_cli("convert", str(demo / "digits_cnn.tflite"), "-o",
                                    str(out), "--calibrate", str(demo / "digit_input.npy"),
                                    "--json", registry=registry)
    assert code == 0, stderr
    summary = json.loads(stdout)
    # the float run's largest value is 33.4 (test_params): with the default k 17 the
    # largest power of two keeping 2 * 33.4 * sf <= 2^16 - 10 is 512
    assert summary["global_sf"] == 512 and summary["k"] == 17
    assert 16_000 < summary["calibration_peak"] < 18_000
    model = load_model(out)
    assert model.global_sf == 512
    code, stdout, _ = zkml_cli("convert", str(demo / "digits_cnn.tflite"), "-o", str(out),
                               "--calibrate", str(demo / "digit_input.npy"), "--k", "12",
                               "--scale-factor", "8", registry=registry)
    assert code == 0 and "scale factor 8, k 12" in stdout and "range analysis" in stdout


def test_unwritable_output_and_bad_flags_are_one_line_errors(zkml_cli, registry, tmp_path):
    demo = Path(__file__).resolve().parents[2] / "demo"
    code, _, stderr = zkml_cli("convert", str(demo / "digits_cnn.tflite"), "-o",
                               str(tmp_path / "missing" / "m.msgpack"), registry=registry)
    assert code == 1 and "cannot write" in stderr and stderr.count("\n") == 1
    code, _, stderr = zkml_cli("convert", str(demo / "digits_cnn.tflite"), "-o",
                               str(tmp_path / "m.msgpack"), "--scale-factor", "0",
                               registry=registry)
    assert code == 1 and "scale factor must be >= 1" in stderr


def test_convert_check_reports_the_error_against_tflite(zkml_cli, registry, tmp_path):
    demo = Path(__file__).resolve().parents[2] / "demo"
    code, stdout, stderr = zkml_cli("convert", str(demo / "digits_cnn.tflite"), "-o",
                                    str(tmp_path / "m.msgpack"), "--calibrate",
                                    str(demo / "digit_input.npy"), "--check", "--json",
                                    registry=registry)
    assert code == 0, stderr
    summary = json.loads(stdout)
    # test_demo: the integer run is within 0.05 of TFLite at sf 512 (logits up to 33)
    (err,) = summary["tflite_max_abs_error"]
    assert 0 < err < 0.05 and summary["tflite_same_argmax"] == [True]
    assert 30 < summary["tflite_max_abs_output"][0] < 40
    code, _, stderr = zkml_cli("convert", str(demo / "digits_cnn.tflite"), "-o",
                               str(tmp_path / "m.msgpack"), "--check", registry=registry)
    assert code == 1 and "--check compares on the --calibrate input" in stderr


def test_list_ops_names_the_converting_layer_or_unsupported(zkml_cli, registry, mnist_tflite):
    code, stdout, stderr = zkml_cli("convert", str(mnist_tflite), "--list-ops", "--json",
                                    registry=registry)
    assert code == 0, stderr
    rows = json.loads(stdout)
    assert [r["op"] for r in rows][:4] == ["CONV_2D", "AVERAGE_POOL_2D", "MUL", "ADD"]
    assert rows[0]["layers"] == "Conv2D" and rows[0]["outputs"] == "[1, 26, 26, 8]"
    assert rows[0]["inputs"] == "[1, 28, 28, 1] [8, 3, 3, 1] [8]"
    assert rows[17]["op"] == "SOFTMAX" and rows[17]["layers"] == "UNSUPPORTED"
    code, stdout, _ = zkml_cli("convert", str(mnist_tflite), "--list-ops", registry=registry)
    assert code == 0 and stdout.splitlines()[0].split() == ["INDEX", "OP", "INPUTS",
                                                            "OUTPUTS", "LAYERS"]
    code, _, stderr = zkml_cli("convert", str(mnist_tflite), registry=registry)
    assert code == 1 and "-o/--output" in stderr


def test_calibration_batch(zkml_cli, registry, tmp_path):
    demo = Path(__file__).resolve().parents[2] / "demo"
    code, stdout, stderr = zkml_cli("convert", str(demo / "digits_cnn.tflite"), "-o",
                                    str(tmp_path / "m.msgpack"), "--calibrate",
                                    str(demo / "digit_calibration.npy"), "--check", "--json",
                                    registry=registry)
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert summary["global_sf"] == 512 and summary["tflite_same_argmax"] == [True]
    # 32 images: logits up to ~40, integer run within 0.1 of TFLite at sf 512
    assert summary["tflite_max_abs_error"][0] < 0.1


def test_quantised_model_without_calibration_takes_k_from_its_input_range(zkml_cli, tmp_path):
    """An int8 model needs no --calibrate for k: its inputs' codes span a known range and
    its layers saturate, so k is what the calibration images give; a float model without
    --calibrate keeps the default k."""
    demo = Path(__file__).resolve().parents[2] / "demo"
    registry = Registry(autoload=True, blocked=())
    ks = []
    for extra in ([], ["--calibrate", str(demo / "digit_calibration.npy")]):
        code, stdout, stderr = zkml_cli("convert", str(demo / "digits_cnn_int8.tflite"), "-o",
                                        str(tmp_path / "q.msgpack"), *extra, "--json",
                                        registry=registry)
        assert code == 0, stderr
        summary = json.loads(stdout)
        assert summary["calibration"] == ("given" if extra else "input range")
        assert summary["calibration_peak"] == 128  # int8 codes
        ks.append(summary["k"])
    # int8 codes need k 10 for the values (2 * 128 <= 2^9 - 10); the layout may raise it
    assert ks[0] == ks[1] >= 10
    code, stdout, stderr = zkml_cli("convert", str(demo / "digits_cnn.tflite"), "-o",
                                    str(tmp_path / "f.msgpack"), "--json", registry=registry)
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert summary["k"] == ConvertOptions().k and summary["calibration"] is None


def test_convert_picks_a_layout_that_fits_with_the_fewest_columns(zkml_cli, tmp_path):
    """Without --k / --num-cols the model file's k fits its circuit (zkml mock needs no
    --k) with the fewest columns that do (one column fewer does not fit that k); given
    flags are kept."""
    demo = Path(__file__).resolve().parents[2] / "demo"
    registry = Registry(autoload=True, blocked=())
    out = tmp_path / "q.msgpack"
    code, stdout, stderr = zkml_cli("convert", str(demo / "digits_cnn_int8.tflite"), "-o",
                                    str(out), "--json", registry=registry)
    assert code == 0, stderr
    summary = json.loads(stdout)
    k, cols = summary["k"], summary["num_cols"]
    assert 3 <= cols <= ConvertOptions().num_cols and summary["rows"] <= 2 ** k
    inp = tmp_path / "i.msgpack"
    assert zkml_cli("input", "--model", str(out), str(demo / "digit_input.npy"), "-o", str(inp),
                    registry=registry)[0] == 0
    code, stdout, stderr = zkml_cli("mock", str(out), str(inp), "--json", registry=registry)
    assert code == 0 and json.loads(stdout)["k"] == k, stderr
    code, stdout, _ = zkml_cli("inspect", str(out), "--num-cols", str(cols - 1), "--json",
                               registry=registry)
    assert code == 0 and json.loads(stdout)["k"]["fits"] is False
    code, stdout, stderr = zkml_cli("convert", str(demo / "digits_cnn_int8.tflite"), "-o",
                                    str(out), "--json", "--k", "12", "--num-cols", "9",
                                    registry=registry)
    assert code == 0, stderr
    assert (json.loads(stdout)["k"], json.loads(stdout)["num_cols"]) == (12, 9)
