"""From a model file to a verified proof bundle, and back (``docs/proving.md``).

Layout choice (:func:`choose_layout`): the circuit has ``num_cols`` shared advice columns
(the model's ``num_cols`` unless given) and 2^k rows. By default k is the model's ``k``
(also the size of its range table), and a layout that does not fit is an error naming
the k that fits these columns and the fewest columns that fit this k; ``k="auto"`` takes
the smallest k >= the model's that fits; an explicit k must fit. Given params fix k.

Every long step runs inside ``steps(name)`` (:class:`Steps`): timed, and shown on a
terminal's stderr while it runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from zkml_core import __version__
from zkml_core.errors import CircuitError, SerializationError, VerificationError, ZkmlError
from zkml_core.proving import bundle as B

AUTO = "auto"
#: the most columns the "what would fit" search tries
MAX_SEARCH_COLS = 256


# ---- progress and timings --------------------------------------------------------------

class Steps:
    """Times named steps (``timings``, seconds); with ``show`` a line on stderr counts
    the seconds of the running step (for terminals: logs stay clean). A step made of
    stages (the prover's rounds) passes :meth:`report` on, and the line becomes a bar."""

    BAR = 20

    def __init__(self, show: bool = False) -> None:
        self.show = show
        self.timings: dict[str, float] = {}
        self._stage = ""

    @classmethod
    def for_terminal(cls) -> Steps:
        return cls(show=sys.stderr.isatty())

    def _line(self, text: str, end: str = "") -> None:
        print(f"\r{text:<72}", end=end, file=sys.stderr, flush=True)

    def report(self, stage: str, done: int, total: int) -> None:
        """The running step's progress: ``done`` of ``total`` stages, ``stage`` next."""
        filled = self.BAR * done // max(total, 1)
        self._stage = f"[{'#' * filled}{'.' * (self.BAR - filled)}] {done}/{total} {stage}"

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        stop = threading.Event()
        ticker = None
        self._stage = ""
        if self.show:
            def tick() -> None:
                while not stop.wait(0.25):
                    stage = f" {self._stage}" if self._stage else " ..."
                    self._line(f"{name}{stage} {time.perf_counter() - start:.1f} s")

            self._line(f"{name} ...")
            ticker = threading.Thread(target=tick, daemon=True)
            ticker.start()
        try:
            yield
        finally:
            stop.set()
            if ticker is not None:
                ticker.join()
            self._stage = ""
            seconds = time.perf_counter() - start
            self.timings[name] = round(self.timings.get(name, 0.0) + seconds, 4)
            if self.show:
                self._line(f"{name}: {seconds:.2f} s", end="\n")


# ---- inputs ------------------------------------------------------------------------------

def get_backend(registry: Any, name: str) -> Any:
    return registry.get("backend", name)()


def sha256_file(path: Path) -> str:
    return hashlib.sha256(B.read_file(path)).hexdigest()


def visibility_for(model: Any, input: str | None = None, weights: str | None = None,
                   output: str | None = None) -> Any:
    from zkml_core.model.circuit import Visibility

    return Visibility.from_model(model, input=input, weights=weights, output=output)


def make_circuit(model: Any, registry: Any, backend: Any, visibility: Any, num_cols: int,
                 inputs: list | None = None) -> Any:
    """The model circuit over ``backend``'s field. The circuit's own warnings (private
    weights) are left to the caller."""
    from zkml_core.model.circuit import ModelCircuit

    gadgets = registry.gadgets()
    if "hashed" in visibility.as_dict().values() and "commitment" not in gadgets:
        raise CircuitError("visibility 'hashed' needs the 'commitment' gadget plugin, which is "
                           "not installed (see `zkml plugins --kind gadget`)")
    return ModelCircuit(model, registry.layers(), gadgets, inputs=inputs, visibility=visibility,
                        num_cols=num_cols, field=backend.scalar_field)


# ---- measuring and choosing the layout -----------------------------------------------

@attrs.define
class Measure:
    """Rows of one measuring run (no values assigned)."""

    rows: int            # the largest of the three below: what 2^k must hold
    rows_used: int       # regions (inputs, weights, layers)
    table_rows: int
    constant_rows: int
    k_needed: int
    cs: Any
    layer_rows: dict[int, int]


def measure(circuit: Any) -> Measure:
    """:func:`zkml_core.plonk.circuit.rows_needed` with the row counts kept apart."""
    from zkml_core.plonk.circuit import configure, smallest_k
    from zkml_core.plonk.layouter import Assignment, Layouter

    cs, config = configure(circuit)
    asg = Assignment(cs, None, 0, "measure")
    circuit.synthesize(Layouter(asg), config)
    rows = max(asg.rows_used, asg.table_rows, asg.constant_rows, asg.instance_rows, 1)
    return Measure(rows, asg.rows_used, asg.table_rows, asg.constant_rows,
                   smallest_k(cs, rows), cs, dict(circuit.layer_rows))


@attrs.define
class Layout:
    k: int
    num_cols: int
    measure: Measure
    circuit: Any


def _k_needed(make: Callable[[int], Any], num_cols: int) -> int | None:
    try:
        return measure(make(num_cols)).k_needed
    except CircuitError:  # too few columns for some gadget
        return None


def _fits(make: Callable[[int], Any], cols: int, k: int) -> bool:
    need = _k_needed(make, cols)
    return need is not None and need <= k


def _bisect_columns(make: Callable[[int], Any], lo: int, hi: int, k: int) -> int:
    """The fewest columns in (lo, hi] that fit 2^k rows, given that hi does (rows
    shrink as columns grow)."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if _fits(make, mid, k) else (mid, hi)
    return hi


def fewest_columns(make: Callable[[int], Any], start: int, k: int) -> int | None:
    """The fewest columns > ``start`` whose layout fits 2^k rows (None up to the search
    limit). Doubling then bisection."""
    lo, hi = start, start + 1
    while not _fits(make, hi, k):
        if hi >= MAX_SEARCH_COLS:
            return None
        lo, hi = hi, min(2 * hi, MAX_SEARCH_COLS)
    return _bisect_columns(make, lo, hi, k)


def fit_hint(make: Callable[[int], Any], m: Measure, num_cols: int, k: int) -> str:
    """What would fit instead: the k for these columns, the columns for this k."""
    usable = (1 << k) - m.cs.blinding_factors() - 1
    if m.table_rows > usable or m.constant_rows > usable:
        # one table column and one constants column: more advice columns cannot help
        what = "range table" if m.table_rows > usable else "constants column"
        by_cols = f"no column count fits k = {k} (the {what} alone needs " \
                  f"{max(m.table_rows, m.constant_rows)} rows)"
    else:
        cols = fewest_columns(make, num_cols, k)
        by_cols = (f"--num-cols {cols} (the fewest columns that fit k = {k})" if cols is not None
                   else f"no column count up to {MAX_SEARCH_COLS} fits k = {k}")
    return (f"the layout needs {m.rows} rows with {num_cols} columns, so k >= {m.k_needed}, "
            f"but k is {k}: pass --k {m.k_needed} (or --k auto), or {by_cols}")


def choose_layout(model: Any, make: Callable[[int], Any], k: int | str | None = None,
                  num_cols: int | None = None, params_k: int | None = None) -> Layout:
    """k and the column count (module docstring); ``make(num_cols)`` builds the circuit."""
    from zkml_core.model.circuit import MAX_K

    cols = int(num_cols or model.num_cols)
    circuit = make(cols)
    m = measure(circuit)
    if params_k is not None:
        if isinstance(k, int) and k != params_k:
            raise CircuitError(f"--k {k} differs from the params file's k = {params_k}")
        if m.k_needed > params_k:
            raise CircuitError(f"the params are for k = {params_k}; "
                               + fit_hint(make, m, cols, params_k).replace("pass --k", "make params with --k"))
        return Layout(params_k, cols, m, circuit)
    if k == AUTO:
        target = max(m.k_needed, model.k)
    else:
        target = model.k if k is None else int(k)
        if m.k_needed > target:
            where = "the model's k" if k is None else "--k"
            raise CircuitError(f"{model.source}: {where} does not fit: " + fit_hint(make, m, cols, target))
    if target > MAX_K:
        raise CircuitError(f"the layout needs k = {target}, above the largest supported {MAX_K}; "
                           "use more columns (--num-cols)")
    return Layout(target, cols, m, circuit)


# ---- public values -----------------------------------------------------------------------

def _shapes(circuit: Any) -> dict[int, tuple[int, ...]]:
    """Every tensor's shape: inputs, stored tensors, layer outputs."""
    shapes = {t.idx: tuple(t.shape) for t in circuit.model.tensors}
    for spec in circuit.model.layers:
        shapes.update({i: tuple(s) for i, s in zip(spec.out_idxes, spec.out_shapes, strict=True)})
    shapes.update(circuit.input_shapes)
    return shapes


def instance_groups(circuit: Any) -> list[dict[str, Any]]:
    """How the instance column splits into tensor groups, in ModelCircuit.instances order
    (input, weights, output; a hashed group is one value)."""
    from zkml_core.model.circuit import GROUPS

    shapes = _shapes(circuit)
    out, offset = [], 0
    for group in GROUPS:
        vis = getattr(circuit.visibility, group)
        if vis not in ("public", "hashed"):
            continue
        tensors = [{"idx": i, "shape": list(shapes[i])} for i in circuit.group_tensors(group)]
        if not tensors:
            continue
        length = sum(int(np.prod(t["shape"])) for t in tensors) if vis == "public" else 1
        out.append({"group": group, "visibility": vis, "offset": offset, "length": length,
                    "tensors": tensors})
        offset += length
    return out


def signed(values: list[int], p: int) -> np.ndarray:
    """Field elements as the signed integers they encode (|v| < p/2)."""
    return np.array([v - p if v > p // 2 else v for v in values], dtype=object)


def decode_public(groups: list[dict], column: list[int], p: int, scale_factor: int,
                  quantization: dict[str, list] | None = None) -> dict[str, list]:
    """The public input and output tensors in the instance values: ``{"inputs": [...],
    "outputs": [...]}``, each ``{idx, shape, values (nested ints), scaled}`` where scaled
    = (values - zero point) · scale: the tensor's TFLite quantisation when
    ``quantization`` has its index (``"idx" -> [scale, zero_point]``), else 1 / sf."""
    quantization = quantization or {}
    decoded: dict[str, list] = {name: [] for name in B.DECODED.values()}
    for g in groups:
        if g["visibility"] != "public" or g["group"] not in B.DECODED:
            continue
        at = g["offset"]
        for t in g["tensors"]:
            size = int(np.prod(t["shape"]))
            vals = signed(column[at : at + size], p).reshape(t["shape"])
            at += size
            scale, zero = quantization.get(str(t["idx"]), (1 / scale_factor, 0))
            decoded[B.DECODED[g["group"]]].append({
                "idx": t["idx"], "shape": list(t["shape"]), "values": vals.tolist(),
                "scaled": ((vals - zero) * scale).astype(float).tolist()})
    return decoded


def quantization_of(model: Any) -> dict[str, list]:
    """``"idx" -> [scale, zero_point]`` of the model's quantised inputs and outputs (as
    the converter recorded them from the TFLite file)."""
    from zkml_core.convert.inputs import INPUT_QUANT_KEY, OUTPUT_QUANT_KEY

    out: dict[str, list] = {}
    for key in (INPUT_QUANT_KEY, OUTPUT_QUANT_KEY):
        for idx, (scale, zero, *_rest) in (model.extra.get(key) or {}).items():
            out[str(idx)] = [float(scale), int(zero)]
    return out


# ---- commands' work ----------------------------------------------------------------------

@attrs.define
class Options:
    """What `zkml prove / mock / inspect` take besides the files."""

    backend: str = "kzg"
    k: int | str | None = None
    num_cols: int | None = None
    input_visibility: str | None = None
    weights_visibility: str | None = None
    output_visibility: str | None = None


def _prepare(model_path: Path, registry: Any, opts: Options, steps: Steps,
             input_path: Path | None = None, params_k: int | None = None):
    from zkml_core.model import load_input, load_model

    with steps("load"):
        model = load_model(model_path)
        inputs = load_input(input_path) if input_path is not None else None
    backend = get_backend(registry, opts.backend)
    vis = visibility_for(model, opts.input_visibility, opts.weights_visibility,
                         opts.output_visibility)

    def make(cols: int) -> Any:
        return make_circuit(model, registry, backend, vis, cols, inputs)

    with steps("layout"):
        layout = choose_layout(model, make, opts.k, opts.num_cols, params_k)
    return model, backend, layout


def inspect(model_path: Path, registry: Any, opts: Options) -> dict[str, Any]:
    """Layers, gadgets, rows and columns of the model's circuit (nothing is proved).
    A layout that does not fit the requested k is reported, not raised."""
    from zkml_core.model import load_model

    model = load_model(model_path)
    backend = get_backend(registry, opts.backend)
    vis = visibility_for(model, opts.input_visibility, opts.weights_visibility,
                         opts.output_visibility)

    def make(cols: int) -> Any:
        return make_circuit(model, registry, backend, vis, cols)

    cols = int(opts.num_cols or model.num_cols)
    circuit = make(cols)
    m = measure(circuit)
    try:
        k, fits, hint = choose_layout(model, make, opts.k, opts.num_cols).k, True, None
    except CircuitError as exc:
        k, fits, hint = None, False, str(exc)
    layers = []
    for i, spec in enumerate(model.layers):
        layers.append({
            "index": i, "type": spec.layer_type,
            "inputs": [list(s) for s in spec.inp_shapes],
            "outputs": [list(s) for s in spec.out_shapes],
            "live": bool(circuit.live[i]), "rows": m.layer_rows.get(i)})
    layer_total = sum(m.layer_rows.values())
    groups = instance_groups(circuit)
    return {
        "model": str(model_path), "scale_factor": model.global_sf,
        "backend": backend.name, "visibility": vis.as_dict(),
        "layers": layers, "gadgets": circuit.gadget_names(),
        "rows": {"total": m.rows, "regions": m.rows_used, "layers": layer_total,
                 "inputs_and_weights": m.rows_used - layer_total, "table": m.table_rows,
                 "constants": m.constant_rows},
        "columns": {"num_cols": cols, "advice": len(m.cs.advice), "fixed": len(m.cs.fixed),
                    "instance": len(m.cs.instance), "lookups": len(m.cs.lookups)},
        "k": {"needed": m.k_needed, "model": model.k, "circuit": k, "fits": fits, "hint": hint},
        "instance_values": sum(g["length"] for g in groups),
    }


def mock(model_path: Path, input_path: Path, registry: Any, opts: Options,
         steps: Steps) -> dict[str, Any]:
    """MockProver on the model's witness: every failing constraint (``ok`` when none)."""
    from zkml_core.dev.mock import MockProver

    _model, backend, layout = _prepare(model_path, registry, opts, steps, input_path)
    F = backend.scalar_field
    with steps("witness"):
        inst = layout.circuit.instances(F)
    with steps("mock"):
        failures = MockProver(layout.circuit, inst, k=layout.k, field=F).verify()
    return {"ok": not failures, "k": layout.k, "num_cols": layout.num_cols,
            "failure_count": len(failures), "failures": [str(f) for f in failures[:20]],
            "timings": steps.timings}


def load_params(backend: Any, path: Path) -> Any:
    try:
        return backend.params_from_bytes(B.read_file(path))
    except SerializationError as exc:
        raise SerializationError(f"{path}: {exc}") from None


def setup(backend: Any, k: int) -> Any:
    try:
        return backend.setup(k)
    except ValueError as exc:  # the backend's k range
        raise ZkmlError(f"{backend.name} setup: {exc}") from None


def read_blinds(path: Path, field: Any) -> dict[str, int]:
    """The hashed groups' blinding elements kept in ``path`` (see :func:`prove`)."""
    try:
        data = json.loads(Path(path).read_text())
        blinds = {str(g): int(v) for g, v in data["blinds"].items()}
        ok = data.get("field") == field.name and all(0 <= v < field.p for v in blinds.values())
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SerializationError(f"cannot read the blinding file {path}: {exc}") from exc
    if not ok:
        raise SerializationError(f"{path} does not hold blinding elements of {field.name} "
                                 "(made for another backend?)")
    return blinds


def write_blinds(path: Path, field: Any, blinds: dict[str, int]) -> None:
    """Write the blinding elements, readable by the owner only, atomically."""
    path = Path(path)
    text = json.dumps({"field": field.name, "blinds": {g: str(v) for g, v in blinds.items()}},
                      indent=1) + "\n"
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def prove(model_path: Path, input_path: Path, out_dir: Path, registry: Any, opts: Options,
          steps: Steps, params_path: Path | None = None, force: bool = False,
          blinds_path: Path | None = None) -> dict[str, Any]:
    """Prove the model's inference on the input and write the bundle ``out_dir``; the
    written bundle is verified (read back from disk) before it is renamed into place.

    ``blinds_path`` keeps the hashed groups' secret blinding elements: read when the file
    exists (the same weights then give the same commitment in every proof), otherwise
    written with the fresh ones this proof draws (mode 0600, never into the bundle)."""
    from zkml_core.plonk import create_proof, keygen_pk, keygen_vk

    params = None
    if params_path is not None:
        backend = get_backend(registry, opts.backend)
        with steps("params"):
            params = load_params(backend, params_path)
    model, backend, layout = _prepare(model_path, registry, opts, steps, input_path,
                                      None if params is None else params.k)
    circuit, F = layout.circuit, backend.scalar_field
    new_blinds = blinds_path is not None and not Path(blinds_path).exists()
    if blinds_path is not None and not new_blinds:
        circuit.blinds.update(read_blinds(blinds_path, F))
    with steps("witness"):
        inst = circuit.instances(F)
    if params is None:
        with steps("setup"):
            params = setup(backend, layout.k)
    with steps("keygen"):
        vk = keygen_vk(backend, params, circuit)
        pk = keygen_pk(backend, params, circuit, vk)
    with steps("prove"):
        proof = create_proof(backend, params, pk, circuit, inst, progress=steps.report)
    vk_bytes = vk.to_bytes()
    groups = instance_groups(circuit)
    quantization = quantization_of(model)
    public = {
        "format": B.FORMAT, "version": B.VERSION, "zkml_version": __version__,
        "backend": backend.name, "k": layout.k, "num_cols": layout.num_cols,
        "visibility": circuit.visibility.as_dict(),
        "model": {"file": Path(model_path).name,
                  # a hash of hidden weights would let anyone test guesses of them
                  "sha256": sha256_file(model_path)
                  if circuit.visibility.weights in ("fixed", "public") else None,
                  "scale_factor": model.global_sf, "k": model.k,
                  "quantization": quantization},
        "vk_sha256": hashlib.sha256(vk_bytes).hexdigest(),
        "instances": [[str(v) for v in col] for col in inst],
        "groups": groups,
        **decode_public(groups, inst[0], F.p, model.global_sf, quantization),
    }
    files = {B.PROOF: proof, B.VK: vk_bytes,
             B.PARAMS: backend.verifier_params_to_bytes(backend.verifier_params(params)),
             B.PUBLIC: B.public_to_bytes(public)}
    with B.staging_dir(out_dir, force) as tmp:
        B.write_files(tmp, files)
        try:
            verify(B.BundlePaths.resolve(tmp), registry, steps)
        except VerificationError:
            raise VerificationError(
                f"the proof of {model_path} on {input_path} does not verify, so no bundle was "
                f"written; `zkml mock {model_path} {input_path}` names the failing "
                "constraints") from None
        if new_blinds:
            write_blinds(blinds_path, F, circuit.blinds)
    return {"bundle": str(out_dir), "backend": backend.name, "k": layout.k,
            "num_cols": layout.num_cols, "rows": layout.measure.rows,
            "visibility": circuit.visibility.as_dict(),
            "bytes": {name: len(data) for name, data in files.items()},
            "outputs": public["outputs"], "timings": steps.timings}


def read_verifier_params(backend: Any, path: Path, whole: bool = False) -> Any:
    """Verifier params from ``path``: the backend's verifier params format (a bundle's
    params.bin), or with ``whole`` also a whole params file (a trusted setup's)."""
    raw = B.read_file(path)
    try:
        return backend.verifier_params_from_bytes(raw)
    except SerializationError as first:
        if not whole:
            raise SerializationError(f"{path}: {first}") from None
        try:
            return backend.verifier_params(backend.params_from_bytes(raw))
        except SerializationError as second:
            raise SerializationError(f"{path}: {first} (read as a params file: {second})") from None


def check_model_vk(model_path: Path, public: dict, backend: Any, vk: Any, vk_bytes: bytes,
                   paths: B.BundlePaths, registry: Any) -> None:
    """VerificationError unless ``vk`` is the verifying key of the model file with the
    bundle's visibility and columns: the key is made again from the model (for a backend
    with a trusted setup, from the whole params file given with ``--params``)."""
    from zkml_core.model import load_model
    from zkml_core.model.circuit import Visibility
    from zkml_core.plonk import keygen_vk

    model = load_model(model_path)
    if model.global_sf != public["model"]["scale_factor"]:
        raise VerificationError(f"{paths.public} says scale factor "
                                f"{public['model']['scale_factor']}, {model_path} has "
                                f"{model.global_sf}")
    if quantization_of(model) != (public["model"].get("quantization") or {}):
        raise VerificationError(f"{paths.public} decodes its tensors with quantisation "
                                f"{public['model'].get('quantization')}, {model_path} has "
                                f"{quantization_of(model)}")
    if backend.trusted_setup:
        if not paths.params_given:
            raise ZkmlError(f"--model with {backend.name} needs --params: the whole params "
                            "file (the trusted setup) the verifying key was made with")
        params = backend.params_from_bytes(B.read_file(paths.params))
        if params.k != vk.k:
            raise SerializationError(f"{paths.params} is for k = {params.k}, the verifying "
                                     f"key for k = {vk.k}")
    else:
        params = backend.setup(vk.k)  # transparent: anyone derives the same params
    circuit = make_circuit(model, registry, backend, Visibility(**public["visibility"]),
                           int(public["num_cols"]))
    if keygen_vk(backend, params, circuit).to_bytes() != vk_bytes:
        raise VerificationError(f"{paths.vk} is not the verifying key of {model_path} "
                                f"(visibility {public['visibility']}, {public['num_cols']} "
                                "columns): the proof is not about this model")


def verify(paths: B.BundlePaths, registry: Any, steps: Steps,
           model_path: Path | None = None) -> dict[str, Any]:
    """Check a bundle: VerificationError when the proof (or the decoded values in
    public.json) is false, SerializationError when a file is damaged. With ``model_path``
    the verifying key must also be the model's own (:func:`check_model_vk`)."""
    from zkml_core.plonk.keys import VerifyingKey
    from zkml_core.plonk.verifier import check_proof

    with steps("read"):
        public = B.parse_public(B.read_file(paths.public), paths.public)
        backend = get_backend(registry, public["backend"])
        p = backend.scalar_field.p
        column = public["instance_ints"][0]
        if any(v >= p for v in column):
            raise SerializationError(f"{paths.public}: an instance value is not below the "
                                     f"{backend.name} field modulus")
        vk_bytes = B.read_file(paths.vk)
        try:
            vk = VerifyingKey.from_bytes(vk_bytes, backend)
        except SerializationError as exc:
            raise SerializationError(f"{paths.vk}: {exc}") from None
        if vk.k != public["k"]:
            raise SerializationError(f"{paths.public} says k = {public['k']} but {paths.vk} "
                                     f"is a verifying key for k = {vk.k}")
        if len(column) > vk.cs.usable_rows(vk.k):
            raise SerializationError(f"{paths.public}: {len(column)} instance values do not "
                                     f"fit the circuit of {paths.vk}")
        vparams = read_verifier_params(backend, paths.params, paths.params_given)
        if getattr(vparams, "k", vk.k) != vk.k:
            raise SerializationError(f"the verifier params are for k = {vparams.k}, the "
                                     f"verifying key for k = {vk.k}")
        proof = B.read_file(paths.proof)
    decoded = decode_public(public["groups"], column, p, public["model"]["scale_factor"],
                            public["model"].get("quantization"))
    for name, tensors in decoded.items():
        if public[name] != tensors:
            raise VerificationError(f"{paths.public}: the decoded {name} do not match the "
                                    "instance values the proof is checked against")
    if model_path is not None:
        with steps("model key"):
            check_model_vk(model_path, public, backend, vk, vk_bytes, paths, registry)
    with steps("verify"):
        try:
            ok = check_proof(backend, vparams, vk, proof, public["instance_ints"])
        except SerializationError as exc:
            raise SerializationError(f"{paths.proof}: malformed proof: {exc}") from None
    if not ok:
        raise VerificationError(f"{paths.proof} does not verify against {paths.vk} with the "
                                f"instance values in {paths.public}")
    return {"valid": True, "backend": backend.name, "k": vk.k,
            "visibility": public["visibility"], "model": public["model"],
            "model_key_checked": model_path is not None,
            "inputs": public["inputs"], "outputs": public["outputs"],
            "timings": dict(steps.timings)}


def open_commitments(public_path: Path, model_path: Path, blinds_path: Path, registry: Any,
                     input_path: Path | None = None) -> dict[str, Any]:
    """Open the hashed groups of a bundle: recompute each commitment from the revealed
    values (the model's weights; the input file's input and the outputs the model computes
    on it) and the blinding elements kept by ``zkml prove --blinds``, and compare it with
    the bundle's instance value. ``opens`` per group; the proof itself is not checked."""
    from zkml_core.model import load_input, load_model
    from zkml_core.model.circuit import ModelCircuit, Visibility

    public = B.parse_public(B.read_file(public_path), public_path)
    hashed = [g for g in public["groups"] if g["visibility"] == "hashed"]
    if not hashed:
        raise ZkmlError(f"{public_path} has no hashed group (visibility "
                        f"{public['visibility']}): there is no commitment to open")
    needs_input = [g["group"] for g in hashed if g["group"] != "weights"]
    if needs_input and input_path is None:
        raise ZkmlError(f"opening the {' and '.join(needs_input)} commitment needs the input "
                        "file the proof was made on (--input)")
    backend = get_backend(registry, public["backend"])
    F = backend.scalar_field
    blinds = read_blinds(blinds_path, F)
    missing = [g["group"] for g in hashed if g["group"] not in blinds]
    if missing:
        raise ZkmlError(f"{blinds_path} has no blinding element for the {', '.join(missing)} "
                        "group: only the blinding file written when proving opens it")
    model = load_model(model_path)
    circuit = ModelCircuit(model, registry.layers(), registry.gadgets(),
                           inputs=None if input_path is None else load_input(input_path),
                           visibility=Visibility(**public["visibility"]),
                           num_cols=int(public["num_cols"]), field=F, blinds=blinds)
    column = public["instance_ints"][0]
    groups = []
    for g in hashed:
        want = column[g["offset"]]
        groups.append({"group": g["group"], "commitment": str(want),
                       "opens": circuit.commitment(g["group"], F) == want})
    return {"opens": all(g["opens"] for g in groups), "backend": backend.name,
            "groups": groups}


def fit_model_layout(model: Any, registry: Any, fix_k: bool = False,
                     fix_cols: bool = False) -> tuple[Any, Measure | None]:
    """The model with a k and column count its circuit fits (``zkml convert``'s choice):
    k rises (unless ``fix_k``) until the layout at the model's columns fits 2^k rows (k
    also sizes the range table, so the layout is measured again at each k); then
    (unless ``fix_cols``) the columns shrink to the fewest that still fit that k, since
    every column costs commitments, openings and permutation work. Measured with the
    default visibility on the first installed backend (kzg when there). Returns the
    model and the last measure (None when no layout fits the fixed parameters)."""
    from zkml_core.model.circuit import MAX_K, Visibility

    backends = registry.backends()
    if not backends:
        return model, None
    backend = get_backend(registry, "kzg" if "kzg" in backends else next(iter(backends)))

    def maker(m: Any) -> Callable[[int], Any]:
        return lambda cols: make_circuit(m, registry, backend, Visibility.from_model(m), cols)

    cols = model.num_cols
    while True:
        need = _k_needed(maker(model), cols)
        if need is not None and (need <= model.k or need > MAX_K):
            break
        if fix_k or model.k >= MAX_K:
            break
        # no layout (a gadget refused k: a constant divisor such as the scale factor
        # beyond its remainder check) or too few rows: retry at a larger k
        model = attrs.evolve(model, k=model.k + 1 if need is None else need)
    if need is None or need > model.k:
        return model, None
    if not fix_cols:
        model = attrs.evolve(model, num_cols=_bisect_columns(maker(model), 2, cols, model.k))
    return model, measure(maker(model)(model.num_cols))
