"""LogUp lookup argument (log-derivative), one multiplicity column per table.

For a table tuple T (compressed t = Σ θ^j T_j) and its inputs f_l (compressed the same
way), the prover commits the multiplicities m, helper columns h_b = Σ_{l∈b} 1/(β + f_l)
(inputs batched while the helper constraint's degree fits), and a running sum φ with

    φ(ωX) − φ(X) = Σ_b h_b(X) − m(X) / (β + t(X))      on active rows,
    φ(1) = 0 and φ(ω^u) = 0,

so Σ_rows Σ_l 1/(β + f_l) = Σ_rows m/(β + t): every input is a table row.
``argument`` holds the constraints, ``prover`` the witness columns.
"""
