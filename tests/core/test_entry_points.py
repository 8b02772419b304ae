"""Every module under plugins/ is its own entry point, and every entry point exists."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def declared_targets() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return dict(data["project"].get("entry-points", {}).get("zkml", {}))


def plugin_modules() -> list[str]:
    mods = []
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        rel = path.relative_to(ROOT / "plugins")
        if path.name.startswith("_") or "tests" in rel.parts:
            continue
        mods.append("zkml_plugins." + ".".join(rel.with_suffix("").parts))
    return mods


def module_path(target: str) -> Path:
    parts = target.split(":")[0].split(".")
    assert parts[0] == "zkml_plugins", f"built-in entry point {target} outside zkml_plugins"
    base = ROOT / "plugins" / Path(*parts[1:]) if len(parts) > 1 else ROOT / "plugins"
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def test_every_plugin_module_has_an_entry_point():
    targets = set(declared_targets().values())
    missing = [m for m in plugin_modules()
               if m not in targets and m.rsplit(".", 1)[0] not in targets]
    assert not missing, f"plugin modules without an entry point in pyproject.toml: {missing}"


def test_every_entry_point_names_an_existing_module():
    for name, target in declared_targets().items():
        assert module_path(target).is_file(), f"entry point {name} = {target}: no such module"


def test_entry_point_packages_register_through_their_own_init():
    # a package entry point (e.g. backends.kzg) must define its hooks in __init__.py
    for name, target in declared_targets().items():
        path = module_path(target)
        assert "hookimpl" in path.read_text(), f"entry point {name} ({path}) defines no hook"


def test_core_never_imports_plugins():
    imports = re.compile(r"^\s*(from|import)\s+zkml_plugins\b|import_module\(.zkml_plugins", re.M)
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "zkml_core").rglob("*.py")
                 if imports.search(p.read_text())]
    assert not offenders, f"zkml_core must not import zkml_plugins: {offenders}"
