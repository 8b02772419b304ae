"""``zkml inspect / mock / setup / prove / verify / open``.

Importing this module appends the commands to :data:`zkml_core.cli.CORE_COMMANDS`
(``zkml_core.cli`` imports it). The work is in :mod:`zkml_core.proving.pipeline`; the
pipeline and the proof system are imported when a command runs, since every ``zkml``
call builds this parser.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any

from zkml_core.cli import CORE_COMMANDS, CommandRegistry
from zkml_core.errors import VerificationError, ZkmlError
from zkml_core.plugins import Registry
from zkml_core.proving.bundle import dumps

VISIBILITIES = ("public", "hashed", "fixed", "private")  # as zkml_core.model.circuit


def _k_arg(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or 'auto', got {text!r}") from None
    if not 1 <= k <= 32:
        raise argparse.ArgumentTypeError(f"k must be between 1 and 32, got {k}")
    return k


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _add_backend(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", default="kzg",
                   help="polynomial commitment backend: kzg (BN254) or ipa (Pasta); "
                        "default kzg")


def _add_layout(p: argparse.ArgumentParser) -> None:
    _add_backend(p)
    p.add_argument("--k", type=_k_arg, default=None,
                   help="log2 of the circuit's rows: an integer, or 'auto' (the smallest "
                        "that fits, at least the model's k); default: the model's k")
    p.add_argument("--num-cols", type=_positive, default=None,
                   help="advice columns shared by the gadgets (default: the model's num_cols)")
    for group, default in (("input", "public"), ("weights", "fixed"), ("output", "public")):
        p.add_argument(f"--{group}-visibility", choices=VISIBILITIES, default=None,
                       help=f"what the proof reveals of the {group} tensors (default "
                            f"{default}; the model's commit_before/commit_after make it "
                            "hashed)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def _options(args: argparse.Namespace) -> Any:
    from zkml_core.proving.pipeline import Options

    return Options(backend=args.backend, k=args.k, num_cols=args.num_cols,
                   input_visibility=args.input_visibility,
                   weights_visibility=args.weights_visibility,
                   output_visibility=args.output_visibility)


def _steps(args: argparse.Namespace) -> Any:
    from zkml_core.proving.pipeline import Steps

    return Steps.for_terminal()


def _run(work):
    """Run ``work()`` and print each distinct Python warning it raised (the circuit's
    private-weights warning) as one ``zkml: warning:`` line."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return work()
        finally:
            seen = set()
            for w in caught:
                msg = str(w.message)
                if msg not in seen:
                    seen.add(msg)
                    print(f"zkml: warning: {msg}", file=sys.stderr)


def _fmt_timings(timings: dict[str, float]) -> str:
    return ", ".join(f"{name} {sec:.2f} s" for name, sec in timings.items())


# ---- inspect ---------------------------------------------------------------------------

def cmd_inspect(args: argparse.Namespace, registry: Registry) -> int:
    from zkml_core.cli import format_table
    from zkml_core.proving.pipeline import inspect

    info = _run(lambda: inspect(args.model, registry, _options(args)))
    if args.json:
        print(dumps(info))
        return 0
    rows = [{"index": str(r["index"]), "type": r["type"],
             "inputs": " ".join(str(s) for s in r["inputs"]),
             "outputs": " ".join(str(s) for s in r["outputs"]),
             "live": "live" if r["live"] else "skipped",
             "rows": "-" if r["rows"] is None else str(r["rows"])} for r in info["layers"]]
    print(format_table(rows, ("index", "type", "inputs", "outputs", "live", "rows")))
    rows_, cols, k = info["rows"], info["columns"], info["k"]
    print(f"gadgets: {', '.join(info['gadgets'])}")
    print(f"rows: {rows_['total']} (layers {rows_['layers']}, inputs and weights "
          f"{rows_['inputs_and_weights']}, range table {rows_['table']}, constants "
          f"{rows_['constants']})")
    print(f"columns: {cols['num_cols']} shared advice ({cols['advice']} advice in all), "
          f"{cols['fixed']} fixed, {cols['instance']} instance; {cols['lookups']} lookups")
    print(f"k: needed {k['needed']}, model {k['model']}"
          + (f", circuit {k['circuit']}" if k["fits"] else f"; does not fit: {k['hint']}"))
    vis = info["visibility"]
    print(f"visibility: input {vis['input']}, weights {vis['weights']}, output "
          f"{vis['output']} ({info['instance_values']} public instance values)")
    return 0


def add_inspect(cli: CommandRegistry) -> None:
    p = cli.command(
        "inspect", help="show a model's layers, gadgets, rows and columns",
        description="Lay the model's circuit out (no values, no proof) and show each layer "
                    "with its shapes and rows,\nthe gadgets, the rows and columns used, and "
                    "the k needed against the model's k.")
    p.add_argument("model", type=Path, help="the zkml model (model.msgpack)")
    _add_layout(p)
    p.set_defaults(func=cmd_inspect)


# ---- mock ------------------------------------------------------------------------------

def cmd_mock(args: argparse.Namespace, registry: Registry) -> int:
    from zkml_core.proving.pipeline import mock

    result = _run(lambda: mock(args.model, args.input, registry, _options(args), _steps(args)))
    if args.json:
        print(dumps(result))
    elif result["ok"]:
        print(f"every constraint holds (k {result['k']}, {result['num_cols']} columns; "
              f"{_fmt_timings(result['timings'])})")
    else:
        for line in result["failures"]:
            print(line)
        more = result["failure_count"] - len(result["failures"])
        if more:
            print(f"... and {more} more")
    if not result["ok"]:
        raise VerificationError(f"the witness does not satisfy the circuit: "
                                f"{result['failure_count']} failing constraints")
    return 0


def add_mock(cli: CommandRegistry) -> None:
    p = cli.command(
        "mock", help="check every constraint of the model's circuit on an input (no proof)",
        description="Run the MockProver on the model's witness for INPUT: exit 0 when every "
                    "gate, lookup and copy\nholds; otherwise print the failures (the first 20) "
                    "and exit 2.")
    p.add_argument("model", type=Path, help="the zkml model (model.msgpack)")
    p.add_argument("input", type=Path, help="the input file (inp.msgpack)")
    _add_layout(p)
    p.set_defaults(func=cmd_mock)


# ---- setup -----------------------------------------------------------------------------

def cmd_setup(args: argparse.Namespace, registry: Registry) -> int:
    from zkml_core.model.files import write_atomic
    from zkml_core.proving.pipeline import Steps, get_backend, setup

    backend = get_backend(registry, args.backend)
    steps = Steps.for_terminal()
    with steps("setup"):
        params = setup(backend, args.k)
    data = backend.params_to_bytes(params)
    try:
        write_atomic(args.output, data)
    except OSError as exc:
        raise ZkmlError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    if backend.trusted_setup:
        print(f"zkml: warning: {backend.name} params made here are a test setup: this machine "
              "drew the secret, and whoever knows it can forge proofs; for proofs others "
              "trust, use params from a ceremony", file=sys.stderr)
    if args.json:
        print(json.dumps({"params": str(args.output), "backend": backend.name, "k": args.k,
                          "bytes": len(data), "timings": steps.timings}))
    else:
        print(f"wrote {args.output}: {backend.name} params for k = {args.k} ({len(data)} bytes, "
              f"{_fmt_timings(steps.timings)})")
    return 0


def add_setup(cli: CommandRegistry) -> None:
    p = cli.command(
        "setup", help="make params for circuits of 2^k rows",
        description="Make a backend's params for 2^k rows and write them (the backend's "
                    "params file format).\nkzg: a fresh powers-of-tau SRS from this "
                    "machine's randomness (a test setup: the machine knew the\nsecret). "
                    "ipa: transparent and deterministic (anyone can rederive them).")
    p.add_argument("--k", type=_k_arg, required=True, help="log2 of the circuit's rows")
    _add_backend(p)
    p.add_argument("-o", "--output", type=Path, required=True, help="params file to write")
    p.add_argument("--json", action="store_true", help="print a JSON summary")
    p.set_defaults(func=cmd_setup)


# ---- prove -----------------------------------------------------------------------------

def cmd_prove(args: argparse.Namespace, registry: Registry) -> int:
    from zkml_core.proving.pipeline import prove

    if args.k == "auto" and args.params is not None:
        args.k = None  # the params fix k
    result = _run(lambda: prove(args.model, args.input, args.out, registry, _options(args),
                                _steps(args), params_path=args.params, force=args.force,
                                blinds_path=args.blinds))
    if args.json:
        print(dumps(result))
        return 0
    print(f"wrote {result['bundle']}: {result['backend']} proof of {result['bytes']['proof.bin']} "
          f"bytes, k {result['k']}, {result['num_cols']} columns (verified)")
    for t in result["outputs"]:
        print(f"output {t['idx']} {t['shape']}: {t['scaled']}")
    print(f"timings: {_fmt_timings(result['timings'])}")
    return 0


def add_prove(cli: CommandRegistry) -> None:
    p = cli.command(
        "prove", help="prove a model's inference on an input; write a proof bundle",
        description="Prove that MODEL computes its outputs on INPUT and write the bundle "
                    "DIR:\n  proof.bin, vk.bin, params.bin (the verifier's params) and "
                    "public.json (instance values,\n  decoded outputs); see docs/proving.md. "
                    "The bundle is written to a temporary directory,\n  verified, and renamed "
                    "to DIR: an error or Ctrl-C leaves no partial bundle.")
    p.add_argument("model", type=Path, help="the zkml model (model.msgpack)")
    p.add_argument("input", type=Path, help="the input file (inp.msgpack)")
    p.add_argument("--out", type=Path, required=True, help="the bundle directory to write")
    p.add_argument("--params", type=Path, default=None,
                   help="params file (`zkml setup`) instead of a fresh setup; fixes k")
    p.add_argument("--force", action="store_true", help="replace an existing bundle in --out")
    p.add_argument("--blinds", type=Path, default=None,
                   help="keep the hashed groups' secret blinding elements in this file: read "
                        "when it exists (so hashed weights give the same commitment in every "
                        "proof), else written (mode 0600) with this proof's fresh ones; never "
                        "share it")
    _add_layout(p)
    p.set_defaults(func=cmd_prove)


# ---- verify ----------------------------------------------------------------------------

def _add_bundle(p: argparse.ArgumentParser) -> None:
    p.add_argument("bundle", type=Path, nargs="?", help="the bundle directory")
    p.add_argument("--public", type=Path, help="the public values (default DIR/public.json)")


def cmd_verify(args: argparse.Namespace, registry: Registry) -> int:
    from zkml_core.proving.bundle import BundlePaths
    from zkml_core.proving.pipeline import Steps, verify

    paths = BundlePaths.resolve(args.bundle, proof=args.proof, vk=args.vk, params=args.params,
                                public=args.public)
    result = verify(paths, registry, Steps.for_terminal(), model_path=args.model)
    if args.json:
        print(dumps(result))
        return 0
    print(f"valid: {result['backend']} proof, k {result['k']}, model {result['model']['file']}"
          + (" (its verifying key made again from the model)" if result["model_key_checked"]
             else ""))
    for t in result["outputs"]:
        print(f"output {t['idx']} {t['shape']}: {t['scaled']}")
    return 0


def add_verify(cli: CommandRegistry) -> None:
    p = cli.command(
        "verify", help="verify a proof bundle",
        description="Verify the proof of a bundle written by `zkml prove`: exit 0 when it is "
                    "valid, 2 when it is not,\n1 when a file is missing or damaged. Files "
                    "can come from other paths (--proof/--vk/--public).\nThe bundle's vk.bin "
                    "and params.bin come from the prover: a verifier who does not trust\nthem "
                    "passes the model owner's --vk and, for kzg, --params from a trusted setup.")
    _add_bundle(p)
    p.add_argument("--proof", type=Path, help="the proof (default DIR/proof.bin)")
    p.add_argument("--vk", type=Path, help="the verifying key (default DIR/vk.bin)")
    p.add_argument("--params", type=Path,
                   help="verifier params or a whole params file (e.g. a trusted setup's) "
                        "instead of DIR/params.bin")
    p.add_argument("--model", type=Path,
                   help="also check that the verifying key is this model's own (made again "
                        "from it; kzg needs the whole setup file as --params)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_verify)


# ---- open ------------------------------------------------------------------------------

def cmd_open(args: argparse.Namespace, registry: Registry) -> int:
    from zkml_core.proving.bundle import BundlePaths
    from zkml_core.proving.pipeline import open_commitments

    public = BundlePaths.resolve(args.bundle).public if args.public is None else args.public
    result = _run(lambda: open_commitments(public, args.model, args.blinds, registry,
                                           input_path=args.input))
    if args.json:
        print(dumps(result))
    else:
        for g in result["groups"]:
            print(f"{g['group']}: {'opens' if g['opens'] else 'DOES NOT OPEN'} "
                  f"(commitment {g['commitment']})")
    if not result["opens"]:
        closed = [g["group"] for g in result["groups"] if not g["opens"]]
        raise VerificationError(f"the {', '.join(closed)} commitment of {public} is not of "
                                "these values with these blinding elements")
    return 0


def add_open(cli: CommandRegistry) -> None:
    p = cli.command(
        "open", help="check that a bundle's hashed commitments hold given values",
        description="Open the hashed groups of a proof bundle: recompute each Poseidon "
                    "commitment from the revealed\nvalues (MODEL's weights; --input's input "
                    "and the outputs MODEL computes on it) and the\nblinding elements "
                    "`zkml prove --blinds FILE` kept, and compare with the bundle's "
                    "instance\nvalues. Exit 0 when every commitment opens, 2 when one does "
                    "not. The proof is not checked\nhere: run `zkml verify` for that.")
    _add_bundle(p)
    p.add_argument("--model", type=Path, required=True,
                   help="the model file with the weights to reveal")
    p.add_argument("--input", type=Path, default=None,
                   help="the input file the proof was made on (for hashed inputs or outputs)")
    p.add_argument("--blinds", type=Path, required=True,
                   help="the blinding file written by `zkml prove --blinds`")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=cmd_open)


CORE_COMMANDS.extend([add_inspect, add_mock, add_setup, add_prove, add_verify, add_open])
