"""How the Poseidon rounds map onto circuit rows, and the witness of each row.

A permutation is laid out as rows of one kind each (:func:`row_plan`): ``full`` rows
(one full round), ``partial`` rows (``k`` consecutive partial rounds, the last partial
row possibly fewer), then one output row. The gates are in :mod:`.gadget`.

Partial rows in the degree-4 layout use :class:`PartialRowAlgebra`: within a row,
every state word is an *affine* function of the row's state ``s0, s1, s2`` and of the
S-box outputs ``x_1 .. x_{k-1}`` of the row's earlier rounds, since only word 0 goes
through an S-box. The row's helper cells are ``[q_1, x_1, q_2, x_2, ..., q_k]`` with
``u_j`` the j-th S-box input (affine), ``q_j = u_j^2`` and ``x_j = q_j^2 u_j``; the next
row's state is affine in the same variables plus ``q_k^2 u_k``. The affine maps'
coefficients depend only on the MDS matrix; their constant terms depend on the row's
round constants and are precomputed per row into fixed columns (:meth:`constants`).
"""

from __future__ import annotations

from zkml_plugins.gadgets.poseidon.params import PoseidonParams

FULL, PARTIAL = "full", "partial"


def row_plan(params: PoseidonParams, k: int) -> list[tuple[str, int, int]]:
    """``(kind, first round, rounds)`` for each round row of one permutation, ``k``
    partial rounds a row."""
    half = params.r_f // 2
    rows = [(FULL, r, 1) for r in range(half)]
    first, end = half, half + params.r_p
    while first < end:
        n = min(k, end - first)
        rows.append((PARTIAL, first, n))
        first += n
    rows += [(FULL, r, 1) for r in range(end, params.rounds)]
    return rows


class PartialRowAlgebra:
    """The affine maps of ``k`` partial rounds on one row (see the module docstring).

    Variables are numbered ``0, 1, 2`` for ``s0, s1, s2`` and ``3 + j`` for ``x_{j+1}``;
    a linear form is a list of coefficients over them.
    """

    def __init__(self, params: PoseidonParams, k: int) -> None:
        self.params, self.k = params, k
        p, m = params.p, params.mds
        nvars = 3 + k - 1
        unit = [[int(v == i) for v in range(nvars)] for i in range(nvars)]

        def comb(c1: int, f1: list[int], c2: int, f2: list[int], c3: int, f3: list[int]) -> list[int]:
            return [(c1 * a + c2 * b + c3 * c) % p for a, b, c in zip(f1, f2, f3, strict=True)]

        words = unit[:3]
        zero = [0] * nvars
        #: linear part of the S-box input u_j, j = 1..k
        self.u: list[list[int]] = []
        for j in range(k):
            self.u.append(words[0])
            x = unit[3 + j] if j < k - 1 else zero  # the last S-box output is not a variable
            words = [comb(m[i][0], x, m[i][1], words[1], m[i][2], words[2]) for i in range(3)]
        #: linear part of the next state (without the last round's ``M[i][0] * x_k``)
        self.next: list[list[int]] = words

    def constants(self, first_round: int) -> tuple[list[int], list[int]]:
        """Constant terms ``(c_1..c_k of u_j, d_0..d_2 of the next state)`` for the row
        whose rounds start at ``first_round``."""
        p, m, rc = self.params.p, self.params.mds, self.params.round_constants
        w = [0, 0, 0]
        cs = []
        for j in range(self.k):
            w = [(w[i] + rc[first_round + j][i]) % p for i in range(3)]
            cs.append(w[0])
            w = [(m[i][1] * w[1] + m[i][2] * w[2]) % p for i in range(3)]
        return cs, w

    def witness(self, state: list[int], first_round: int) -> tuple[list[int], list[int]]:
        """``(helpers [q_1, x_1, ..., q_k], next state)`` for one row."""
        p = self.params.p
        (m00, m01, m02), (m10, m11, m12), (m20, m21, m22) = self.params.mds
        rc = self.params.round_constants
        a, b, c = state
        helpers = []
        for j in range(self.k):
            r0, r1, r2 = rc[first_round + j]
            u = (a + r0) % p
            q = u * u % p
            x = q * q % p * u % p
            helpers += [q, x]
            b, c = b + r1, c + r2
            a, b, c = (m00 * x + m01 * b + m02 * c) % p, (m10 * x + m11 * b + m12 * c) % p, \
                (m20 * x + m21 * b + m22 * c) % p
        return helpers[:-1], [a, b, c]
