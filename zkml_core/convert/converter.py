"""TFLite graph -> zkml model, one operator at a time through the layer plugins.

Every layer plugin lists the TFLite builtin ops it converts (``tflite_ops``) and turns
one operator into layer specs in ``from_tflite(op, ctx)``:

- ``op`` is a :class:`~zkml_core.convert.tflite_reader.TFLiteOperator` (op name, input
  and output tensor indices, builtin options as a dict);
- ``ctx`` is the :class:`ConvertContext` below: tensor shapes and constants, the fused
  activation code, :meth:`ConvertContext.layer` to build a spec with its shapes filled in,
  :meth:`ConvertContext.add_constant` for derived weights (e.g. transposed);
- it returns a :class:`~zkml_core.model.LayerSpec`, a list of them, or None to decline
  (the converter then tries the next plugin listing the op, in name order).

Float models are quantised like zkml's converter: one scale factor ``sf`` for the whole
model; FLOAT32 constants become ``round(x * sf)``, INT32/INT64 constants are kept
unscaled; a scalar constant is stored with shape ``[1]`` while the layers' ``inp_shapes``
keep TFLite's ``[]`` (as zkml's converter does). Tensor indices stay those of the file.

DEQUANTIZE operators of constants (float16 or int8-stored weights of float models) are
evaluated by the converter: their outputs become float constants, no layer needed.

Quantised (int8 / uint8 / int16) operators are looked up as ``"CONV_2D:int8"`` etc.
(:meth:`~zkml_core.convert.tflite_reader.TFLiteGraph.op_key`), so only layers that list
that key convert them; their constants (int8 weights, int32 biases) are stored as the
raw integers, and ``ctx.quantization(idx)`` gives scales and zero points
(:mod:`zkml_core.convert.tflite_quant` has TFLite's requantisation arithmetic). The
quantisation of quantised model inputs is kept in the model's ``extra``
(``tflite_input_quantization``: "idx" -> [scale, zero_point, type]) for ``zkml input``,
and that of quantised outputs (``tflite_output_quantization``) for decoding proved outputs;
``tflite_weight_types`` names the quantised type of weights stored as raw codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from zkml_core.convert.inputs import INPUT_QUANT_KEY, OUTPUT_QUANT_KEY, QRANGE, WEIGHT_TYPE_KEY
from zkml_core.convert.options import ConvertOptions
from zkml_core.convert.tflite_reader import (
    TFLiteGraph,
    TFLiteOperator,
    TFLiteQuantization,
    TFLiteTensor,
    check_supported,
)
from zkml_core.errors import ModelError, PluginError, UnsupportedError, ZkmlError
from zkml_core.interfaces import Layer
from zkml_core.model import LayerSpec, Model, Tensor
from zkml_core.model.ir import MIN_VALUE

#: TFLite ActivationFunctionType codes, which zkml's layer params use
ACTIVATION_CODES = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3, "TANH": 4,
                    "SIGN_BIT": 5}
#: constants stored as their raw integers (others, e.g. STRING, are never layer inputs)
_UNSCALED_TYPES = ("INT8", "UINT8", "INT16", "INT32", "INT64")


class OpNotSupported(UnsupportedError):
    """A layer cannot convert this variant of an op (raised through ``ctx.unsupported``)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        #: the short reason, e.g. "SAME padding is not supported"
        self.reason = reason


def _stored_shape(shape: Sequence[int]) -> tuple[int, ...]:
    return tuple(int(d) for d in shape) or (1,)  # a stored scalar becomes [1], as in zkml


class ConvertContext:
    """What a layer's ``from_tflite`` sees: the graph, the scale factor, helpers."""

    def __init__(self, graph: TFLiteGraph, options: ConvertOptions) -> None:
        self.graph = graph
        self.options = options
        self.scale_factor = options.scale_factor
        #: constants added by layers (float values, or ints when unscaled)
        self.extra: dict[int, tuple[np.ndarray, bool]] = {}
        self._next_idx = len(graph.tensors)

    # -- tensors ------------------------------------------------------------------------

    def tensor(self, idx: int) -> TFLiteTensor:
        return self.graph.tensor(idx)

    def shape(self, idx: int) -> tuple[int, ...]:
        """A tensor's shape as TFLite gives it (``()`` for a scalar)."""
        if idx in self.extra:
            return tuple(self.extra[idx][0].shape)
        return tuple(self.graph.tensor(idx).shape)

    def quantization(self, idx: int) -> TFLiteQuantization | None:
        """Scales and zero points of a quantised tensor (None for float tensors)."""
        if idx in self.extra:
            return None
        return self.graph.tensor(idx).quantization

    def is_constant(self, idx: int) -> bool:
        return idx in self.extra or (0 <= idx < len(self.graph.tensors)
                                     and self.graph.tensor(idx).is_constant)

    def constant(self, idx: int) -> np.ndarray | None:
        """A constant tensor's values (float64 for float tensors), or None (also for
        constants numpy cannot hold: check ``is_constant``)."""
        if idx in self.extra:
            return self.extra[idx][0]
        t = self.graph.tensor(idx)
        if t.data is None:
            return None
        return t.data.astype(np.float64) if t.data.dtype.kind == "f" else t.data.copy()

    def add_constant(self, values: np.ndarray, scaled: bool = True) -> int:
        """A new constant tensor (real values; stored as round(x * sf) when ``scaled``)."""
        idx = self._next_idx
        self._next_idx += 1
        self.extra[idx] = (np.asarray(values), scaled)
        return idx

    # -- options --------------------------------------------------------------------------

    def activation(self, op: TFLiteOperator, allowed: Iterable[str] = ("NONE", "RELU", "RELU6")
                   ) -> int:
        """The TFLite code of the op's fused activation; an UnsupportedError if not allowed."""
        name = op.options.get("fused_activation_function", "NONE")
        if name not in allowed:
            raise self.unsupported(op, f"fused activation {name} (supported: "
                                       f"{', '.join(allowed)})")
        return ACTIVATION_CODES[name]

    def unsupported(self, op: TFLiteOperator, what: str) -> UnsupportedError:
        """The error to raise for an op variant the layer cannot convert."""
        reason = f"{what} is not supported by the installed layer plugins"
        return OpNotSupported(f"{self.graph.source}: operator #{op.index} {op.op}: {reason}",
                              reason)

    # -- specs ----------------------------------------------------------------------------

    def layer(self, layer_type: str, op: TFLiteOperator, params: Sequence[int] = (),
              inputs: Sequence[int] | None = None, outputs: Sequence[int] | None = None,
              mask: Sequence[int] = ()) -> LayerSpec:
        """A LayerSpec over ``inputs``/``outputs`` (default: the op's; -1 entries dropped)."""
        ins = [i for i in (op.inputs if inputs is None else inputs) if i >= 0]
        outs = list(op.outputs if outputs is None else outputs)
        return LayerSpec(layer_type=layer_type, params=[int(p) for p in params],
                         inp_idxes=ins, inp_shapes=[self.shape(i) for i in ins],
                         out_idxes=outs, out_shapes=[self.shape(i) for i in outs],
                         mask=[int(m) for m in mask])

    # -- stored data ------------------------------------------------------------------------

    def stored(self, idx: int) -> np.ndarray:
        """The int64 data zkml stores for a constant: round(x * sf) for float tensors,
        the raw integers otherwise."""
        if idx in self.extra:
            values, scaled = self.extra[idx]
            return self._scaled(idx, values) if scaled else values.astype(np.int64)
        t = self.graph.tensor(idx)
        if t.data is None:
            kind = "a sparse" if t.sparse else f"an {t.type}" if t.type[0] in "AEIOU" \
                else f"a {t.type}"
            raise UnsupportedError(
                f"{self.graph.source}: constant tensor {idx} ({t.name!r}) is {kind} tensor, "
                "which zkml cannot read; export the model with dense float32 or int8 weights")
        if t.data.dtype.kind == "f":
            return self._scaled(idx, t.data)
        if t.type in _UNSCALED_TYPES:
            return t.data.astype(np.int64)
        raise ModelError(f"{self.graph.source}: constant tensor {idx} ({t.name!r}) has type "
                         f"{t.type}, which the converter cannot store")


    def _scaled(self, idx: int, values: np.ndarray) -> np.ndarray:
        """round(x * sf) as int64, refusing values zkml cannot hold."""
        with np.errstate(invalid="ignore", over="ignore"):  # inf / NaN are refused below
            scaled = np.round(np.asarray(values, dtype=np.float64) * self.scale_factor)
        name = f"constant tensor {idx}"
        if idx < len(self.graph.tensors):
            name += f" ({self.graph.tensor(idx).name!r})"
        if not np.isfinite(scaled).all():
            raise ModelError(f"{self.graph.source}: {name} holds inf or NaN, which a "
                             "fixed-point model cannot represent")
        if scaled.size and (scaled.min() < MIN_VALUE or scaled.max() >= 2.0**62):
            raise ModelError(f"{self.graph.source}: {name} reaches {scaled.min():.4g} .. "
                             f"{scaled.max():.4g} at scale factor {self.scale_factor}; zkml "
                             "stores values >= -2^31: use a smaller scale factor")
        return scaled.astype(np.int64)


def layers_by_op(layers: Mapping[str, type[Layer]] | Iterable[type[Layer]]
                 ) -> dict[str, list[type[Layer]]]:
    """TFLite op name -> the layer classes that list it, in layer-name order."""
    classes = layers.values() if isinstance(layers, Mapping) else layers
    out: dict[str, list[type[Layer]]] = {}
    for cls in sorted(classes, key=lambda c: c.name):
        for op in cls.tflite_ops:
            out.setdefault(op, []).append(cls)
    return out


def _fold_constants(graph: TFLiteGraph, ops: list[TFLiteOperator], ctx: ConvertContext
                    ) -> list[TFLiteOperator]:
    """Evaluate DEQUANTIZE of constants (float16 or int8 weights of float models) here:
    their outputs become constants, and no layer is needed for them."""
    rest = []
    for op in ops:
        src = op.inputs[0] if op.inputs else -1
        if (op.op != "DEQUANTIZE" or src < 0 or not ctx.is_constant(src)
                or ctx.constant(src) is None):
            rest.append(op)
            continue
        t = graph.tensor(src)
        values = t.data.astype(np.float64)
        q = t.quantization
        if q is not None:
            shape = [1] * values.ndim
            if q.per_channel:
                shape[q.quantized_dimension] = len(q.scales)
            scales = q.scales.astype(np.float64).reshape(shape or [1])
            values = scales * (values - q.zero_points.reshape(shape or [1]))
        out = op.outputs[0]
        ctx.extra[out] = (values.reshape(graph.tensor(out).shape), True)
    return rest


def _as_specs(result: Any, cls: type, op: TFLiteOperator) -> list[LayerSpec] | None:
    if result is None:
        return None
    specs = [result] if isinstance(result, LayerSpec) else list(result)
    for s in specs:
        if not isinstance(s, LayerSpec):
            raise ModelError(f"layer plugin {cls.__module__}.{cls.__qualname__}.from_tflite "
                             f"returned {type(s).__name__} for operator #{op.index} {op.op}, "
                             "not a LayerSpec; this is a bug in the plugin")
    return specs


def convert(graph: TFLiteGraph, layers: Mapping[str, type[Layer]] | Iterable[type[Layer]],
            options: ConvertOptions | None = None) -> Model:
    """Convert a TFLite graph to a zkml Model with the given layer classes (see the
    module docstring for float and quantised models).

    Raises one UnsupportedError listing every operator no layer converts.
    """
    options = options or ConvertOptions()
    for what, value, low in (("scale factor", options.scale_factor, 1), ("k", options.k, 1),
                             ("number of columns", options.num_cols, 1),
                             ("num_random", options.num_random, 0)):
        if value < low:
            raise ModelError(f"the {what} must be >= {low}, got {value}")
    ops = list(graph.operators[options.start_layer:options.end_layer])
    if not ops:
        raise ModelError(f"{graph.source}: no operators to convert in layers "
                         f"[{options.start_layer}, {options.end_layer})")
    by_op = layers_by_op(layers)
    ctx = ConvertContext(graph, options)
    ops = _fold_constants(graph, ops, ctx)
    sub = attrs.evolve(graph, operators=tuple(ops))
    check_supported(sub, [c for cs in by_op.values() for c in cs])

    specs: list[LayerSpec] = []
    origin: list[TFLiteOperator] = []  # the operator each spec came from
    failed: list[tuple[int, str, str]] = []
    for op in ops:
        converted = None
        key = graph.op_key(op)
        for cls in by_op[key]:
            try:
                converted = _as_specs(cls.from_tflite(op, ctx), cls, op)
            except NotImplementedError:
                failed.append((op.index, key, f"{cls.name} has no from_tflite"))
                converted = []
            except UnsupportedError as exc:
                failed.append((op.index, key, getattr(exc, "reason", str(exc))))
                converted = []
            except ZkmlError as exc:
                raise type(exc)(f"{graph.source}: operator #{op.index} {op.op}: {exc}") from exc
            except Exception as exc:  # a plugin bug, or a malformed op it did not expect
                raise PluginError(
                    f"{graph.source}: layer plugin {cls.__module__}.{cls.__qualname__} failed "
                    f"on operator #{op.index} {op.op} ({type(exc).__name__}: {exc}); the "
                    "model may be malformed, or the plugin has a bug (--debug shows where)"
                ) from exc
            if converted is not None:
                break
        if converted is None:
            names = ", ".join(c.name for c in by_op[key])
            failed.append((op.index, key, f"declined by {names}"))
        else:
            specs.extend(converted)
            origin.extend([op] * len(converted))
    if failed:
        listed = "; ".join(f"#{i} {name}: {why}" for i, name, why in failed)
        raise UnsupportedError(f"{graph.source}: {len(failed)} operator(s) cannot be "
                               f"converted: {listed}")
    if not specs:
        raise ModelError(f"{graph.source}: the operators in [{options.start_layer}, "
                         f"{options.end_layer}) only compute constants: no layer to prove")
    _check_specs(graph, specs, origin, layers)
    return _model(graph, ctx, specs, options)


def _check_specs(graph: TFLiteGraph, specs: list[LayerSpec], origin: list[TFLiteOperator],
                 layers: Mapping[str, type[Layer]] | Iterable[type[Layer]]) -> None:
    """Build every layer once, so a spec its class rejects fails now, naming the op."""
    classes = layers if isinstance(layers, Mapping) else {c.name: c for c in layers}
    for spec, op in zip(specs, origin, strict=True):
        where = f"{graph.source}: operator #{op.index} {op.op} -> layer {spec.layer_type}"
        cls = classes.get(spec.layer_type)
        if cls is None:
            raise UnsupportedError(f"{where}: no installed plugin provides the layer type "
                                   f"{spec.layer_type!r}; `zkml plugins` lists the layers")
        try:
            cls(spec)
        except ZkmlError as exc:
            raise type(exc)(f"{where}: {exc}") from exc
        except Exception as exc:  # a plugin bug
            raise PluginError(f"{where}: {cls.__module__}.{cls.__qualname__} failed on the "
                              f"spec its converter made ({type(exc).__name__}: {exc})") from exc


def _model(graph: TFLiteGraph, ctx: ConvertContext, specs: list[LayerSpec],
           options: ConvertOptions) -> Model:
    produced = {i for s in specs for i in s.out_idxes}
    used = sorted({i for s in specs for i in s.inp_idxes})
    tensors = []
    weight_types: dict[str, str] = {}
    for idx in used:
        if idx in produced or not ctx.is_constant(idx):
            continue
        data = ctx.stored(idx)
        if data is not None:
            tensors.append(Tensor(idx=idx, shape=_stored_shape(ctx.shape(idx)),
                                  data=data.reshape(-1)))
            # raw integer codes of a quantised type: the circuit bounds them when the
            # weights are not fixed (only when the stored values are the codes)
            t = graph.tensor(idx) if idx < len(graph.tensors) and idx not in ctx.extra \
                else None
            if t is not None and t.type in QRANGE and data.size:
                lo, hi = QRANGE[t.type]
                if lo <= int(data.min()) and int(data.max()) <= hi:
                    weight_types[str(idx)] = t.type
    free = {i for i in used if i not in produced and not ctx.is_constant(i)}
    # graph inputs first, in the file's order, then any other free tensor
    inputs = tuple([i for i in graph.inputs if i in free] + sorted(free - set(graph.inputs)))
    # the graph's outputs when the whole graph was converted (zkml's converter exposed
    # only the last layer's outputs, which is what a truncated graph still gets)
    whole = options.start_layer == 0 and options.end_layer is None
    if whole and graph.outputs and all(i in produced for i in graph.outputs):
        outputs = tuple(graph.outputs)
    else:
        outputs = tuple(specs[-1].out_idxes)
    extra: dict[str, Any] = {"commit": options.commit}
    for key, idxes in ((INPUT_QUANT_KEY, inputs), (OUTPUT_QUANT_KEY, outputs)):
        quant = {i: graph.tensor(i).quantization for i in idxes if i < len(graph.tensors)}
        if any(q is not None for q in quant.values()):
            extra[key] = {
                str(i): [float(q.scales[0]), int(q.zero_points[0]), graph.tensor(i).type]
                for i, q in quant.items() if q is not None}
    if weight_types:
        extra[WEIGHT_TYPE_KEY] = weight_types
    commit_before = commit_after = []
    if options.commit:
        commit_before = [[t.idx for t in tensors], list(inputs)]
        commit_after = [list(outputs)]
    return Model(global_sf=options.scale_factor, k=options.k, num_cols=options.num_cols,
                 inp_idxes=inputs, out_idxes=outputs, tensors=tensors, layers=specs,
                 use_selectors=options.use_selectors, commit_before=commit_before,
                 commit_after=commit_after, num_random=options.num_random,
                 extra=extra, source=graph.source)
