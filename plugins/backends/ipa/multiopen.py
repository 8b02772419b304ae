"""halo2's multi-point opening for IPA: many (polynomial, point) claims, one IPA at x3.

Grouping (both sides compute the same from their query lists, in query order):

- queries name the same polynomial when they share a key: the prover keys a query by
  its coefficients (trailing zeros dropped) and blind, the verifier by its commitment's
  terms ``[(s mod p, encoded point), ...]``; duplicate (polynomial, point) claims collapse
  (the verifier rejects duplicates with different values);
- each polynomial's *point set* is the set of its points; polynomials with equal point
  sets form one group; groups are ordered by first appearance, a group's points by their
  order in its first polynomial.

Protocol (challenges x1..x4):

1. q_i = Σ x1^(m−1−t)·p_t over the group's polynomials t (Horner in x1), likewise its
   blind and its claimed values at each point of the set;
2. q'(X) = Σ_i x2^(…)·⌊q_i / Z_i⌋ with Z_i = Π_{z in set i}(X − z) (Horner in x2); for honest
   claims the division is exact after subtracting the interpolation r_i of the values;
   the prover writes Q' = commit(q', fresh blind); challenge x3;
3. the prover writes u_i = q_i(x3) for each group; challenge x4;
4. P = x4-Horner of [q', q_0, q_1, ...] (commitments alike), opened at x3 by the IPA with
   value v = x4-Horner of [q'(x3), u_0, ...] where the verifier computes
   q'(x3) = Σ_i x2^(…)·(u_i − r_i(x3)) / Z_i(x3) from the claimed values.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from zkml_core.arith import poly

from . import inner_product as ipa
from .params import IPAParams

F, C = ipa.F, ipa.C


class _Poly:
    """One polynomial of the query list with its points and claimed values (in order)."""

    __slots__ = ("item", "evals")

    def __init__(self, item: Any) -> None:
        self.item = item  # prover: (coeffs, blind int); verifier: commitment terms
        self.evals: dict[int, int] = {}


def _group(keyed: list[tuple[bytes | tuple, Any, int, int]]) -> list[tuple[list[int], list[_Poly]]] | None:
    """``[(points, [poly, ...]), ...]`` from ``[(key, item, point, eval), ...]``; None when
    one polynomial is claimed to take two values at one point."""
    polys: dict[Any, _Poly] = {}
    for key, item, point, value in keyed:
        entry = polys.setdefault(key, _Poly(item))
        if entry.evals.setdefault(point, value) != value:
            return None
    groups: dict[frozenset, tuple[list[int], list[_Poly]]] = {}
    for entry in polys.values():
        points = list(entry.evals)
        groups.setdefault(frozenset(points), (points, []))[1].append(entry)
    return list(groups.values())


def _prover_key(coeffs: np.ndarray, blind: int) -> bytes:
    nonzero = np.flatnonzero(coeffs.any(axis=1))
    used = coeffs[: nonzero[-1] + 1] if len(nonzero) else coeffs[:0]
    return hashlib.blake2b(np.ascontiguousarray(used).tobytes() + blind.to_bytes(32, "little")).digest()


def _padded(coeffs: np.ndarray, n: int) -> np.ndarray:
    if len(coeffs) > n:
        raise ValueError(f"polynomial of {len(coeffs)} coefficients exceeds the params' {n}")
    out = F.zeros(n)
    out[: len(coeffs)] = coeffs
    return out


def open_multi(params: IPAParams, transcript: Any, queries: list) -> None:
    """Write the multi-open proof of ``queries`` (ProverQuery) to ``transcript``."""
    p, n = F.p, params.n
    keyed = []
    for q in queries:
        coeffs = np.ascontiguousarray(q.coeffs, dtype=np.uint64).reshape(-1, 4)
        blind = F.to_ints(np.asarray(q.blind).reshape(1, 4))[0] if q.blind is not None else 0
        keyed.append((_prover_key(coeffs, blind), (coeffs, blind), q.point % p, q.eval % p))
    groups = _group(keyed)
    if groups is None:
        raise ValueError("queries claim two different values of one polynomial at one point")
    x1 = transcript.squeeze_challenge()
    x2 = transcript.squeeze_challenge()
    if not groups:
        return  # nothing was claimed
    x1s = ipa._scalar(x1)
    q_polys, q_blinds = [], []
    for _, entries in groups:
        acc, blind = F.zeros(n), 0
        for entry in entries:
            coeffs, b = entry.item
            acc = F.add(F.mul(acc, x1s), _padded(coeffs, n))
            blind = (blind * x1 + b) % p
        q_polys.append(acc)
        q_blinds.append(blind)
    x2s = ipa._scalar(x2)
    q_prime = F.zeros(n)
    for (points, _), q in zip(groups, q_polys, strict=True):
        for z in points:
            q = poly.divide_by_linear(F, q, z)  # floor division: drops the remainder
        q_prime = F.add(F.mul(q_prime, x2s), q)
    q_prime_blind = F.to_ints(F.random(1))[0]
    transcript.write_point(ipa.commit(params, q_prime, q_prime_blind))
    x3 = transcript.squeeze_challenge()
    for q in q_polys:
        transcript.write_scalar(poly.evaluate(F, q, x3))
    x4 = transcript.squeeze_challenge()
    x4s = ipa._scalar(x4)
    p_poly, p_blind = q_prime, q_prime_blind
    for q, b in zip(q_polys, q_blinds, strict=True):
        p_poly = F.add(F.mul(p_poly, x4s), q)
        p_blind = (p_blind * x4 + b) % p
    ipa.create_proof(params, transcript, p_poly, p_blind, x3)


def _interpolate_at(points: list[int], values: list[int], x: int, p: int) -> int:
    """r(x) for the polynomial r of degree < len(points) through (points, values)."""
    total = 0
    for i, (zi, vi) in enumerate(zip(points, values, strict=True)):
        num, den = 1, 1
        for j, zj in enumerate(points):
            if j != i:
                num = num * (x - zj) % p
                den = den * (zi - zj) % p
        total = (total + vi * num * pow(den, -1, p)) % p
    return total


def _scale(terms: list[tuple[int, Any]], s: int, p: int) -> list[tuple[int, Any]]:
    return [(t * s % p, pt) for t, pt in terms]


def verify_multi(params: IPAParams, transcript: Any, queries: list) -> bool:
    """Read the multi-open proof and check it against ``queries`` (VerifierQuery)."""
    p = F.p
    keyed = []
    for q in queries:
        terms = [(int(s) % p, np.asarray(pt).reshape(1, 2, 4)) for s, pt in q.commitment]
        key = tuple((s, C.encode(pt)) for s, pt in terms)
        keyed.append((key, terms, q.point % p, q.eval % p))
    groups = _group(keyed)
    x1 = transcript.squeeze_challenge()
    x2 = transcript.squeeze_challenge()
    if groups is None:
        return False
    if not groups:
        return True  # nothing was claimed
    q_terms, q_values = [], []
    for points, entries in groups:
        terms: list[tuple[int, Any]] = []
        values = [0] * len(points)
        for entry in entries:
            terms = _scale(terms, x1, p) + entry.item
            values = [(v * x1 + entry.evals[z]) % p for v, z in zip(values, points, strict=True)]
        q_terms.append(terms)
        q_values.append(values)
    q_prime = transcript.read_point()
    x3 = transcript.squeeze_challenge()
    us = [transcript.read_scalar() for _ in groups]
    x4 = transcript.squeeze_challenge()

    q_prime_eval = 0
    for (points, _), values, u in zip(groups, q_values, us, strict=True):
        den = 1
        for z in points:
            den = den * (x3 - z) % p
        if den == 0:
            return False  # x3 on a query point: probability ~n/2^254
        term = (u - _interpolate_at(points, values, x3, p)) * pow(den, -1, p)
        q_prime_eval = (q_prime_eval * x2 + term) % p
    terms, v = [(1, q_prime)], q_prime_eval
    for q, u in zip(q_terms, us, strict=True):
        terms = _scale(terms, x4, p) + q
        v = (v * x4 + u) % p
    return ipa.verify_proof(params, transcript, terms, x3, v)
