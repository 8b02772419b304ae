"""Reading and writing zkml's msgpack model and input files.

The checks follow zkml's serde loader (required keys, integer types, optional keys with
defaults) plus the ones it leaves to a panic later: data length equal to the product of
the shape, values >= -2^31, matching index/shape list lengths. Every error is a
:class:`ModelError` naming the file and the offending key or layer.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

import msgpack
import numpy as np

from zkml_core.errors import ModelError
from zkml_core.model.ir import (
    DEFAULT_NUM_RANDOM,
    MIN_VALUE,
    LayerSpec,
    Model,
    Tensor,
    same_shape,
)

_INT64_MAX = 2**63 - 1
_MODEL_KEYS = ("global_sf", "k", "num_cols", "inp_idxes", "out_idxes", "tensors", "layers",
               "use_selectors", "commit_before", "commit_after", "bits_per_elem", "num_random")
_LAYER_KEYS = ("layer_type", "params", "inp_idxes", "inp_shapes", "out_idxes", "out_shapes",
               "mask")
_HINT = "re-create it with zkml's converter (or `zkml convert`)"


def _type_name(value: Any) -> str:
    return "nil" if value is None else type(value).__name__


class _Reader:
    """Typed access to decoded msgpack values; errors name the file and the key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, msg: str) -> ModelError:
        return ModelError(f"{self.source}: {where}: {msg}; {_HINT}")

    def int(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"expected an integer, got {_type_name(value)} {value!r:.40}")
        if not -(2**63) <= value <= _INT64_MAX:
            raise self.fail(where, f"{value} does not fit in a signed 64-bit integer")
        return value

    def list(self, value: Any, where: str) -> list:
        if not isinstance(value, list):
            raise self.fail(where, f"expected an array, got {_type_name(value)}")
        return value

    def ints(self, value: Any, where: str) -> list[int]:
        return [self.int(v, f"{where}[{i}]") for i, v in enumerate(self.list(value, where))]

    def shape(self, value: Any, where: str) -> list[int]:
        dims = self.ints(value, where)
        for i, d in enumerate(dims):
            if d < 0:
                raise self.fail(f"{where}[{i}]", f"negative dimension {d}")
        return dims

    def shapes(self, value: Any, where: str) -> list[list[int]]:
        return [self.shape(v, f"{where}[{i}]") for i, v in enumerate(self.list(value, where))]

    def map(self, value: Any, where: str, required: tuple[str, ...]) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected a map, got {_type_name(value)}")
        missing = [k for k in required if k not in value]
        if missing:
            raise self.fail(where, f"missing key{'s' if len(missing) > 1 else ''} "
                                   f"{', '.join(repr(k) for k in missing)}")
        return value

    def data(self, value: Any, where: str, shape: list[int]) -> np.ndarray | None:
        values = self.list(value, where)
        if not values:
            return None  # config-only tensor
        need = math.prod(shape)
        if len(values) != need:
            raise self.fail(where, f"has {len(values)} values but shape {shape} needs {need}")
        try:
            arr = np.asarray(values)
            fast = arr.dtype.kind == "i" and arr.ndim == 1
        except (ValueError, TypeError, OverflowError):  # ragged nesting, odd objects
            fast = False
        if not fast or any(isinstance(v, bool) for v in values):
            # find the first offending value for the message
            for i, v in enumerate(values):
                self.int(v, f"{where}[{i}]")
            arr = np.asarray(values, dtype=np.int64)
        arr = arr.astype(np.int64, copy=False)
        low = int(arr.min())
        if low < MIN_VALUE:
            i = int(arr.argmin())
            raise self.fail(f"{where}[{i}]", f"value {low} is below -2^31, which zkml cannot "
                                             "place in the field")
        return arr


def _unpack(raw: bytes, source: str, what: str) -> Any:
    try:
        return msgpack.unpackb(raw, raw=False, strict_map_key=False)
    except Exception as exc:  # msgpack raises several unrelated exception types
        raise ModelError(f"{source}: not a valid msgpack {what} file "
                         f"({type(exc).__name__}: {exc}); the file may be truncated or of "
                         "another format") from exc


def _read_bytes(path: str | os.PathLike) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _tensor(r: _Reader, value: Any, where: str) -> Tensor:
    m = r.map(value, where, ("idx", "shape", "data"))
    shape = r.shape(m["shape"], f"{where}.shape")
    return Tensor(idx=r.int(m["idx"], f"{where}.idx"), shape=shape,
                  data=r.data(m["data"], f"{where}.data", shape))


def _layer(r: _Reader, value: Any, where: str) -> LayerSpec:
    m = r.map(value, where, _LAYER_KEYS)
    layer_type = m["layer_type"]
    if not isinstance(layer_type, str):
        raise r.fail(f"{where}.layer_type", f"expected a string, got {_type_name(layer_type)}")
    where = f"{where} ({layer_type})"
    spec = LayerSpec(
        layer_type=layer_type,
        params=r.ints(m["params"], f"{where}.params"),
        inp_idxes=r.ints(m["inp_idxes"], f"{where}.inp_idxes"),
        inp_shapes=r.shapes(m["inp_shapes"], f"{where}.inp_shapes"),
        out_idxes=r.ints(m["out_idxes"], f"{where}.out_idxes"),
        out_shapes=r.shapes(m["out_shapes"], f"{where}.out_shapes"),
        mask=r.ints(m["mask"], f"{where}.mask"),
    )
    for kind in ("inp", "out"):
        idxes, shapes = getattr(spec, f"{kind}_idxes"), getattr(spec, f"{kind}_shapes")
        if len(idxes) != len(shapes):
            raise r.fail(where, f"{kind}_idxes has {len(idxes)} entries but {kind}_shapes "
                                f"has {len(shapes)}")
    return spec


def _optional(m: dict, key: str) -> Any:
    """serde's Option: a missing key and nil both mean 'use the default'."""
    return m.get(key)


def parse_model(obj: Any, source: str = "<model>") -> Model:
    """Build a :class:`Model` from a decoded msgpack map (zkml's ``ModelMsgpack``)."""
    r = _Reader(source)
    m = r.map(obj, "top level", ("global_sf", "k", "num_cols", "inp_idxes", "out_idxes",
                                 "tensors", "layers"))
    k = r.int(m["k"], "k")
    values = {key: r.int(m[key], key) for key in ("global_sf", "num_cols")}
    for key, v in (("global_sf", values["global_sf"]), ("k", k),
                   ("num_cols", values["num_cols"])):
        if v <= 0:
            raise r.fail(key, f"must be positive, got {v}")
    model = Model(
        global_sf=values["global_sf"], k=k, num_cols=values["num_cols"],
        inp_idxes=r.ints(m["inp_idxes"], "inp_idxes"),
        out_idxes=r.ints(m["out_idxes"], "out_idxes"),
        tensors=[_tensor(r, t, f"tensors[{i}]")
                 for i, t in enumerate(r.list(m["tensors"], "tensors"))],
        layers=[_layer(r, layer, f"layers[{i}]")
                for i, layer in enumerate(r.list(m["layers"], "layers"))],
        extra={key: v for key, v in m.items() if key not in _MODEL_KEYS},
        source=source,
    )
    use_selectors = _optional(m, "use_selectors")
    if use_selectors is not None:
        if not isinstance(use_selectors, bool):
            raise r.fail("use_selectors", f"expected a bool, got {_type_name(use_selectors)}")
        model.use_selectors = use_selectors
    for key in ("commit_before", "commit_after"):
        groups = _optional(m, key)
        if groups is not None:
            setattr(model, key, [r.ints(g, f"{key}[{i}]")
                                 for i, g in enumerate(r.list(groups, key))])
    bits = _optional(m, "bits_per_elem")
    model.bits_per_elem = k if bits is None else r.int(bits, "bits_per_elem")
    num_random = _optional(m, "num_random")
    model.num_random = (DEFAULT_NUM_RANDOM if num_random is None
                        else r.int(num_random, "num_random"))
    check_shapes(model)
    return model


def check_shapes(model: Model) -> None:
    """Each layer's ``inp_shapes`` must match the stored tensor or earlier output it names."""
    known = {idx: (t.shape, f"tensors entry {idx}") for idx, t in model.tensor_map().items()}
    for i, spec in enumerate(model.layers):
        for j, (idx, shape) in enumerate(zip(spec.inp_idxes, spec.inp_shapes, strict=True)):
            if idx in known and not same_shape(known[idx][0], shape):
                have, origin = known[idx]
                raise ModelError(
                    f"{model.source}: layers[{i}] ({spec.layer_type}).inp_shapes[{j}] is "
                    f"{list(shape)} but tensor {idx} ({origin}) has shape {list(have)}; "
                    f"{_HINT}")
        for idx, shape in zip(spec.out_idxes, spec.out_shapes, strict=True):
            known[idx] = (shape, f"output of layers[{i}] ({spec.layer_type})")


def parse_input(obj: Any, source: str = "<input>") -> list[Tensor]:
    """Tensors from a decoded input file (a top-level array of tensor maps)."""
    r = _Reader(source)
    tensors = [_tensor(r, t, f"[{i}]") for i, t in enumerate(r.list(obj, "top level"))]
    for i, t in enumerate(tensors):
        if t.data is None and t.size:
            raise r.fail(f"[{i}].data", f"input tensor {t.idx} has no data")
    return tensors


def load_model(path: str | os.PathLike) -> Model:
    """Load a zkml model or config-only file (``model.msgpack`` / ``config.msgpack``)."""
    source = str(path)
    return parse_model(_unpack(_read_bytes(path), source, "model"), source)


def load_input(path: str | os.PathLike) -> list[Tensor]:
    """Load a zkml input file (``inp.msgpack``); merge it with :meth:`Model.with_inputs`."""
    source = str(path)
    return parse_input(_unpack(_read_bytes(path), source, "input"), source)


def _tensor_obj(t: Tensor, with_data: bool) -> dict:
    data = t.data.tolist() if (with_data and t.data is not None) else []
    return {"idx": t.idx, "shape": list(t.shape), "data": data}


def model_to_obj(model: Model, config_only: bool = False) -> dict:
    """The msgpack map of a model; ``config_only`` writes every tensor with empty data."""
    obj = dict(model.extra)
    obj.update({
        "global_sf": model.global_sf, "k": model.k, "num_cols": model.num_cols,
        "inp_idxes": list(model.inp_idxes), "out_idxes": list(model.out_idxes),
        "tensors": [_tensor_obj(t, not config_only) for t in model.tensors],
        "layers": [{"layer_type": s.layer_type, "params": list(s.params),
                    "inp_idxes": list(s.inp_idxes),
                    "inp_shapes": [list(x) for x in s.inp_shapes],
                    "out_idxes": list(s.out_idxes),
                    "out_shapes": [list(x) for x in s.out_shapes],
                    "mask": list(s.mask)} for s in model.layers],
        "use_selectors": model.use_selectors,
        "commit_before": [list(g) for g in model.commit_before],
        "commit_after": [list(g) for g in model.commit_after],
        "bits_per_elem": model.bits_per_elem,
        "num_random": model.num_random,
    })
    return obj


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (no torn files)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(model: Model, path: str | os.PathLike, config_only: bool = False) -> None:
    """Write a model file zkml can read (``config_only``: shapes without data)."""
    write_atomic(path, msgpack.packb(model_to_obj(model, config_only), use_bin_type=True))


def save_input(tensors: list[Tensor], path: str | os.PathLike) -> None:
    """Write an input file: a top-level array of tensor maps."""
    write_atomic(path, msgpack.packb([_tensor_obj(t, True) for t in tensors],
                                     use_bin_type=True))
