"""Model benchmark (issues 5 and 6): real models proved end to end.

For each model: the circuit k and columns, rows used, MockProver, keygen, prove and verify
seconds, proof bytes, peak RSS, the max error of the proved outputs against TFLite, and as
a same-run reference the seconds of one MSM of 2^k random points (so the prove time can be
read as "so many MSMs" on whatever machine runs it). Each model runs in a child process,
so peak RSS is that model's own.

    python benchmarks/models.py --json [--models mnist demo demo_int8] [--backend kzg]

Targets (issue 5, 2-core machine): the MNIST fixture proves in <= 10 s with peak RSS
<= 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures"
TARGETS = {"mnist": {"prove_s": 10.0, "peak_rss_mb": 1536}}


def _tflite_tensor(tflite: Path, x: np.ndarray, idx: int) -> np.ndarray:
    """TFLite tensor ``idx`` (zkml keeps TFLite's tensor indices) on input ``x``."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interp = Interpreter(model_path=str(tflite),
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                         experimental_preserve_all_tensors=True)
    interp.allocate_tensors()
    detail = interp.get_input_details()[0]
    interp.set_tensor(detail["index"], x.astype(detail["dtype"]))  # float32, or int8 codes
    interp.invoke()
    return interp.get_tensor(idx).astype(np.float64)


def _model_files(name: str, work: Path) -> tuple[Path, Path, Path]:
    """(model.msgpack, inp.msgpack, model.tflite) of a named benchmark model."""
    if name == "mnist":
        d = FIXTURES / "zkml-mnist"
        return d / "model.msgpack", d / "inp.msgpack", d / "model.tflite"
    if name in ("demo", "demo_int8"):
        from zkml_core.cli import main

        int8 = name == "demo_int8"
        tfl = ROOT / "demo" / ("digits_cnn_int8.tflite" if int8 else "digits_cnn.tflite")
        model, inp = work / "demo.msgpack", work / "demo_inp.msgpack"
        # as the README's main job: k 15, scale factor from the calibration samples; the
        # int8 model keeps TFLite's integers: k by range analysis (10: int8 values)
        calib = str(ROOT / "demo" / "digit_calibration.npy")
        k_flag = [] if int8 else ["--k", "15"]
        for argv in (["convert", str(tfl), "-o", str(model), "--calibrate", calib, *k_flag],
                     ["input", "--model", str(model), "-o", str(inp),
                      str(ROOT / "demo" / "digit_input.npy")]):
            if main(argv) != 0:
                raise SystemExit(f"zkml {' '.join(argv)} failed")
        return model, inp, tfl
    raise SystemExit(f"unknown model {name!r} (mnist, demo, demo_int8)")


def run_one(name: str, backend_name: str) -> dict:
    from zkml_core.arith.compile_all import warmup
    from zkml_core.convert.inputs import INPUT_QUANT_KEY
    from zkml_core.dev.mock import MockProver
    from zkml_core.model import load_input, load_model
    from zkml_core.model.circuit import ModelCircuit
    from zkml_core.plonk import create_proof, keygen_pk, keygen_vk, verify_proof
    from zkml_core.plonk.circuit import rows_needed
    from zkml_core.plugins import Registry

    T = time.perf_counter
    t = T()
    warmup()  # kernels compiled (or loaded from numba's cache) before anything is timed
    warmup_s = T() - t
    reg = Registry()
    backend = reg.backends()[backend_name]()
    F = backend.scalar_field
    with tempfile.TemporaryDirectory() as tmp:
        model_path, inp_path, tflite = _model_files(name, Path(tmp))
        model, inputs = load_model(model_path), load_input(inp_path)
    row = {"model": name, "backend": backend_name, "warmup_s": warmup_s}
    t = T()
    c = ModelCircuit(model, reg.layers(), reg.gadgets(), inputs=inputs, field=F)
    rows, k_needed = rows_needed(c)
    k = max(k_needed, model.k)
    inst = c.instances(F)
    row.update(k=k, num_cols=c.num_cols, rows=rows, layers=sum(c.live),
               instance_values=len(inst[0]), plan_s=T() - t)
    t = T()
    failures = MockProver(c, inst, k=k, field=F).verify()
    row.update(mock_s=T() - t, mock_ok=not failures)
    t = T()
    params = backend.setup(k)
    row["setup_s"] = T() - t
    t = T()
    vk = keygen_vk(backend, params, c)
    pk = keygen_pk(backend, params, c, vk)
    row["keygen_s"] = T() - t
    t = T()
    proof = create_proof(backend, params, pk, c, inst)
    row["prove_s"] = T() - t
    t = T()
    row["verified"] = bool(verify_proof(backend, params, vk, proof, inst))
    row["verify_s"] = T() - t
    row["proof_bytes"] = len(proof)
    # the proved outputs against TFLite (float input = the quantised input / sf; an int8
    # model's input and outputs are TFLite's own integer codes)
    int8 = any(q[2] == "INT8" for q in model.extra.get(INPUT_QUANT_KEY, {}).values())
    scale = 1 if int8 else model.global_sf
    x = inputs[0].array().astype(np.float64) / scale
    (out_idx,) = model.out_idxes
    ref = _tflite_tensor(tflite, x, out_idx)
    n_out = ref.size
    tail = np.array(inst[0][-n_out:], dtype=object)
    signed = np.array([int(v) - F.p if int(v) > F.p // 2 else int(v) for v in tail])
    row["max_abs_err_vs_tflite"] = float(np.abs(signed / scale - ref.reshape(-1)).max())
    # same-run reference: one MSM of 2^k points on the backend's curve
    C = backend.curve
    pts = C.batch_mul(F.random(1 << k)) if hasattr(C, "batch_mul") else None
    if pts is not None:
        sc = F.random(1 << k)
        C.msm(pts, sc)
        t = T()
        C.msm(pts, sc)
        row["ref_msm_2_k_s"] = T() - t
        row["prove_over_msm"] = row["prove_s"] / row["ref_msm_2_k_s"]
    row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for key, bound in TARGETS.get(name, {}).items():
        row[f"target_{key}"] = bound
        row[f"meets_{key}"] = row[key] <= bound
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["mnist", "demo", "demo_int8"])
    ap.add_argument("--backend", default="kzg")
    ap.add_argument("--json", action="store_true", help="one JSON object on stdout")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.backend)))
        return
    rows = []
    for name in args.models:
        out = subprocess.run([sys.executable, __file__, "--child", name, "--backend",
                              args.backend], capture_output=True, text=True, check=False)
        if out.returncode != 0:
            rows.append({"model": name, "error": out.stderr.strip().splitlines()[-1:]})
            continue
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    if args.json:
        print(json.dumps({"benchmark": "models", "rows": rows}))
    else:
        for r in rows:
            print(", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                            for k, v in r.items()))


if __name__ == "__main__":
    main()
