"""``zkml convert`` (TFLite -> msgpack model) and ``zkml input`` (.npy -> input file).

Importing this module appends both commands to :data:`zkml_core.cli.CORE_COMMANDS`
(``zkml_core.cli`` imports it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from zkml_core.cli import CORE_COMMANDS, CommandRegistry
from zkml_core.convert.options import ConvertOptions
from zkml_core.errors import ModelError
from zkml_core.plugins import Registry

# the converter, reader and model modules are imported when a command runs: every
# `zkml` call builds this parser


def _load_npy(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path} as a .npy array: {exc}") from exc


def _progress():
    """A progress printer on a terminal's stderr (None elsewhere: logs stay clean)."""
    if not sys.stderr.isatty():
        return None

    def show(line: str) -> None:
        print(f"\r{line[:100]:<100}", end="", file=sys.stderr, flush=True)

    return show


def _write(save, path: Path) -> None:
    try:
        save()
    except OSError as exc:
        raise ModelError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _list_ops(graph, registry: Registry, as_json: bool) -> int:
    """One row per operator: index, op key, tensor shapes and the converting layers."""
    from zkml_core.convert.converter import layers_by_op

    by_op = layers_by_op(registry.layers())
    rows = []
    for op in graph.operators:
        key = graph.op_key(op)
        rows.append({
            "index": str(op.index), "op": key,
            "inputs": " ".join(str(list(graph.tensor(i).shape)) for i in op.inputs if i >= 0),
            "outputs": " ".join(str(list(graph.tensor(i).shape)) for i in op.outputs),
            "layers": ", ".join(c.name for c in by_op.get(key, [])) or "UNSUPPORTED",
        })
    if as_json:
        print(json.dumps(rows, indent=2))
    else:
        from zkml_core.cli import format_table

        print(format_table(rows, ("index", "op", "inputs", "outputs", "layers")))
    return 0


def cmd_convert(args: argparse.Namespace, registry: Registry) -> int:
    from zkml_core.convert.converter import convert
    from zkml_core.convert.params import (
        calibration_samples,
        choose_parameters,
        quantized_range_samples,
    )
    from zkml_core.convert.tflite_reader import read_tflite
    from zkml_core.model import save_model
    from zkml_core.proving.pipeline import fit_model_layout

    graph = read_tflite(args.model)
    if args.list_ops:
        return _list_ops(graph, registry, args.json)
    if args.output is None:
        raise ModelError("give the model file to write with -o/--output")
    defaults = ConvertOptions()
    options = ConvertOptions(
        scale_factor=defaults.scale_factor if args.scale_factor is None else args.scale_factor,
        k=defaults.k if args.k is None else args.k,
        num_cols=defaults.num_cols if args.num_cols is None else args.num_cols,
        num_random=args.num_random,
        use_selectors=not args.no_selectors, commit=args.commit,
        start_layer=args.start_layer, end_layer=args.end_layer)
    layers = registry.layers()
    peak = None
    samples = (calibration_samples(graph, [_load_npy(p) for p in args.calibrate])
               if args.calibrate else [])
    spanned = False
    if not samples and args.k is None:
        # a quantised model's values are bounded by its input codes' range: measure there
        samples = quantized_range_samples(graph) or []
        spanned = bool(samples)
    if samples:
        # flags given by the user win; the others come from range analysis
        show = _progress()
        choice = choose_parameters(graph, layers, samples, options,
                                   auto_scale=args.scale_factor is None and not spanned,
                                   auto_k=args.k is None, progress=show)
        if show is not None:
            print("\r" + " " * 100 + "\r", end="", file=sys.stderr, flush=True)
        options, peak = choice.options, choice.peak
    model = convert(graph, layers, options)
    model, layout = fit_model_layout(model, registry, fix_k=args.k is not None,
                                     fix_cols=args.num_cols is not None)
    comparison = None
    if args.check:
        from zkml_core.convert.check import combine, compare_with_tflite

        if not args.calibrate:
            raise ModelError("--check compares on the --calibrate input: give one")
        comparison = combine([compare_with_tflite(args.model, graph, model, layers, sample)
                              for sample in samples])
    _write(lambda: save_model(model, args.output), args.output)
    if args.config_output:
        _write(lambda: save_model(model, args.config_output, config_only=True),
               args.config_output)
    summary = {
        "model": str(args.output), "layers": len(model.layers),
        "layer_types": model.layer_types(), "weights": sum(t.size for t in model.tensors),
        "inp_idxes": list(model.inp_idxes), "out_idxes": list(model.out_idxes),
        "global_sf": model.global_sf, "k": model.k, "num_cols": model.num_cols,
        "rows": None if layout is None else layout.rows,
        "calibration_peak": peak,
        "calibration": "given" if args.calibrate else "input range" if spanned else None,
    }
    if comparison is not None:
        summary["tflite_max_abs_error"] = list(comparison.max_abs_error)
        summary["tflite_max_abs_output"] = list(comparison.max_abs_output)
        summary["tflite_same_argmax"] = list(comparison.same_argmax)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"wrote {args.output}: {summary['layers']} layers "
              f"({', '.join(summary['layer_types'])}), {summary['weights']} weights, "
              f"scale factor {model.global_sf}, k {model.k}, {model.num_cols} columns")
        if layout is not None:
            print(f"layout: {layout.rows} rows at {model.num_cols} columns fit k {model.k}"
                  + ("" if args.num_cols is not None else " (the fewest columns that do)"))
        else:
            print(f"zkml: warning: the layout does not fit k {model.k} with "
                  f"{model.num_cols} columns; `zkml inspect {args.output}` says what would",
                  file=sys.stderr)
        if peak is not None:
            where = (f"{len(samples)} samples spanning the quantised inputs' range (no "
                     "--calibrate)" if spanned else f"{len(samples)} calibration sample(s)")
            print(f"range analysis: largest |value| {peak} on {where} "
                  f"(k {model.k} holds up to {2 ** (model.k - 1) - 10})")
        if comparison is not None:
            for idx, err, top, same in zip(comparison.out_idxes, comparison.max_abs_error,
                                           comparison.max_abs_output, comparison.same_argmax,
                                           strict=True):
                print(f"output {idx}: max |zkml integer run - TFLite| = {err:.6g} (TFLite "
                      f"values up to {top:.6g}; argmax {'agrees' if same else 'DIFFERS'})")
    return 0


def cmd_input(args: argparse.Namespace, registry: Registry) -> int:
    from zkml_core.convert.inputs import scale_inputs
    from zkml_core.model import load_model, save_input

    model = load_model(args.model)
    arrays = [_load_npy(p) for p in args.arrays]
    tensors = scale_inputs(model, arrays, [str(p) for p in args.arrays])
    _write(lambda: save_input(tensors, args.output), args.output)
    print(f"wrote {args.output}: {len(tensors)} input tensor(s) at scale factor "
          f"{model.global_sf}")
    return 0


def add_convert(cli: CommandRegistry) -> None:
    defaults = ConvertOptions()
    p = cli.command(
        "convert", help="convert a TFLite model (float or int8) to a zkml msgpack model",
        description="Convert a float32 or int8-quantised .tflite model to zkml's msgpack model "
                    "format.\nEach TFLite op is converted by the layer plugin that lists it "
                    "(int8 ops as OP:int8); one error lists every op no installed plugin "
                    "converts.\nFloat weights become round(x * scale_factor) (one scale "
                    "factor for the whole model); int8 models keep TFLite's integers, "
                    "zero points and requantisation multipliers.")
    p.add_argument("model", type=Path, help="the .tflite file")
    p.add_argument("-o", "--output", type=Path, help="model.msgpack to write")
    p.add_argument("--list-ops", action="store_true",
                   help="only list the model's operators and the layer plugin that converts "
                        "each (nothing is written)")
    p.add_argument("--config-output", type=Path,
                   help="also write the model without tensor data (config.msgpack)")
    p.add_argument("--calibrate", type=Path, nargs="+", metavar="NPY",
                   help="float input arrays, one .npy per model input, each one sample or "
                        "a batch of samples stacked on the first axis: choose the scale "
                        "factor and k not given by flags from the values they produce "
                        "(2x headroom)")
    p.add_argument("--check", action="store_true",
                   help="run the converted model's integer semantics and TFLite's reference "
                        "kernels on the --calibrate samples and print the max output "
                        "difference (needs ai-edge-litert)")
    p.add_argument("--scale-factor", type=int, default=None,
                   help=f"fixed-point scale factor (default {defaults.scale_factor}, or "
                        "the largest power of two that fits k with --calibrate)")
    p.add_argument("--k", type=int, default=None,
                   help=f"log2 of the circuit rows (default {defaults.k}; the smallest "
                        "whose lookup range holds the values with --calibrate, or for a "
                        "model with quantised inputs, on inputs spanning their range; then "
                        "raised until the circuit's layout fits 2^k rows)")
    p.add_argument("--num-cols", type=int, default=None,
                   help="shared advice columns (default: the fewest that fit k, starting "
                        f"from {defaults.num_cols}; k rises first if {defaults.num_cols} do "
                        "not fit)")
    p.add_argument("--num-random", type=int, default=defaults.num_random,
                   help=f"Freivalds randomness count (default {defaults.num_random})")
    p.add_argument("--no-selectors", action="store_true",
                   help="write use_selectors=false, as zkml's converter could (its circuits "
                        "then skipped selectors, unsoundly; zkml's circuits here always use "
                        "them, so only the file changes)")
    p.add_argument("--commit", action="store_true",
                   help="commit to weights and inputs before, outputs after")
    p.add_argument("--start-layer", type=int, default=0, help="first TFLite op to convert")
    p.add_argument("--end-layer", type=int, default=None,
                   help="convert TFLite ops before this index only")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_convert)


def add_input(cli: CommandRegistry) -> None:
    p = cli.command(
        "input", help="turn .npy arrays into a zkml input file for a model",
        description="Scale float .npy arrays by the model's scale factor (round(x * sf)) "
                    "and write them as a zkml input file (inp.msgpack), one array per "
                    "model input in inp_idxes order.")
    p.add_argument("--model", type=Path, required=True, help="the zkml model (or config)")
    p.add_argument("arrays", nargs="+", type=Path, help=".npy files, one per model input")
    p.add_argument("-o", "--output", type=Path, required=True, help="inp.msgpack to write")
    p.set_defaults(func=cmd_input)


CORE_COMMANDS.extend([add_convert, add_input])
