"""The evaluation domain of a circuit and the basis changes between its three forms.

Polynomials appear in three bases, and prover code names arrays by basis:

- ``*_lag``: values on the 2^k rows ⟨ω⟩ (Lagrange basis; what synthesis produces),
- ``*_coef``: coefficients (what the commitment scheme opens),
- ``*_ext``: values on the extended coset ``g·⟨ω_N⟩``, N = 2^(k+e) with 2^e at least the
  number of quotient pieces, where constraints are evaluated; ``g`` is the field's
  multiplicative generator, so the coset misses ⟨ω⟩ and X^n − 1 never vanishes on it.
  One row of rotation is ``2^e`` positions there.
- ``*_part``: the extended coset as 2^e parts of n points, part j = g·ω_N^j·⟨ω⟩ (the
  positions j, j + 2^e, ... of ``*_ext``). One row of rotation is one position within a
  part, so the prover evaluates constraints a part at a time and holds n values of each
  polynomial instead of N.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zkml_core.arith import poly


class Domain:
    def __init__(self, field: Any, k: int, extra: int) -> None:
        self.F = field
        self.k, self.n = k, 1 << k
        self.extra = extra
        self.ext_k, self.N = k + extra, 1 << (k + extra)
        p = field.p
        self.omega = field.root_of_unity(k)
        self.omega_inv = pow(self.omega, -1, p)
        self.shift = field.generator % p
        self._omega_powers: np.ndarray | None = None
        self._powers: dict[int, np.ndarray] = {}

    # ---- basis changes ---------------------------------------------------------------
    def lag_to_coef(self, values: np.ndarray) -> np.ndarray:
        return poly.intt(self.F, values)

    def coef_to_ext(self, coeffs: np.ndarray) -> np.ndarray:
        return poly.coset_ntt(self.F, coeffs, self.ext_k, self.shift)

    def ext_to_coef(self, values: np.ndarray) -> np.ndarray:
        return poly.coset_intt(self.F, values, self.shift)

    @property
    def parts(self) -> int:
        return 1 << self.extra

    def _part_powers(self, j: int) -> np.ndarray:
        """(g·ω_N^j)^t for t < n: a polynomial's coefficients times these, then an NTT of
        size n, give its values on part j."""
        if j not in self._powers:
            s = self.shift * pow(self.F.root_of_unity(self.ext_k), j, self.F.p) % self.F.p
            self._powers[j] = self.F.powers(s, self.n)
        return self._powers[j]

    def coef_to_part(self, coeffs: np.ndarray, j: int) -> np.ndarray:
        """Values on part j of the extended coset of a polynomial of at most n coeffs."""
        a = self.F.zeros(self.n)
        a[: coeffs.shape[0]] = self.F.mul(coeffs, self._part_powers(j)[: coeffs.shape[0]])
        return poly.ntt(self.F, a)

    def row_polys_part(self, j: int, row_coef: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """l0, l_last, l_active (``row_coef``: their coefficients, :meth:`row_coefs`) and
        the identity X on part j."""
        out = {name: self.coef_to_part(c, j) for name, c in row_coef.items()}
        out["X"] = self.F.mul(self.omega_powers, self._part_powers(j)[1:2])  # s_j·ω^i
        return out

    def row_coefs(self, usable: int) -> dict[str, np.ndarray]:
        """Coefficients of l0 (1 on row 0), l_last (1 on row u) and l_active (1 on rows
        0..u-1)."""
        F, n = self.F, self.n
        one = F.ones(1)[0]
        l0, l_last, l_active = F.zeros(n), F.zeros(n), F.zeros(n)
        l0[0] = one
        l_last[usable] = one
        l_active[:usable] = one
        return {"l0": self.lag_to_coef(l0), "l_last": self.lag_to_coef(l_last),
                "l_active": self.lag_to_coef(l_active)}

    def lag_to_ext(self, values: np.ndarray) -> np.ndarray:
        return self.coef_to_ext(self.lag_to_coef(values))

    def row_polys_ext(self, usable: int) -> dict[str, np.ndarray]:
        """On the extended coset: l0, l_last, l_active (:meth:`row_coefs`) and the
        identity X."""
        out = {name: self.coef_to_ext(c) for name, c in self.row_coefs(usable).items()}
        wN = self.F.root_of_unity(self.ext_k)
        out["X"] = self.F.mul(self.F.powers(wN, self.N), self.F.from_ints([self.shift]))
        return out

    def row_values_at(self, x: int, usable: int) -> dict[str, int]:
        """l0, l_last, l_active and X at the point x (the verifier's side)."""
        p = self.F.p
        ls = self.lagrange_at(x, [0, usable] + list(range(usable + 1, self.n)))
        return {"l0": ls[0], "l_last": ls[1], "l_active": (1 - ls[1] - sum(ls[2:])) % p, "X": x}

    # ---- points ------------------------------------------------------------------------
    @property
    def omega_powers(self) -> np.ndarray:
        """ω^i for the n rows, as a field array."""
        if self._omega_powers is None:
            self._omega_powers = self.F.powers(self.omega, self.n)
        return self._omega_powers

    def rotate(self, x: int, rotation: int) -> int:
        """x · ω^rotation."""
        w = self.omega if rotation >= 0 else self.omega_inv
        return x * pow(w, abs(rotation), self.F.p) % self.F.p

    def zh_inv_ext(self) -> np.ndarray:
        """1 / (X^n − 1) at every point of the extended coset.

        (g·ω_N^i)^n = g^n·ω_{2^e}^i takes only 2^e values, so invert those and tile."""
        p = self.F.p
        gn = pow(self.shift, self.n, p)
        w = self.F.root_of_unity(self.extra) if self.extra else 1
        vals = [(gn * pow(w, i, p) - 1) % p for i in range(1 << self.extra)]
        inv = self.F.from_ints([pow(v, -1, p) for v in vals])
        return np.ascontiguousarray(np.tile(inv, (self.N >> self.extra, 1)))

    def lagrange_at(self, x: int, rows: list[int]) -> list[int]:
        """L_i(x) = ω^i (x^n − 1) / (n (x − ω^i)) for the listed rows (x outside ⟨ω⟩)."""
        p = self.F.p
        zx = (pow(x, self.n, p) - 1) % p
        n_inv = pow(self.n, -1, p)
        out = []
        for i in rows:
            wi = pow(self.omega, i % self.n, p)
            out.append(wi * zx % p * n_inv % p * pow((x - wi) % p, -1, p) % p)
        return out

    def evaluate_lagrange_values(self, values: list[int], x: int) -> int:
        """The polynomial with ``values`` on rows 0.. (zero after) evaluated at x ∉ ⟨ω⟩.

        Σ v_i ω^i (x^n − 1) / (n (x − ω^i)), with one modular inversion for all rows
        (Montgomery's trick), so thousands of public values stay cheap for the verifier."""
        if not values:
            return 0
        p = self.F.p
        dens, ws, w = [], [], 1
        for _ in values:
            ws.append(w)
            dens.append((x - w) % p)
            w = w * self.omega % p
        prefix, acc = [], 1
        for d in dens:
            prefix.append(acc)
            acc = acc * d % p
        inv = pow(acc, -1, p)
        total = 0
        for i in range(len(dens) - 1, -1, -1):
            total += values[i] * ws[i] % p * (inv * prefix[i] % p)
            inv = inv * dens[i] % p
        zx = (pow(x, self.n, p) - 1) % p
        return total % p * zx % p * pow(self.n, -1, p) % p
