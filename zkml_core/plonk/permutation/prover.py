"""Prover side of the permutation argument: the grand products z_c in Lagrange form."""

from __future__ import annotations

from typing import Any

import numpy as np

from zkml_core.plonk.permutation.argument import chunks, delta
from zkml_core.plonk.scan import prefix_product


def grand_products(
    field: Any,
    cs: Any,
    columns_lag: list[np.ndarray],
    sigma_lag: list[np.ndarray],
    omega_powers: np.ndarray,
    beta: int,
    gamma: int,
    usable: int,
) -> list[np.ndarray]:
    """z_c for every chunk: rows 0..u hold the running product (chained across chunks),
    the rows after u are random. ``columns_lag[j]`` are the equality columns' values."""
    F, u = field, usable
    n = omega_powers.shape[0]
    p = F.p
    d = delta(F)
    g = F.from_ints([gamma])
    w = omega_powers[:u]
    last = F.ones(1)
    out = []
    for idxs in chunks(cs):
        num = den = None
        for j in idxs:
            v = F.add(columns_lag[j][:u], g)
            nj = F.add(v, F.mul(w, F.from_ints([beta * pow(d, j, p) % p])))
            dj = F.add(v, F.mul(sigma_lag[j][:u], F.from_ints([beta])))
            num = nj if num is None else F.mul(num, nj)
            den = dj if den is None else F.mul(den, dj)
        z = np.empty((n, 4), dtype=np.uint64)
        z[0] = last[0]
        z[1 : u + 1] = F.mul(prefix_product(F, F.mul(num, F.inv(den))), last)
        z[u + 1 :] = F.random(n - u - 1)
        last = z[u : u + 1].copy()
        out.append(z)
    return out
