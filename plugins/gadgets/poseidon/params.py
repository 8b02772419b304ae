"""Poseidon parameters: round constants and MDS matrix from the paper's Grain LFSR.

This follows the constant-generation procedure of the Poseidon paper (Grassi et al.,
eprint 2019/458, appendix F) and its reference script ``generate_parameters_grain.sage``:

1. An 80-bit Grain LFSR state is initialised, most significant bit first, with
   ``field`` (2 bits, 1 = prime field), ``sbox`` (4 bits, 0 = x^alpha), the field size
   ``n`` = bit length of p (12 bits), ``t`` (12 bits), ``R_F`` (10 bits), ``R_P``
   (10 bits) and 30 one bits. The state is clocked with
   ``b[i+80] = b[i+62] ^ b[i+51] ^ b[i+38] ^ b[i+23] ^ b[i+13] ^ b[i]`` and the first
   160 bits are discarded.
2. Output bits come in self-shrinking mode: clock two bits; if the first is 1 output
   the second, otherwise discard both.
3. Round constants: ``(R_F + R_P) * t`` values, each ``n`` output bits read most
   significant bit first, *rejected* and redrawn when ``>= p``. Row ``r`` of
   :attr:`PoseidonParams.round_constants` is the ``t`` constants of round ``r``.
4. MDS matrix: draw ``2t`` values of ``n`` bits each, reduced mod p (no rejection, as the
   reference does); redraw all ``2t`` while any two are equal or some ``x_i + y_j = 0``;
   then ``M[i][j] = 1 / (x_i + y_j)`` (Cauchy). A candidate is kept only if it passes
   the reference script's security checks for partial rounds with one S-box
   (``s = 1``), implemented in :func:`mds_security_failures`:

   - *Algorithm 1* (no invariant subspace over few rounds): for ``i = 1 .. t-1``,
     ``M^i`` is not a scalar matrix; no non-zero vector of the subspace ``S_i`` of
     states whose S-box inputs stay inactive for ``i`` rounds is an eigenvector of
     ``M^i`` (eigenvalues in F_p); and ``S_i`` is not mapped onto itself by ``M^j``,
     ``j = 1 .. i``.
   - *Algorithm 2* (no infinitely long subspace trail): the Krylov space of ``e_0``
     under ``M`` (the span of ``e_0, M e_0, M^2 e_0, ...``) is the whole space.
   - *Algorithm 3*: algorithm 2 holds for ``M^r``, ``r = 2 .. 4t``.

   Otherwise the next candidate is drawn from the same LFSR stream. halo2 (and the
   original zkml) instead skip a fixed number ``secure_mds`` of candidates without
   checking; :func:`poseidon_params` accepts such a count too (``mds_skip``), which is
   how the zkml-compatible parameter set is reproduced exactly.

Parameter sets provided (all x^5, t = 3, rate 2, R_F = 8, 128-bit security):

- ``poseidon_params("bn254")``: BN254 Fr, R_P = 57 (``poseidonperm_x5_254_3``).
- ``poseidon_params("pallas")``: Pallas base field Fp, R_P = 56 (halo2 ``P128Pow5T3``).
- ``poseidon_params("vesta")``: Vesta base field Fq, R_P = 56 (halo2 ``P128Pow5T3``).
- ``poseidon_params("bn254", r_p=56, mds_skip=0)``: the original zkml's
  ``P128Pow5T3Gen<Fr, 0>`` on BN254 (56 partial rounds, first Cauchy candidate).

Generation is pure Python and runs once per parameter set (cached).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import attrs

from zkml_core.errors import ZkmlError

#: the prime fields Poseidon is instantiated over here, by name
FIELDS: dict[str, int] = {
    "bn254": 21888242871839275222246405745257275088548364400416034343698204186575808495617,
    "pallas": 0x40000000000000000000000000000000224698FC094CF91B992D30ED00000001,
    "vesta": 0x40000000000000000000000000000000224698FC0994A8DD8C46EB2100000001,
}

#: the paper's 128-bit partial-round counts for t = 3, alpha = 5
DEFAULT_PARTIAL_ROUNDS: dict[str, int] = {"bn254": 57, "pallas": 56, "vesta": 56}


class PoseidonParamsError(ZkmlError):
    """Unknown field or unsupported Poseidon parameters."""


@attrs.frozen
class PoseidonParams:
    """One Poseidon instance: field, width, rounds and the generated constants."""

    field: str
    p: int
    t: int
    rate: int
    alpha: int
    r_f: int
    r_p: int
    #: ``r_f + r_p`` rows of ``t`` constants, added at the start of each round
    round_constants: tuple[tuple[int, ...], ...]
    #: ``t`` x ``t``; the linear layer is ``state'[i] = sum_j mds[i][j] * state[j]``
    mds: tuple[tuple[int, ...], ...]
    mds_inv: tuple[tuple[int, ...], ...]
    #: how many Cauchy candidates were drawn and skipped before ``mds``
    mds_skipped: int

    @property
    def rounds(self) -> int:
        return self.r_f + self.r_p


# ---- Grain LFSR ---------------------------------------------------------------------


class Grain:
    """The Poseidon paper's Grain LFSR in self-shrinking mode.

    The 80-bit state is an int whose bit ``i`` is ``b[i]`` (the oldest bit is bit 0), so
    one clock is a shift and six taps.
    """

    def __init__(self, n: int, t: int, r_f: int, r_p: int, field: int = 1, sbox: int = 0):
        bits = (
            f"{field:02b}{sbox:04b}{n:012b}{t:012b}{r_f:010b}{r_p:010b}" + "1" * 30
        )
        if len(bits) != 80:
            raise PoseidonParamsError(f"Grain init does not fit 80 bits: n={n} t={t}")
        self.n = n
        self._state = sum(int(b) << i for i, b in enumerate(bits))
        for _ in range(160):
            self._clock()

    def _clock(self) -> int:
        s = self._state
        bit = ((s >> 62) ^ (s >> 51) ^ (s >> 38) ^ (s >> 23) ^ (s >> 13) ^ s) & 1
        self._state = (s >> 1) | (bit << 79)
        return bit

    def bits(self) -> Iterator[int]:
        """The self-shrinking output stream."""
        while True:
            first = self._clock()
            second = self._clock()
            if first:
                yield second

    def next_int(self) -> int:
        """``n`` output bits, most significant first."""
        value = 0
        stream = self.bits()
        for _ in range(self.n):
            value = (value << 1) | next(stream)
        return value

    def next_field_element(self, p: int) -> int:
        """A uniform element of F_p by rejection (round constants)."""
        while True:
            value = self.next_int()
            if value < p:
                return value

    def next_field_element_without_rejection(self, p: int) -> int:
        """``n`` bits reduced mod p (MDS candidates, as the reference does)."""
        return self.next_int() % p


# ---- small linear algebra over F_p ----------------------------------------------------

Matrix = list[list[int]]


def mat_mul(a: Matrix, b: Matrix, p: int) -> Matrix:
    cols = list(zip(*b, strict=True))
    return [[sum(x * y for x, y in zip(row, col, strict=True)) % p for col in cols] for row in a]


def mat_vec(a: Matrix, v: list[int], p: int) -> list[int]:
    return [sum(x * y for x, y in zip(row, v, strict=True)) % p for row in a]


def mat_pow(a: Matrix, e: int, p: int) -> Matrix:
    n = len(a)
    result = [[int(i == j) for j in range(n)] for i in range(n)]
    for _ in range(e):
        result = mat_mul(result, a, p)
    return result


def _rref(rows: Matrix, p: int) -> tuple[Matrix, list[int]]:
    """Reduced row echelon form and pivot columns."""
    m = [list(r) for r in rows]
    pivots: list[int] = []
    ncols = len(m[0]) if m else 0
    r = 0
    for c in range(ncols):
        piv = next((i for i in range(r, len(m)) if m[i][c] % p), None)
        if piv is None:
            continue
        m[r], m[piv] = m[piv], m[r]
        inv = pow(m[r][c], -1, p)
        m[r] = [x * inv % p for x in m[r]]
        for i in range(len(m)):
            if i != r and m[i][c]:
                f = m[i][c]
                m[i] = [(x - f * y) % p for x, y in zip(m[i], m[r], strict=True)]
        pivots.append(c)
        r += 1
        if r == len(m):
            break
    return m[:r], pivots


def rank(vectors: Matrix, p: int) -> int:
    return len(_rref(vectors, p)[1]) if vectors else 0


def kernel(a: Matrix, p: int) -> Matrix:
    """A basis of ``{x : a x = 0}`` (the right kernel)."""
    ncols = len(a[0])
    reduced, pivots = _rref(a, p)
    basis = []
    for free in (c for c in range(ncols) if c not in pivots):
        x = [0] * ncols
        x[free] = 1
        for row, pc in zip(reduced, pivots, strict=True):
            x[pc] = -row[free] % p
        basis.append(x)
    return basis


def mat_inv(a: Matrix, p: int) -> Matrix:
    n = len(a)
    aug = [list(row) + [int(i == j) for j in range(n)] for i, row in enumerate(a)]
    reduced, pivots = _rref(aug, p)
    if pivots[:n] != list(range(n)):
        raise PoseidonParamsError("MDS matrix is singular")
    return [row[n:] for row in reduced]


# ---- polynomials over F_p (coefficient lists, lowest degree first) --------------------


def _trim(f: list[int]) -> list[int]:
    while f and f[-1] == 0:
        f = f[:-1]
    return f


def _poly_mod(a: list[int], m: list[int], p: int) -> list[int]:
    a = _trim([x % p for x in a])
    inv = pow(m[-1], -1, p)
    while len(a) >= len(m):
        f = a[-1] * inv % p
        shift = len(a) - len(m)
        for i, c in enumerate(m):
            a[shift + i] = (a[shift + i] - f * c) % p
        a = _trim(a)
    return a


def _poly_mulmod(a: list[int], b: list[int], m: list[int], p: int) -> list[int]:
    if not a or not b:
        return []
    prod = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            prod[i + j] += x * y
    return _poly_mod(prod, m, p)


def _poly_powmod(base: list[int], e: int, m: list[int], p: int) -> list[int]:
    result = [1]
    base = _poly_mod(base, m, p)
    while e:
        if e & 1:
            result = _poly_mulmod(result, base, m, p)
        base = _poly_mulmod(base, base, m, p)
        e >>= 1
    return result


def _poly_gcd(a: list[int], b: list[int], p: int) -> list[int]:
    a, b = _trim([x % p for x in a]), _trim([x % p for x in b])
    while b:
        a, b = b, _poly_mod(a, b, p)
    inv = pow(a[-1], -1, p)
    return [x * inv % p for x in a]


def _poly_sub(a: list[int], b: list[int], p: int) -> list[int]:
    n = max(len(a), len(b))
    a, b = a + [0] * (n - len(a)), b + [0] * (n - len(b))
    return _trim([(x - y) % p for x, y in zip(a, b, strict=True)])


def roots_mod_p(f: list[int], p: int) -> list[int]:
    """The distinct roots in F_p of ``f`` (odd p): gcd with x^p - x, then
    Cantor-Zassenhaus splitting with the deterministic shifts x + 0, x + 1, ..."""
    g = _poly_gcd(f, _poly_sub(_poly_powmod([0, 1], p, f, p), [0, 1], p), p)
    roots: list[int] = []
    pending = [g]
    shift = 0
    while pending:
        h = pending.pop()
        if len(h) <= 1:
            continue
        if len(h) == 2:
            roots.append(-h[0] * pow(h[1], -1, p) % p)
            continue
        while True:
            w = _poly_sub(_poly_powmod([shift, 1], (p - 1) // 2, h, p), [1], p)
            shift += 1
            d = _poly_gcd(h, w, p) if w else h
            if 1 < len(d) < len(h):
                break
        q = _poly_divexact(h, d, p)
        pending += [d, q]
    return sorted(roots)


def _poly_divexact(a: list[int], b: list[int], p: int) -> list[int]:
    a = list(a)
    inv = pow(b[-1], -1, p)
    out = [0] * (len(a) - len(b) + 1)
    for k in range(len(out) - 1, -1, -1):
        c = a[k + len(b) - 1] * inv % p
        out[k] = c
        for i, y in enumerate(b):
            a[k + i] = (a[k + i] - c * y) % p
    return out


def charpoly(a: Matrix, p: int) -> list[int]:
    """Characteristic polynomial det(xI - a), lowest degree first (Faddeev-LeVerrier;
    p > size so the divisions by k exist)."""
    n = len(a)
    coeffs = [0] * (n + 1)
    coeffs[n] = 1
    mk = [[0] * n for _ in range(n)]
    for k in range(1, n + 1):
        mk = mat_mul(a, mk, p)
        for i in range(n):
            mk[i][i] = (mk[i][i] + coeffs[n - k + 1]) % p
        am = mat_mul(a, mk, p)
        coeffs[n - k] = -sum(am[i][i] for i in range(n)) * pow(k, -1, p) % p
    return coeffs


# ---- MDS security checks (reference algorithms 1-3, s = 1) ---------------------------


def _same_subspace(basis: Matrix, image: Matrix, p: int) -> bool:
    return rank(basis + image, p) == rank(basis, p) == rank(image, p)


def _inactive_subspace(m: Matrix, rounds: int, p: int) -> Matrix:
    """Basis of states with word 0 zero whose word 0 stays zero through ``rounds - 1``
    applications of ``M, M^2, ...`` (the reference's ``generate_vectorspace``)."""
    t = len(m)
    if rounds == 1:
        return [[int(j == i) for j in range(t)] for i in range(1, t)]
    rows = [mat_pow(m, i + 1, p)[0][1:] for i in range(rounds - 1)]
    return [[0] + v for v in kernel(rows, p)]


def _algorithm_1(m: Matrix, p: int) -> str | None:
    t = len(m)
    for i in range(1, t):  # r = floor((t - s) / s) with s = 1
        mi = mat_pow(m, i, p)
        if all(mi[a][b] == (mi[0][0] if a == b else 0) for a in range(t) for b in range(t)):
            return f"algorithm 1: M^{i} is a scalar matrix"
        s_basis = _inactive_subspace(m, i, p)
        if not s_basis:
            continue
        # vectors of S that are eigenvectors of M^i: (M^i - lambda I) B c = 0
        for lam in roots_mod_p(charpoly(mi, p), p):
            shifted = [[(mi[a][b] - (lam if a == b else 0)) % p for b in range(t)]
                       for a in range(t)]
            cols = [mat_vec(shifted, v, p) for v in s_basis]
            if kernel([list(r) for r in zip(*cols, strict=True)], p):
                return f"algorithm 1: M^{i} has an eigenvector in the inactive subspace"
        for j in range(1, i + 1):
            mj = mat_pow(m, j, p)
            if _same_subspace(s_basis, [mat_vec(mj, v, p) for v in s_basis], p):
                return f"algorithm 1: the inactive subspace is invariant under M^{j}"
    return None


def _krylov_full(m: Matrix, p: int) -> bool:
    """Reference algorithm 2 for s = 1: span(e0, M e0, M^2 e0, ...) is everything."""
    t = len(m)
    v = [int(i == 0) for i in range(t)]
    space = [v]
    while True:
        v = mat_vec(m, v, p)
        before = rank(space, p)
        space.append(v)
        after = rank(space, p)
        if after == t:
            return True
        if after <= before:
            return False


def mds_security_failures(m: Matrix, p: int) -> list[str]:
    """Reasons the reference script would reject ``m`` (empty list: secure)."""
    t = len(m)
    failures = []
    reason = _algorithm_1(m, p)
    if reason:
        failures.append(reason)
    if not _krylov_full(m, p):
        failures.append("algorithm 2: M has an infinitely long subspace trail")
    for r in range(2, 4 * t + 1):
        if not _krylov_full(mat_pow(m, r, p), p):
            failures.append(f"algorithm 3: M^{r} has an infinitely long subspace trail")
            break
    return failures


def _cauchy_candidate(grain: Grain, p: int, t: int) -> Matrix:
    while True:
        vals = [grain.next_field_element_without_rejection(p) for _ in range(2 * t)]
        if len(set(vals)) != len(vals):
            continue
        xs, ys = vals[:t], vals[t:]
        if any((x + y) % p == 0 for x in xs for y in ys):
            continue
        return [[pow(x + y, -1, p) for y in ys] for x in xs]


# ---- entry point ---------------------------------------------------------------------


def field_name(field: object) -> str:
    """The :data:`FIELDS` name of ``field``: a name, a modulus, or a field object with a
    ``p`` attribute (``backend.scalar_field``, ``GadgetConfig.field``)."""
    if isinstance(field, str):
        if field in FIELDS:
            return field
    else:
        p = field if isinstance(field, int) else getattr(field, "p", None)
        for name, q in FIELDS.items():
            if q == p:
                return name
    raise PoseidonParamsError(
        f"no Poseidon parameters for the field {field!r}; Poseidon is instantiated over "
        f"{', '.join(sorted(FIELDS))} (BN254 Fr for KZG, Pallas Fp for IPA)"
    )



@functools.cache
def poseidon_params(
    field: str, r_p: int | None = None, *, t: int = 3, r_f: int = 8, alpha: int = 5,
    mds_skip: int | None = None,
) -> PoseidonParams:
    """Generate (once, then cached) the Poseidon constants for ``field``.

    ``r_p`` defaults to the paper's 128-bit value (:data:`DEFAULT_PARTIAL_ROUNDS`).
    ``mds_skip=None`` keeps the first Cauchy candidate passing the reference security
    checks; an int skips exactly that many candidates unchecked (halo2's
    ``secure_mds``; the original zkml used 0).
    """
    if field not in FIELDS:
        raise PoseidonParamsError(
            f"no Poseidon parameters for field {field!r}; choose one of {sorted(FIELDS)}"
        )
    if alpha != 5 or t < 2 or r_f % 2:
        raise PoseidonParamsError(
            f"unsupported Poseidon instance t={t} alpha={alpha} R_F={r_f}: "
            "use alpha=5, t>=2 and an even number of full rounds"
        )
    p = FIELDS[field]
    if r_p is None:
        r_p = DEFAULT_PARTIAL_ROUNDS[field]
    grain = Grain(p.bit_length(), t, r_f, r_p)
    rcs = tuple(
        tuple(grain.next_field_element(p) for _ in range(t)) for _ in range(r_f + r_p)
    )
    skipped = 0
    while True:
        mds = _cauchy_candidate(grain, p, t)
        if mds_skip is None:
            if not mds_security_failures(mds, p):
                break
        elif skipped == mds_skip:
            break
        skipped += 1
    return PoseidonParams(
        field=field, p=p, t=t, rate=t - 1, alpha=alpha, r_f=r_f, r_p=r_p,
        round_constants=rcs, mds=tuple(map(tuple, mds)),
        mds_inv=tuple(map(tuple, mat_inv(mds, p))), mds_skipped=skipped,
    )
