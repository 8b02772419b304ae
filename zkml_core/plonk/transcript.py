"""Blake2b Fiat-Shamir transcript: the prover writes, the verifier reads, both absorb.

Construction (the same on both sides, so they derive the same challenges):

- The state is one running ``hashlib.blake2b(digest_size=64, person=b"zkml-transcript")``
  that is never reset. Every operation first absorbs a one-byte prefix naming it, as
  halo2's ``Blake2bWrite`` does, so different operation sequences never hash the same
  bytes:

  ========= ====== ==================================================================
  operation prefix then absorbs
  ========= ====== ==================================================================
  challenge ``00`` nothing; the challenge is the 64-byte digest of a copy of the state
  point     ``01`` the point's 32-byte encoding (``curve.encode``, canonical)
  scalar    ``02`` the scalar's 32-byte canonical little-endian encoding
  bytes     ``03`` the length as 8 bytes little-endian, then the bytes
  ========= ====== ==================================================================

- A challenge is ``int.from_bytes(digest, "little") mod p``: 512 uniform bits reduced
  mod a 254/255-bit prime, so its distance from uniform is below 2^-256.
- ``write_point`` / ``write_scalar`` absorb and append the same 32 bytes to the proof;
  ``common_*`` absorb without writing (verifying-key digest, instances).

The verifier's reads validate what they absorb: a scalar must be canonical (< p); a
point must decode (``curve.decode``: on the curve, x < p, no sign bit on y = 0 or on
infinity), which makes the encoding canonical, so no two byte strings stand for one
proof. Any failure, a short read, or bytes
left over at :meth:`VerifierTranscript.finish` raise :class:`SerializationError`.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from zkml_core.errors import SerializationError

PERSONALIZATION = b"zkml-transcript"
PREFIX_CHALLENGE = b"\x00"
PREFIX_POINT = b"\x01"
PREFIX_SCALAR = b"\x02"
PREFIX_BYTES = b"\x03"
SCALAR_BYTES = 32
POINT_BYTES = 32


class _Transcript:
    """The hash state and the absorbing operations shared by prover and verifier."""

    def __init__(self, field: Any, curve: Any) -> None:
        self.field = field
        self.curve = curve
        self._state = hashlib.blake2b(digest_size=64, person=PERSONALIZATION)

    def _scalar_bytes(self, value: int) -> bytes:
        return (int(value) % self.field.p).to_bytes(SCALAR_BYTES, "little")

    def _point_bytes(self, point: np.ndarray) -> bytes:
        point = np.asarray(point)
        if point.shape != (1, 2, 4):
            raise ValueError(f"a transcript point is a (1, 2, 4) array, got shape {point.shape}")
        data = self.curve.encode(point)
        if len(data) != POINT_BYTES:
            raise ValueError(f"curve encoding is {len(data)} bytes, the transcript expects {POINT_BYTES}")
        return data

    def _absorb_point_bytes(self, data: bytes) -> None:
        self._state.update(PREFIX_POINT)
        self._state.update(data)

    def _absorb_scalar_bytes(self, data: bytes) -> None:
        self._state.update(PREFIX_SCALAR)
        self._state.update(data)

    def common_point(self, point: np.ndarray) -> None:
        """Absorb a ``(1, 2, 4)`` point without writing it."""
        self._absorb_point_bytes(self._point_bytes(point))

    def common_scalar(self, value: int) -> None:
        """Absorb a scalar (any int, taken mod p) without writing it."""
        self._absorb_scalar_bytes(self._scalar_bytes(value))

    def common_bytes(self, data: bytes) -> None:
        """Absorb a byte string (length-prefixed) without writing it."""
        data = bytes(data)
        self._state.update(PREFIX_BYTES)
        self._state.update(len(data).to_bytes(8, "little"))
        self._state.update(data)

    def squeeze_challenge(self) -> int:
        """A challenge in [0, p) bound to everything absorbed so far."""
        self._state.update(PREFIX_CHALLENGE)
        digest = self._state.copy().digest()
        return int.from_bytes(digest, "little") % self.field.p


class ProverTranscript(_Transcript):
    """The prover's side: absorbs and records what it writes; :meth:`proof_bytes` is the proof."""

    def __init__(self, field: Any, curve: Any) -> None:
        super().__init__(field, curve)
        self._out = bytearray()

    def write_point(self, point: np.ndarray) -> None:
        """Absorb a ``(1, 2, 4)`` point and append its 32-byte encoding to the proof."""
        data = self._point_bytes(point)
        self._absorb_point_bytes(data)
        self._out += data

    def write_scalar(self, value: int) -> None:
        """Absorb a scalar (any int, taken mod p) and append its 32 bytes to the proof."""
        data = self._scalar_bytes(value)
        self._absorb_scalar_bytes(data)
        self._out += data

    def proof_bytes(self) -> bytes:
        """Everything written so far."""
        return bytes(self._out)


class VerifierTranscript(_Transcript):
    """The verifier's side: reads the proof in the prover's order, absorbing the same bytes."""

    def __init__(self, field: Any, curve: Any, data: bytes) -> None:
        super().__init__(field, curve)
        self._data = memoryview(bytes(data))
        self._pos = 0

    def _take(self, n: int, what: str) -> bytes:
        if self._pos + n > len(self._data):
            raise SerializationError(
                f"proof ends early: needed {n} bytes for a {what} at offset {self._pos}, "
                f"{len(self._data) - self._pos} left; the proof is truncated or for another circuit"
            )
        chunk = bytes(self._data[self._pos : self._pos + n])
        self._pos += n
        return chunk

    def read_point(self) -> np.ndarray:
        """Read, validate and absorb one point; returns a ``(1, 2, 4)`` array."""
        offset = self._pos
        data = self._take(POINT_BYTES, "point")
        try:
            point = self.curve.decode(data)
        except SerializationError as e:
            raise SerializationError(f"proof has an invalid point at offset {offset}: {e}") from e
        self._absorb_point_bytes(data)
        return point

    def read_scalar(self) -> int:
        """Read, validate (canonical, < p) and absorb one scalar; returns an int."""
        offset = self._pos
        data = self._take(SCALAR_BYTES, "scalar")
        value = int.from_bytes(data, "little")
        if value >= self.field.p:
            raise SerializationError(f"proof has a non-canonical scalar (>= p) at offset {offset}")
        self._absorb_scalar_bytes(data)
        return value

    def finish(self) -> None:
        """Raise SerializationError when bytes are left after the last read."""
        left = len(self._data) - self._pos
        if left:
            raise SerializationError(f"proof has {left} trailing bytes after its last element")
