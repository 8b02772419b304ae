"""Poseidon benchmark (issue 8): constants, native hashing, circuit rows per element.

Reports, as one JSON object: seconds to generate each parameter set (pure Python, once
per process), native permutations per second (Python ints), the gadget's rows per hashed
field element and the smallest k for committing N values (one message of N field
elements) and gate degree for the 4-, 6- and 10-column layouts, and the seconds to compute the gadget's witness (permutation traces) for N.

    python benchmarks/poseidon.py --json [--n 10000] [--field bn254]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from zkml_plugins.gadgets.poseidon.gadget import PoseidonGadget
from zkml_plugins.gadgets.poseidon.native import hash_message, permute, permute_t3
from zkml_plugins.gadgets.poseidon.params import FIELDS, poseidon_params

from zkml_core.plonk.circuit import configure, rows_needed
from zkml_core.plonk.layouter import Assigned


class CommitCircuit:
    """One message of ``n`` values in an input column, hashed by the gadget."""

    def __init__(self, gadget: PoseidonGadget, values: np.ndarray, ncols: int = 6) -> None:
        self.gadget, self.values, self.ncols = gadget, values, ncols

    def configure(self, cs):
        cols = [cs.advice_column() for _ in range(self.ncols + 1)]
        for c in cols:
            cs.enable_equality(c)
        self.gadget.configure(cs, cols[: self.ncols])
        return cols

    def synthesize(self, layouter, cols):
        with layouter.region("inputs") as region:
            cells = region.assign_advice(cols[-1], 0, self.values)
        return self.gadget.assign(layouter, Assigned(cells, self.values))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--field", default="bn254", choices=sorted(FIELDS))
    args = ap.parse_args()
    out: dict = {"field": args.field, "n": args.n}

    gen = {}
    for name in FIELDS:
        poseidon_params.cache_clear()
        t0 = time.perf_counter()
        poseidon_params(name)
        gen[name] = round(time.perf_counter() - t0, 3)
    out["param_generation_s"] = gen

    prm = poseidon_params(args.field)
    reps = 200
    for label, fn in (("reference", permute), ("unrolled_t3", permute_t3)):
        t0 = time.perf_counter()
        for i in range(reps):
            fn(prm, [i, 1, 2])
        out[f"native_permutations_per_s_{label}"] = round(reps / (time.perf_counter() - t0), 1)

    values = np.random.default_rng(0).integers(-(2**31), 2**31, size=args.n, dtype=np.int64)
    t0 = time.perf_counter()
    expected = hash_message(prm, values.tolist())
    out["native_hash_n_s"] = round(time.perf_counter() - t0, 3)

    gadget = PoseidonGadget(args.field)
    for ncols in (4, 6, 10):
        circuit = CommitCircuit(gadget, values, ncols)
        rows, k = rows_needed(circuit)
        cs, _ = configure(circuit)
        out[f"{ncols}_columns"] = {
            "gate_degree": cs.degree(),
            "rows_per_permutation": gadget.rows_per_permutation,
            "rows_n": rows,
            "rows_per_element": round((rows - args.n) / args.n, 2),  # minus the input rows
            "smallest_k_n": k,
        }

    # the gadget's witness is one permutation trace per absorbed block (Python ints)
    words = [int(v) % prm.p for v in values] + [0] * (args.n % 2)
    t0 = time.perf_counter()
    state = [0, 0, args.n << 64]
    for i in range(0, len(words), 2):
        trace = gadget.trace([state[0] + words[i], state[1] + words[i + 1], state[2]])
        state = trace[-1][:3]
    out["gadget_witness_n_s"] = round(time.perf_counter() - t0, 3)
    assert state[0] == expected
    print(json.dumps(out) if args.json else "\n".join(f"{k}: {v}" for k, v in out.items()))


if __name__ == "__main__":
    main()
