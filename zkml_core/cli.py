"""The ``zkml`` command line.

Subcommands come from the core (:data:`CORE_COMMANDS`) and from plugins through the
``zkml_register_commands(cli)`` hook. A :class:`ZkmlError` prints one line to stderr
and exits non-zero; a traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from zkml_core import __version__
from zkml_core.errors import ZkmlError
from zkml_core.plugins import Registry, get_registry


class CommandRegistry:
    """What ``zkml_register_commands(cli)`` receives: a way to add subcommands."""

    def __init__(self, subparsers: argparse._SubParsersAction) -> None:
        self._subparsers = subparsers
        self.names: set[str] = set()

    def command(self, name: str, help: str, description: str | None = None) -> argparse.ArgumentParser:
        if name in self.names:
            raise ZkmlError(f"two commands are named {name!r}; a plugin redefines a zkml command")
        self.names.add(name)
        return self._subparsers.add_parser(
            name, help=help, description=description or help,
            formatter_class=argparse.RawDescriptionHelpFormatter)


# -- zkml plugins --------------------------------------------------------------------

_COLUMNS = ("name", "kind", "version", "package", "module", "status")


def format_table(rows: list[dict[str, str]], columns: Sequence[str]) -> str:
    widths = {c: max([len(c)] + [len(r[c]) for r in rows]) for c in columns}
    lines = ["  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip()]
    for r in rows:
        lines.append("  ".join(r[c].ljust(widths[c]) for c in columns).rstrip())
    return "\n".join(lines)


def cmd_plugins(args: argparse.Namespace, registry: Registry) -> int:
    items = registry.contributions()
    if args.kind:
        # a plugin that failed to load has no kind yet; show it under every filter
        items = [c for c in items if c.kind in (args.kind, "plugin")]
    rows = [c.as_dict() for c in items]
    if args.json:
        print(json.dumps(rows, indent=2))
    elif rows:
        print(format_table(rows, _COLUMNS))
    else:
        print("no plugins registered" + (f" of kind {args.kind}" if args.kind else ""))
    return 0


def _add_plugins(cli: CommandRegistry) -> None:
    p = cli.command(
        "plugins", help="list registered layers, gadgets and backends",
        description="List every registered layer, gadget and backend with the "
                    "distribution it came from.\nA plugin that failed to load is shown "
                    "with status 'error: <message>'.")
    p.add_argument("--json", action="store_true",
                   help="print a JSON list of objects with keys " + ", ".join(_COLUMNS))
    p.add_argument("--kind", choices=["layer", "gadget", "backend"], help="only this kind")
    p.set_defaults(func=cmd_plugins)


def _add_version(cli: CommandRegistry) -> None:
    p = cli.command("version", help="print the zkml version")
    p.set_defaults(func=lambda args, registry: print(f"zkml {__version__}") or 0)


def cmd_warmup(args: argparse.Namespace, registry: Registry) -> int:
    from zkml_core.arith import warmup

    def progress(name: str) -> None:
        if not args.json:
            print(f"compiling {name} ...", file=sys.stderr, flush=True)

    times = warmup(progress)
    if args.json:
        print(json.dumps({"seconds": times}))
    else:
        print(f"compiled {len(times)} kernel groups in {sum(times.values()):.1f} s "
              "(cached for later runs; NUMBA_CACHE_DIR sets where)")
    return 0


def _add_warmup(cli: CommandRegistry) -> None:
    p = cli.command(
        "warmup", help="compile the arithmetic engine's kernels once",
        description="Compile every numba kernel of the arithmetic engine (about a minute "
                    "on a fresh install) so later proofs start at once.")
    p.add_argument("--json", action="store_true", help="print seconds per kernel group as JSON")
    p.set_defaults(func=cmd_warmup)


#: functions that add the core's subcommands; other core modules append theirs here
CORE_COMMANDS: list[Callable[[CommandRegistry], None]] = [_add_plugins, _add_version, _add_warmup]

# core modules that append their commands to CORE_COMMANDS when imported
import zkml_core.convert.commands  # noqa: E402, F401  (convert, input)
import zkml_core.proving.commands  # noqa: E402, F401  (inspect, mock, setup, prove, verify)


def build_parser(registry: Registry) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zkml",
        description="Prove in zero knowledge that an ML model's inference was computed "
                    "correctly.\nModels: TFLite (float or int8) or zkml msgpack files. "
                    "Backends: kzg (BN254), ipa (Pasta).",
        epilog="Run 'zkml COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"zkml {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    cli = CommandRegistry(sub)
    for add in CORE_COMMANDS:
        add(cli)
    registry.hook().zkml_register_commands(cli=cli)
    return parser


def main(argv: Sequence[str] | None = None, registry: Registry | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        registry = registry or get_registry()
        parser = build_parser(registry)
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        return int(args.func(args, registry) or 0)
    except ZkmlError as exc:
        if debug:
            raise
        print(f"zkml: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("zkml: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    # `python -m zkml_core.cli`: run the imported module, whose CORE_COMMANDS the command
    # modules extended (this __main__ copy's list holds only the first three commands)
    from zkml_core.cli import main as _imported_main

    sys.exit(_imported_main())
