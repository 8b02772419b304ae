"""Automatic scale factor and k by range analysis, against the interpreter's float ranges."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tflite_refs as ref
from mnist_layers import LAYERS

from zkml_core.convert.converter import ConvertOptions
from zkml_core.convert.params import choose_parameters, k_for
from zkml_core.convert.tflite_reader import parse_tflite, read_tflite
from zkml_core.errors import ModelError

DEMO = Path(__file__).resolve().parents[2] / "demo"


def test_k_for_matches_zkml_max_val():
    # zkml: max_val = 2^(k-1) - 10
    assert k_for(2**16 - 10) == 17 and k_for(2**16 - 9) == 18
    assert k_for(0) == 6


def _float_peak(model_bytes: bytes, x: np.ndarray) -> float:
    """Largest |value| of the input and every op output in TFLite's float run."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(model_content=model_bytes, experimental_preserve_all_tensors=True,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    graph = read_tflite(DEMO / "digits_cnn.tflite")
    idxes = {i for op in graph.operators for i in op.outputs} | set(graph.inputs)
    return max(float(np.abs(it.get_tensor(i)).max()) for i in idxes)


@pytest.mark.parametrize("k", [17, 12])
def test_demo_scale_factor_is_the_largest_power_of_two_that_fits(k):
    x = np.load(DEMO / "digit_input.npy")
    data = (DEMO / "digits_cnn.tflite").read_bytes()
    peak = _float_peak(data, x)
    limit = (2 ** (k - 1) - 10) / 2.0  # headroom 2
    # the largest power of two with peak * sf <= limit (1 % margin for rounding)
    want = 2 ** int(np.floor(np.log2(limit / peak)))
    assert peak * want * 2 > limit * 1.01 and peak * want < limit * 0.99  # not borderline
    choice = choose_parameters(read_tflite(DEMO / "digits_cnn.tflite"), LAYERS, [[x]],
                               ConvertOptions(k=k))
    assert choice.options.scale_factor == want
    # the integer run tracks the float one up to the rounding of weights to 1/sf:
    # within 2 % at sf >= 256, 8 % at sf 16 (measured 4 %)
    rel = 0.02 if want >= 256 else 0.08
    assert abs(choice.peak - peak * want) <= rel * peak * want
    assert choice.options.k == k_for(2 * choice.peak) <= k
    (logits,) = ref.run_interpreter(data, x)
    assert logits.shape == (1, 1, 1, 10)


def test_fixed_scale_factor_gets_the_smallest_k():
    x = np.load(DEMO / "digit_input.npy")
    graph = read_tflite(DEMO / "digits_cnn.tflite")
    choice = choose_parameters(graph, LAYERS, [[x]], ConvertOptions(scale_factor=64),
                               auto_scale=False)
    assert choice.options.scale_factor == 64
    assert choice.options.k == k_for(2 * choice.peak)
    with pytest.raises(ModelError, match="calibration"):
        choose_parameters(graph, LAYERS, [])
    with pytest.raises(ModelError, match="does not fit model input"):
        choose_parameters(graph, LAYERS, [[np.zeros((1, 9, 8, 1))]])


def test_calibration_samples_split_batches():
    from zkml_core.convert.params import calibration_samples

    graph = read_tflite(DEMO / "digits_cnn.tflite")
    one = np.zeros((1, 8, 8, 1), np.float32)
    assert len(calibration_samples(graph, [one])) == 1
    batch = np.arange(3 * 64, dtype=np.float32).reshape(3, 8, 8, 1)
    samples = calibration_samples(graph, [batch])
    assert len(samples) == 3
    np.testing.assert_array_equal(samples[2][0], batch[2].reshape(1, 8, 8, 1))
    with pytest.raises(ModelError, match="neither one input"):
        calibration_samples(graph, [np.zeros(65)])
    with pytest.raises(ModelError, match="1 input"):
        calibration_samples(graph, [one, one])


def test_more_calibration_samples_never_lower_the_peak():
    graph = read_tflite(DEMO / "digits_cnn.tflite")
    batch = np.load(DEMO / "digit_calibration.npy")
    assert batch.shape == (32, 8, 8, 1)
    opts = ConvertOptions(scale_factor=512)
    one = choose_parameters(graph, LAYERS, [[batch[0]]], opts, auto_scale=False)
    many = choose_parameters(graph, LAYERS, [[b] for b in batch], opts, auto_scale=False)
    assert many.peak >= one.peak


def test_progress_reports_each_sample_run():
    graph = read_tflite(DEMO / "digits_cnn.tflite")
    batch = np.load(DEMO / "digit_calibration.npy")[:3]
    lines = []
    choice = choose_parameters(graph, LAYERS, [[b] for b in batch], ConvertOptions(k=17),
                               progress=lines.append)
    # one line per sample and scale factor tried: the probe at 1024 first, and the chosen
    # one among them
    tried = [int(line.split()[5].rstrip(":")) for line in lines[::3]]
    assert tried[0] == 1024 and choice.options.scale_factor in tried
    assert len(set(tried)) == len(tried) <= 3
    assert lines == [f"range analysis at scale factor {sf}: sample {i}/3"
                     for sf in tried for i in (1, 2, 3)]


def test_softmax_model_gets_parameters_at_a_small_k():
    """A large probe scale overflows softmax's exp table at the requested k: the range
    analysis must still measure the peak and pick a scale that fits, not fail."""
    from zkml_core.convert.tflite_writer import TFLiteWriter
    from zkml_core.plugins import Registry

    rng = np.random.default_rng(3)
    w = TFLiteWriter()
    x = w.add_input("x", (1, 6))
    kern = w.add_constant("w", rng.normal(0, 1.0, (4, 6)).astype(np.float32))
    y, z = w.add_tensor("y", (1, 4)), w.add_tensor("z", (1, 4))
    w.add_op("FULLY_CONNECTED", [x, kern, -1], [y])
    w.add_op("SOFTMAX", [y], [z])
    w.mark_output(z)
    graph = parse_tflite(w.to_bytes())
    sample = rng.uniform(-2, 2, (1, 6)).astype(np.float32)
    choice = choose_parameters(graph, Registry().layers(), [[sample]], ConvertOptions(k=12))
    assert choice.options.k <= 12
    assert 2 * choice.peak <= 2 ** (choice.options.k - 1) - 10
