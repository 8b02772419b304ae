"""Plugin manager: discovery, provenance, isolation of broken plugins, clashes, order."""

from __future__ import annotations

import importlib.metadata

import pytest

from zkml_core import plugins as plugins_mod
from zkml_core.errors import PluginError, UnsupportedError
from zkml_core.interfaces import Backend, Gadget, Layer
from zkml_core.plugins import Registry


def test_registered_contributions_carry_provenance(zkml_empty_registry, make_layer, plugin_module):
    g = type("G", (Gadget,), {"name": "adder"})
    b = type("B", (Backend,), {"name": "toy"})
    mod = plugin_module("acme_plugin", zkml_register_layers=[make_layer("Zeta")],
                        zkml_register_gadgets=[g], zkml_register_backends=[b])
    zkml_empty_registry.register(mod, package="acme-zkml", version="1.2.3")
    rows = [c.as_dict() for c in zkml_empty_registry.contributions()]
    assert {(r["kind"], r["name"]) for r in rows} == {
        ("layer", "Zeta"), ("gadget", "adder"), ("backend", "toy")}
    for r in rows:
        assert r["package"] == "acme-zkml" and r["version"] == "1.2.3"
        assert r["status"] == "ok"
    assert zkml_empty_registry.get("gadget", "adder") is g


def test_iteration_is_sorted_by_name_not_registration_order(zkml_empty_registry, make_layer, plugin_module):
    names = ["Mul", "Add", "Conv2D", "Zed", "Bee"]
    for i, n in enumerate(names):
        zkml_empty_registry.register(plugin_module(f"p{i}", zkml_register_layers=[make_layer(n)]))
    assert list(zkml_empty_registry.layers()) == sorted(names)


def test_duplicate_names_raise_naming_both_packages(zkml_empty_registry, make_layer, plugin_module):
    zkml_empty_registry.register(plugin_module("one", zkml_register_layers=[make_layer("Dup")]),
                                 package="dist-one")
    zkml_empty_registry.register(plugin_module("two", zkml_register_layers=[make_layer("Dup")]),
                                 package="dist-two")
    with pytest.raises(PluginError) as err:
        zkml_empty_registry.layers()
    assert "dist-one" in str(err.value) and "dist-two" in str(err.value)


def test_same_name_in_different_kinds_is_fine(zkml_empty_registry, make_layer, plugin_module):
    g = type("G", (Gadget,), {"name": "Relu"})
    zkml_empty_registry.register(plugin_module("m", zkml_register_layers=[make_layer("Relu")],
                                               zkml_register_gadgets=[g]))
    assert "Relu" in zkml_empty_registry.layers() and "Relu" in zkml_empty_registry.gadgets()


def test_failing_hook_is_recorded_and_others_still_load(zkml_empty_registry, make_layer, plugin_module):
    zkml_empty_registry.register(plugin_module("bad", zkml_register_layers=RuntimeError("boom")),
                                 package="bad-dist")
    zkml_empty_registry.register(plugin_module("good", zkml_register_layers=[make_layer("Fine")]))
    rows = zkml_empty_registry.contributions()
    bad = [r for r in rows if r.package == "bad-dist"]
    assert len(bad) == 1 and bad[0].status.startswith("error: RuntimeError: boom")
    assert list(zkml_empty_registry.layers()) == ["Fine"]


@pytest.mark.parametrize("bad, fragment", [
    (lambda ml: [type("NoName", (Layer,), {})], "needs a class attribute 'name'"),
    (lambda ml: [type("Wrong", (Gadget,), {"name": "x"})], "is not a zkml_core.interfaces.Layer"),
    (lambda ml: [ml("ok")(None)], "must return classes"),
    (lambda ml: [type("Sp", (Layer,), {"name": "has space"})], "needs a class attribute 'name'"),
])
def test_invalid_contributions_are_rejected_with_a_clear_error(
        zkml_empty_registry, bad, fragment, plugin_module, make_layer):
    zkml_empty_registry.register(plugin_module("m", zkml_register_layers=bad(make_layer)), package="d")
    (row,) = zkml_empty_registry.contributions()
    assert row.status.startswith("error:") and fragment in row.status
    assert zkml_empty_registry.layers() == {}


def test_unknown_name_lists_what_is_installed(zkml_empty_registry, make_layer, plugin_module):
    zkml_empty_registry.register(plugin_module("m", zkml_register_layers=[make_layer("Add")]))
    with pytest.raises(UnsupportedError, match=r"'Nope'.*installed: Add.*zkml plugins"):
        zkml_empty_registry.get("layer", "Nope")


class FakeDist:
    def __init__(self, name, version):
        self.metadata = {"Name": name}
        self.version = version


class FakeEntryPoint:
    def __init__(self, name, value, loader, dist):
        self.name, self.value, self._loader, self.dist = name, value, loader, dist

    def load(self):
        return self._loader()


def fake_entry_points(monkeypatch, eps):
    def entry_points(group):
        assert group == "zkml"
        return list(eps)
    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)


def test_entry_point_discovery_is_lazy_and_soft(monkeypatch, make_layer, plugin_module):
    loaded = []
    good = plugin_module("good_ep", zkml_register_layers=[make_layer("FromEP")])

    def load_good():
        loaded.append("good")
        return good

    def load_broken():
        raise ImportError("No module named 'missing_dep'")

    fake_entry_points(monkeypatch, [
        FakeEntryPoint("broken", "broken_mod", load_broken, FakeDist("broken-dist", "0.1")),
        FakeEntryPoint("good", "good_ep", load_good, FakeDist("good-dist", "2.0")),
    ])
    reg = Registry(autoload=True, blocked=())
    assert loaded == []  # nothing imported until asked
    rows = {r.name: r for r in reg.contributions()}
    assert loaded == ["good"]
    assert rows["FromEP"].package == "good-dist" and rows["FromEP"].version == "2.0"
    assert rows["broken"].status == "error: ImportError: No module named 'missing_dep'"
    assert rows["broken"].package == "broken-dist"


def test_autoload_switch_and_blocking(monkeypatch, make_layer, plugin_module):
    good = plugin_module("good_ep", zkml_register_layers=[make_layer("FromEP")])
    fake_entry_points(monkeypatch, [
        FakeEntryPoint("good", "good_ep", lambda: good, FakeDist("good-dist", "2.0"))])
    monkeypatch.setenv(plugins_mod.AUTOLOAD_ENV, "1")
    assert Registry().layers() == {}
    monkeypatch.delenv(plugins_mod.AUTOLOAD_ENV)
    assert list(Registry().layers()) == ["FromEP"]
    monkeypatch.setenv(plugins_mod.BLOCK_ENV, "good-dist")
    assert Registry().layers() == {}
    monkeypatch.setenv(plugins_mod.BLOCK_ENV, "other, good")
    assert Registry().layers() == {}


def test_fixture_registries_are_fresh(zkml_empty_registry):
    assert zkml_empty_registry is not plugins_mod._GLOBAL
    assert zkml_empty_registry.contributions() == []
