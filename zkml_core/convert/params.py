"""Choosing the scale factor and k from a calibration input (range analysis).

Every value a layer outputs goes through lookups whose table covers
``[-2^(k-1), 2^(k-1) - 10]`` (zkml's ``min_val`` / ``max_val``). The converter runs the
integer model (the witness semantics, ``forward_int``) on calibration inputs and:

- ``k``: the smallest k whose range holds the largest |value| seen, times ``headroom``
  (inputs met later may be larger than the calibration ones);
- the scale factor: the largest power of two (up to ``max_scale_factor``) whose values
  still fit the range of the given k with that headroom; a larger scale factor means
  smaller rounding errors.

Rows needed by the circuit are not counted here: k is at least what the value range
requires. ``zkml convert`` then fits the layout
(:func:`zkml_core.proving.pipeline.fit_model_layout`): k rises until the circuit fits 2^k
rows, and the columns shrink to the fewest that still fit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import attrs
import numpy as np

from zkml_core.convert.converter import ConvertOptions, convert
from zkml_core.convert.inputs import scale_inputs
from zkml_core.convert.tflite_reader import TFLiteGraph
from zkml_core.errors import ModelError
from zkml_core.interfaces import Layer
from zkml_core.model import Model, execute_int

#: zkml's max_val is 2^(k-1) - 10
_MAX_VAL_MARGIN = 10
MIN_K, MAX_K = 6, 28


def max_abs_value(model: Model, layers: Mapping[str, type[Layer]],
                  calibration: Sequence[Sequence[np.ndarray]],
                  progress: Callable[[str], None] | None = None) -> int:
    """The largest |integer| any layer output or input takes over the calibration inputs
    (``progress`` gets a short line before each sample's run)."""
    peak = 0
    produced = {i for s in model.layers for i in s.out_idxes} | set(model.inp_idxes)
    for n, arrays in enumerate(calibration):
        if progress is not None:
            progress(f"range analysis at scale factor {model.global_sf}: sample "
                     f"{n + 1}/{len(calibration)}")
        run = execute_int(model, layers, inputs=scale_inputs(model, arrays))
        for idx in produced:
            v = run.tensors.get(idx)  # layers no output depends on are not run
            if v is not None and v.size:
                peak = max(peak, int(np.abs(v).max()))
    return peak


def k_for(value: int) -> int:
    """The smallest k with ``value <= 2^(k-1) - 10`` (at least MIN_K)."""
    k = MIN_K
    while 2 ** (k - 1) - _MAX_VAL_MARGIN < value:
        k += 1
    return k


def calibration_samples(graph: TFLiteGraph, arrays: Sequence[np.ndarray]
                        ) -> list[list[np.ndarray]]:
    """Split one array per graph input into samples: an array holding exactly the input's
    number of values is one sample, a multiple of it is a batch of samples (stacked along
    the first axis). Returns one list of arrays (one per input) per sample."""
    if len(arrays) != len(graph.inputs):
        raise ModelError(f"{graph.source} has {len(graph.inputs)} input(s); got "
                         f"{len(arrays)} calibration array(s), one is needed for each")
    per_input = []
    for idx, arr in zip(graph.inputs, arrays, strict=True):
        shape = graph.tensor(idx).shape
        n = int(np.prod(shape)) if shape else 1
        arr = np.asarray(arr)
        if n == 0 or arr.size % n or arr.size == 0:
            raise ModelError(f"a calibration array of shape {list(arr.shape)} is neither "
                             f"one input {idx} of shape {list(shape)} nor a batch of them")
        per_input.append(list(arr.reshape(-1, *shape)) if arr.size > n else [arr])
    counts = sorted({len(s) for s in per_input})
    if len(counts) > 1:
        raise ModelError(f"the calibration arrays hold different numbers of samples: {counts}")
    return [list(sample) for sample in zip(*per_input, strict=True)]


def quantized_range_samples(graph: TFLiteGraph, random: int = 6, seed: int = 0
                            ) -> list[list[np.ndarray]] | None:
    """Calibration samples for a graph whose inputs are all quantised (int8, uint8,
    int16), or None: each input at the two ends of its representable range, then
    ``random`` uniform draws over it. Quantised layers saturate their outputs, so these
    bound what any input can reach (a float part inside such a model is measured on
    them too; ``--calibrate`` with real inputs stays the better choice there)."""
    from zkml_core.convert.inputs import QRANGE

    if not graph.inputs:
        return None
    spans = []
    for idx in graph.inputs:
        t = graph.tensor(idx)
        q = t.quantization
        if q is None or t.type not in QRANGE:
            return None
        lo, hi = QRANGE[t.type]
        spans.append((t.shape, float(q.scales[0]), int(q.zero_points[0]), lo, hi))
    rng = np.random.default_rng(seed)
    samples = []
    for n in range(2 + random):
        sample = []
        for shape, scale, zero, lo, hi in spans:
            codes = (np.full(shape, lo if n == 0 else hi) if n < 2
                     else rng.integers(lo, hi + 1, size=shape))
            sample.append(((codes - zero) * scale).astype(np.float32))
        samples.append(sample)
    return samples


@attrs.frozen
class Choice:
    """The chosen parameters and the range measurement behind them."""

    options: ConvertOptions
    #: largest |integer| on the calibration inputs at the chosen scale factor
    peak: int


def choose_parameters(graph: TFLiteGraph, layers: Mapping[str, type[Layer]],
                      calibration: Sequence[Sequence[np.ndarray]],
                      options: ConvertOptions | None = None, *, auto_scale: bool = True,
                      auto_k: bool = True, headroom: float = 2.0,
                      max_scale_factor: int = 2**16,
                      progress: Callable[[str], None] | None = None) -> Choice:
    """Pick the scale factor and/or k by range analysis (see the module docstring).

    With ``auto_scale`` the scale factor is the largest power of two whose headroom-scaled
    peak fits ``options.k`` (or fits MAX_K when k is chosen too, preferring the default
    k's range); with ``auto_k`` k is the smallest that holds the peak times headroom.
    """
    options = options or ConvertOptions()
    if not calibration:
        raise ModelError("automatic parameters need at least one calibration input")

    peaks: dict[int, int] = {}

    def peak_at(sf: int) -> int:
        if sf not in peaks:
            # measured with the widest tables, so a large probe scale reports its peak
            # instead of failing a table's range check at the requested k
            model = convert(graph, layers, attrs.evolve(options, scale_factor=sf, k=MAX_K))
            peaks[sf] = max_abs_value(model, layers, calibration, progress)
        return peaks[sf]

    def fits(sf: int) -> bool:
        return k_for(int(peak_at(sf) * headroom)) <= options.k

    sf = options.scale_factor
    if auto_scale:
        # values grow about linearly with sf: guess from one run at 2^10, then check the
        # guess and its neighbours with real runs (a few model runs, not one per power)
        probe = min(2**10, max_scale_factor)
        per_unit = peak_at(probe) / probe
        sf = max_scale_factor
        while sf > 1 and per_unit > 0 and k_for(int(per_unit * sf * headroom)) > options.k:
            sf //= 2
        while sf > 1 and not fits(sf):
            sf //= 2
        while sf * 2 <= max_scale_factor and fits(sf * 2):
            sf *= 2
    peak = peak_at(sf)
    k = k_for(int(peak * headroom)) if auto_k else options.k
    if k > MAX_K:
        raise ModelError(f"values reach {peak} at scale factor {sf}: no k up to {MAX_K} "
                         "holds them; use a smaller scale factor")
    return Choice(options=attrs.evolve(options, scale_factor=sf, k=k), peak=peak)
