"""Converter benchmark (issue 6): the bundled demo CNN and zkml's MNIST model.

For each model: read + convert seconds, the scale factor and k chosen by range analysis
on its sample input, weights count, and the max |integer output / sf - TFLite float
output| of the converted model's integer run (forward_int, the witness) at several scale
factors, against TFLite's reference interpreter (BUILTIN_REF). Layers come from the
installed plugins. Also: writing and reading a synthetic 50 MB float model
(FULLY_CONNECTED 2048 -> 6144), seconds and peak RSS.

    python benchmarks/convert_models.py [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np

from zkml_core.convert.check import compare_with_tflite
from zkml_core.convert.converter import ConvertOptions, convert
from zkml_core.convert.params import choose_parameters
from zkml_core.convert.tflite_reader import read_tflite
from zkml_core.model import load_input
from zkml_core.plugins import Registry

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "zkml-mnist"


def cases():
    yield ("demo digits_cnn", ROOT / "demo" / "digits_cnn.tflite",
           np.load(ROOT / "demo" / "digit_input.npy"), ConvertOptions())
    if FIXTURES.exists():
        (t,) = load_input(FIXTURES / "inp.msgpack")
        # zkml's MNIST msgpack stops before RESHAPE and SOFTMAX (tensor 37, the logits)
        yield ("zkml mnist", FIXTURES / "model.tflite", t.array() / 512.0,
               ConvertOptions(end_layer=16))


def run(scale_factors=(64, 256, 1024, 4096)) -> list[dict]:
    layers = Registry().layers()
    rows = []
    for name, path, x, base in cases():
        t0 = time.perf_counter()
        graph = read_tflite(path)
        model = convert(graph, layers, base)
        convert_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        choice = choose_parameters(graph, layers, [[x]], base)
        choose_s = time.perf_counter() - t0
        errors, peak_out = {}, 0.0
        for sf in sorted({*scale_factors, choice.options.scale_factor}):
            m = convert(graph, layers, ConvertOptions(scale_factor=sf, end_layer=base.end_layer))
            result = compare_with_tflite(path, graph, m, layers, [x])
            errors[str(sf)] = result.max_abs_error[0]
            peak_out = result.max_abs_output[0]
        rows.append({
            "model": name, "ops": len(graph.operators), "layers": len(model.layers),
            "weights": int(sum(t.size for t in model.tensors)),
            "convert_s": round(convert_s, 4), "range_analysis_s": round(choose_s, 3),
            "chosen_sf": choice.options.scale_factor, "chosen_k": choice.options.k,
            "peak_int": choice.peak, "max_abs_output": peak_out,
            "max_abs_error_by_sf": errors,
        })
    return rows


def big_model_io() -> dict:
    """Write and read a 50 MB float model; seconds and peak RSS (MB) after each step."""
    from zkml_core.convert.tflite_reader import parse_tflite
    from zkml_core.convert.tflite_writer import TFLiteWriter

    def rss_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    weights = np.random.default_rng(0).standard_normal((6144, 2048), dtype=np.float32)
    t0 = time.perf_counter()
    w = TFLiteWriter()
    x = w.add_input("x", (1, 2048))
    y = w.add_tensor("y", (1, 6144))
    w.add_op("FULLY_CONNECTED", [x, w.add_constant("w", weights), -1], [y])
    w.mark_output(y)
    data = w.to_bytes()
    write_s, rss_write = time.perf_counter() - t0, rss_mb()
    t0 = time.perf_counter()
    graph = parse_tflite(data)
    read_s = time.perf_counter() - t0
    assert graph.tensor(graph.operators[0].inputs[1]).data.shape == (6144, 2048)
    return {"model": "synthetic FC 2048x6144", "bytes": len(data),
            "write_s": round(write_s, 3), "read_s": round(read_s, 4),
            "peak_rss_mb_after_write": round(rss_write), "peak_rss_mb_after_read": round(rss_mb())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    rows = run()
    big = big_model_io()
    if args.json:
        print(json.dumps({"models": rows, "io": big}, indent=2))
        return
    for r in rows:
        errs = ", ".join(f"sf {k}: {v:.4f}" for k, v in r["max_abs_error_by_sf"].items())
        print(f"{r['model']}: {r['layers']} layers, {r['weights']} weights, convert "
              f"{r['convert_s']} s, range analysis {r['range_analysis_s']} s -> sf "
              f"{r['chosen_sf']}, k {r['chosen_k']} (peak {r['peak_int']}); outputs up to "
              f"{r['max_abs_output']:.2f}, max error {errs}")
    print(f"{big['model']}: {big['bytes'] / 1e6:.1f} MB, write {big['write_s']} s, read "
          f"{big['read_s']} s, peak RSS {big['peak_rss_mb_after_write']} MB after writing, "
          f"{big['peak_rss_mb_after_read']} MB after reading")


if __name__ == "__main__":
    main()
