"""IPA params on Vesta: transparent generators, their caches and their file format.

Nothing secret goes into the params: every point is ``VESTA.hash_to_curve`` of a public
domain-separation string, so anyone can regenerate and check them.

- ``g[i]`` (i < n = 2^k): ``hash_to_curve(DOMAIN + b"/G", n)[i]``; the hash input is the
  domain and the index, not k, so the generators of a smaller k are a prefix of a larger
  k's (the in-memory cache keeps the longest vector and slices it);
- ``h``: ``hash_to_curve(DOMAIN + b"/H", 1)``, the blinding generator of Pedersen
  commitments (halo2's ``w``);
- ``u``: ``hash_to_curve(DOMAIN + b"/U", 1)``, the inner-product generator.

Derivation is try-and-increment in Python, about 2 ms a point here (k = 16: ~2 min), so
generators are cached in memory per process and, for k >= :data:`DISK_CACHE_MIN_K`, on
disk under :func:`cache_dir` (``$ZKML_CACHE_DIR``, else ``$XDG_CACHE_HOME/zkml``, else
``~/.cache/zkml``) as params files named ``ipa-vesta-v1-k<k>.params``. A cache file is
trusted like the installed code (it is read with its checksum and on-curve checks, not
re-derived); delete it to force a fresh derivation.

There are no Lagrange-basis generators: ``commit_lagrange`` iNTTs the evaluations and
commits to the coefficients (see the package docstring).

File format, version 1 (all integers little-endian)::

    offset  size      field
    0       8         magic  b"ZKMLIPA\\0"
    8       4         version (u32) = 1
    12      4         k (u32), 1 <= k <= 32
    16      4         number of G points (u32) = 2^k
    20      32        derivation tag: Blake2b-256 of DOMAIN (which derivation made the points)
    52      64·2^k    g, each point 64 bytes: x then y, 32 bytes little-endian canonical
                      (VESTA.encode_uncompressed, so loading needs no square roots)
    ...     64        h
    ...     64        u
    ...     32        checksum: Blake2b-256 of every byte before it

Loading (:func:`params_from_bytes`) checks the header, lengths and checksum, decodes
every point (canonical, on the curve), and then re-derives the generators for k (from
the caches when present) and rejects a file whose points differ.

Verifier params (what a proof bundle carries): the verifier needs every generator, but
they are a function of k, so the bytes name only k and the derivation, 52 bytes::

    offset  size  field
    0       8     magic  b"ZKMLIPAV"
    8       4     version (u32) = 1
    12      4     k (u32), 1 <= k <= 32
    16      4     number of G points (u32) = 2^k
    20      32    derivation tag (as above)

Loading checks them and returns :func:`setup` (k): the points are derived (or taken
from the local caches), never read from the bundle.
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

import attrs
import numpy as np

from zkml_core.arith.curve import VESTA
from zkml_core.errors import SerializationError

DOMAIN = b"zkml/ipa/vesta/v1"
MAGIC = b"ZKMLIPA\0"
VERSION = 1
HEADER = struct.Struct("<8sIII32s")
VP_MAGIC = b"ZKMLIPAV"
POINT_BYTES = 64  # uncompressed Vesta point
CHECKSUM_BYTES = 32
MAX_K = 32  # Pasta Fp's 2-adicity: the largest NTT domain
#: below this k, deriving is quicker than a disk round trip (k = 10: ~2 s)
DISK_CACHE_MIN_K = 10

_TAG = hashlib.blake2b(DOMAIN, digest_size=32).digest()
# the longest G vector derived so far in this process, and (h, u)
_memory: dict[str, np.ndarray] = {}


@attrs.define(eq=False)
class IPAParams:
    """Generators for polynomials of up to 2^k coefficients (module docstring).

    The verifier needs all of them (it recomputes the folded generator), so these are
    also the verifier's params."""

    k: int
    g: np.ndarray
    h: np.ndarray
    u: np.ndarray

    @property
    def n(self) -> int:
        return 1 << self.k


def _check_k(k: int) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise ValueError(f"IPA params need 1 <= k <= {MAX_K}, got {k!r}")


def derive(k: int) -> IPAParams:
    """The params for 2^k rows, straight from hash_to_curve (no disk cache)."""
    _check_k(k)
    n = 1 << k
    g = _memory.get("g")
    if g is None or len(g) < n:
        g = VESTA.hash_to_curve(DOMAIN + b"/G", n)
        _memory["g"] = g
    if "h" not in _memory:
        _memory["h"] = VESTA.hash_to_curve(DOMAIN + b"/H", 1)
        _memory["u"] = VESTA.hash_to_curve(DOMAIN + b"/U", 1)
    return IPAParams(k, g[:n].copy(), _memory["h"].copy(), _memory["u"].copy())


def cache_dir() -> Path:
    """Where derived params are cached on disk (module docstring)."""
    env = os.environ.get("ZKML_CACHE_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "zkml"


def _cache_file(k: int) -> Path:
    return cache_dir() / f"ipa-vesta-v{VERSION}-k{k}.params"


def setup(k: int) -> IPAParams:
    """The (deterministic) params for 2^k rows: memory cache, disk cache, or derivation."""
    _check_k(k)
    g = _memory.get("g")
    if (g is not None and len(g) >= 1 << k) or k < DISK_CACHE_MIN_K:
        return derive(k)
    path = _cache_file(k)
    try:
        params = params_from_bytes(path.read_bytes(), rederive=False)
        if params.k == k:
            _memory.setdefault("h", params.h)
            _memory.setdefault("u", params.u)
            if g is None or len(g) < params.n:
                _memory["g"] = params.g
            return params
    except (OSError, SerializationError):
        pass  # no usable cache: derive and (re)write it
    params = derive(k)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(params_to_bytes(params))
        os.replace(tmp, path)  # atomic: concurrent processes never read half a file
    except OSError:
        pass  # a read-only or missing cache dir only costs time
    return params


def params_to_bytes(params: IPAParams) -> bytes:
    """The version-1 file format (module docstring)."""
    n = params.n
    if params.g.shape != (n, 2, 4) or params.h.shape != (1, 2, 4) or params.u.shape != (1, 2, 4):
        raise ValueError("IPA params arrays do not hold 2^k generators and one h and one u")
    body = b"".join([
        HEADER.pack(MAGIC, VERSION, params.k, n, _TAG),
        VESTA.encode_uncompressed(params.g),
        VESTA.encode_uncompressed(params.h),
        VESTA.encode_uncompressed(params.u),
    ])
    return body + hashlib.blake2b(body, digest_size=CHECKSUM_BYTES).digest()


def params_from_bytes(data: bytes, rederive: bool = True) -> IPAParams:
    """Decode and validate a params file; SerializationError says what is wrong.

    ``rederive=False`` skips the comparison with freshly derived generators (used for
    the local disk cache only)."""
    data = bytes(data)
    bad = "IPA params file"
    if len(data) < HEADER.size:
        raise SerializationError(f"{bad} is truncated: {len(data)} bytes, shorter than its header")
    magic, version, k, n_g, tag = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise SerializationError(f"not an IPA params file (bad magic header {magic!r}); "
                                 "create one with `zkml setup --backend ipa`")
    if version != VERSION:
        raise SerializationError(f"{bad} has format version {version}; this zkml reads version {VERSION}")
    if not 1 <= k <= MAX_K:
        raise SerializationError(f"{bad} has k = {k}, outside 1..{MAX_K}")
    n = 1 << k
    if n_g != n:
        raise SerializationError(f"{bad} declares {n_g} generators; k = {k} needs {n}")
    if tag != _TAG:
        raise SerializationError(f"{bad} was derived from another domain-separation string "
                                 "(another program or format); regenerate it with this zkml")
    expected = HEADER.size + (n + 2) * POINT_BYTES + CHECKSUM_BYTES
    if len(data) != expected:
        state = "truncated" if len(data) < expected else "longer than its header says"
        raise SerializationError(f"{bad} is {state}: {len(data)} bytes, k = {k} needs {expected}")
    body, checksum = data[:-CHECKSUM_BYTES], data[-CHECKSUM_BYTES:]
    if hashlib.blake2b(body, digest_size=CHECKSUM_BYTES).digest() != checksum:
        raise SerializationError(f"{bad} is corrupted (checksum mismatch); regenerate it")
    try:
        points = VESTA.decode_uncompressed(body[HEADER.size :])
    except SerializationError as e:
        raise SerializationError(f"{bad}: {e}") from e
    if np.any(np.all(points == 0, axis=(1, 2))):
        raise SerializationError(f"{bad}: a generator is the point at infinity")
    params = IPAParams(k, points[:n].copy(), points[n : n + 1].copy(), points[n + 1 :].copy())
    if rederive:
        fresh = setup(k)
        if not (np.array_equal(fresh.g, params.g) and np.array_equal(fresh.h, params.h)
                and np.array_equal(fresh.u, params.u)):
            raise SerializationError(f"{bad}: its generators differ from the transparent derivation "
                                     "(tampered file); regenerate it with `zkml setup --backend ipa`")
    return params


def verifier_params_to_bytes(params: IPAParams) -> bytes:
    """The verifier params format (module docstring): k and the derivation tag."""
    return HEADER.pack(VP_MAGIC, VERSION, params.k, params.n, _TAG)


def verifier_params_from_bytes(data: bytes) -> IPAParams:
    """Check the verifier params bytes and return the derived params for their k."""
    data = bytes(data)
    bad = "IPA verifier params"
    if len(data) != HEADER.size:
        state = "truncated" if len(data) < HEADER.size else "longer than the format"
        raise SerializationError(f"{bad} are {state}: {len(data)} bytes, expected {HEADER.size}")
    magic, version, k, n_g, tag = HEADER.unpack(data)
    if magic != VP_MAGIC:
        raise SerializationError(f"not IPA verifier params (bad magic header {magic!r})")
    if version != VERSION:
        raise SerializationError(f"{bad} have format version {version}; this zkml reads version {VERSION}")
    if not 1 <= k <= MAX_K or n_g != 1 << k:
        raise SerializationError(f"{bad} have k = {k} and {n_g} generators; need 1 <= k <= {MAX_K} "
                                 "and 2^k generators")
    if tag != _TAG:
        raise SerializationError(f"{bad} name another derivation (domain-separation string)")
    return setup(k)
