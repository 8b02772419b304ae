"""Poseidon benchmark (issue 8): constants, native hashing, circuit rows per element.

Reports, as one JSON object: seconds to generate each parameter set (pure Python, once
per process), native permutations per second (Python ints), the gadget's rows per hashed
field element and the smallest k for committing N values (one message of N field
elements) and gate degree for the 4-, 6- and 10-column layouts, and the seconds to compute the gadget's witness (permutation traces) for N.

With ``--prove COLUMNS``: KZG keygen / prove / verify seconds of that commitment (the
hash as the circuit's one public value) at the smallest k, and whether a changed public
commitment is rejected.

``commitment``: the same for the ``commitment`` gadget (values packed ``floor(253/k)`` to a
field element, range-checked, then hashed with a blinding element), built by name as a
model circuit builds it, with the range table's k equal to the circuit's k (as in a
model): per column count, the smallest such k that fits N values in [-128, 118], the
packer's and Poseidon's rows, rows per hashed field element and rows per value. With
``--prove``, also its KZG keygen / prove / verify seconds at that k over COLUMNS columns.

    python benchmarks/poseidon.py --json [--n 10000] [--field bn254] [--prove 10]
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
    """``n`` values laid across the gadget's columns, hashed by the gadget, the hash
    exposed as instance row 0 (a commitment to a tensor)."""

    def __init__(self, gadget: PoseidonGadget, values: np.ndarray, ncols: int = 6) -> None:
        self.gadget, self.values, self.ncols = gadget, values, ncols

    def configure(self, cs):
        cols = [cs.advice_column() for _ in range(self.ncols)]
        for c in cols:
            cs.enable_equality(c)
        inst = cs.instance_column()
        cs.enable_equality(inst)
        self.gadget.configure(cs, cols)
        return cols, inst

    def synthesize(self, layouter, cfg):
        cols, inst = cfg
        n, w = len(self.values), len(cols)
        grid = np.zeros(-(-n // w) * w, dtype=np.int64)
        grid[:n] = self.values
        with layouter.region("inputs") as region:
            cells = region.assign_advice(cols, 0, grid.reshape(-1, w))
        out = self.gadget.assign(layouter, Assigned(cells.flatten()[:n], self.values))
        layouter.constrain_instance(out.cells, inst, [0])


class PackedCommitCircuit:
    """``values`` committed by the ``commitment`` gadget (GadgetConfig k = ``k``, the
    circuit's field), the commitment exposed as instance row 0."""

    def __init__(self, values: np.ndarray, k: int, ncols: int, field, blind: int = 12345) -> None:
        self.values, self.k, self.ncols, self.field, self.blind = values, k, ncols, field, blind

    def configure(self, cs):
        from zkml_core.plonk.gadgets import GadgetConfig, configure_gadgets

        cols = [cs.advice_column() for _ in range(self.ncols)]
        inst = cs.instance_column()
        cs.enable_equality(inst)
        config = GadgetConfig(scale_factor=1, k=self.k, columns=cols, field=self.field)
        return configure_gadgets(cs, config, ["commitment"], commitment_classes()), cols, inst

    def synthesize(self, layouter, cfg):
        from zkml_core.plonk.gadgets import load_gadget_tables

        gadgets, cols, inst = cfg
        self.gadgets = gadgets
        load_gadget_tables(layouter, gadgets)
        n, w = len(self.values), len(cols)
        grid = np.zeros(-(-n // w) * w, dtype=np.int64)
        grid[:n] = self.values
        with layouter.region("inputs") as region:
            cells = region.assign_advice(cols, 0, grid.reshape(-1, w))
        with layouter.region("blind") as region:
            bcell = region.assign_advice(cols[0], 0, [self.blind])
        F = layouter.field
        bval = F.from_ints([self.blind]) if F is not None else np.zeros((1, 4), np.uint64)
        out = gadgets["commitment"].assign(layouter, Assigned(cells.flatten()[:n], self.values),
                                           Assigned(bcell, bval))
        layouter.constrain_instance(out.cells, inst, [0])


def commitment_classes() -> dict:
    import importlib

    from zkml_core.plugins import Registry

    reg = Registry(autoload=False)
    for m in ("input_lookup", "packer", "poseidon", "commitment"):
        reg.register(importlib.import_module(f"zkml_plugins.gadgets.{m}"))
    return reg.gadgets()


def packed_commitment_layout(values: np.ndarray, ncols: int, field) -> tuple[dict, PackedCommitCircuit]:
    """The smallest k (range table and circuit alike) that fits, and the rows it takes."""
    k = 8
    while True:
        circuit = PackedCommitCircuit(values, k, ncols, field)
        rows, need = rows_needed(circuit)
        if need <= k:
            break
        k = need
    g = circuit.gadgets
    packer, poseidon = g["packer"], g["poseidon"]
    n = len(values)
    elems = -(-n // packer.per_elem)
    words = elems + 1  # the packed elements and the blinding element
    blocks = -(-words // 2)
    pos_rows = blocks * poseidon.rows_per_permutation
    pack_rows = elems * packer.rows_per_elem
    return {
        "k": k, "rows": rows, "gate_degree": configure(circuit)[0].degree(),
        "values_per_element": packer.per_elem, "hashed_elements": words,
        "packer_rows": pack_rows, "poseidon_rows": pos_rows,
        "rows_per_hashed_element": round(pos_rows / words, 2),
        "rows_per_value": round((pack_rows + pos_rows) / n, 3),
        "input_rows": -(-n // ncols),
    }, circuit


def prove_packed(values: np.ndarray, ncols: int) -> dict:
    """KZG keygen / prove / verify of the packed, blinded commitment at the smallest k."""
    from zkml_core.errors import VerificationError
    from zkml_core.plonk.keygen import keygen_pk, keygen_vk
    from zkml_core.plonk.prover import create_proof
    from zkml_core.plonk.verifier import verify_proof

    backend = kzg_backend()
    layout, circuit = packed_commitment_layout(values, ncols, backend.scalar_field)
    k = layout["k"]
    expected = circuit.gadgets["commitment"].native(backend.scalar_field, values, circuit.blind)
    params = backend.setup(k)
    t0 = time.perf_counter()
    vk = keygen_vk(backend, params, circuit)
    pk = keygen_pk(backend, params, circuit, vk)
    t_keygen = time.perf_counter() - t0
    t0 = time.perf_counter()
    proof = create_proof(backend, params, pk, circuit, [[expected]])
    t_prove = time.perf_counter() - t0
    t0 = time.perf_counter()
    ok = verify_proof(backend, params, vk, proof, [[expected]])
    t_verify = time.perf_counter() - t0
    try:
        changed = verify_proof(backend, params, vk, proof, [[expected + 1]])
    except VerificationError:
        changed = False
    return {"backend": "kzg", "columns": ncols, "k": k, "keygen_s": round(t_keygen, 2),
            "prove_s": round(t_prove, 2), "verify_s": round(t_verify, 2),
            "verified": bool(ok), "changed_commitment_verified": bool(changed),
            "proof_bytes": len(proof)}


def kzg_backend():
    from zkml_core.errors import ZkmlError
    from zkml_core.plugins import Registry

    try:
        return Registry(autoload=True, blocked=()).get("backend", "kzg")()
    except ZkmlError:  # entry points not reinstalled: the module's own hook
        import zkml_plugins.backends.kzg as mod

        return next(c for c in mod.zkml_register_backends() if c.name == "kzg")()


def prove(values: np.ndarray, ncols: int, expected: int) -> dict:
    """keygen, prove and verify a commitment to ``values`` at the smallest k (KZG)."""
    from zkml_core.errors import VerificationError
    from zkml_core.plonk.keygen import keygen_pk, keygen_vk
    from zkml_core.plonk.prover import create_proof
    from zkml_core.plonk.verifier import verify_proof

    circuit = CommitCircuit(PoseidonGadget("bn254"), values, ncols)
    rows, k = rows_needed(circuit)
    backend = kzg_backend()
    params = backend.setup(k)
    t0 = time.perf_counter()
    vk = keygen_vk(backend, params, circuit)
    pk = keygen_pk(backend, params, circuit, vk)
    t_keygen = time.perf_counter() - t0
    t0 = time.perf_counter()
    proof = create_proof(backend, params, pk, circuit, [[expected]])
    t_prove = time.perf_counter() - t0
    t0 = time.perf_counter()
    ok = verify_proof(backend, params, vk, proof, [[expected]])
    t_verify = time.perf_counter() - t0
    try:
        changed = verify_proof(backend, params, vk, proof, [[expected + 1]])
    except VerificationError:
        changed = False
    return {"backend": "kzg", "columns": ncols, "k": k, "rows": rows, "degree": vk.cs.degree(),
            "keygen_s": round(t_keygen, 2), "prove_s": round(t_prove, 2),
            "verify_s": round(t_verify, 2), "verified": bool(ok),
            "changed_commitment_verified": bool(changed), "proof_bytes": len(proof)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--field", default="bn254", choices=sorted(FIELDS))
    ap.add_argument("--prove", type=int, metavar="COLUMNS", default=0,
                    help="also prove the commitment with KZG over this many columns (BN254)")
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
        input_rows = -(-args.n // ncols)
        out[f"{ncols}_columns"] = {
            "gate_degree": cs.degree(),
            "rows_per_permutation": gadget.rows_per_permutation,
            "rows_n": rows,
            "rows_per_element": round((rows - input_rows) / args.n, 2),
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
    small = np.random.default_rng(1).integers(-128, 119, size=args.n, dtype=np.int64)
    from zkml_core.arith.field import BN254_FR, PASTA_FP

    fobj = {"bn254": BN254_FR, "pallas": PASTA_FP}.get(args.field, BN254_FR)
    out["commitment"] = {"field": fobj.name, "values_range": [-128, 118]}
    for ncols in (6, 10):
        out["commitment"][f"{ncols}_columns"] = packed_commitment_layout(small, ncols, fobj)[0]
    if args.prove:
        bn254 = poseidon_params("bn254")
        out["proof"] = prove(values, args.prove, hash_message(bn254, values.tolist()))
        out["commitment"]["proof"] = prove_packed(small, args.prove)
    print(json.dumps(out) if args.json else "\n".join(f"{k}: {v}" for k, v in out.items()))


if __name__ == "__main__":
    main()
