"""Blake2b transcript: the documented construction, prover/verifier agreement, validation."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zkml_core.arith.field import BN254_FR, PASTA_FP
from zkml_core.errors import SerializationError
from zkml_core.plonk.transcript import ProverTranscript, VerifierTranscript

P = BN254_FR.p


def _reference_challenges(ops: list[tuple[str, object]]) -> list[int]:
    """The construction of the transcript's docstring, written out with hashlib."""
    h = hashlib.blake2b(digest_size=64, person=b"zkml-transcript")
    out = []
    for kind, value in ops:
        if kind == "scalar":
            h.update(b"\x02" + (value % P).to_bytes(32, "little"))
        elif kind == "bytes":
            h.update(b"\x03" + len(value).to_bytes(8, "little") + value)
        else:
            h.update(b"\x00")
            out.append(int.from_bytes(h.copy().digest(), "little") % P)
    return out


def test_challenges_follow_the_documented_construction():
    ops = [("bytes", b"vk digest"), ("scalar", 5), ("challenge", None), ("scalar", P + 7),
           ("challenge", None), ("challenge", None), ("bytes", b""), ("challenge", None)]
    t = ProverTranscript(BN254_FR, None)
    got = []
    for kind, value in ops:
        if kind == "scalar":
            t.write_scalar(value)
        elif kind == "bytes":
            t.common_bytes(value)
        else:
            got.append(t.squeeze_challenge())
    assert got == _reference_challenges(ops)
    assert t.proof_bytes() == (5).to_bytes(32, "little") + (7).to_bytes(32, "little")
    assert all(0 <= c < P for c in got)


def test_same_operations_give_the_same_challenges_and_bytes():
    def run():
        t = ProverTranscript(BN254_FR, None)
        t.common_bytes(b"abc")
        t.write_scalar(123)
        return t.squeeze_challenge(), t.squeeze_challenge(), t.proof_bytes()

    assert run() == run()


def test_operations_are_domain_separated():
    """A scalar, the same 32 bytes absorbed as bytes, or a different order, all differ."""
    a = ProverTranscript(BN254_FR, None)
    a.common_scalar(9)
    b = ProverTranscript(BN254_FR, None)
    b.common_bytes((9).to_bytes(32, "little"))
    c = ProverTranscript(BN254_FR, None)
    c.write_scalar(9)
    d = ProverTranscript(BN254_FR, None)
    d.common_scalar(1)
    d.common_scalar(2)
    e = ProverTranscript(BN254_FR, None)
    e.common_scalar(2)
    e.common_scalar(1)
    ca, cb, cc = a.squeeze_challenge(), b.squeeze_challenge(), c.squeeze_challenge()
    assert ca != cb and ca == cc  # common and written scalars absorb alike
    assert d.squeeze_challenge() != e.squeeze_challenge()
    # bytes are length-prefixed: b"ab" + b"c" differs from b"a" + b"bc"
    f, g = ProverTranscript(BN254_FR, None), ProverTranscript(BN254_FR, None)
    f.common_bytes(b"ab")
    f.common_bytes(b"c")
    g.common_bytes(b"a")
    g.common_bytes(b"bc")
    assert f.squeeze_challenge() != g.squeeze_challenge()


def test_challenges_are_reduced_mod_the_transcripts_field():
    t = ProverTranscript(PASTA_FP, None)
    t.common_scalar(3)
    h = hashlib.blake2b(digest_size=64, person=b"zkml-transcript")
    h.update(b"\x02" + (3).to_bytes(32, "little") + b"\x00")
    assert t.squeeze_challenge() == int.from_bytes(h.digest(), "little") % PASTA_FP.p


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["write", "common", "challenge"]),
                          st.integers(min_value=0, max_value=P - 1)), max_size=12))
def test_verifier_reads_what_the_prover_wrote_and_agrees_on_challenges(ops):
    pt = ProverTranscript(BN254_FR, None)
    prover_side = []
    for kind, v in ops:
        if kind == "write":
            pt.write_scalar(v)
        elif kind == "common":
            pt.common_scalar(v)
        else:
            prover_side.append(pt.squeeze_challenge())
    vt = VerifierTranscript(BN254_FR, None, pt.proof_bytes())
    verifier_side = []
    for kind, v in ops:
        if kind == "write":
            assert vt.read_scalar() == v
        elif kind == "common":
            vt.common_scalar(v)
        else:
            verifier_side.append(vt.squeeze_challenge())
    vt.finish()
    assert verifier_side == prover_side


def test_a_changed_proof_byte_changes_later_challenges():
    pt = ProverTranscript(BN254_FR, None)
    pt.write_scalar(1000)
    c = pt.squeeze_challenge()
    data = bytearray(pt.proof_bytes())
    data[3] ^= 1
    vt = VerifierTranscript(BN254_FR, None, bytes(data))
    assert vt.read_scalar() != 1000
    assert vt.squeeze_challenge() != c


def test_non_canonical_scalar_is_rejected():
    for bad in (P, P + 1, 2**256 - 1):
        vt = VerifierTranscript(BN254_FR, None, bad.to_bytes(32, "little"))
        with pytest.raises(SerializationError, match="non-canonical scalar"):
            vt.read_scalar()
    vt = VerifierTranscript(BN254_FR, None, (P - 1).to_bytes(32, "little"))
    assert vt.read_scalar() == P - 1


def test_truncated_and_trailing_bytes_are_rejected():
    pt = ProverTranscript(BN254_FR, None)
    pt.write_scalar(random.randrange(P))
    data = pt.proof_bytes()
    with pytest.raises(SerializationError, match="ends early"):
        VerifierTranscript(BN254_FR, None, data[:-1]).read_scalar()
    vt = VerifierTranscript(BN254_FR, None, data + b"\x00")
    vt.read_scalar()
    with pytest.raises(SerializationError, match="1 trailing bytes"):
        vt.finish()


def _g1_points(n: int, seed: int):
    """Random BN254 G1 points from py_ecc (the independent curve reference) and infinity."""
    from py_ecc import optimized_bn128 as bn

    rng = random.Random(seed)
    pts = []
    for _ in range(n):
        x, y = bn.normalize(bn.multiply(bn.G1, rng.randrange(1, P)))
        pts.append((x.n, y.n))
    return pts + [None]


def test_points_round_trip_and_are_absorbed_as_documented():
    from zkml_core.arith.curve import BN254_G1

    pairs = _g1_points(3, seed=1)
    pt = ProverTranscript(BN254_FR, BN254_G1)
    h = hashlib.blake2b(digest_size=64, person=b"zkml-transcript")
    for xy in pairs:
        pt.write_point(BN254_G1.from_ints([xy]))
        enc = bytes(32) if xy is None else (xy[0] | (xy[1] & 1) << 255).to_bytes(32, "little")
        h.update(b"\x01" + enc)
    h.update(b"\x00")
    c = pt.squeeze_challenge()
    assert c == int.from_bytes(h.digest(), "little") % P
    vt = VerifierTranscript(BN254_FR, BN254_G1, pt.proof_bytes())
    assert [BN254_G1.to_ints(vt.read_point())[0] for _ in pairs] == pairs
    assert vt.squeeze_challenge() == c
    vt.finish()
    with pytest.raises(ValueError, match=r"\(1, 2, 4\)"):
        pt.write_point(BN254_G1.from_ints(pairs[:2]))


def test_invalid_point_encodings_are_rejected():
    from zkml_core.arith.curve import BN254_G1

    q = BN254_G1.base_field.p
    x_off = next(x for x in range(1, 100) if pow(x**3 + 3, (q - 1) // 2, q) == q - 1)
    x_on, _ = _g1_points(1, seed=2)[0]
    for data in (x_off.to_bytes(32, "little"),               # no y for this x
                 (x_on + q).to_bytes(32, "little"),          # x not canonical
                 (1 << 255).to_bytes(32, "little")):         # "infinity" with a sign bit
        with pytest.raises(SerializationError):
            VerifierTranscript(BN254_FR, BN254_G1, data).read_point()
    with pytest.raises(SerializationError, match="ends early"):
        VerifierTranscript(BN254_FR, BN254_G1, bytes(31)).read_point()


def test_common_point_absorbs_like_a_written_point_without_writing():
    from zkml_core.arith.curve import BN254_G1

    pt = BN254_G1.from_ints(_g1_points(1, seed=3)[:1])
    a, b = ProverTranscript(BN254_FR, BN254_G1), ProverTranscript(BN254_FR, BN254_G1)
    a.common_point(pt)
    b.write_point(pt)
    assert a.squeeze_challenge() == b.squeeze_challenge()
    assert a.proof_bytes() == b"" and len(b.proof_bytes()) == 32
    v = VerifierTranscript(BN254_FR, BN254_G1, b"")
    v.common_point(pt)
    d = ProverTranscript(BN254_FR, BN254_G1)
    d.common_point(pt)
    assert v.squeeze_challenge() == d.squeeze_challenge()
    v.finish()
    c = ProverTranscript(BN254_FR, BN254_G1)
    c.common_point(BN254_G1.from_ints([None]))
    assert c.squeeze_challenge() != ProverTranscript(BN254_FR, BN254_G1).squeeze_challenge()


def test_a_point_that_reads_has_exactly_one_encoding():
    """Bit flips of valid encodings either fail to read or re-encode to the same bytes."""
    from zkml_core.arith.curve import BN254_G1

    rng = random.Random(4)
    good = [BN254_G1.encode(BN254_G1.from_ints([xy])) for xy in _g1_points(3, seed=5)[:3]]
    for _ in range(40):
        data = bytearray(rng.choice(good))
        data[rng.randrange(32)] ^= 1 << rng.randrange(8)
        try:
            point = VerifierTranscript(BN254_FR, BN254_G1, bytes(data)).read_point()
        except SerializationError:
            continue
        assert BN254_G1.encode(point) == bytes(data)
