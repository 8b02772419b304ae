"""Poseidon over field arrays: many messages hashed at once through a ``PrimeField``.

The same permutation and sponge as :mod:`.native` (see its docstring for padding and
domain tags), vectorised across messages: a state is three ``(n, 4)`` Montgomery arrays
(docs/arith.md), one word of each of ``n`` independent sponges, so every round is a
handful of engine calls whatever ``n`` is. The sponge of one message stays sequential;
batching pays off when many messages (or many tensors) are hashed together.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from zkml_plugins.gadgets.poseidon.native import ZKML_L
from zkml_plugins.gadgets.poseidon.params import PoseidonParams

_CONSTANTS: dict[tuple[int, str, int, int, int], tuple[list, list]] = {}


def _field_constants(F: Any, params: PoseidonParams) -> tuple[list, list]:
    """Round constants and MDS entries as ``(1, 4)`` arrays of ``F`` (cached)."""
    key = (id(F), params.field, params.r_p, params.mds_skipped, params.p)
    if key not in _CONSTANTS:
        rc = [[F.from_ints([c]) for c in row] for row in params.round_constants]
        mds = [[F.from_ints([c]) for c in row] for row in params.mds]
        _CONSTANTS[key] = (rc, mds)
    return _CONSTANTS[key]


def _check_field(F: Any, params: PoseidonParams) -> None:
    if F.p != params.p:
        raise ValueError(
            f"Poseidon parameters for {params.field} used with a field of modulus {F.p:#x}"
        )


def permute_many(F: Any, params: PoseidonParams, state: list[np.ndarray]) -> list[np.ndarray]:
    """The permutation of ``n`` states given as ``t`` word arrays of shape ``(n, 4)``."""
    _check_field(F, params)
    rc, mds = _field_constants(F, params)
    half = params.r_f // 2
    t = params.t

    def sbox(x: np.ndarray) -> np.ndarray:
        x2 = F.mul(x, x)
        return F.mul(F.mul(x2, x2), x)

    s = list(state)
    for r in range(params.rounds):
        s = [F.add(s[i], rc[r][i]) for i in range(t)]
        if r < half or r >= half + params.r_p:
            s = [sbox(x) for x in s]
        else:
            s[0] = sbox(s[0])
        new = []
        for i in range(t):
            acc = F.mul(s[0], mds[i][0])
            for j in range(1, t):
                acc = F.add(acc, F.mul(s[j], mds[i][j]))
            new.append(acc)
        s = new
    return s


def sponge_many(F: Any, params: PoseidonParams, capacity: int, words: np.ndarray) -> np.ndarray:
    """Absorb ``words`` (``(n, W, 4)``, W a non-zero multiple of the rate) into
    ``[0, 0, capacity]`` for each of the ``n`` rows; the ``(n, 4)`` outputs."""
    n, w = words.shape[0], words.shape[1]
    if w == 0 or w % params.rate:
        raise ValueError(f"sponge input must be a non-empty multiple of {params.rate} words")
    state = [F.zeros(n) for _ in range(params.rate)] + [F.from_ints([capacity % params.p] * n)]
    for b in range(0, w, params.rate):
        for j in range(params.rate):
            state[j] = F.add(state[j], np.ascontiguousarray(words[:, b + j]))
        state = permute_many(F, params, state)
    return state[0]


def hash_many(F: Any, params: PoseidonParams, messages: np.ndarray) -> np.ndarray:
    """``ConstantLength<L>`` hashes of ``n`` messages of equal length L (``(n, L, 4)``
    Montgomery arrays of ``F``): ``(n, 4)``, equal to :func:`.native.hash_message` row
    by row."""
    n, length = messages.shape[0], messages.shape[1]
    pad = -length % params.rate or (params.rate if length == 0 else 0)
    words = np.concatenate([messages, np.zeros((n, pad, 4), dtype=np.uint64)], axis=1)
    return sponge_many(F, params, length << 64, words)


def hash_zkml_compat_many(F: Any, params: PoseidonParams, values: np.ndarray,
                          blinding: np.ndarray | None = None) -> np.ndarray:
    """The original zkml's commitment hash (:func:`.native.hash_zkml_compat`) of ``n``
    value rows (``(n, L, 4)``); ``blinding`` is ``(n, 4)`` (default: zero)."""
    n, length = values.shape[0], values.shape[1]
    if blinding is None:
        blinding = np.zeros((n, 4), dtype=np.uint64)
    extra = 1 + (-(length + 1) % ZKML_L)
    words = np.concatenate([values, np.repeat(blinding[:, None, :], extra, axis=1)], axis=1)
    return sponge_many(F, params, ZKML_L << 64, words)
