"""Prover benchmark (issue 4): a synthetic circuit at k = 14, 16, 17.

10 advice columns, a degree-4 gate q·(a0·a1·a2 − a3), 3 lookups of (q·a_i) into a
2^(k−1)-row range table, and copy constraints a4[i+1] = a3[i] on every row. Reports
keygen / prove / verify seconds, proof bytes, peak RSS, and the share of prove time
spent inside the engine's NTT and MSM entry points (timed by wrapping them).

    python benchmarks/prover.py --json [--k 14 16 17] [--backend kzg [ipa]]

Several backends give their rows of each k next to each other in one run (issue 7:
``--k 14 16 --backend kzg ipa``); IPA's first setup at a new k derives its generators
(~2 ms a point) and caches them on disk, which counts in setup_s, not prove_s.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import defaultdict

import numpy as np

from zkml_core.arith import poly
from zkml_core.plonk.keygen import keygen_pk, keygen_vk
from zkml_core.plonk.prover import create_proof
from zkml_core.plonk.verifier import verify_proof
from zkml_core.plugins import Registry

NUM_ADVICE = 10


class SyntheticCircuit:
    def __init__(self, k: int, seed: int = 0) -> None:
        self.k = k
        self.seed = seed

    def configure(self, cs):
        a = [cs.advice_column() for _ in range(NUM_ADVICE)]
        q, ql = cs.selector("q"), cs.selector("q_lookup")
        t = cs.table_column("range")
        for col in a[3:5]:
            cs.enable_equality(col)
        cs.create_gate("deg4", q.cur() * (a[0].cur() * a[1].cur() * a[2].cur() - a[3].cur()))
        for i in (5, 6, 7):
            cs.lookup(f"range{i}", [(ql.cur() * a[i].cur(), t)])
        return a, q, ql, t

    def synthesize(self, layouter, cfg):
        a, q, ql, t = cfg
        half = 1 << (self.k - 1)
        layouter.assign_table(t, np.arange(half, dtype=np.int64))
        rows = layouter.asg.usable if layouter.asg.usable is not None else (1 << self.k) - 10
        rng = np.random.default_rng(self.seed)
        vals = rng.integers(0, 1 << 20, size=(rows, NUM_ADVICE), dtype=np.int64)
        vals[:, 0:3] = vals[:, 0:3] % (1 << 10)
        vals[:, 3] = vals[:, 0] * vals[:, 1] * vals[:, 2]
        vals[1:, 4] = vals[:-1, 3]
        vals[:, 5:8] = rng.integers(0, half, size=(rows, 3))
        with layouter.region("all") as region:
            cells = region.assign_advice(a, 0, vals)
            region.enable_selector(q, 0, count=rows)
            region.enable_selector(ql, 0, count=rows)
        layouter.constrain_equal(cells[1:, 4], cells[:-1, 3])


class KernelTimer:
    """Wraps engine entry points to add up the seconds spent inside them."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._orig: list = []

    def wrap(self, owner, name: str, label: str) -> None:
        fn = getattr(owner, name)
        self._orig.append((owner, name, fn))
        seconds = self.seconds

        def timed(*args, **kw):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kw)
            finally:
                seconds[label] += time.perf_counter() - t0

        setattr(owner, name, timed)

    def restore(self) -> None:
        for owner, name, fn in reversed(self._orig):
            setattr(owner, name, fn)
        self._orig.clear()


def run(k: int, backend_name: str) -> dict:
    from zkml_core.arith import warmup

    t0 = time.perf_counter()
    warmup()  # numba compilation (cached on disk) is not prover time
    t_warmup = time.perf_counter() - t0
    backend = Registry(autoload=True, blocked=()).get("backend", backend_name)()
    t0 = time.perf_counter()
    params = backend.setup(k)
    t_setup = time.perf_counter() - t0
    circuit = SyntheticCircuit(k)
    t0 = time.perf_counter()
    vk = keygen_vk(backend, params, circuit)
    pk = keygen_pk(backend, params, circuit, vk)
    t_keygen = time.perf_counter() - t0
    timer = KernelTimer()
    for name in ("ntt", "intt", "coset_ntt", "coset_intt"):
        timer.wrap(poly, name, "ntt")
    timer.wrap(backend.curve, "msm", "msm")
    t0 = time.perf_counter()
    proof = create_proof(backend, params, pk, circuit, [])
    t_prove = time.perf_counter() - t0
    timer.restore()
    t0 = time.perf_counter()
    ok = verify_proof(backend, params, vk, proof, [])
    t_verify = time.perf_counter() - t0
    kernel = sum(timer.seconds.values())
    return {
        "k": k,
        "backend": backend_name,
        "warmup_s": round(t_warmup, 3),
        "setup_s": round(t_setup, 3),
        "keygen_s": round(t_keygen, 3),
        "prove_s": round(t_prove, 3),
        "verify_s": round(t_verify, 3),
        "verified": bool(ok),
        "proof_bytes": len(proof),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "prove_kernel_share": round(kernel / t_prove, 3) if t_prove else None,
        "prove_kernel_s": {kname: round(v, 3) for kname, v in timer.seconds.items()},
        "degree": vk.cs.degree(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, nargs="+", default=[14, 16, 17])
    ap.add_argument("--backend", nargs="+", default=["kzg"], help="one or more backend names")
    ap.add_argument("--json", action="store_true", help="one JSON object per k on stdout")
    args = ap.parse_args(argv)
    for k in args.k:
        for name in args.backend:
            res = run(k, name)
            if args.json:
                print(json.dumps(res), flush=True)
            else:
                print(", ".join(f"{key}={v}" for key, v in res.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
