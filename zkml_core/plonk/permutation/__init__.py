"""Permutation (copy-constraint) argument, halo2 construction over column chunks.

Cell (column j, row i) of the equality columns is named δ^j·ω^i; the permutation σ maps
every cell to the next cell of its copy cycle. For each chunk of ``degree − 2`` columns
a grand product z_c runs over the usable rows:

    z_c(ω X) · Π (v_j(X) + β σ_j(X) + γ)  =  z_c(X) · Π (v_j(X) + β δ^j X + γ)

on active rows, with z_0(1) = 1, z_c(1) = z_{c−1}(ω^u) (chaining chunks) and
z_last(ω^u) ∈ {0, 1} (halo2's check). ``argument`` holds σ construction (keygen) and the
constraints, ``prover`` the grand products.
"""
