"""Random float models (random_models.py: convolutions, pools, elementwise ops, pad,
transpose, concatenation, logistic, tanh, reshape, mean, fully connected, softmax)
converted with the installed layer plugins run close to TFLite's reference interpreter.

Bounds, with s = max(1, max |TFLite output|), at sf = 2^12: the float run of the converted
model (its weights rounded to 1/sf) and the integer run (the witness, divided by sf) both
within 2e-3 s: each op adds a few roundings of 1/sf (tables: half a step), and values
stay of order 1 (weights scaled by 1 / fan-in). Measured over 1500 examples: 7.6e-4 s
(float run) and 8.6e-4 s (integer run).
"""

from __future__ import annotations

import numpy as np
import tflite_refs as ref
from hypothesis import given, settings
from hypothesis import strategies as st
from random_models import random_model

from zkml_core.convert.converter import ConvertOptions, convert
from zkml_core.convert.inputs import scale_inputs
from zkml_core.convert.tflite_reader import parse_tflite
from zkml_core.errors import ZkmlError
from zkml_core.model import execute_float, execute_int
from zkml_core.plugins import Registry

SF = 2**12
LAYERS = Registry(autoload=True, blocked=()).layers()


@settings(max_examples=60, deadline=None)
@given(random_model())
def test_random_model_matches_the_interpreter(case):
    data, x, ops = case
    (want,) = ref.run_interpreter(data, x)
    model = convert(parse_tflite(data, "random.tflite"), LAYERS, ConvertOptions(scale_factor=SF))
    assert len(model.layers) == len(ops)
    inputs = scale_inputs(model, [x])
    scale = max(1.0, float(np.abs(want).max()))
    flt = execute_float(model, LAYERS, inputs=inputs).outputs[0]
    assert np.abs(flt - want).max() <= 2e-3 * scale, ops
    got = execute_int(model, LAYERS, inputs=inputs).outputs[0] / SF
    assert np.abs(got - want).max() <= 2e-3 * scale, ops


@settings(max_examples=60, deadline=None)
@given(random_model(), st.lists(st.tuples(st.floats(0, 1, exclude_max=True),
                                          st.integers(0, 255)), min_size=1, max_size=4))
def test_mutated_models_convert_or_fail_with_a_zkml_error(case, flips):
    data = bytearray(case[0])
    for where, value in flips:
        data[8 + int(where * (len(data) - 8))] = value
    try:
        convert(parse_tflite(bytes(data), "mutated.tflite"), LAYERS,
                ConvertOptions(scale_factor=64))
    except ZkmlError:
        pass
