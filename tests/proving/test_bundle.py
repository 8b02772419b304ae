"""``zkml prove`` / ``zkml verify``: bundles, their JSON, tampering, damaged files, atomicity."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from proving_helpers import run, write_model

from zkml_core.errors import CircuitError
from zkml_core.model import load_input, load_model
from zkml_core.proving import bundle as B


def conv_reference(model_path: Path, input_path: Path) -> np.ndarray:
    """The tiny model's output by plain numpy (VALID 3x3 conv, round half up, bias, relu)."""
    model = load_model(model_path)
    (inp,) = load_input(input_path)
    x = inp.array()[0, :, :, 0]
    w, b = model.tensors[0].array(), model.tensors[1].array()
    out = x.shape[0] - 2
    acc = np.zeros((out, out, w.shape[0]), dtype=np.int64)
    for i in range(out):
        for j in range(out):
            acc[i, j] = np.einsum("ab,oab->o", x[i:i + 3, j:j + 3], w[:, :, :, 0])
    sf = model.global_sf
    return np.maximum((2 * acc + sf) // (2 * sf) + b, 0)[None]


def one_error_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("zkml: error: "), err
    assert "Traceback" not in err
    return err


def public_of(bundle: Path) -> dict:
    return json.loads((bundle / B.PUBLIC).read_text())


def write_public(bundle: Path, public: dict) -> None:
    (bundle / B.PUBLIC).write_text(json.dumps(public))


# ---- honest round trip -------------------------------------------------------------------

def test_prove_json_and_bundle_contents(registry, tiny, kzg_params, tmp_path):
    out = tmp_path / "b"
    code, stdout, err = run("prove", *tiny, "--out", out, "--params", kzg_params, "--json",
                            registry=registry)
    assert code == 0, err
    result = json.loads(stdout)
    assert set(result) == {"bundle", "backend", "k", "num_cols", "rows", "visibility", "bytes",
                           "outputs", "timings"}
    assert result["backend"] == "kzg" and result["k"] == 8 and result["num_cols"] == 6
    assert {"load", "layout", "witness", "keygen", "prove", "verify"} <= set(result["timings"])
    assert sorted(p.name for p in out.iterdir()) == sorted(B.FILES)
    assert result["bytes"] == {name: (out / name).stat().st_size for name in B.FILES}
    want = conv_reference(*tiny)
    (got,) = result["outputs"]
    assert got["shape"] == [1, 2, 2, 2] and got["values"] == want.tolist()
    assert got["scaled"] == (want / 4).tolist()

    public = public_of(out)
    assert public["format"] == B.FORMAT and public["version"] == B.VERSION
    assert public["visibility"] == {"input": "public", "weights": "fixed", "output": "public"}
    assert public["model"] == {"file": "model.msgpack", "scale_factor": 4, "k": 8,
                               "sha256": hashlib.sha256(tiny[0].read_bytes()).hexdigest(),
                               "quantization": {}}
    assert public["vk_sha256"] == hashlib.sha256((out / B.VK).read_bytes()).hexdigest()
    # the instance column: the input then the output, as field elements mod p
    (inp,) = load_input(tiny[1])
    p = 21888242871839275222246405745257275088548364400416034343698204186575808495617
    flat = np.concatenate([inp.data, want.reshape(-1)])
    assert public["instances"] == [[str(int(v) % p) for v in flat]]
    assert [(g["group"], g["offset"], g["length"]) for g in public["groups"]] == \
        [("input", 0, 16), ("output", 16, 8)]
    assert public["outputs"] == result["outputs"]


def test_verify_json(registry, bundle, tiny):
    code, stdout, err = run("verify", bundle, "--json", registry=registry)
    assert code == 0, err
    result = json.loads(stdout)
    assert set(result) == {"valid", "backend", "k", "visibility", "model", "model_key_checked", "inputs",
                           "outputs", "timings"}
    assert result["valid"] is True and result["k"] == 8
    assert result["outputs"][0]["values"] == conv_reference(*tiny).tolist()
    code, stdout, _ = run("verify", bundle, registry=registry)
    assert code == 0 and stdout.startswith("valid: ")


def test_both_backends_prove_the_same_outputs(registry, kzg_bundle, ipa_bundle):
    kzg, ipa = public_of(kzg_bundle), public_of(ipa_bundle)
    assert (kzg["backend"], ipa["backend"]) == ("kzg", "ipa")
    assert kzg["outputs"] == ipa["outputs"]
    assert kzg["instances"] != ipa["instances"]  # negatives differ: other fields


def test_separate_paths(registry, bundle, tmp_path):
    names = {}
    for name in B.FILES:
        names[name] = tmp_path / f"other-{name}"
        names[name].write_bytes((bundle / name).read_bytes())
    code, _, err = run("verify", "--proof", names[B.PROOF], "--vk", names[B.VK],
                       "--public", names[B.PUBLIC], "--params", names[B.PARAMS],
                       registry=registry)
    assert code == 0, err
    code, _, err = run("verify", "--proof", names[B.PROOF], registry=registry)
    assert code == 1 and "--vk" in one_error_line(err)


# ---- what a proof binds ------------------------------------------------------------------

@pytest.mark.parametrize("at", [0.02, 0.3, 0.5, 0.75, 0.99])
def test_flipped_proof_byte_rejected(registry, bundle, copy_bundle, at):
    bad = copy_bundle(bundle)
    proof = bytearray((bad / B.PROOF).read_bytes())
    proof[int(at * (len(proof) - 1))] ^= 0x10
    (bad / B.PROOF).write_bytes(bytes(proof))
    code, _, err = run("verify", bad, registry=registry)
    assert code in (1, 2)  # 1: no longer decodes, 2: decodes but is false
    one_error_line(err)


def test_changed_public_instance_rejected(registry, bundle, copy_bundle):
    for row in (0, 16, 23):  # an input value, the first and the last output value
        bad = copy_bundle(bundle)
        public = public_of(bad)
        p = int(public["instances"][0][row]) + 1
        public["instances"][0][row] = str(p)
        # keep the decoded values consistent, so only the proof can object
        group = "inputs" if row < 16 else "outputs"
        flat = np.array(public[group][0]["values"]).reshape(-1)
        flat[row if row < 16 else row - 16] += 1
        shape = public[group][0]["shape"]
        public[group][0]["values"] = flat.reshape(shape).tolist()
        public[group][0]["scaled"] = (flat / 4).reshape(shape).tolist()
        write_public(bad, public)
        code, _, err = run("verify", bad, registry=registry)
        assert code == 2, err
        assert "does not verify" in one_error_line(err)
        shutil.rmtree(bad)


@pytest.mark.parametrize("field", ["values", "scaled", "scale_factor"])
def test_changed_decoded_output_rejected(registry, kzg_bundle, copy_bundle, field):
    bad = copy_bundle(kzg_bundle)
    public = public_of(bad)
    out = public["outputs"][0]
    if field == "values":
        out["values"][0][0][0][0] += 1
    elif field == "scaled":
        out["scaled"][0][0][0][0] += 0.25
    else:
        public["model"]["scale_factor"] = 8
    write_public(bad, public)
    code, _, err = run("verify", bad, registry=registry)
    assert code == 2
    assert "do not match the instance values" in one_error_line(err)


def test_vk_of_another_model_rejected(registry, tmp_path, kzg_bundle, kzg_params):
    # same shapes and layout, other weights: only the fixed weights differ in the vk
    other = write_model(tmp_path / "other", seed=2)
    out = tmp_path / "other-bundle"
    code, _, err = run("prove", *other, "--out", out, "--params", kzg_params, registry=registry)
    assert code == 0, err
    assert (out / B.VK).read_bytes() != (kzg_bundle / B.VK).read_bytes()
    code, _, err = run("verify", kzg_bundle, "--vk", out / B.VK, registry=registry)
    assert code == 2
    assert "does not verify" in one_error_line(err)


def test_trusted_params_replace_the_bundles(registry, kzg_bundle, kzg_params, tmp_path):
    code, _, err = run("verify", kzg_bundle, "--params", kzg_params, registry=registry)
    assert code == 0, err
    # another setup (another tau): the proof does not verify with its tau·G2
    other = tmp_path / "other.params"
    assert run("setup", "--k", "8", "-o", other, registry=registry)[0] == 0
    code, _, err = run("verify", kzg_bundle, "--params", other, registry=registry)
    assert code == 2, err


# ---- damaged files -------------------------------------------------------------------------

@pytest.mark.parametrize("name", B.FILES)
def test_truncated_file_is_one_clear_error(registry, bundle, copy_bundle, name):
    bad = copy_bundle(bundle)
    data = (bad / name).read_bytes()
    for cut in (0, 7, len(data) // 2, len(data) - 3):  # public.json ends in "}\n"
        (bad / name).write_bytes(data[:cut])
        code, _, err = run("verify", bad, registry=registry)
        assert code == 1, (cut, err)
        assert name in one_error_line(err)


def test_malformed_public_values_are_one_clear_error(registry, kzg_bundle, copy_bundle):
    p = 21888242871839275222246405745257275088548364400416034343698204186575808495617
    edits = {
        "not below the": lambda pub: pub["instances"][0].__setitem__(0, str(p + 6)),
        "canonical decimal": lambda pub: pub["instances"][0].__setitem__(0, "06"),
        "groups' total": lambda pub: pub["instances"][0].pop(),
        "has no key 'groups'": lambda pub: pub.pop("groups"),
        "version 9": lambda pub: pub.__setitem__("version", 9),
        "contiguous": lambda pub: pub["groups"][1].__setitem__("offset", 15),
        "integer zero point": lambda pub: pub["model"].__setitem__("quantization",
                                                                   {"3": [0.5, "x"]}),
    }
    for expect, edit in edits.items():
        bad = copy_bundle(kzg_bundle)
        public = public_of(bad)
        edit(public)
        write_public(bad, public)
        code, _, err = run("verify", bad, registry=registry)
        assert code == 1 and expect in one_error_line(err), err
        shutil.rmtree(bad)


def test_missing_file_and_unknown_backend(registry, kzg_bundle, copy_bundle):
    bad = copy_bundle(kzg_bundle)
    (bad / B.VK).unlink()
    code, _, err = run("verify", bad, registry=registry)
    assert code == 1 and "vk.bin" in one_error_line(err)
    public = public_of(kzg_bundle)
    public["backend"] = "nope"
    write_public(bad, public)
    code, _, err = run("verify", bad, registry=registry)
    assert code == 1 and "'nope'" in one_error_line(err)


# ---- atomic writes --------------------------------------------------------------------------

def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir())


@pytest.mark.parametrize("where,exc,code", [
    ("zkml_core.plonk.prover.create_proof", CircuitError("boom"), 1),
    ("zkml_core.plonk.prover.create_proof", KeyboardInterrupt(), 130),
    # inside the staging directory: files written, the self-check fails
    ("zkml_core.proving.pipeline.verify", CircuitError("boom"), 1),
    ("zkml_core.proving.bundle.write_files", KeyboardInterrupt(), 130),
])
def test_failed_prove_leaves_nothing(registry, tiny, kzg_params, tmp_path, monkeypatch,
                                     where, exc, code):
    module, name = where.rsplit(".", 1)

    def fail(*args, **kw):
        raise exc

    monkeypatch.setattr(f"{module}.{name}", fail)
    parent = tmp_path / "out"
    parent.mkdir()
    got, _, err = run("prove", *tiny, "--out", parent / "b", "--params", kzg_params,
                      registry=registry)
    assert got == code, err
    assert _leftovers(parent) == []


def test_existing_out_needs_force(registry, tiny, kzg_params, kzg_bundle, tmp_path):
    out = tmp_path / "b"
    out.mkdir()
    (out / B.PROOF).write_bytes(b"old")
    code, _, err = run("prove", *tiny, "--out", out, "--params", kzg_params, registry=registry)
    assert code == 1 and "--force" in one_error_line(err)
    assert (out / B.PROOF).read_bytes() == b"old"
    code, _, err = run("prove", *tiny, "--out", out, "--params", kzg_params, "--force",
                       registry=registry)
    assert code == 0, err
    assert run("verify", out, registry=registry)[0] == 0
    assert _leftovers(tmp_path) == ["b"]
    # never replaces a directory that holds anything but a bundle
    (out / "notes.txt").write_text("mine")
    code, _, err = run("prove", *tiny, "--out", out, "--params", kzg_params, "--force",
                       registry=registry)
    assert code == 1 and "not part of a proof bundle" in one_error_line(err)
    assert (out / "notes.txt").read_text() == "mine"


def test_hashed_groups(registry, tiny, kzg_params, tmp_path):
    """Hashed input and weights: one commitment each in the instance column, no model
    hash; a changed commitment does not verify."""
    out = tmp_path / "b"
    code, _, err = run("prove", *tiny, "--out", out, "--params", kzg_params,
                       "--input-visibility", "hashed", "--weights-visibility", "hashed",
                       registry=registry)
    assert code == 0, err
    public = public_of(out)
    assert [(g["group"], g["visibility"], g["length"]) for g in public["groups"]] == \
        [("input", "hashed", 1), ("weights", "hashed", 1), ("output", "public", 8)]
    assert [t["idx"] for t in public["groups"][1]["tensors"]] == [1, 2]
    assert len(public["instances"][0]) == 10 and public["inputs"] == []
    assert public["model"]["sha256"] is None
    assert public["outputs"][0]["values"] == conv_reference(*tiny).tolist()
    assert run("verify", out, registry=registry)[0] == 0
    for row in (0, 1):
        public = public_of(out)
        public["instances"][0][row] = str(int(public["instances"][0][row]) ^ 1)
        write_public(out, public)
        code, _, err = run("verify", out, registry=registry)
        assert code == 2 and "does not verify" in one_error_line(err)
        public["instances"][0][row] = str(int(public["instances"][0][row]) ^ 1)
        write_public(out, public)


def test_blinds_file_keeps_hashed_commitments_stable(registry, tiny, kzg_params, tmp_path):
    """--blinds: the first proof writes its secret blinding elements (owner-only file, not
    in the bundle); later proofs reuse them, so hashed weights commit to the same value;
    without the file, each proof draws fresh ones."""
    blinds = tmp_path / "blinds.json"

    def weights_commitment(name: str, *extra) -> str:
        out = tmp_path / name
        code, _, err = run("prove", *tiny, "--out", out, "--params", kzg_params,
                           "--weights-visibility", "hashed", *extra, registry=registry)
        assert code == 0, err
        assert not any("blind" in p.name for p in out.iterdir())
        return public_of(out)["instances"][0][-9]  # weights' commitment, then 8 outputs

    first = weights_commitment("a", "--blinds", blinds)
    assert blinds.stat().st_mode & 0o777 == 0o600
    assert weights_commitment("b", "--blinds", blinds) == first
    assert weights_commitment("c") != first
    blinds.write_text("{not json")
    code, _, err = run("prove", *tiny, "--out", tmp_path / "d", "--params", kzg_params,
                       "--weights-visibility", "hashed", "--blinds", blinds, registry=registry)
    assert code == 1 and "blinding file" in one_error_line(err)
    assert not (tmp_path / "d").exists()


def test_verify_with_model_remakes_its_key(registry, tiny, kzg_bundle, ipa_bundle, kzg_params,
                                           tmp_path):
    """verify --model: the bundle's vk must be the model's own (made again from the model
    file); another model with the same shapes is refused, and kzg needs the setup file."""
    other, _ = write_model(tmp_path / "other", seed=2)
    model, _ = tiny
    code, out, err = run("verify", kzg_bundle, "--model", model, "--params", kzg_params,
                         registry=registry)
    assert code == 0 and "made again from the model" in out, err
    code, out, err = run("verify", ipa_bundle, "--model", model, "--json", registry=registry)
    assert code == 0 and json.loads(out)["model_key_checked"] is True, err
    for bundle, extra in ((kzg_bundle, ("--params", kzg_params)), (ipa_bundle, ())):
        code, _, err = run("verify", bundle, "--model", other, *extra, registry=registry)
        assert code == 2 and "not the verifying key of" in one_error_line(err)
    code, _, err = run("verify", kzg_bundle, "--model", model, registry=registry)
    assert code == 1 and "needs --params" in one_error_line(err)


def test_int8_bundle_decodes_with_the_tflite_quantisation(registry, tmp_path, copy_bundle):
    """The int8 demo, converted, proved and verified through the CLI: the bundle's
    decoded outputs are the interpreter's int8 logits dequantised with the output
    tensor's scale and zero point as the interpreter reports them; the inputs likewise;
    a public.json whose quantisation was changed is refused."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    demo = Path(__file__).resolve().parents[2] / "demo"
    tfl = demo / "digits_cnn_int8.tflite"
    model, inp, out = tmp_path / "m.msgpack", tmp_path / "i.msgpack", tmp_path / "b"
    for argv in (("convert", tfl, "-o", model, "--calibrate", demo / "digit_calibration.npy"), ("input", "--model", model,
                                                  demo / "digit_input.npy", "-o", inp),
                 ("prove", model, inp, "--k", "auto", "--backend", "ipa", "--out", out)):
        code, _, err = run(*argv, registry=registry)
        assert code == 0, err
    it = Interpreter(model_content=tfl.read_bytes(),
                     experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    (ind,), (outd,) = it.get_input_details(), it.get_output_details()
    (s_in, z_in), (s_out, z_out) = ind["quantization"], outd["quantization"]
    x = np.load(demo / "digit_input.npy")
    xq = np.clip(np.round(x / s_in) + z_in, -128, 127).astype(np.int8)
    it.set_tensor(ind["index"], xq)
    it.invoke()
    logits = it.get_tensor(outd["index"]).astype(np.int64)
    public = json.loads((out / "public.json").read_text())
    (o,) = public["outputs"]
    assert o["values"] == logits.tolist()
    np.testing.assert_allclose(o["scaled"], (logits - z_out) * s_out, rtol=1e-6)
    (i,) = public["inputs"]
    assert np.abs(np.array(i["scaled"]) - x).max() <= s_in / 2 + 1e-6
    code, _, err = run("verify", out, "--model", model, registry=registry)
    assert code == 0, err
    bad = copy_bundle(out)
    pub = json.loads((bad / "public.json").read_text())
    q = pub["model"]["quantization"]
    q[next(iter(q))][1] += 1
    (bad / "public.json").write_text(json.dumps(pub))
    code, _, err = run("verify", bad, registry=registry)
    assert code != 0 and "decoded" in err


def test_open_hashed_groups(registry, tiny, kzg_params, tmp_path):
    """zkml open: the bundle's hashed input, weights and output commitments open with the
    revealed model, input and the kept blinding elements (the weights' one also equals
    commit_native of the model file's raw tensors); other weights, another input or
    other blinding elements do not open (exit 2); missing pieces are one clear error."""
    from zkml_plugins.gadgets.commitment import commit_native

    from zkml_core.arith.field import BN254_FR

    blinds, out = tmp_path / "blinds.json", tmp_path / "b"
    hashed = ["--input-visibility", "hashed", "--weights-visibility", "hashed",
              "--output-visibility", "hashed"]
    code, _, err = run("prove", *tiny, "--out", out, "--params", kzg_params, *hashed,
                       "--blinds", blinds, registry=registry)
    assert code == 0, err
    model, inp = tiny
    code, stdout, err = run("open", out, "--model", model, "--input", inp, "--blinds", blinds,
                            "--json", registry=registry)
    assert code == 0, err
    result = json.loads(stdout)
    assert [(g["group"], g["opens"]) for g in result["groups"]] == \
        [("input", True), ("weights", True), ("output", True)]
    m = load_model(model)
    flat = np.concatenate([m.tensor_map()[i].array().reshape(-1) for i in (1, 2)])
    kept = json.loads(blinds.read_text())["blinds"]
    assert result["groups"][1]["commitment"] == str(
        commit_native(BN254_FR, flat, int(kept["weights"]), k=m.k))

    other_model, other_inp = write_model(tmp_path / "other", seed=2)
    code, stdout, err = run("open", out, "--model", other_model, "--input", inp, "--blinds",
                            blinds, registry=registry)
    assert code == 2 and "weights: DOES NOT OPEN" in stdout and "input: opens" in stdout
    assert "output: DOES NOT OPEN" in stdout
    code, stdout, _ = run("open", out, "--model", model, "--input", other_inp, "--blinds",
                          blinds, registry=registry)
    assert code == 2 and "input: DOES NOT OPEN" in stdout and "weights: opens" in stdout
    fresh = tmp_path / "fresh.json"
    assert run("prove", *tiny, "--out", tmp_path / "c", "--params", kzg_params, *hashed,
               "--blinds", fresh, registry=registry)[0] == 0
    code, stdout, _ = run("open", out, "--model", model, "--input", inp, "--blinds", fresh,
                          registry=registry)
    assert code == 2 and stdout.count("DOES NOT OPEN") == 3

    code, _, err = run("open", out, "--model", model, "--blinds", blinds, registry=registry)
    assert code == 1 and "--input" in one_error_line(err)
    plain = tmp_path / "plain"
    assert run("prove", *tiny, "--out", plain, "--params", kzg_params, registry=registry)[0] == 0
    code, _, err = run("open", plain, "--model", model, "--blinds", blinds, registry=registry)
    assert code == 1 and "no hashed group" in one_error_line(err)
