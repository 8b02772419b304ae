"""Vanishing argument: every constraint, folded with a challenge y, is divisible by X^n − 1.

The prover commits a random polynomial r (zero knowledge of the opening batch), then
h = Σ_k y^k C_k / (X^n − 1) computed on the extended coset, split in degree-n pieces
h_i, each committed. At x the verifier recomputes h(x) from the opened evaluations and
checks it against the opening of Σ x^{ni} [h_i]; r is opened at x too.
"""
