"""Helpers shared by the built-in layer modules: params checks and fused activations."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from zkml_core.errors import CircuitError, ModelError
from zkml_core.interfaces import Layer
from zkml_core.model import LayerSpec
from zkml_core.model.circuit import take
from zkml_core.plonk.layouter import Assigned, Cells

# TFLite's ActivationFunctionType numbering, which zkml's params use
ACT_NONE, ACT_RELU, ACT_RELU6 = 0, 1, 3
ACTIVATION_NAMES = {ACT_NONE: "none", ACT_RELU: "relu", ACT_RELU6: "relu6"}


def expect_params(spec: LayerSpec, count: int, meaning: str) -> tuple[int, ...]:
    """The layer's params, which must be exactly ``count`` integers (``meaning`` lists them)."""
    if len(spec.params) != count:
        raise ModelError(f"params must be [{meaning}] ({count} integers), got "
                         f"{list(spec.params)}")
    return spec.params


def expect_inputs(spec: LayerSpec, allowed: tuple[int, ...], meaning: str) -> None:
    if len(spec.inp_idxes) not in allowed:
        counts = " or ".join(str(n) for n in allowed)
        raise ModelError(f"needs {counts} inputs ({meaning}), got {len(spec.inp_idxes)}")


def check_activation(code: int, allowed: tuple[int, ...]) -> int:
    if code not in allowed:
        names = ", ".join(f"{c} ({ACTIVATION_NAMES[c]})" for c in allowed)
        raise ModelError(f"unsupported fused activation {code}; supported: {names}")
    return code


def activate_int(x: np.ndarray, code: int, sf: int) -> np.ndarray:
    """relu: max(x, 0); relu6: clamp to [0, 6 sf] (zkml's relu6 table)."""
    if code == ACT_RELU:
        return np.maximum(x, 0)
    if code == ACT_RELU6:
        return np.clip(x, 0, 6 * sf)
    return x


def activate_float(x: np.ndarray, code: int) -> np.ndarray:
    if code == ACT_RELU:
        return np.maximum(x, 0.0)
    if code == ACT_RELU6:
        return np.clip(x, 0.0, 6.0)
    return x


def no_circuit(name: str) -> CircuitError:
    """The error ``synthesize`` raises until the layer's circuit is written."""
    return CircuitError(
        f"the circuit for layer {name} is not available yet in this zkml version: its "
        "integer and float semantics run, but it cannot be proven; `zkml plugins` lists "
        "the installed layers")


class BuiltinLayer(Layer):
    """Base of the built-in layers. Checks the common shape of a spec: at least one
    input and ``outputs`` outputs (None: the subclass checks). A subclass without a
    circuit keeps ``synthesize``'s clear error instead of pretending."""

    outputs: int | None = 1

    def __init__(self, spec) -> None:
        super().__init__(spec)
        if not spec.inp_idxes:
            raise ModelError("has no inputs")
        if self.outputs is not None and len(spec.out_idxes) != self.outputs:
            raise ModelError(f"needs {self.outputs} output(s), got {len(spec.out_idxes)}")

    def synthesize(self, inputs, ctx):
        raise no_circuit(self.name)


def pool_window(spec: LayerSpec) -> tuple[tuple[int, int], tuple[int, int]]:
    """Check a pooling layer's params [fh, fw, sh, sw] and 4-D input; (window, strides)."""
    fh, fw, sh, sw = expect_params(spec, 4, "fh, fw, stride_h, stride_w")
    expect_inputs(spec, (1,), "input")
    if min(fh, fw, sh, sw) < 1:
        raise ModelError(f"window and strides must be >= 1, got {list(spec.params)}")
    if len(spec.inp_shapes[0]) != 4:
        raise ModelError(f"input must be 4-D [N,H,W,C], got {list(spec.inp_shapes[0])}")
    _, h, w, _ = spec.inp_shapes[0]
    if h < fh or w < fw:
        raise ModelError(f"a {fh}x{fw} window does not fit the {h}x{w} input")
    return (fh, fw), (sh, sw)


def flat_join(parts: list[Assigned]) -> Assigned:
    """The parts' cells and int64 values, flattened and joined end to end (for take)."""
    cells = Cells.concat([p.cells.flatten() for p in parts])
    values = np.concatenate([np.asarray(p.values, dtype=np.int64).reshape(-1) for p in parts])
    return Assigned(cells, values)


def freivalds_cheaper(m: int, k: int, n: int) -> bool:
    """Whether Freivalds' check of an (M, K) x (K, N) product (M K + K N + 2 M N cells and
    multiplications) beats the direct dot products (M K N)."""
    return m * k + k * n + 2 * m * n < m * k * n


def divider(divisor: int, k: int) -> str:
    """The gadget dividing by the constant ``divisor`` at table size k: var_div_round while
    its remainder check covers the divisor (2 b <= 2^k - 9), else var_div_round_big3."""
    return "var_div_round" if 2 * divisor <= 2**k - 9 else "var_div_round_big3"


class ShapeLayer(BuiltinLayer):
    """A pure re-indexing of cells: the same ``apply`` in both modes, no gadgets.

    The circuit runs ``apply`` on index arrays instead of values and gathers the cells
    they name: the outputs are the inputs' own cells (and a constant zero cell where
    ``apply`` pads with 0), so they need no rows and no constraints.
    """

    def apply(self, inputs: list) -> list:
        raise NotImplementedError

    def forward_int(self, inputs, ctx):
        return self.apply(inputs)

    def forward_float(self, inputs, ctx):
        return self.apply(inputs)

    def gadgets(self, ctx):
        return []

    def synthesize(self, inputs, ctx):
        # index 0 is the zero cell; input i's cells follow, row-major, after the earlier ones
        index_inputs, parts, offset = [], [], 1
        for a in inputs:
            if a is None:  # an input the layer does not read (required_inputs)
                index_inputs.append(None)
                continue
            index_inputs.append(np.arange(offset, offset + a.cells.size,
                                          dtype=np.int64).reshape(a.shape))
            parts.append(a)
            offset += a.cells.size
        outs = [np.asarray(o, dtype=np.int64) for o in self.apply(index_inputs)]
        if any((o == 0).any() for o in outs) or not parts:
            joined = flat_join([ctx.zeros((1,)), *parts])
            return [take(joined, o) for o in outs]
        joined = flat_join(parts)
        return [take(joined, o - 1) for o in outs]


def join(op, inputs: list, axis: int, verb: str) -> np.ndarray:
    """``op(inputs, axis=axis)`` (np.concatenate / np.stack) with a ModelError naming
    the shapes when they do not fit."""
    try:
        return op(inputs, axis=axis)
    except ValueError as exc:  # AxisError is a ValueError too
        shapes = ", ".join(str(list(x.shape)) for x in inputs)
        raise ModelError(f"cannot {verb} {shapes} along axis {axis}") from exc


def constant_ints(ctx, op, position: int, what: str) -> list[int]:
    """The integer values of the op's constant input ``position`` (axes, shapes, ...);
    an UnsupportedError when that input is computed by the graph."""
    idx = op.inputs[position] if position < len(op.inputs) else -1
    values = ctx.constant(idx) if idx >= 0 else None
    if values is None:
        raise ctx.unsupported(op, f"a non-constant {what}")
    return [int(v) for v in np.asarray(values).reshape(-1)]


def normalize_axis(ctx, op, axis: int, ndim: int) -> int:
    """A TFLite axis (negative counts from the end) as an index in [0, ndim)."""
    if not -ndim <= axis < ndim:
        raise ctx.unsupported(op, f"axis {axis} for {ndim} dimensions")
    return axis % ndim


class PoolLayer(BuiltinLayer):
    """Base of the 2-D pooling layers: params [fh, fw, sh, sw], VALID padding only."""

    def __init__(self, spec) -> None:
        super().__init__(spec)
        self.window, self.strides = pool_window(spec)

    def window_cells(self, x: Assigned) -> Assigned:
        """The cells of every VALID window, [N, OH, OW, C, fh * fw] (no rows)."""
        fh, fw = self.window
        sh, sw = self.strides
        idx = np.arange(x.cells.size).reshape(x.shape)
        win = sliding_window_view(idx, (fh, fw), axis=(1, 2))[:, ::sh, ::sw]
        return take(x, win.reshape(*win.shape[:4], fh * fw))

    @classmethod
    def from_tflite(cls, op, ctx):
        opts = op.options
        if opts.get("padding", "VALID") != "VALID":
            raise ctx.unsupported(op, "SAME padding")
        ctx.activation(op, ("NONE",))
        return ctx.layer(cls.name, op, [opts["filter_height"], opts["filter_width"],
                                        opts.get("stride_h", 1), opts.get("stride_w", 1)])
