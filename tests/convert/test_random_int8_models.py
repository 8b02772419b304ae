"""Random int8 CNNs (random_int8_models.py) converted with the int8 layer plugins
(plugins/layers/q_*.py, built on zkml_core.convert.tflite_quant) run bit-exactly like
TFLite's reference kernels: the converter's int8 path (op keys, raw integer constants,
quantisation parameters through ctx) and the requantisation arithmetic together."""

from __future__ import annotations

import numpy as np
import tflite_refs as ref
from hypothesis import given, settings
from int8_plugins import INT8_LAYERS
from random_int8_models import random_int8_cnn

from zkml_core.convert.converter import convert
from zkml_core.convert.tflite_reader import parse_tflite
from zkml_core.model import Tensor, execute_int


@settings(max_examples=40, deadline=None)
@given(random_int8_cnn())
def test_random_int8_cnn_is_bit_exact(case):
    data, xq = case
    (want,) = ref.run_interpreter(data, xq)
    model = convert(parse_tflite(data, "random_int8.tflite"), INT8_LAYERS)
    (idx,) = model.inp_idxes
    inp = Tensor(idx=idx, shape=xq.shape, data=xq.astype(np.int64).ravel())
    got = execute_int(model, INT8_LAYERS, inputs=[inp]).outputs[0]
    np.testing.assert_array_equal(got, want)
