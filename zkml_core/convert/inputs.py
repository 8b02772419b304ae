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


def scale_inputs(model: Model, arrays: Sequence[np.ndarray],
                 names: Sequence[str] | None = None) -> list[Tensor]:
    """One tensor per model input (``inp_idxes`` order): round(x * sf) as int64.

    An array may have any shape with the input's number of values (it is reshaped);
    ``names`` label the arrays in errors (e.g. their file names).
    """
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
        data = np.round(arr.astype(np.float64) * model.global_sf).astype(np.int64)
        out.append(Tensor(idx=idx, shape=shape, data=data.reshape(-1)))
    return out
