"""Model benchmark (issues 5 and 6): real models proved end to end.

For each model: the circuit k and columns, rows used, MockProver, keygen, prove and verify
seconds, proof bytes, peak RSS, the max error of the proved outputs against TFLite, and as
a same-run reference the seconds of one MSM of 2^k random points (so the prove time can be
read as "so many MSMs" on whatever machine runs it). Each model runs in a child process,
so peak RSS is that model's own.

    python benchmarks/models.py --json [--models mnist demo demo_int8 int8_cnn] [--backend kzg]

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


def _tflite_tensor(tflite: bytes, x: np.ndarray, idx: int) -> np.ndarray:
    """TFLite tensor ``idx`` (zkml keeps TFLite's tensor indices) on input ``x``."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interp = Interpreter(model_content=tflite,
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                         experimental_preserve_all_tensors=True)
    interp.allocate_tensors()
    detail = interp.get_input_details()[0]
    interp.set_tensor(detail["index"], x.astype(detail["dtype"]))  # float32, or int8 codes
    interp.invoke()
    return interp.get_tensor(idx).astype(np.float64)


def _int8_cnn(path: Path) -> np.ndarray:
    """Write a test-built int8 CNN for 28 x 28 inputs (CONV_2D + RELU, MAX_POOL_2D,
    DEPTHWISE_CONV_2D SAME + RELU6, residual ADD, CONV_2D stride 2, AVERAGE_POOL_2D,
    RESHAPE, FULLY_CONNECTED) to ``path``; returns float calibration inputs in [0, 1]."""
    from zkml_core.convert.tflite_writer import Quant, TFLiteWriter

    rng = np.random.default_rng(2024)
    w = TFLiteWriter()
    q = Quant(float(np.float32(1 / 255)), -128)
    cur = w.add_input("x", (1, 28, 28, 1), "int8", q)

    def requant(q_in, w_scale, fan_in):
        # typical accumulators (int8 std ~74 times weights std ~73) at ~40 output steps
        s = float(q_in.scales()[0]) * w_scale * 5400 * np.sqrt(fan_in) / 40
        return Quant(float(np.float32(s)), int(rng.integers(-20, 20)))

    def conv(cur, q_in, shape_in, out_c, k, stride, padding, act, depthwise=False):
        c = shape_in[3]
        kshape = (1, k, k, c) if depthwise else (out_c, k, k, c)
        scales = rng.uniform(0.003, 0.01, out_c).astype(np.float32)
        kq = w.add_constant(f"k{len(w.tensors)}", rng.integers(-127, 128, kshape).astype(np.int8),
                            "int8", Quant(scales.tolist(), [0] * out_c, axis=3 if depthwise else 0))
        bias_q = Quant((float(q_in.scales()[0]) * scales.astype(np.float64)).tolist(),
                       [0] * out_c)
        bq = w.add_constant(f"b{len(w.tensors)}", rng.integers(-300, 300, out_c).astype(np.int32),
                            "int32", bias_q)
        h = -(-shape_in[1] // stride) if padding == "SAME" else (shape_in[1] - k) // stride + 1
        q_out = requant(q_in, float(scales.mean()), k * k * (1 if depthwise else c))
        y = w.add_tensor(f"t{len(w.tensors)}", (1, h, h, out_c), "int8", q_out)
        extra = {"depth_multiplier": 1} if depthwise else {}
        w.add_op("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", [cur, kq, bq], [y],
                 padding=padding, stride_h=stride, stride_w=stride,
                 fused_activation_function=act, **extra)
        return y, q_out, (1, h, h, out_c)

    cur, q, shape = conv(cur, q, (1, 28, 28, 1), 8, 3, 1, "VALID", "RELU")        # 26x26x8
    pooled = w.add_tensor("pool", (1, 13, 13, 8), "int8", q)
    w.add_op("MAX_POOL_2D", [cur], [pooled], filter_height=2, filter_width=2, stride_h=2,
             stride_w=2)
    dw, q_dw, _ = conv(pooled, q, (1, 13, 13, 8), 8, 3, 1, "SAME", "RELU6", depthwise=True)
    q_sum = Quant(float(np.float32(2 * max(q.scales()[0], q_dw.scales()[0]))), -10)
    res = w.add_tensor("res", (1, 13, 13, 8), "int8", q_sum)
    w.add_op("ADD", [pooled, dw], [res])
    cur, q, shape = conv(res, q_sum, (1, 13, 13, 8), 16, 3, 2, "VALID", "RELU")   # 6x6x16
    avg = w.add_tensor("avg", (1, 3, 3, 16), "int8", q)
    w.add_op("AVERAGE_POOL_2D", [cur], [avg], filter_height=2, filter_width=2, stride_h=2,
             stride_w=2)
    flat = w.add_tensor("flat", (1, 144), "int8", q)
    w.add_op("RESHAPE", [avg, w.add_constant("shape", np.array([1, 144], np.int32))], [flat],
             new_shape=[1, 144])
    s_w = float(np.float32(0.005))
    fq = w.add_constant("fc_w", rng.integers(-127, 128, (10, 144)).astype(np.int8), "int8",
                        Quant(s_w, 0))
    fb = w.add_constant("fc_b", rng.integers(-300, 300, 10).astype(np.int32), "int32",
                        Quant(float(np.float32(q.scales()[0]) * np.float32(s_w)), 0))
    logits = w.add_tensor("logits", (1, 10), "int8", requant(q, s_w, 144))
    w.add_op("FULLY_CONNECTED", [flat, fq, fb], [logits])
    w.mark_output(logits)
    w.save(path)
    return rng.uniform(0, 1, (4, 1, 28, 28, 1)).astype(np.float32)


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
    if name == "int8_cnn":
        from zkml_core.cli import main

        tfl, model, inp = work / "int8_cnn.tflite", work / "int8.msgpack", work / "int8_inp.msgpack"
        calib = _int8_cnn(tfl)
        np.save(work / "calib.npy", calib.reshape(-1, 28, 28, 1))
        np.save(work / "x.npy", calib[0])
        for argv in (["convert", str(tfl), "-o", str(model), "--calibrate",
                      str(work / "calib.npy")],
                     ["input", "--model", str(model), "-o", str(inp), str(work / "x.npy")]):
            if main(argv) != 0:
                raise SystemExit(f"zkml {' '.join(argv)} failed")
        return model, inp, tfl
    raise SystemExit(f"unknown model {name!r} (mnist, demo, demo_int8, int8_cnn)")


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
        tflite_bytes = tflite.read_bytes()  # the temporary directory goes away
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
    ref = _tflite_tensor(tflite_bytes, x, out_idx)
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
    ap.add_argument("--models", nargs="+", default=["mnist", "demo", "demo_int8", "int8_cnn"])
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
