"""Compare a converted model with TFLite on the same inputs (``zkml convert --check``).

The converted model's integer run (``forward_int``, what the proof will attest) against
TFLite's reference interpreter (``BUILTIN_REF`` kernels) on the original .tflite file:
the max absolute difference of each output, in real units (integer outputs divided by the
scale factor, or dequantised for int8 outputs). Needs the ``ai-edge-litert`` package.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs
import numpy as np

from zkml_core.convert.inputs import quantize_input, scale_inputs
from zkml_core.convert.tflite_reader import QUANTISED_TYPES, TFLiteGraph
from zkml_core.errors import UnsupportedError
from zkml_core.interfaces import Layer
from zkml_core.model import Model, execute_int


@attrs.frozen
class Comparison:
    """Per output of the zkml model: max |zkml - TFLite| and max |TFLite|."""

    out_idxes: tuple[int, ...]
    max_abs_error: tuple[float, ...]
    max_abs_output: tuple[float, ...]
    #: whether the argmax of each output agrees (a classifier's prediction)
    same_argmax: tuple[bool, ...]


def run_tflite(model: str | Path | bytes, graph: TFLiteGraph, arrays: Sequence[np.ndarray],
               tensors: Sequence[int]) -> list[np.ndarray]:
    """Values of ``tensors`` when TFLite's reference kernels run ``model`` (a path or the
    file's bytes) on ``arrays`` (float inputs; quantised for quantised model inputs), as
    real numbers."""
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError as exc:
        raise UnsupportedError("comparing with TFLite needs the ai-edge-litert package: "
                               "pip install ai-edge-litert") from exc
    source = ({"model_content": bytes(model)} if isinstance(model, (bytes, bytearray))
              else {"model_path": str(model)})
    it = Interpreter(**source, experimental_preserve_all_tensors=True,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    for idx, arr in zip(graph.inputs, arrays, strict=True):
        t = graph.tensor(idx)
        arr = np.asarray(arr).reshape(t.shape)
        if t.quantization is not None and t.type in QUANTISED_TYPES:
            q = t.quantization
            arr = quantize_input(arr, float(q.scales[0]), int(q.zero_points[0]), t.type)
        it.set_tensor(idx, arr.astype(t.dtype))
    it.invoke()
    out = []
    for idx in tensors:
        value = it.get_tensor(idx).astype(np.float64)
        q = graph.tensor(idx).quantization
        if q is not None and graph.tensor(idx).type in QUANTISED_TYPES:
            value = q.scales[0] * (value - q.zero_points[0])
        out.append(value)
    return out


def compare_with_tflite(tflite: str | Path | bytes, graph: TFLiteGraph, model: Model,
                        layers: Mapping[str, type[Layer]], arrays: Sequence[np.ndarray]
                        ) -> Comparison:
    """Run the converted ``model`` and the .tflite (path or bytes; ``graph`` is what the
    reader made of it) on ``arrays`` (one float array per model input); compare outputs."""
    want = run_tflite(tflite, graph, arrays, model.out_idxes)
    run = execute_int(model, layers, inputs=scale_inputs(model, arrays))
    errors, peaks, argmax = [], [], []
    for idx, w in zip(model.out_idxes, want, strict=True):
        got = run.tensors[idx].astype(np.float64)
        q = graph.tensor(idx).quantization if idx < len(graph.tensors) else None
        if q is not None and graph.tensor(idx).type in QUANTISED_TYPES:
            got = q.scales[0] * (got - q.zero_points[0])
        else:
            got = got / model.global_sf
        w = w.reshape(got.shape)
        errors.append(float(np.abs(got - w).max(initial=0.0)))
        peaks.append(float(np.abs(w).max(initial=0.0)))
        argmax.append(bool(got.size == 0 or np.argmax(got) == np.argmax(w)))
    return Comparison(out_idxes=tuple(model.out_idxes), max_abs_error=tuple(errors),
                      max_abs_output=tuple(peaks), same_argmax=tuple(argmax))


def combine(results: Sequence[Comparison]) -> Comparison:
    """Several samples' comparisons as one: the worst error, largest output, and whether
    every argmax agreed."""
    first = results[0]
    return Comparison(
        out_idxes=first.out_idxes,
        max_abs_error=tuple(max(r.max_abs_error[i] for r in results)
                            for i in range(len(first.out_idxes))),
        max_abs_output=tuple(max(r.max_abs_output[i] for r in results)
                             for i in range(len(first.out_idxes))),
        same_argmax=tuple(all(r.same_argmax[i] for r in results)
                          for i in range(len(first.out_idxes))))
