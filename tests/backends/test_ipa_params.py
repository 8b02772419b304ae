"""IPA params: generators against an independent derivation, the file format and its
checks, and the disk cache."""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import pytest
from zkml_plugins.backends.ipa import IPABackend
from zkml_plugins.backends.ipa import params as ipa_params

from zkml_core.arith.curve import VESTA
from zkml_core.errors import SerializationError

Q = VESTA.base_field.p  # Vesta's base field (Pasta Fq)
K = 3
N = 1 << K
HEADER = 52
CHECKSUM = 32


def _ref_point(domain: bytes, i: int) -> tuple[int, int]:
    """(x, x³ + 5) of try-and-increment as curve.hash_to_curve documents it, with Python
    ints and hashlib; the point's y is checked against x³ + 5 by the caller."""
    ctr = 0
    while True:
        h = hashlib.blake2b(domain + i.to_bytes(8, "little") + ctr.to_bytes(4, "little"),
                            digest_size=64, person=b"zkml-h2c").digest()
        x = int.from_bytes(h, "little") % Q
        rhs = (x ** 3 + 5) % Q
        if x != 0 and pow(rhs, (Q - 1) // 2, Q) in (0, 1):  # Euler's criterion
            return x, rhs
        ctr += 1


def _check_derived(point: tuple[int, int], domain: bytes, i: int) -> None:
    x, rhs = _ref_point(domain, i)
    assert point[0] == x
    assert point[1] * point[1] % Q == rhs and point[1] % 2 == 0


@pytest.fixture(scope="module")
def params():
    return IPABackend().setup(K)


@pytest.fixture(scope="module")
def blob(params):
    return IPABackend().params_to_bytes(params)


def _with_checksum(body: bytes) -> bytes:
    return body + hashlib.blake2b(body, digest_size=CHECKSUM).digest()


def test_generators_match_an_independent_derivation(params):
    assert params.k == K and params.n == N
    g = VESTA.to_ints(params.g)
    for i in range(N):
        _check_derived(g[i], ipa_params.DOMAIN + b"/G", i)
    _check_derived(VESTA.to_ints(params.h)[0], ipa_params.DOMAIN + b"/H", 0)
    _check_derived(VESTA.to_ints(params.u)[0], ipa_params.DOMAIN + b"/U", 0)
    assert len({*g, VESTA.to_ints(params.h)[0], VESTA.to_ints(params.u)[0]}) == N + 2


def test_setup_is_deterministic_and_smaller_k_is_a_prefix(params):
    again = ipa_params.derive(K)
    assert np.array_equal(again.g, params.g) and np.array_equal(again.h, params.h)
    larger = IPABackend().setup(K + 2)
    assert np.array_equal(larger.g[:N], params.g)
    assert np.array_equal(larger.u, params.u)
    with pytest.raises(ValueError):
        IPABackend().setup(0)


def test_file_round_trip_and_layout(params, blob):
    assert len(blob) == HEADER + (N + 2) * 64 + CHECKSUM
    magic, version, k, n, _tag = struct.unpack_from("<8sIII32s", blob)
    assert (magic, version, k, n) == (b"ZKMLIPA\0", 1, K, N)
    back = IPABackend().params_from_bytes(blob)
    assert back.k == K
    assert np.array_equal(back.g, params.g) and np.array_equal(back.h, params.h)
    assert np.array_equal(back.u, params.u)


def _corrupt(blob: bytes, offset: int, new: bytes) -> bytes:
    body = bytearray(blob[:-CHECKSUM])
    body[offset : offset + len(new)] = new
    return _with_checksum(bytes(body))


@pytest.mark.parametrize("case", ["magic", "version", "k", "count", "tag", "short", "long", "checksum"])
def test_bad_headers_and_lengths_are_rejected(blob, case):
    bad = {
        "magic": lambda: b"ZKMLKZG\0" + blob[8:],
        "version": lambda: _corrupt(blob, 8, struct.pack("<I", 2)),
        "k": lambda: _corrupt(blob, 12, struct.pack("<I", 40)),
        "count": lambda: _corrupt(blob, 16, struct.pack("<I", N + 1)),
        "tag": lambda: _corrupt(blob, 20, bytes(32)),
        "short": lambda: blob[:-65],
        "long": lambda: blob + bytes(64),
        "checksum": lambda: blob[:-1] + bytes([blob[-1] ^ 1]),
    }[case]()
    with pytest.raises(SerializationError):
        IPABackend().params_from_bytes(bad)


def test_points_off_the_curve_are_rejected(blob):
    off = HEADER + 3 * 64 + 32  # y of G_3
    y = int.from_bytes(blob[off : off + 32], "little")
    bad = _corrupt(blob, off, ((y + 1) % Q).to_bytes(32, "little"))
    with pytest.raises(SerializationError, match="not on the curve"):
        IPABackend().params_from_bytes(bad)


def test_valid_points_that_differ_from_the_derivation_are_rejected(params, blob):
    other = VESTA.encode_uncompressed(VESTA.double(params.g[1:2]))
    bad = _corrupt(blob, HEADER + 64, other)  # G_1 replaced by 2·G_1
    with pytest.raises(SerializationError, match="differ from the transparent derivation"):
        IPABackend().params_from_bytes(bad)
    # swapping H and U is caught too
    h_off = HEADER + N * 64
    swapped = _corrupt(_corrupt(blob, h_off, blob[h_off + 64 : h_off + 128]), h_off + 64,
                       blob[h_off : h_off + 64])
    with pytest.raises(SerializationError, match="differ"):
        IPABackend().params_from_bytes(swapped)


def test_disk_cache_is_written_reused_and_repaired(tmp_path, monkeypatch, params):
    monkeypatch.setenv("ZKML_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(ipa_params, "DISK_CACHE_MIN_K", 1)
    monkeypatch.setattr(ipa_params, "_memory", {})
    first = ipa_params.setup(K)
    path = tmp_path / f"ipa-vesta-v1-k{K}.params"
    assert path.read_bytes() == ipa_params.params_to_bytes(params)
    assert np.array_equal(first.g, params.g)

    calls = []
    monkeypatch.setattr(ipa_params, "derive", lambda k: calls.append(k))
    monkeypatch.setattr(ipa_params, "_memory", {})
    assert np.array_equal(ipa_params.setup(K).g, params.g) and calls == []  # read from disk

    monkeypatch.undo()
    monkeypatch.setenv("ZKML_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(ipa_params, "DISK_CACHE_MIN_K", 1)
    monkeypatch.setattr(ipa_params, "_memory", {})
    path.write_bytes(b"garbage")
    assert np.array_equal(ipa_params.setup(K).g, params.g)
    assert path.read_bytes() == ipa_params.params_to_bytes(params)
