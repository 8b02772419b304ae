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


def mask_params(mask: np.ndarray) -> list[int]:
    """zkml's params form of a boolean mask: [ndim, shape..., values...]."""
    return [mask.ndim, *mask.shape, *mask.astype(np.int64).reshape(-1).tolist()]


def constant_mask_operand(ctx, op) -> tuple[int, np.ndarray] | None:
    """For a binary op with one constant operand: (the other input, the constant)."""
    a, b = op.inputs[:2]
    ca, cb = ctx.constant(a), ctx.constant(b)
    if (ca is None) == (cb is None):
        return None
    return (b, ca) if ca is not None else (a, cb)


def producer(ctx, idx: int):
    """The TFLite operator writing tensor ``idx``, or None for inputs and constants."""
    return next((o for o in ctx.graph.operators if idx in o.outputs), None)


def neg_inf_mask(ctx, op) -> tuple[int, np.ndarray] | None:
    """zkml's masking idioms: ADD of a constant of -inf and 0, or SUB of a constant holding
    10000 at the masked cells: (data input, boolean mask), else None."""
    found = constant_mask_operand(ctx, op) if len(op.inputs) == 2 else None
    if found is None:
        return None
    data, const = found
    if op.op == "ADD" and np.isneginf(const).any():
        if not np.all(np.isneginf(const) | (const == 0)):
            raise ctx.unsupported(op, "a constant mixing -inf with values other than 0")
        return data, np.isneginf(const)
    if op.op == "SUB" and data == op.inputs[0] and np.isin(const, 10000).any():
        return data, const == 10000
    return None
