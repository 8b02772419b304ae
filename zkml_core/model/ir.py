"""The model IR: zkml's msgpack model file as attrs classes.

Every field mirrors a key of zkml's ``ModelMsgpack`` (see the facts file, §2). Tensor
data is int64 numpy at the model's scale factor; a tensor without data (a config-only
file) has ``data is None``.
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np

#: zkml's ``NUM_RANDOMS``: the default of ``num_random`` in ``load_model_msgpack``
DEFAULT_NUM_RANDOM = 20001
#: zkml converts a value x to the field as (x + 2^31) as u64 - 2^31, so x >= -2^31
MIN_VALUE = -(2**31)


def _shape(value: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in value)


def _int_tuple(value: Any) -> tuple[int, ...]:
    return tuple(int(v) for v in value)


def same_shape(actual: tuple[int, ...], declared: tuple[int, ...]) -> bool:
    """Shape equality with zkml's scalar rule: its converter stores a scalar as [1] while
    the layers' ``inp_shapes`` keep TFLite's []."""
    actual, declared = tuple(actual), tuple(declared)
    if actual == declared:
        return True
    return {actual, declared} == {(), (1,)}


@attrs.define(kw_only=True)
class Tensor:
    """One entry of ``tensors`` (or of an input file): ``{idx, shape, data}``.

    ``data`` is a row-major int64 array of ``product(shape)`` values, or None when the
    file carries only the shape (zkml's config-only files).
    """

    idx: int = attrs.field(converter=int)
    shape: tuple[int, ...] = attrs.field(converter=_shape)
    data: np.ndarray | None = attrs.field(default=None, eq=False)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def array(self) -> np.ndarray:
        """The data reshaped to ``shape`` (a view, int64)."""
        if self.data is None:
            raise ValueError(f"tensor {self.idx} has no data")
        return self.data.reshape(self.shape)


@attrs.define(kw_only=True)
class LayerSpec:
    """One entry of ``layers``: the op, its integer params and its tensors."""

    layer_type: str
    params: tuple[int, ...] = attrs.field(converter=_int_tuple, factory=tuple)
    inp_idxes: tuple[int, ...] = attrs.field(converter=_int_tuple, factory=tuple)
    inp_shapes: tuple[tuple[int, ...], ...] = attrs.field(
        converter=lambda v: tuple(_shape(s) for s in v), factory=tuple)
    out_idxes: tuple[int, ...] = attrs.field(converter=_int_tuple, factory=tuple)
    out_shapes: tuple[tuple[int, ...], ...] = attrs.field(
        converter=lambda v: tuple(_shape(s) for s in v), factory=tuple)
    mask: tuple[int, ...] = attrs.field(converter=_int_tuple, factory=tuple)


def _default_bits(self: Model) -> int:
    return self.k


@attrs.define(kw_only=True)
class Model:
    """A zkml model: global values, tensors (weights, maybe inputs) and layers in order.

    Defaults are zkml's ``load_model_msgpack``: ``use_selectors`` True, no commitment
    groups, ``bits_per_elem`` = k, ``num_random`` 20001. ``extra`` keeps keys zkml
    ignores (e.g. the converter's ``commit``) so a load/save round trip keeps them.
    ``source`` names the file the model came from, for error messages.
    """

    global_sf: int
    k: int
    num_cols: int
    inp_idxes: tuple[int, ...] = attrs.field(converter=_int_tuple)
    out_idxes: tuple[int, ...] = attrs.field(converter=_int_tuple)
    tensors: list[Tensor] = attrs.field(factory=list)
    layers: list[LayerSpec] = attrs.field(factory=list)
    use_selectors: bool = True
    commit_before: list[list[int]] = attrs.field(factory=list)
    commit_after: list[list[int]] = attrs.field(factory=list)
    bits_per_elem: int = attrs.field(default=attrs.Factory(_default_bits, takes_self=True))
    num_random: int = DEFAULT_NUM_RANDOM
    extra: dict[str, Any] = attrs.field(factory=dict)
    source: str = "<model>"

    def tensor_map(self) -> dict[int, Tensor]:
        """``idx -> Tensor``; on a duplicate idx the later entry wins (as in zkml)."""
        return {t.idx: t for t in self.tensors}

    @property
    def is_config_only(self) -> bool:
        """True when no tensor carries data (zkml's ``config.msgpack``)."""
        return all(t.data is None for t in self.tensors)

    def with_inputs(self, inputs: list[Tensor]) -> Model:
        """A copy with ``inputs`` appended to ``tensors`` (later idx wins, as in zkml)."""
        return attrs.evolve(self, tensors=[*self.tensors, *inputs])

    def layer_types(self) -> list[str]:
        """The distinct layer types, sorted."""
        return sorted({layer.layer_type for layer in self.layers})
