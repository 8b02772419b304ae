"""Plugin discovery and the registry of layers, gadgets and backends.

Discovery is lazy (nothing is imported until a registry is first asked) and soft: a
plugin that fails to import or whose hook raises is recorded with its error, and the
others still load. Every contribution remembers where it came from (distribution,
version, module) so ``zkml plugins`` can say so. Iteration is sorted by name, so keys
and proofs never depend on install order.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterable
from typing import Any

import attrs
import pluggy

from zkml_core import hookspecs
from zkml_core.errors import PluginError, UnsupportedError
from zkml_core.interfaces import KINDS, validate_contribution

ENTRY_POINT_GROUP = "zkml"
AUTOLOAD_ENV = "ZKML_DISABLE_PLUGIN_AUTOLOAD"
BLOCK_ENV = "ZKML_BLOCK_PLUGINS"

_HOOKS = {
    "layer": "zkml_register_layers",
    "gadget": "zkml_register_gadgets",
    "backend": "zkml_register_backends",
}


@attrs.frozen
class Contribution:
    """One registered class, or one plugin that failed (``cls`` None, status ``error: ...``)."""

    name: str
    kind: str
    package: str
    version: str
    module: str
    status: str = "ok"
    cls: type | None = attrs.field(default=None, eq=False, repr=False)

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "kind": self.kind,
            "version": self.version,
            "package": self.package,
            "module": self.module,
            "status": self.status,
        }


@attrs.frozen
class _Source:
    package: str
    version: str


def autoload_enabled() -> bool:
    return os.environ.get(AUTOLOAD_ENV, "").strip().lower() not in ("1", "true", "yes")


def blocked_from_env() -> frozenset[str]:
    """Entry-point or distribution names listed (comma-separated) in ``ZKML_BLOCK_PLUGINS``."""
    return frozenset(n.strip() for n in os.environ.get(BLOCK_ENV, "").split(",") if n.strip())


def _short_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


class Registry:
    """A pluggy manager plus the validated contributions of every plugin it holds.

    ``autoload=None`` follows ``ZKML_DISABLE_PLUGIN_AUTOLOAD``; ``blocked=None`` follows
    ``ZKML_BLOCK_PLUGINS`` (entry-point or distribution names never loaded). Plugins
    registered with :meth:`register` are always included, so tests can build a registry
    from explicit modules with autoload off.
    """

    def __init__(self, autoload: bool | None = None,
                 blocked: Iterable[str] | None = None) -> None:
        self.autoload = autoload_enabled() if autoload is None else autoload
        self.blocked = blocked_from_env() if blocked is None else frozenset(blocked)
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self._sources: dict[str, _Source] = {}
        self._load_errors: list[Contribution] = []
        self._discovered = False
        self._contributions: list[Contribution] | None = None

    # -- registration -------------------------------------------------------------

    def register(self, plugin: Any, name: str | None = None, package: str = "(local)",
                 version: str = "") -> None:
        """Register a plugin object (usually a module) directly, outside entry points."""
        plugin_name = name or getattr(plugin, "__name__", None) or repr(plugin)
        self.pm.register(plugin, name=plugin_name)
        self._sources[plugin_name] = _Source(package, version)
        self._contributions = None

    def _discover(self) -> None:
        if self._discovered:
            return
        self._discovered = True
        if not self.autoload:
            return
        eps = sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP),
                     key=lambda ep: (ep.name, ep.value))
        for ep in eps:
            dist = ep.dist
            package = dist.metadata["Name"] if dist is not None else "(unknown)"
            version = dist.version if dist is not None else ""
            plugin_name = f"{package}:{ep.name}"
            if ep.name in self.blocked or package in self.blocked:
                continue
            if self.pm.has_plugin(plugin_name):
                continue
            try:
                plugin = ep.load()
                self.register(plugin, name=plugin_name, package=package, version=version)
            except Exception as exc:  # a broken plugin must not take the others down
                self._load_errors.append(Contribution(
                    name=ep.name, kind="plugin", package=package, version=version,
                    module=ep.value, status=f"error: {_short_error(exc)}"))

    # -- queries ------------------------------------------------------------------

    def contributions(self, kind: str | None = None) -> list[Contribution]:
        """Every contribution (and load failure), sorted by (kind, name)."""
        if self._contributions is None:
            self._discover()
            self._contributions = self._collect()
        if kind is None:
            return list(self._contributions)
        return [c for c in self._contributions if c.kind == kind]

    def _collect(self) -> list[Contribution]:
        found: list[Contribution] = list(self._load_errors)
        by_key: dict[tuple[str, str], Contribution] = {}
        for kind, hook_name in _HOOKS.items():
            hook = getattr(self.pm.hook, hook_name)
            for impl in hook.get_hookimpls():
                source = self._sources.get(impl.plugin_name, _Source("(local)", ""))
                module = getattr(impl.plugin, "__name__", impl.plugin_name)
                try:
                    classes = impl.function() or []
                    if not isinstance(classes, Iterable):
                        raise PluginError(f"{hook_name} returned {classes!r}, not a list")
                    valid = [validate_contribution(kind, c, f"{source.package} ({module})")
                             for c in classes]
                except Exception as exc:
                    found.append(Contribution(
                        name=impl.plugin_name.split(":")[-1], kind=kind,
                        package=source.package, version=source.version, module=module,
                        status=f"error: {_short_error(exc)}"))
                    continue
                for cls in valid:
                    item = Contribution(name=cls.name, kind=kind, package=source.package,
                                        version=source.version, module=cls.__module__, cls=cls)
                    other = by_key.get((kind, cls.name))
                    if other is not None:
                        raise PluginError(
                            f"two plugins register the {kind} {cls.name!r}: "
                            f"{other.package} ({other.module}) and {item.package} "
                            f"({item.module}); uninstall one of them")
                    by_key[(kind, cls.name)] = item
                    found.append(item)
        return sorted(found, key=lambda c: (c.kind, c.name, c.package))

    def classes(self, kind: str) -> dict[str, type]:
        """``name -> class`` for one kind, in name order, working contributions only."""
        if kind not in KINDS:
            raise ValueError(f"unknown plugin kind {kind!r}")
        return {c.name: c.cls for c in self.contributions(kind) if c.cls is not None}

    def layers(self) -> dict[str, type]:
        return self.classes("layer")

    def gadgets(self) -> dict[str, type]:
        return self.classes("gadget")

    def backends(self) -> dict[str, type]:
        return self.classes("backend")

    def get(self, kind: str, name: str) -> type:
        """The class registered as ``name``, or an error listing what is installed."""
        found = self.classes(kind)
        if name in found:
            return found[name]
        known = ", ".join(found) or "none"
        raise UnsupportedError(
            f"no {kind} plugin named {name!r} is installed (installed: {known}); "
            f"run `zkml plugins` to see every plugin and its status")

    def hook(self):
        return self.pm.hook


_GLOBAL: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry used by the CLI (tests use a fresh one per test)."""
    global _GLOBAL
    if _GLOBAL is None:
        _GLOBAL = Registry()
    return _GLOBAL
