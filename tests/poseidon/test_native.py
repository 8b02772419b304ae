"""Native Poseidon: published permutation / hash vectors and sponge properties."""

from __future__ import annotations

import poseidon_vectors as kat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from zkml_plugins.gadgets.poseidon.native import (
    hash_message,
    hash_zkml_compat,
    pad_constant_length,
    permute,
    permute_t3,
    zkml_compat_words,
)
from zkml_plugins.gadgets.poseidon.params import poseidon_params


def test_bn254_reference_permutation_of_012():
    inp, out = kat.BN254_PERMUTE_012
    assert permute(poseidon_params("bn254"), list(inp)) == list(out)


@pytest.mark.parametrize("field", ["pallas", "vesta"])
def test_pasta_permutation_and_constant_length_2_hash_vectors(field):
    prm = poseidon_params(field)
    tag = field.upper()
    permutations, hashes = getattr(kat, f"{tag}_PERMUTE"), getattr(kat, f"{tag}_HASH")
    assert len(permutations) == len(hashes) == 11
    for inp, out in permutations:
        assert permute(prm, list(inp)) == list(out)
    for inp, out in hashes:
        assert hash_message(prm, list(inp)) == out


def test_hash_of_two_is_one_permutation_with_tag():
    # halo2's orchard_spec_equivalence: hash([a, b]) = permute([a, b, 2 << 64])[0]
    prm = poseidon_params("pallas")
    assert hash_message(prm, [6, 42]) == permute(prm, [6, 42, 2 << 64])[0]


def test_padding_rules():
    assert pad_constant_length([], 2) == [0, 0]
    assert pad_constant_length([5], 2) == [5, 0]
    assert pad_constant_length([5, 6], 2) == [5, 6]
    assert zkml_compat_words([1, 2, 3]) == [1, 2, 3, 0]
    assert zkml_compat_words([1, 2, 3, 4], blinding=9) == [1, 2, 3, 4, 9, 9, 9, 9]
    assert zkml_compat_words([]) == [0, 0, 0, 0]


field_names = st.sampled_from(["bn254", "pallas"])


@settings(max_examples=25, deadline=None)
@given(field_names, st.lists(st.integers(min_value=0, max_value=2**260), max_size=7))
def test_hash_is_a_chain_of_permutations(field, msg):
    # written out by hand: capacity L * 2^64, zero padding to even length, add and permute
    prm = poseidon_params(field)
    p = prm.p
    words = [x % p for x in msg]
    blocks = words + [0] * (len(words) % 2) if words else [0, 0]
    state = [0, 0, len(msg) << 64]
    for i in range(0, len(blocks), 2):
        state = permute(prm, [(state[0] + blocks[i]) % p, (state[1] + blocks[i + 1]) % p, state[2]])
    assert hash_message(prm, msg) == state[0]


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**200), min_size=1, max_size=5))
def test_length_tag_separates_zero_padding(msg):
    prm = poseidon_params("bn254")
    assert hash_message(prm, msg) != hash_message(prm, msg + [0])


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**64), min_size=3, max_size=3),
       st.integers(min_value=0, max_value=2**64))
def test_zkml_compat_equals_constant_length_4_for_three_values(values, blinding):
    # three values + the blinding word are exactly four words: ConstantLength<4> proper
    prm = poseidon_params("bn254", 56, mds_skip=0)
    assert hash_zkml_compat(prm, values, blinding) == hash_message(prm, values + [blinding])


def test_zkml_compat_keeps_the_length_4_tag_for_long_messages():
    prm = poseidon_params("bn254", 56, mds_skip=0)
    words = zkml_compat_words(range(1, 8))
    assert len(words) == 8
    state = [0, 0, 4 << 64]
    for i in range(0, 8, 2):
        state = permute(prm, [state[0] + words[i], state[1] + words[i + 1], state[2]])
    assert hash_zkml_compat(prm, range(1, 8)) == state[0]
    assert hash_zkml_compat(prm, range(1, 8)) != hash_message(prm, words)


@settings(max_examples=20, deadline=None)
@given(field_names, st.lists(st.integers(min_value=-(2**300), max_value=2**300), min_size=3, max_size=3))
def test_unrolled_permutation_equals_reference(field, state):
    prm = poseidon_params(field)
    assert permute_t3(prm, state) == permute(prm, state)
