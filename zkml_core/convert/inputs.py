"""Float input arrays -> a model's input tensors at its scale factor (zkml's input converter)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from zkml_core.errors import ModelError
from zkml_core.model import Model, Tensor


def input_shapes(model: Model) -> dict[int, tuple[int, ...]]:
    """Shape of each model input, from the first layer that reads it."""
    shapes: dict[int, tuple[int, ...]] = {}
    for spec in model.layers:
        for idx, shape in zip(spec.inp_idxes, spec.inp_shapes, strict=True):
            if idx in model.inp_idxes:
                shapes.setdefault(idx, tuple(shape))
    return shapes


#: the model-extra keys the converter writes for quantised inputs and outputs
#: ("idx" -> [scale, zero_point, type]; see converter.py)
INPUT_QUANT_KEY = "tflite_input_quantization"
OUTPUT_QUANT_KEY = "tflite_output_quantization"
#: "idx" -> the TFLite type (INT8, ...) of weights stored as raw quantised codes
WEIGHT_TYPE_KEY = "tflite_weight_types"
#: the integer codes each quantised TFLite type holds
QRANGE = {"INT8": (-128, 127), "UINT8": (0, 255), "INT16": (-32768, 32767)}


def quantize_input(arr: np.ndarray, scale: float, zero_point: int, type_name: str
                   ) -> np.ndarray:
    """TFLite's QUANTIZE: round(x / scale) (halves away from zero) + zero point, saturated."""
    q = np.asarray(arr, dtype=np.float32) / np.float32(scale)
    rounded = np.sign(q) * np.floor(np.abs(q) + np.float32(0.5))
    lo, hi = QRANGE[type_name]
    return np.clip(rounded.astype(np.int64) + zero_point, lo, hi)


def scale_inputs(model: Model, arrays: Sequence[np.ndarray],
                 names: Sequence[str] | None = None) -> list[Tensor]:
    """One tensor per model input (``inp_idxes`` order) as int64: round(x * sf), or for an
    input of a quantised TFLite model its quantised integers (:func:`quantize_input`).

    An array may have any shape with the input's number of values (it is reshaped);
    ``names`` label the arrays in errors (e.g. their file names).
    """
    quant = model.extra.get(INPUT_QUANT_KEY) or {}
    if len(arrays) != len(model.inp_idxes):
        raise ModelError(f"{model.source} has {len(model.inp_idxes)} input(s) (tensors "
                         f"{list(model.inp_idxes)}); got {len(arrays)} array(s), one is "
                         "needed for each")
    names = names or [f"array {i}" for i in range(len(arrays))]
    shapes = input_shapes(model)
    out = []
    for idx, arr, name in zip(model.inp_idxes, arrays, names, strict=True):
        arr = np.asarray(arr)
        shape = shapes.get(idx, arr.shape)
        if arr.size != int(np.prod(shape)) or arr.dtype.kind not in "fiub":
            raise ModelError(f"{name}: a {arr.dtype} array of shape {list(arr.shape)} does "
                             f"not fit model input {idx} of shape {list(shape)}")
        if str(idx) in quant:
            data = quantize_input(arr, *quant[str(idx)])
        else:
            data = np.round(arr.astype(np.float64) * model.global_sf).astype(np.int64)
        out.append(Tensor(idx=idx, shape=shape, data=data.reshape(-1)))
    return out
