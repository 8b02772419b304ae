"""The whole plugin contract: four pluggy hooks of the project ``zkml``.

A plugin is a module (or any object) with functions decorated ``@hookimpl`` and named
after these specs, registered through an entry point of group ``zkml``::

    [project.entry-points.zkml]
    my-layer = "my_package.my_layer"

Every hook is optional for a plugin; all of them are called on every plugin.
"""

from __future__ import annotations

import pluggy

PROJECT = "zkml"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def zkml_register_layers():
    """Return a list of :class:`zkml_core.interfaces.Layer` subclasses (classes, not instances)."""


@hookspec
def zkml_register_gadgets():
    """Return a list of :class:`zkml_core.interfaces.Gadget` subclasses (classes, not instances)."""


@hookspec
def zkml_register_backends():
    """Return a list of :class:`zkml_core.interfaces.Backend` subclasses (classes, not instances)."""


@hookspec
def zkml_register_commands(cli):
    """Add subcommands to the ``zkml`` command line; return nothing.

    ``cli`` is a :class:`zkml_core.cli.CommandRegistry`: call
    ``cli.command(name, help=...)`` to get an ``argparse.ArgumentParser`` for the new
    subcommand and ``parser.set_defaults(func=callable)`` with a function
    ``func(args, registry)`` taking the parsed ``argparse.Namespace`` and the
    :class:`zkml_core.plugins.Registry`, returning an exit code.
    """
