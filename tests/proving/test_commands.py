"""``zkml inspect``, ``zkml mock``, ``zkml setup``, and the layout choice (k, columns)."""

from __future__ import annotations

import json
import types

import numpy as np
import pytest
from proving_helpers import MNIST, run, write_model

from zkml_core.hookspecs import hookimpl
from zkml_core.interfaces import Layer
from zkml_core.model import LayerSpec, Model, Tensor, save_input, save_model
from zkml_core.plonk.layouter import Assigned
from zkml_core.plugins import Registry

INSPECT_KEYS = {"model", "scale_factor", "backend", "visibility", "layers", "gadgets", "rows",
                "columns", "k", "instance_values"}


def one_error_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("zkml: error: "), err
    return err


# ---- inspect ---------------------------------------------------------------------------

def test_inspect_json(registry, tiny):
    code, out, err = run("inspect", tiny[0], "--json", registry=registry)
    assert code == 0, err
    info = json.loads(out)
    assert set(info) == INSPECT_KEYS
    (layer,) = info["layers"]
    assert layer == {"index": 0, "type": "Conv2D", "inputs": [[1, 4, 4, 1], [2, 3, 3, 1], [2]],
                     "outputs": [[1, 2, 2, 2]], "live": True, "rows": layer["rows"]}
    assert layer["rows"] > 0
    rows = info["rows"]
    assert rows["layers"] == layer["rows"]
    assert rows["regions"] == rows["layers"] + rows["inputs_and_weights"]
    assert rows["total"] == max(rows["regions"], rows["table"], rows["constants"])
    assert info["columns"]["num_cols"] == 6 and info["columns"]["instance"] == 1
    assert info["k"] == {"needed": 8, "model": 8, "circuit": 8, "fits": True, "hint": None}
    assert {"input_lookup", "freivalds", "bias_div_round_relu6"} <= set(info["gadgets"])
    assert info["instance_values"] == 16 + 8  # public input and output
    code, out, _ = run("inspect", tiny[0], registry=registry)
    assert code == 0 and "Conv2D" in out and "k: needed 8, model 8, circuit 8" in out


def test_inspect_skipped_layer(registry, tmp_path):
    """A layer no output depends on is shown as skipped, with no rows."""
    x = Tensor(idx=1, shape=(1, 4), data=np.arange(4))
    model = Model(global_sf=4, k=8, num_cols=6, inp_idxes=[0], out_idxes=[2], tensors=[x],
                  layers=[LayerSpec(layer_type="Add", params=[0], inp_idxes=[0, 1],
                                    inp_shapes=[(1, 4), (1, 4)], out_idxes=[2],
                                    out_shapes=[(1, 4)]),
                          LayerSpec(layer_type="Add", params=[0], inp_idxes=[0, 1],
                                    inp_shapes=[(1, 4), (1, 4)], out_idxes=[3],
                                    out_shapes=[(1, 4)])])
    save_model(model, tmp_path / "m.msgpack")
    code, out, err = run("inspect", tmp_path / "m.msgpack", "--json", registry=registry)
    assert code == 0, err
    live, dead = json.loads(out)["layers"]
    assert live["live"] and live["rows"] > 0
    assert not dead["live"] and dead["rows"] is None


def test_layout_that_does_not_fit_says_what_would(registry, tmp_path):
    """8x8 input, 4 channels, 5 columns: too many rows for k = 8. The error names the k
    that fits and the fewest columns that fit k = 8, and both suggestions do fit."""
    model, inp = write_model(tmp_path, seed=3, size=8, channels=4, num_cols=5)
    code, out, err = run("inspect", model, "--json", registry=registry)
    assert code == 0, err
    k = json.loads(out)["k"]
    assert not k["fits"] and k["needed"] > 8 and k["circuit"] is None
    hint = k["hint"]
    cols = int(hint.split("--num-cols ")[1].split()[0])
    assert f"--k {k['needed']}" in hint
    code, _, err = run("mock", model, inp, registry=registry)
    assert code == 1 and "--num-cols" in one_error_line(err)
    # the suggestions fit, one column fewer does not
    for flags, fits in ((["--k", str(k["needed"])], True), (["--k", "auto"], True),
                        (["--num-cols", str(cols)], True), (["--num-cols", str(cols - 1)], False)):
        code, out, _ = run("inspect", model, "--json", *flags, registry=registry)
        assert code == 0 and json.loads(out)["k"]["fits"] is fits, flags
    code, out, err = run("mock", model, inp, "--num-cols", str(cols), "--json", registry=registry)
    assert code == 0 and json.loads(out)["k"] == 8, err


def test_range_table_limit_is_named(registry, tiny):
    code, out, _ = run("inspect", tiny[0], "--k", "7", "--json", registry=registry)
    assert code == 0
    hint = json.loads(out)["k"]["hint"]
    assert "range table alone" in hint and "--k 8" in hint


# ---- mock ------------------------------------------------------------------------------

def test_mock_honest(registry, tiny):
    code, out, err = run("mock", *tiny, "--json", registry=registry)
    assert code == 0, err
    result = json.loads(out)
    assert set(result) == {"ok", "k", "num_cols", "failure_count", "failures", "timings"}
    assert result["ok"] and result["failure_count"] == 0 and result["failures"] == []
    assert {"witness", "mock"} <= set(result["timings"])
    code, out, _ = run("mock", *tiny, registry=registry)
    assert code == 0 and out.startswith("every constraint holds")


class Liar(Layer):
    """forward_int is the identity; the circuit adds a constant-1 cell while claiming
    its value is 0 (the copy into the add gadget's operand cell breaks)."""

    name = "Liar"
    description = "test layer with a broken copy constraint"

    def forward_int(self, inputs, ctx):
        return [inputs[0]]

    forward_float = forward_int

    def gadgets(self, ctx):
        return ["add_pairs"]

    def synthesize(self, inputs, ctx):
        x = inputs[0]
        one = ctx.constant(np.ones(x.shape, np.int64))
        lie = Assigned(one.cells, np.zeros(x.shape, np.int64))
        return [ctx.gadget("add_pairs").assign(ctx.layouter, x, lie)]


@pytest.fixture(scope="module")
def liar_registry():
    reg = Registry(autoload=True, blocked=())
    mod = types.ModuleType("liar_plugin")
    mod.zkml_register_layers = hookimpl(lambda: [Liar])
    mod.zkml_register_layers.__name__ = "zkml_register_layers"
    reg.register(mod, package="test-liar")
    return reg


def test_mock_reports_failures_and_exits_2(liar_registry, tmp_path):
    model = Model(global_sf=4, k=8, num_cols=6, inp_idxes=[0], out_idxes=[1],
                  layers=[LayerSpec(layer_type="Liar", inp_idxes=[0], inp_shapes=[(1, 3)],
                                    out_idxes=[1], out_shapes=[(1, 3)])])
    save_model(model, tmp_path / "m.msgpack")
    save_input([Tensor(idx=0, shape=(1, 3), data=np.array([1, 2, 3]))], tmp_path / "i.msgpack")
    code, out, err = run("mock", tmp_path / "m.msgpack", tmp_path / "i.msgpack", "--json",
                         registry=liar_registry)
    assert code == 2
    result = json.loads(out)
    assert not result["ok"] and result["failure_count"] >= 3
    assert all(f.startswith("copy") for f in result["failures"])
    assert "3 failing constraints" in one_error_line(err)
    code, out, err = run("mock", tmp_path / "m.msgpack", tmp_path / "i.msgpack",
                         registry=liar_registry)
    assert code == 2 and out.splitlines()[0].startswith("copy")
    # prove makes a proof, its check of the written bundle rejects it: nothing is left
    code, _, err = run("prove", tmp_path / "m.msgpack", tmp_path / "i.msgpack", "--out",
                       tmp_path / "b", registry=liar_registry)
    assert code == 2 and "zkml mock" in one_error_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["i.msgpack", "m.msgpack"]


def test_private_weights_warn_once(registry, tiny):
    code, out, err = run("mock", *tiny, "--weights-visibility", "private", registry=registry)
    assert code == 0, err
    assert err.count("zkml: warning: weights visibility 'private'") == 1


def test_unknown_backend_and_bad_k(registry, tiny):
    code, _, err = run("mock", *tiny, "--backend", "nope", registry=registry)
    assert code == 1 and "'nope'" in one_error_line(err)
    with pytest.raises(SystemExit):
        run("mock", *tiny, "--k", "big", registry=registry)


@pytest.mark.skipif(not (MNIST / "model.msgpack").is_file(),
                    reason=f"the zkml MNIST fixture is not at {MNIST} (../shared)")
def test_mnist_inspect_and_mock(registry):
    code, out, err = run("inspect", MNIST / "model.msgpack", "--json", registry=registry)
    assert code == 0, err
    info = json.loads(out)
    assert len(info["layers"]) == 16 and all(r["live"] for r in info["layers"])
    assert info["k"]["model"] == 15 and info["k"]["fits"] and info["columns"]["num_cols"] == 7
    assert info["instance_values"] == 28 * 28 + 10
    code, out, err = run("mock", MNIST / "model.msgpack", MNIST / "inp.msgpack", "--json",
                         registry=registry)
    assert code == 0, err
    assert json.loads(out)["ok"]


def test_layout_fit_climbs_past_a_k_that_refuses_the_scale_factor(registry, tmp_path):
    """fit_model_layout on the MNIST model with k 9: its scale factor 512 is beyond the
    division gadget's remainder check there (a refusal, not a row count), so k climbs
    until a layout exists; the result passes zkml mock, and one k less does not fit."""
    import attrs

    from zkml_core.model import load_model
    from zkml_core.proving.pipeline import fit_model_layout

    model, layout = fit_model_layout(attrs.evolve(load_model(MNIST / "model.msgpack"), k=9),
                                     registry)
    assert layout is not None and layout.rows <= 2 ** model.k
    save_model(model, tmp_path / "m.msgpack")
    code, out, err = run("mock", tmp_path / "m.msgpack", MNIST / "inp.msgpack", "--json",
                         registry=registry)
    assert code == 0 and json.loads(out)["k"] == model.k, err
    code, out, err = run("inspect", tmp_path / "m.msgpack", "--k", str(model.k - 1), "--json",
                         registry=registry)
    assert code != 0 or not json.loads(out)["k"]["fits"], out


# ---- setup -----------------------------------------------------------------------------

@pytest.mark.parametrize("backend,warns", [("kzg", True), ("ipa", False)])
def test_setup(registry, tmp_path, backend, warns):
    path = tmp_path / "p.params"
    code, out, err = run("setup", "--k", "4", "--backend", backend, "-o", path, "--json",
                         registry=registry)
    assert code == 0, err
    summary = json.loads(out)
    assert summary["k"] == 4 and summary["bytes"] == path.stat().st_size
    assert ("test setup" in err) is warns
    b = registry.backends()[backend]()
    assert b.params_from_bytes(path.read_bytes()).k == 4
    code, _, err = run("setup", "--k", "4", "--backend", backend, "-o",
                       tmp_path / "missing" / "p", registry=registry)
    assert code == 1 and "cannot write" in one_error_line(err)


def test_params_fix_k(registry, tiny, tmp_path):
    path = tmp_path / "p7.params"
    assert run("setup", "--k", "7", "-o", path, registry=registry)[0] == 0
    code, _, err = run("prove", *tiny, "--out", tmp_path / "b", "--params", path,
                       registry=registry)
    assert code == 1 and "params are for k = 7" in one_error_line(err)
    code, _, err = run("prove", *tiny, "--out", tmp_path / "b", "--params", path, "--k", "9",
                       registry=registry)
    assert code == 1 and "differs from the params" in one_error_line(err)
    assert not (tmp_path / "b").exists()


# ---- progress --------------------------------------------------------------------------

def test_steps_time_and_show_only_when_asked(capsys):
    import time

    from zkml_core.proving.pipeline import Steps

    quiet = Steps(show=False)
    with quiet("keygen"):
        time.sleep(0.01)
    with quiet("keygen"):  # repeated steps add up
        time.sleep(0.01)
    assert capsys.readouterr().err == "" and quiet.timings["keygen"] >= 0.02
    shown = Steps(show=True)
    with shown("prove"):
        time.sleep(0.6)
    err = capsys.readouterr().err
    assert "prove ... 0." in err and err.rstrip().endswith("s") and err.endswith("\n")
    assert set(shown.timings) == {"prove"}
    with shown("prove"):  # a step with stages shows a bar
        shown.report("quotient", 3, 6)
        time.sleep(0.6)
    err = capsys.readouterr().err
    assert "prove [##########..........] 3/6 quotient 0." in err
