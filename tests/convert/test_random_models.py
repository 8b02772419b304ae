"""Random float CNNs (random_models.py) converted with the installed layer plugins run
close to TFLite's reference interpreter.

Bounds, with s = max(1, max |TFLite output|), at sf = 2^12: the float run of the converted
model (its weights rounded to 1/sf) within 1e-3 s, and the integer run (the witness,
divided by sf) within 2e-3 s: each op adds a few roundings of 1/sf, and values stay of
order 1 (weights scaled by 1 / fan-in). Measured over 400 examples: 5.2e-4 s and 5.4e-4 s.
"""

from __future__ import annotations

import numpy as np
import tflite_refs as ref
from hypothesis import given, settings
from random_models import random_cnn

from zkml_core.convert.converter import ConvertOptions, convert
from zkml_core.convert.inputs import scale_inputs
from zkml_core.convert.tflite_reader import parse_tflite
from zkml_core.model import execute_float, execute_int
from zkml_core.plugins import Registry

SF = 2**12
LAYERS = Registry(autoload=True, blocked=()).layers()


@settings(max_examples=40, deadline=None)
@given(random_cnn())
def test_random_cnn_matches_the_interpreter(case):
    data, x, ops = case
    (want,) = ref.run_interpreter(data, x)
    model = convert(parse_tflite(data, "random.tflite"), LAYERS, ConvertOptions(scale_factor=SF))
    assert len(model.layers) == len(ops)
    inputs = scale_inputs(model, [x])
    scale = max(1.0, float(np.abs(want).max()))
    flt = execute_float(model, LAYERS, inputs=inputs).outputs[0]
    assert np.abs(flt - want).max() <= 1e-3 * scale, ops
    got = execute_int(model, LAYERS, inputs=inputs).outputs[0] / SF
    assert np.abs(got - want).max() <= 2e-3 * scale, ops
