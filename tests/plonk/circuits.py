"""Small test circuits exercising every feature of the constraint system.

``FeatureCircuit`` lays out, in separate regions:

- "fibonacci": column a with a[i+1] = a[i] + a[i-1] (a gate with rotations -1, 0, +1),
  a[0] tied to the constant 1;
- "mul": a * b = c, with a copied from the last Fibonacci value, b range-checked by a
  single-column lookup into 0..15, and c exposed as instance row 0;
- "square": tuple lookup (x, x^2) into a two-column table, x also range-checked (a
  second lookup into the range table, so inputs can share a helper column);
- "horner": a phase-1 column d accumulating the Fibonacci values with a challenge:
  d[0] = a[0], d[i+1] = d[i] * ch + a[i+1].

The circuit is generic over the field, as a halo2 ``Circuit<F>``: the one reduction it does
itself (the challenge-dependent Horner witness) is modulo ``layouter.field.p``, the field it
is laid out over (the backend's ``scalar_field`` when proving: BN254 Fr for KZG, Pasta Fp for
IPA), so the same circuit proves on every backend.

``tamper`` names one deliberate witness fault.
"""

from __future__ import annotations

import numpy as np

FIB_LEN = 12
TABLE = 16


def fibonacci(n: int) -> list[int]:
    out = [1, 1]
    while len(out) < n:
        out.append(out[-1] + out[-2])
    return out[:n]


class FeatureCircuit:
    def __init__(self, tamper: str | None = None, b: int = 3, xs=(2, 5, 7, 0)) -> None:
        self.tamper = tamper
        self.b = b
        self.xs = list(xs)

    def configure(self, cs):
        a, b, c = cs.advice_column(name="a"), cs.advice_column(name="b"), cs.advice_column(name="c")
        ch = cs.challenge_usable_after(0)
        d = cs.advice_column(phase=1, name="d")
        q_fib, q_mul, q_range, q_sq, q_acc = (cs.selector(n) for n in ("q_fib", "q_mul", "q_range", "q_sq", "q_acc"))
        t_range, t_x, t_sq = cs.table_column("t_range"), cs.table_column("t_x"), cs.table_column("t_sq")
        inst = cs.instance_column("inst")
        const = cs.fixed_column("const")
        cs.enable_constant(const)
        for col in (a, c, inst):
            cs.enable_equality(col)
        cs.create_gate("fib", q_fib.cur() * (a.next() - a.cur() - a.prev()))
        cs.create_gate("mul", [("product", q_mul.cur() * (a.cur() * b.cur() - c.cur()))])
        cs.create_gate("acc", q_acc.cur() * (d.next() - d.cur() * ch - a.next()))
        cs.lookup("range", [(q_range.cur() * b.cur(), t_range)])
        cs.lookup("x_range", [(q_sq.cur() * a.cur(), t_range)])
        cs.lookup("square", [(q_sq.cur() * a.cur(), t_x), (q_sq.cur() * c.cur(), t_sq)])
        return dict(a=a, b=b, c=c, d=d, ch=ch, q_fib=q_fib, q_mul=q_mul, q_range=q_range,
                    q_sq=q_sq, q_acc=q_acc, t_range=t_range, t_x=t_x, t_sq=t_sq, inst=inst)

    def synthesize(self, layouter, cfg):
        t = self.tamper
        layouter.assign_table(cfg["t_range"], np.arange(TABLE))
        layouter.assign_table([cfg["t_x"], cfg["t_sq"]], np.stack([np.arange(TABLE), np.arange(TABLE) ** 2], axis=1))

        fib = fibonacci(FIB_LEN)
        if t == "advice":
            fib[5] += 1
        with layouter.region("fibonacci") as region:
            acells = region.assign_advice(cfg["a"], 0, np.array(fib, dtype=np.int64))
            region.enable_selector(cfg["q_fib"], 1, count=FIB_LEN - 2)
            region.constrain_constant(acells[0], [1])

        a_val = fib[-1] + (1 if t == "copy" else 0)
        b_val = 20 if t == "lookup" else self.b
        with layouter.region("mul") as region:
            ac = region.assign_advice(cfg["a"], 0, [a_val])
            region.assign_advice(cfg["b"], 0, [b_val])
            cc = region.assign_advice(cfg["c"], 0, [a_val * b_val])
            region.enable_selector(cfg["q_mul"], 0)
            region.enable_selector(cfg["q_range"], 0)
        layouter.constrain_equal(acells[FIB_LEN - 1], ac)
        layouter.constrain_instance(cc, cfg["inst"], [0])

        xs = np.array(self.xs, dtype=np.int64)
        sq = xs ** 2
        if t == "tuple":
            sq[1] += 1
        with layouter.region("square") as region:
            region.assign_advice([cfg["a"], cfg["c"]], 0, np.stack([xs, sq], axis=1))
            region.enable_selector(cfg["q_sq"], 0, count=len(xs))

        chv = layouter.challenge(cfg["ch"])
        with layouter.region("horner") as region:
            region.assign_advice(cfg["a"], 0, np.array(fib, dtype=np.int64))
            if chv is not None:
                p = layouter.field.p
                acc = [fib[0]]
                for v in fib[1:]:
                    acc.append((acc[-1] * chv + v) % p)
                if t == "phase1":
                    acc[4] += 1
                region.assign_advice(cfg["d"], 0, acc)
            else:
                region.assign_advice(cfg["d"], 0, np.zeros(FIB_LEN, dtype=np.int64))
            region.enable_selector(cfg["q_acc"], 0, count=FIB_LEN - 1)

    def instances(self):
        fib = fibonacci(FIB_LEN)
        return [[fib[-1] * self.b]]
