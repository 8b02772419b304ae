"""VarDivRoundBig3: ``c = round_half_up(a / b)`` with large divisors and quotients
(softmax's sums of exponentials), remainders in three limbs of base ``B = num_rows`` and
the quotient in two.

Layout ``a | c | c1 | r0 r1 r2 | t0 t1 t2`` per op, ``(num_cols - 1) // 9`` ops a row (so
``num_cols >= 10``, as zkml's softmax), the divisor in the last column. With
``r = r0 + B r1 + B^2 r2`` and ``t = t0 + B t1 + B^2 t2``, on every op of an enabled row:

- gates ``2a + b = 2b c + r`` and ``r + t = 2b - 1``;
- every limb in T: ``0 <= r, t < B^3``, hence ``0 <= r < 2b``;
- ``c1 in T`` and ``c - min_val - B c1 in T``: ``min_val <= c < min_val + B^2``.

As in ``var_div_round``, ``2b (c - c') = r' - r`` with small sides forces one quotient.
The divisor is a constant or a copied cell; ``r + t + 1 = 2b`` with the limbs in range
makes ``2b`` an integer in ``[1, 2 B^3)``, and the division gate (whose other terms are
small integers) rules out the odd case, so ``1 <= b <= B^3`` without a lookup on b.
"""

from __future__ import annotations

from zkml_plugins.gadgets.var_div_round import VarDivRound, round_div_parts

from zkml_core.hookspecs import hookimpl


class VarDivRoundBig3(VarDivRound):
    name = "var_div_round_big3"
    description = "round-half-up division by a large divisor (3-limb remainders)"
    width, n_inputs = 9, 1
    checks_divisor = False

    def constrain(self, cs, q, slots):
        cfg = self.config
        t, lo, base = cfg.range_table(cs), cfg.min_val, cfg.num_rows
        b = self.b_col.cur()

        def limbs(x0, x1, x2):
            return x0 + base * x1 + base * base * x2

        constraints = []
        for j, (a, c, _, r0, r1, r2, t0, t1, t2) in enumerate(slots):
            r = limbs(r0, r1, r2)
            constraints.append((f"op{j} division", q * (2 * a + b - 2 * b * c - r)))
            constraints.append((f"op{j} remainder bound", q * (r + limbs(t0, t1, t2) - (2 * b - 1))))
        cs.create_gate(self.name, constraints)
        for j, (_, c, c1, *parts) in enumerate(slots):
            for name, limb in zip(["r0", "r1", "r2", "t0", "t1", "t2"], parts, strict=True):
                cs.lookup(f"{self.name} limb {name} op{j}", [(q * limb, t)])
            cs.lookup(f"{self.name} quotient high op{j}", [(q * c1, t)])
            cs.lookup(f"{self.name} quotient low op{j}", [(q * (c - lo - base * c1), t)])

    def divisor_limit(self) -> int:
        return min(self.config.num_rows**3 // 2, 2**61)  # (and int64 witnesses)

    def compute(self, a):
        cfg = self.config
        base, lo = cfg.num_rows, cfg.min_val
        c, r = round_div_parts(a, self._b)
        self.check_range(f"{self.name} quotient", c, lo, lo + base * base - 1,
                         "use a larger k (or a smaller scale factor)")
        t = 2 * self._b - 1 - r
        return (c, (c - lo) // base, r % base, r // base % base, r // (base * base),
                t % base, t // base % base, t // (base * base))


@hookimpl
def zkml_register_gadgets():
    return [VarDivRoundBig3]
