"""Running a model: the layers in file order over a map ``tensor idx -> array``.

Two modes over the same model and the same layer classes:

- ``"int"``: each layer's ``forward_int`` on int64 arrays at scale ``sf`` (the witness);
- ``"float"``: each layer's ``forward_float`` on float64 arrays, starting from the same
  stored integers divided by ``sf`` (the reference the integer run approximates).

Layer classes come from the caller as ``{layer_type: Layer subclass}`` (the plugin
registry's ``layers()``, or a literal dict in tests), so this module never imports
plugins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

import attrs
import numpy as np

from zkml_core.errors import ModelError, UnsupportedError, ZkmlError
from zkml_core.interfaces import Layer
from zkml_core.model.context import ExecContext
from zkml_core.model.ir import LayerSpec, Model, Tensor, same_shape

Mode = Literal["int", "float"]


class UnknownLayerError(UnsupportedError, ModelError):
    """The model uses a ``layer_type`` that no installed plugin provides."""


def unknown_layers(model: Model, layer_classes: Mapping[str, type]) -> list[tuple[int, str]]:
    """``(layer index, layer_type)`` of every layer with no class in ``layer_classes``."""
    return [(i, s.layer_type) for i, s in enumerate(model.layers)
            if s.layer_type not in layer_classes]


def layer_label(model: Model, i: int, spec: LayerSpec) -> str:
    return f"{model.source}: layers[{i}] ({spec.layer_type})"


def build_layers(model: Model, layer_classes: Mapping[str, type[Layer]]) -> list[Layer]:
    """One layer object per layer entry; every unknown type is named in one error."""
    missing = unknown_layers(model, layer_classes)
    if missing:
        types = sorted({t for _, t in missing})
        first = ", ".join(f"layers[{i}] ({t})" for i, t in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        known = ", ".join(sorted(layer_classes)) or "none"
        raise UnknownLayerError(
            f"{model.source}: no installed plugin provides the layer type"
            f"{'s' if len(types) > 1 else ''} {', '.join(repr(t) for t in types)} "
            f"(used by {first}{more}); installed layers: {known}. "
            "Run `zkml plugins` to see every plugin and its status, or install a plugin "
            "that provides it")
    layers = []
    for i, spec in enumerate(model.layers):
        try:
            layers.append(layer_classes[spec.layer_type](spec))
        except ZkmlError as exc:
            raise type(exc)(f"{layer_label(model, i, spec)}: {exc}") from exc
    return layers


def live_layers(model: Model, layers: list[Layer]) -> list[bool]:
    """Which layers feed an output (``out_idxes`` or a ``commit_after`` group).

    Walks the layers backwards through each layer's ``required_inputs``. The others (for
    example zkml's Noop/Concatenation chains that only build a Reshape's ignored shape
    tensor) need not run: nothing observable depends on them.
    """
    needed = set(model.out_idxes) | {i for group in model.commit_after for i in group}
    live = [False] * len(layers)
    for i in reversed(range(len(layers))):
        spec = model.layers[i]
        if any(o in needed for o in spec.out_idxes):
            live[i] = True
            needed.update(spec.inp_idxes[p] for p in layers[i].required_inputs())
    return live


@attrs.frozen
class Execution:
    """The result of a run: every tensor by idx, and the ``out_idxes`` tensors in order.

    ``skipped`` lists the indices of layers that were not run because no output
    depends on them.
    """

    mode: str
    tensors: dict[int, np.ndarray]
    out_idxes: tuple[int, ...]
    skipped: tuple[int, ...] = ()

    @property
    def outputs(self) -> list[np.ndarray]:
        return [self.tensors[i] for i in self.out_idxes]


def _initial_tensors(model: Model, mode: Mode) -> dict[int, np.ndarray]:
    sf = model.global_sf
    values: dict[int, np.ndarray] = {}
    for idx, t in model.tensor_map().items():
        if t.data is None:
            continue
        arr = t.array()
        values[idx] = arr if mode == "int" else arr.astype(np.float64) / sf
    return values


def _check_outputs(label: str, spec: LayerSpec, outs: object, mode: Mode) -> list[np.ndarray]:
    if not isinstance(outs, (list, tuple)) or len(outs) != len(spec.out_idxes):
        raise ModelError(f"{label}: the layer returned {type(outs).__name__} "
                         f"{len(outs) if isinstance(outs, (list, tuple)) else ''} outputs "
                         f"but out_idxes names {len(spec.out_idxes)}")
    checked = []
    for j, (out, want) in enumerate(zip(outs, spec.out_shapes, strict=True)):
        out = np.asarray(out)
        if not same_shape(out.shape, want):
            raise ModelError(f"{label}: output {j} has shape {list(out.shape)} but the file "
                             f"says out_shapes[{j}] = {list(want)}")
        if mode == "int" and out.dtype != np.int64:
            raise ModelError(f"{label}: forward_int returned {out.dtype} for output {j}, "
                             "not int64; this is a bug in the layer plugin")
        checked.append(out)
    return checked


def _gather_inputs(label: str, spec: LayerSpec, layer: Layer, values: dict[int, np.ndarray],
                   model: Model) -> list[np.ndarray | None]:
    required = set(layer.required_inputs())
    args: list[np.ndarray | None] = []
    for pos, (idx, want) in enumerate(zip(spec.inp_idxes, spec.inp_shapes, strict=True)):
        if pos not in required:
            args.append(values.get(idx))
            continue
        if idx not in values and idx in model.inp_idxes:
            raise ModelError(f"{label}: the model input tensor {idx} has no data; pass an "
                             f"input file (e.g. inp.msgpack) with a tensor of idx {idx}")
        if idx not in values and idx in model.tensor_map():
            raise ModelError(f"{label}: tensor {idx} has a shape but no data: "
                             f"{model.source} is a config-only file; use the model file "
                             "with the weights")
        if idx not in values:
            raise ModelError(f"{label}: input tensor {idx} is neither a model tensor with "
                             "data, an input nor an earlier layer's output")
        if not same_shape(values[idx].shape, want):
            raise ModelError(f"{label}: input tensor {idx} has shape "
                             f"{list(values[idx].shape)} but the layer expects {list(want)}")
        args.append(values[idx])
    return args


def execute(model: Model, layer_classes: Mapping[str, type[Layer]], mode: Mode = "int",
            inputs: list[Tensor] | None = None, ctx: ExecContext | None = None,
            progress: Callable[[int, int, LayerSpec], None] | None = None,
            prune: bool = True) -> Execution:
    """Run the layers in file order; ``inputs`` (an input file's tensors) are merged first.

    Each layer reads the tensors named by ``inp_idxes`` (model tensors, inputs or earlier
    outputs), whose shapes must equal ``inp_shapes``, and its outputs must have the
    ``out_shapes`` of the file. With ``prune`` only layers some output depends on run
    (see :func:`live_layers`). ``progress(i, n, spec)`` is called before each layer run.
    """
    if mode not in ("int", "float"):
        raise ValueError(f"mode must be 'int' or 'float', not {mode!r}")
    if inputs:
        model = model.with_inputs(inputs)
    ctx = ctx or ExecContext.from_model(model)
    layers = build_layers(model, layer_classes)
    live = live_layers(model, layers) if prune else [True] * len(layers)
    values = _initial_tensors(model, mode)
    for i, (spec, layer) in enumerate(zip(model.layers, layers, strict=True)):
        if not live[i]:
            continue
        label = layer_label(model, i, spec)
        if progress is not None:
            progress(i, len(layers), spec)
        args = _gather_inputs(label, spec, layer, values, model)
        try:
            forward = layer.forward_int if mode == "int" else layer.forward_float
            outs = forward(args, ctx)
        except ZkmlError as exc:
            raise type(exc)(f"{label}: {exc}") from exc
        for idx, out in zip(spec.out_idxes, _check_outputs(label, spec, outs, mode),
                            strict=True):
            values[idx] = out
    for idx in model.out_idxes:
        if idx not in values:
            raise ModelError(f"{model.source}: output tensor {idx} (out_idxes) is never "
                             "computed by a layer nor stored in the file")
    skipped = tuple(i for i, alive in enumerate(live) if not alive)
    return Execution(mode=mode, tensors=values, out_idxes=tuple(model.out_idxes),
                     skipped=skipped)


def execute_int(model: Model, layer_classes: Mapping[str, type[Layer]],
                inputs: list[Tensor] | None = None, **kw) -> Execution:
    """The witness run: every layer's ``forward_int`` (int64 at scale sf)."""
    return execute(model, layer_classes, "int", inputs, **kw)


def execute_float(model: Model, layer_classes: Mapping[str, type[Layer]],
                  inputs: list[Tensor] | None = None, **kw) -> Execution:
    """The float64 reference run: every layer's ``forward_float`` on data / sf."""
    return execute(model, layer_classes, "float", inputs, **kw)
