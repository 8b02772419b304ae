"""The zkml command line: help, plugins listing, error handling."""

from __future__ import annotations

import json

import pytest

from zkml_core.cli import CORE_COMMANDS, CommandRegistry, main
from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl


def registry_with(reg, make_layer, plugin_module, *layers, package="acme"):
    reg.register(plugin_module("m_" + "_".join(layers),
                               zkml_register_layers=[make_layer(n) for n in layers]),
                 package=package, version="0.9")
    return reg


def test_help_lists_commands(zkml_empty_registry, capsys):
    with pytest.raises(SystemExit) as ex:
        main(["--help"], registry=zkml_empty_registry)
    assert ex.value.code == 0
    out = capsys.readouterr().out
    assert "plugins" in out and "zkml COMMAND --help" in out


def test_plugins_json_has_exactly_the_documented_keys(zkml_cli, zkml_empty_registry, make_layer, plugin_module):
    registry_with(zkml_empty_registry, make_layer, plugin_module, "Conv2D", "Add")
    code, out, err = zkml_cli("plugins", "--json", registry=zkml_empty_registry)
    assert code == 0 and err == ""
    rows = json.loads(out)
    assert [r["name"] for r in rows] == ["Add", "Conv2D"]
    for r in rows:
        assert set(r) == {"name", "kind", "version", "package", "module", "status"}
        assert r["package"] == "acme" and r["version"] == "0.9" and r["kind"] == "layer"


def test_plugins_table_and_kind_filter(zkml_cli, zkml_empty_registry, make_layer, plugin_module):
    registry_with(zkml_empty_registry, make_layer, plugin_module, "Conv2D")
    code, out, _ = zkml_cli("plugins", registry=zkml_empty_registry)
    assert code == 0
    header, row = out.strip().splitlines()
    assert header.split() == ["NAME", "KIND", "VERSION", "PACKAGE", "MODULE", "STATUS"]
    assert row.split()[:4] == ["Conv2D", "layer", "0.9", "acme"] and row.split()[-1] == "ok"
    code, out, _ = zkml_cli("plugins", "--kind", "backend", "--json", registry=zkml_empty_registry)
    assert code == 0 and json.loads(out) == []


def test_broken_plugin_shows_error_status_and_exit_zero(zkml_cli, zkml_empty_registry, plugin_module):
    zkml_empty_registry.register(plugin_module("bad", zkml_register_layers=ValueError("bad weights")),
                                 package="bad-dist")
    code, out, _ = zkml_cli("plugins", "--json", registry=zkml_empty_registry)
    assert code == 0
    (row,) = json.loads(out)
    assert row["status"] == "error: ValueError: bad weights"


def test_zkml_error_is_one_line_and_nonzero(zkml_cli, zkml_empty_registry):
    def fail(args, registry):
        raise ModelError("model.msgpack: key 'layers' is missing")

    def add(cli: CommandRegistry):
        cli.command("explode", help="fails").set_defaults(func=fail)

    CORE_COMMANDS.append(add)
    try:
        code, out, err = zkml_cli("explode", registry=zkml_empty_registry)
    finally:
        CORE_COMMANDS.remove(add)
    assert code != 0 and out == ""
    assert err == "zkml: error: model.msgpack: key 'layers' is missing\n"


def test_plugins_can_add_commands(zkml_cli, zkml_empty_registry, plugin_module):
    mod = plugin_module("cmdplug")

    @hookimpl
    def zkml_register_commands(cli):
        p = cli.command("hello", help="say hello")
        p.add_argument("who")
        p.set_defaults(func=lambda args, registry: print(f"hello {args.who}") or 0)

    mod.zkml_register_commands = zkml_register_commands
    zkml_empty_registry.register(mod)
    code, out, _ = zkml_cli("hello", "world", registry=zkml_empty_registry)
    assert code == 0 and out == "hello world\n"


def test_no_command_prints_help_and_fails(zkml_cli, zkml_empty_registry):
    code, out, _ = zkml_cli(registry=zkml_empty_registry)
    assert code == 2 and "usage: zkml" in out


def test_warmup_compiles_every_kernel_group(zkml_cli, zkml_empty_registry):
    from zkml_core.arith.compile_all import GROUPS

    code, out, _ = zkml_cli("warmup", "--json", registry=zkml_empty_registry)
    assert code == 0
    assert set(json.loads(out)["seconds"]) == {name for name, _ in GROUPS}
