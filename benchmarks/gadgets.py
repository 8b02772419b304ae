"""Gadget assignment benchmark: seconds to lay out large batches of ops (witness mode, as
the prover runs it, and mock mode, which also records copies) and the rows they take.

Each figure is one synthesis of a circuit holding the inputs and one gadget call, after a
warm-up synthesis (numba loading, table construction). Times are CPU seconds of this
process (``time.process_time``: the machine's cores are shared). ``--json`` prints one
JSON object.

    python benchmarks/gadgets.py [--json] [--k 17] [--cols 10] [--ops 20000]
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

from zkml_core.arith.field import BN254_FR
from zkml_core.plonk.circuit import configure, synthesize
from zkml_core.plonk.gadgets import GadgetConfig, configure_gadgets, load_gadget_tables
from zkml_core.plonk.layouter import Assigned
from zkml_core.plugins import Registry


class OneCall:
    """Inputs laid row-major over the columns, then ``run(gadgets, layouter, operands)``."""

    def __init__(self, name, run, inputs, sf, k, cols):
        self.name, self.run, self.inputs, self.sf, self.k, self.cols = name, run, inputs, sf, k, cols

    def configure(self, cs):
        cols = [cs.advice_column() for _ in range(self.cols)]
        config = GadgetConfig(scale_factor=self.sf, k=self.k, columns=cols)
        return configure_gadgets(cs, config, [self.name], Registry().gadgets()), cols

    def synthesize(self, layouter, cfg):
        gadgets, cols = cfg
        load_gadget_tables(layouter, gadgets)
        operands = []
        for x in self.inputs:
            rows = math.ceil(x.size / len(cols))
            grid = np.zeros(rows * len(cols), dtype=np.int64)
            grid[: x.size] = x.reshape(-1)
            with layouter.region("inputs") as region:
                cells = region.assign_advice(cols, 0, grid.reshape(rows, -1))
            operands.append(Assigned(cells.flatten()[: x.size].reshape(x.shape), x))
        self.run(gadgets, layouter, operands)


def cases(n: int, sf: int, rng: np.random.Generator) -> dict:
    wide = rng.integers(-(2**20), 2**20, size=n)
    call = lambda name, *extra: lambda g, lay, ops: g[name].assign(lay, *ops, *extra)  # noqa: E731
    return {
        "var_div_round": (call("var_div_round", sf), [wide]),
        "bias_div_round_relu6": (call("bias_div_round_relu6"), [wide.reshape(-1, 10), rng.integers(-99, 99, 10)]),
        "relu": (call("relu"), [rng.integers(-60000, 60000, n)]),
        "exp": (call("exp"), [rng.integers(-60000, 0, n)]),
        "max": (call("max"), [rng.integers(-999, 999, n).reshape(-1, 4)]),
        "dot_product": (call("dot_product"), [rng.integers(-512, 512, n).reshape(-1, 25), rng.integers(-512, 512, 25)]),
        "adder": (call("adder"), [wide.reshape(-1, 25)]),
        "mul_pairs": (call("mul_pairs"), [rng.integers(-999, 999, n), rng.integers(-999, 999, n)]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--k", type=int, default=17)
    ap.add_argument("--cols", type=int, default=10)
    ap.add_argument("--ops", type=int, default=20000)
    args = ap.parse_args()
    sf = 512
    out = {"k": args.k, "num_cols": args.cols, "ops": args.ops}
    for name, (run, inputs) in cases(args.ops, sf, np.random.default_rng(0)).items():
        circuit = OneCall(name, run, inputs, sf, args.k, args.cols)
        cs, cfg = configure(circuit)
        synthesize(circuit, cs, cfg, BN254_FR, args.k, "mock")  # warm-up
        for mode in ("witness", "mock"):
            t = time.process_time()
            asg = synthesize(circuit, cs, cfg, BN254_FR, args.k, mode, phase=0 if mode == "witness" else None)
            out[f"{name}_{mode}_s"] = round(time.process_time() - t, 3)
        out[f"{name}_rows"] = asg.rows_used
    if args.json:
        print(json.dumps(out))
    else:
        for key, value in out.items():
            print(f"{key:32s} {value}")


if __name__ == "__main__":
    main()
