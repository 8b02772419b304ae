"""Vectorised Poseidon over field arrays vs the Python-int reference."""

from __future__ import annotations

import numpy as np
import poseidon_vectors as kat
from hypothesis import given, settings
from hypothesis import strategies as st
from poseidon_fields import FIELD_OBJS
from zkml_plugins.gadgets.poseidon.batch import hash_many, hash_zkml_compat_many, permute_many
from zkml_plugins.gadgets.poseidon.native import hash_message, hash_zkml_compat
from zkml_plugins.gadgets.poseidon.params import FIELDS, poseidon_params


def as_field(F, rows):
    n, length = len(rows), len(rows[0]) if rows else 0
    return F.from_ints([v for r in rows for v in r]).reshape(n, length, 4)


def test_permute_many_on_published_vectors():
    F = FIELD_OBJS["pallas"]
    prm = poseidon_params("pallas")
    inputs = [inp for inp, _ in kat.PALLAS_PERMUTE]
    state = [F.from_ints([s[i] for s in inputs]) for i in range(3)]
    out = permute_many(F, prm, state)
    for i in range(3):
        assert F.to_ints(out[i]) == [o[i] for _, o in kat.PALLAS_PERMUTE]


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(["bn254", "pallas"]), st.integers(0, 5), st.integers(1, 4), st.randoms())
def test_hash_many_matches_reference(field, length, n, rnd):
    F, prm = FIELD_OBJS[field], poseidon_params(field)
    rows = [[rnd.randrange(FIELDS[field]) for _ in range(length)] for _ in range(n)]
    msgs = as_field(F, rows) if length else np.zeros((n, 0, 4), dtype=np.uint64)
    assert F.to_ints(hash_many(F, prm, msgs)) == [hash_message(prm, r) for r in rows]


@settings(max_examples=6, deadline=None)
@given(st.integers(1, 6), st.randoms())
def test_zkml_compat_many_matches_reference(length, rnd):
    F, prm = FIELD_OBJS["bn254"], poseidon_params("bn254", 56, mds_skip=0)
    rows = [[rnd.randrange(2**64) for _ in range(length)] for _ in range(2)]
    blind = [rnd.randrange(2**64) for _ in range(2)]
    got = F.to_ints(hash_zkml_compat_many(F, prm, as_field(F, rows), F.from_ints(blind)))
    assert got == [hash_zkml_compat(prm, r, b) for r, b in zip(rows, blind, strict=True)]
