"""The third-party example plugin: installed with pip, found through its entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
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
    # round half up: the integer result is within 1/2 of the exact value
    assert np.all(np.abs(yi - yf) <= 0.5)
    assert np.all(yi[x >= 0] == x[x >= 0])
