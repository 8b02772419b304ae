"""Native Poseidon over Python ints: the permutation and the sponge hash.

Permutation (width t = 3, x^5), as in the Poseidon reference and halo2: ``R_F / 2``
full rounds, ``R_P`` partial rounds, ``R_F / 2`` full rounds. Every round adds its row
of round constants to the state, applies the S-box x^5 (to every word in a full round,
to word 0 only in a partial round), then multiplies by the MDS matrix
(``state'[i] = sum_j M[i][j] * state[j]``). Constants: :mod:`.params`.

Sponge (rate 2, capacity 1): the state is ``[r0, r1, c]`` with the capacity word
*last*, as in halo2. Absorbing a block of two words adds them to ``r0, r1`` and
permutes; the output is ``r0`` after the last permutation (one field element).

Two domains are implemented:

- :func:`hash_message` (the default, halo2 ``ConstantLength<L>`` for any length L):
  the capacity starts at ``L * 2^64``, where L is the real number of message words,
  and the message is padded with zeros to a multiple of the rate, with at least one
  block (so the empty message is one permutation of ``[0, 0, 0]``). Messages of
  different lengths therefore never share a sponge state. For L >= 1 this equals
  halo2's ``Hash<_, _, ConstantLength<L>, 3, 2>``.
- :func:`hash_zkml_compat` (the original zkml's ``PoseidonCommitChip``): the message is
  ``values ++ [blinding]``, then ``blinding`` repeated until the length is a multiple
  of 4; the capacity starts at ``4 * 2^64`` whatever the length (``ConstantLength<4>``).
  zkml always used ``blinding = 0`` and ``poseidon_params("bn254", 56, mds_skip=0)`` on
  BN254; use those to recompute its commitments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from zkml_plugins.gadgets.poseidon.params import PoseidonParams

#: the zkml commitment chip's constant message length ``L = 8 - WIDTH - 1``
ZKML_L = 4


def permute(params: PoseidonParams, state: Sequence[int]) -> list[int]:
    """The Poseidon permutation of ``state`` (``t`` ints, any representatives)."""
    p, t = params.p, params.t
    if len(state) != t:
        raise ValueError(f"Poseidon state must have {t} words, got {len(state)}")
    s = [x % p for x in state]
    half = params.r_f // 2
    mds = params.mds
    for r, rc in enumerate(params.round_constants):
        s = [(x + c) % p for x, c in zip(s, rc, strict=True)]
        if r < half or r >= half + params.r_p:
            s = [pow(x, 5, p) for x in s]
        else:
            s[0] = pow(s[0], 5, p)
        s = [sum(m * x for m, x in zip(row, s, strict=True)) % p for row in mds]
    return s


def permute_t3(params: PoseidonParams, state: Sequence[int]) -> list[int]:
    """:func:`permute` unrolled for width 3 (about twice as fast; used by the sponge)."""
    p = params.p
    (m00, m01, m02), (m10, m11, m12), (m20, m21, m22) = params.mds
    a, b, c = (x % p for x in state)
    first_partial = params.r_f // 2
    last_partial = first_partial + params.r_p
    for r, (c0, c1, c2) in enumerate(params.round_constants):
        # reduce only what the S-boxes need; the MDS sums reduce everything else
        a = (a + c0) % p
        a2 = a * a % p
        a = a2 * a2 % p * a
        if first_partial <= r < last_partial:
            b += c1
            c += c2
        else:
            b = (b + c1) % p
            c = (c + c2) % p
            b2, c2_ = b * b % p, c * c % p
            b = b2 * b2 % p * b
            c = c2_ * c2_ % p * c
        a, b, c = (
            (m00 * a + m01 * b + m02 * c) % p,
            (m10 * a + m11 * b + m12 * c) % p,
            (m20 * a + m21 * b + m22 * c) % p,
        )
    return [a, b, c]


def sponge(params: PoseidonParams, capacity: int, words: Sequence[int]) -> int:
    """Absorb ``words`` (a multiple of the rate) into ``[0, .., 0, capacity]``; squeeze one."""
    rate = params.rate
    if len(words) % rate or not words:
        raise ValueError(f"sponge input must be a non-empty multiple of {rate} words")
    state = [0] * rate + [capacity % params.p]
    for i in range(0, len(words), rate):
        for j in range(rate):
            state[j] = (state[j] + words[i + j]) % params.p
        state = permute_t3(params, state) if params.t == 3 else permute(params, state)
    return state[0]


def pad_constant_length(words: Sequence[int], rate: int) -> list[int]:
    """Zero-pad to a multiple of ``rate``, at least one block."""
    words = list(words)
    return words + [0] * (-len(words) % rate or (rate if not words else 0))


def hash_message(params: PoseidonParams, message: Iterable[int]) -> int:
    """Poseidon hash with the length-dependent ``ConstantLength<len(message)>`` domain."""
    words = [x % params.p for x in message]
    return sponge(params, len(words) << 64, pad_constant_length(words, params.rate))


def zkml_compat_words(values: Iterable[int], blinding: int = 0) -> list[int]:
    """The original zkml's absorbed words: ``values ++ [b]`` then ``b`` until len % 4 == 0."""
    words = list(values) + [blinding]
    words += [blinding] * (-len(words) % ZKML_L)
    return words


def hash_zkml_compat(params: PoseidonParams, values: Iterable[int], blinding: int = 0) -> int:
    """The original zkml's commitment hash (``ConstantLength<4>`` tag at any length)."""
    words = [x % params.p for x in zkml_compat_words(values, blinding)]
    return sponge(params, ZKML_L << 64, words)
