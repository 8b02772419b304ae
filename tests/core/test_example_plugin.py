"""The third-party example plugin: installed with pip, found through its entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "zkml-plugin-example"


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory) -> Path:
    """pip-installs the example distribution into a private target directory."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--no-build-isolation", "--target", str(target), str(EXAMPLE)],
        check=True, capture_output=True, text=True)
    return target


def zkml_plugins_json(extra_path: Path | None, **env_over) -> list[dict]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "ZKML_BLOCK_PLUGINS", "ZKML_DISABLE_PLUGIN_AUTOLOAD")}
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    env.update(env_over)
    out = subprocess.run([sys.executable, "-m", "zkml_core.cli", "plugins", "--json"],
                         check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout)


def test_example_plugin_appears_with_its_own_provenance(installed_example):
    rows = zkml_plugins_json(installed_example)
    (row,) = [r for r in rows if r["name"] == "LeakyRelu"]
    assert row == {"name": "LeakyRelu", "kind": "layer", "version": "0.1.0",
                   "package": "zkml-plugin-example",
                   "module": "zkml_plugin_example.leaky_relu", "status": "ok"}


def test_example_plugin_absent_when_not_installed_or_blocked(installed_example):
    assert not [r for r in zkml_plugins_json(None) if r["package"] == "zkml-plugin-example"]
    blocked = zkml_plugins_json(installed_example, ZKML_BLOCK_PLUGINS="zkml-plugin-example")
    assert not [r for r in blocked if r["package"] == "zkml-plugin-example"]
    off = zkml_plugins_json(installed_example, ZKML_DISABLE_PLUGIN_AUTOLOAD="1")
    assert off == []


@given(st.lists(st.integers(-10**6, 10**6), min_size=1, max_size=50),
       st.integers(0, 100), st.integers(1, 100))
@example(xs=[-1275], num=93, den=90)  # an exact half, which floats put a hair above 1/2
def test_example_layer_int_semantics_track_float(xs, num, den):
    sys.path.insert(0, str(EXAMPLE))
    try:
        from zkml_plugin_example.leaky_relu import LeakyRelu
    finally:
        sys.path.remove(str(EXAMPLE))
    layer = LeakyRelu([num, den])
    x = np.array(xs, dtype=np.int64)
    (yi,) = layer.forward_int([x], None)
    (yf,) = layer.forward_float([x.astype(np.float64)], None)
    # round half up: the integer result is within 1/2 of the exact value (a Fraction:
    # floats put an exact half a hair above 1/2 away), and the float within rounding of it
    for a, b, c in zip(xs, yi.tolist(), yf.tolist(), strict=True):
        exact = Fraction(a * num, den) if a < 0 else Fraction(a)
        assert abs(b - exact) <= Fraction(1, 2)
        assert abs(c - exact) <= 1e-9 * max(1, abs(a))
    assert np.all(yi[x >= 0] == x[x >= 0])


# A third party's op, end to end: a TFLite model with CONV_2D and LEAKY_RELU (not built
# in) converts, proves and verifies only when the example plugin is installed.
PROVE_SCRIPT = r"""
import json, sys
from zkml_core.arith.field import BN254_FR
from zkml_core.dev.mock import MockProver
from zkml_core.model import load_input, load_model
from zkml_core.model.circuit import ModelCircuit
from zkml_core.plonk import create_proof, keygen_pk, keygen_vk, verify_proof
from zkml_core.plonk.circuit import rows_needed
from zkml_core.plugins import Registry

reg = Registry()
backend = reg.backends()["kzg"]()
model, inputs = load_model(sys.argv[1]), load_input(sys.argv[2])
c = ModelCircuit(model, reg.layers(), reg.gadgets(), inputs=inputs, field=BN254_FR)
k = max(rows_needed(c)[1], model.k)
inst = c.instances(BN254_FR)
failures = MockProver(c, inst, k=k, field=BN254_FR).verify()
params = backend.setup(k)
vk = keygen_vk(backend, params, c)
proof = create_proof(backend, params, keygen_pk(backend, params, c, vk), c, inst)
bad = [list(inst[0])]
bad[0][-1] = (bad[0][-1] + 1) % BN254_FR.p
print(json.dumps({"layers": model.layer_types(), "mock_failures": len(failures),
                  "verified": verify_proof(backend, params, vk, proof, inst),
                  "wrong_output_verified": verify_proof(backend, params, vk, proof, bad),
                  "outputs": [v - BN254_FR.p if v > BN254_FR.p // 2 else v
                              for v in inst[0][-8:]]}))
"""


def _leaky_model(path: Path) -> np.ndarray:
    from zkml_core.convert.tflite_writer import TFLiteWriter

    rng = np.random.default_rng(5)
    w = TFLiteWriter()
    x = w.add_input("x", (1, 4, 4, 1))
    k = w.add_constant("k", rng.normal(0, 0.5, (2, 3, 3, 1)).astype(np.float32))
    b = w.add_constant("b", np.array([0.1, -0.2], np.float32))
    y = w.add_tensor("y", (1, 2, 2, 2))
    z = w.add_tensor("z", (1, 2, 2, 2))
    w.add_op("CONV_2D", [x, k, b], [y])
    w.add_op("LEAKY_RELU", [y], [z], alpha=0.25)
    w.mark_output(z)
    path.write_bytes(w.to_bytes())
    return rng.uniform(-1, 1, (1, 4, 4, 1)).astype(np.float32)


def _zkml(args, extra_path, check=True):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "ZKML_BLOCK_PLUGINS", "ZKML_DISABLE_PLUGIN_AUTOLOAD")}
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    return subprocess.run([sys.executable, "-m", "zkml_core", *args], capture_output=True,
                          text=True, env=env, check=check)


def test_third_party_op_converts_proves_and_verifies_with_the_plugin(installed_example,
                                                                     tmp_path):
    tfl, model, inp = tmp_path / "leaky.tflite", tmp_path / "m.msgpack", tmp_path / "i.msgpack"
    x = _leaky_model(tfl)
    np.save(tmp_path / "x.npy", x)
    # without the plugin: one clear error naming the op
    out = _zkml(["convert", str(tfl), "-o", str(model)], None, check=False)
    assert out.returncode != 0 and "LEAKY_RELU" in out.stderr and "Traceback" not in out.stderr
    assert not model.exists()
    _zkml(["convert", str(tfl), "-o", str(model), "--k", "12"], installed_example)
    _zkml(["input", "--model", str(model), "-o", str(inp), str(tmp_path / "x.npy")],
          installed_example)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(installed_example)
    res = subprocess.run([sys.executable, "-c", PROVE_SCRIPT, str(model), str(inp)],
                         capture_output=True, text=True, env=env, check=True)
    got = json.loads(res.stdout.strip().splitlines()[-1])
    assert "LeakyRelu" in got["layers"]
    assert got["mock_failures"] == 0
    assert got["verified"] is True and got["wrong_output_verified"] is False
    # the proved outputs against an independent float reference (numpy), within the
    # rounding of the conv (0.5/sf), the slope (0.5/sf) and the input/weight quantisation
    from zkml_core.model import load_model

    sf = load_model(model).global_sf
    kernel = np.random.default_rng(5).normal(0, 0.5, (2, 3, 3, 1))
    conv = np.array([[[[np.sum(x[0, i:i + 3, j:j + 3, 0] * kernel[o, :, :, 0]) + [0.1, -0.2][o]
                        for o in range(2)] for j in range(2)] for i in range(2)]])
    ref = np.where(conv >= 0, conv, 0.25 * conv).reshape(-1)
    assert np.abs(np.array(got["outputs"]) / sf - ref).max() <= 12 / sf
