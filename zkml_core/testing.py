"""pytest helpers for zkml and its plugin authors (loaded through the ``pytest11`` entry point).

Fixtures:

- ``zkml_registry``: a fresh :class:`zkml_core.plugins.Registry` that discovers the
  installed entry points, so a test never shares or mutates the CLI's global registry.
- ``zkml_empty_registry``: a fresh registry with entry-point discovery off; register
  the plugin modules under test with ``registry.register(module)``.
- ``zkml_cli``: runs ``zkml`` in-process with a given registry and returns
  ``(exit_code, stdout, stderr)``.
"""

from __future__ import annotations

import pytest

from zkml_core.plugins import Registry


@pytest.fixture
def zkml_registry() -> Registry:
    return Registry(autoload=True, blocked=())


@pytest.fixture
def zkml_empty_registry() -> Registry:
    return Registry(autoload=False)


@pytest.fixture
def zkml_cli(capsys):
    from zkml_core.cli import main

    def run(*argv: str, registry: Registry | None = None):
        code = main(list(argv), registry=registry or Registry(autoload=True, blocked=()))
        out, err = capsys.readouterr()
        return code, out, err

    return run
