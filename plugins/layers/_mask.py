"""zkml's broadcast masks in params: [ndim, shape..., values...] (1 = masked)."""

from __future__ import annotations

import math

import numpy as np

from zkml_core.errors import ModelError


def parse_mask(params: tuple[int, ...], inp_shape: tuple[int, ...]) -> np.ndarray | None:
    """The boolean mask broadcast to ``inp_shape``, or None for empty params."""
    if not params:
        return None
    ndim = params[0]
    if ndim < 0 or len(params) < 1 + ndim:
        raise ModelError(f"params must be [ndim, shape..., mask...], got {len(params)} values "
                         f"starting {list(params[:6])}")
    shape = tuple(params[1:1 + ndim])
    values = params[1 + ndim:]
    if len(values) != math.prod(shape) or any(v not in (0, 1) for v in values):
        raise ModelError(f"the mask of shape {list(shape)} needs {math.prod(shape)} values of "
                         f"0 or 1, got {len(values)}")
    mask = np.array(values, dtype=bool).reshape(shape)
    try:
        return np.broadcast_to(mask, tuple(inp_shape))
    except ValueError as exc:
        raise ModelError(f"the mask of shape {list(shape)} does not broadcast to the input "
                         f"{list(inp_shape)}") from exc
