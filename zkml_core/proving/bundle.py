"""Proof bundles: a directory holding everything a verifier needs (``docs/proving.md``).

::

    DIR/proof.bin     the proof (zkml_core.plonk proof bytes)
    DIR/vk.bin        the verifying key (VerifyingKey.to_bytes)
    DIR/params.bin    the backend's verifier params (Backend.verifier_params_to_bytes)
    DIR/public.json   backend, k, visibility, the instance values, how they split into
                      tensors, the decoded inputs and outputs, the model file's name/sha256

A bundle is written into a temporary directory next to ``DIR`` and renamed into place at
the end (:func:`staging_dir`), so an error or Ctrl-C never leaves a partial bundle.
:func:`parse_public` validates ``public.json`` against the schema and turns every
problem into one :class:`SerializationError` naming the file and the key.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from zkml_core.errors import SerializationError, ZkmlError

FORMAT = "zkml-proof-bundle"
VERSION = 1
PROOF, VK, PARAMS, PUBLIC = "proof.bin", "vk.bin", "params.bin", "public.json"
FILES = (PROOF, VK, PARAMS, PUBLIC)
GROUP_NAMES = ("input", "weights", "output")
#: what public.json calls the decoded tensors of the public input / output groups
DECODED = {"input": "inputs", "output": "outputs"}


@attrs.define
class BundlePaths:
    """Where each bundle file is read from (``zkml verify DIR`` or ``--proof/--vk/...``)."""

    proof: Path
    vk: Path
    params: Path
    public: Path
    #: True when params came from ``--params`` (a whole params file is accepted there)
    params_given: bool = False

    @classmethod
    def resolve(cls, directory: Path | None, proof: Path | None = None, vk: Path | None = None,
                params: Path | None = None, public: Path | None = None) -> BundlePaths:
        given = {"proof": proof, "vk": vk, "params": params, "public": public}
        if directory is None:
            missing = [f"--{name}" for name, p in given.items() if p is None]
            if missing:
                raise ZkmlError(f"give the bundle directory, or {', '.join(missing)} as well")
            return cls(**given, params_given=True)
        directory = Path(directory)
        if not directory.is_dir():
            raise ZkmlError(f"{directory} is not a directory (a proof bundle written by "
                            "`zkml prove --out DIR`)")
        defaults = {"proof": PROOF, "vk": VK, "params": PARAMS, "public": PUBLIC}
        return cls(**{name: p if p is not None else directory / defaults[name]
                      for name, p in given.items()}, params_given=params is not None)


def read_file(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SerializationError(f"cannot read {path}: {exc.strerror or exc}") from None


# ---- writing ---------------------------------------------------------------------------

def _looks_like_bundle(directory: Path) -> bool:
    """Empty, or only bundle files: safe for ``--force`` to replace."""
    return all(p.name in FILES for p in directory.iterdir())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def staging_dir(target: Path, force: bool = False) -> Iterator[Path]:
    """A fresh directory next to ``target``; on a normal exit it becomes ``target``, on
    any exception (Ctrl-C included) it is removed. ``force`` replaces an existing
    bundle (never a directory holding other files)."""
    target = Path(target)
    if target.exists():
        if not target.is_dir():
            raise ZkmlError(f"{target} exists and is not a directory; choose another --out")
        if not force:
            raise ZkmlError(f"{target} already exists; remove it, choose another --out, or pass "
                            "--force to replace the bundle in it")
        if not _looks_like_bundle(target):
            raise ZkmlError(f"{target} holds files that are not part of a proof bundle; "
                            "--force only replaces bundles")
    parent = target.parent
    if not parent.is_dir():
        raise ZkmlError(f"the directory {parent} does not exist; create it first")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    except OSError as exc:
        raise ZkmlError(f"cannot write in {parent}: {exc.strerror or exc}") from None
    try:
        yield tmp
        for f in tmp.iterdir():
            _fsync(f)
        if target.exists():  # --force: swap, then drop the old bundle
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=parent))
            os.replace(target, old / "bundle")
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, target)
        _fsync(parent)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ZkmlError(f"cannot write the bundle {target}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_files(directory: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (Path(directory) / name).write_bytes(data)


def dumps(obj: dict[str, Any]) -> str:
    """JSON with one top-level key a line and each value compact: tensors stay readable."""
    lines = [f" {json.dumps(key)}: {json.dumps(value, separators=(', ', ': '))}"
             for key, value in obj.items()]
    return "{\n" + ",\n".join(lines) + "\n}"


def public_to_bytes(public: dict[str, Any]) -> bytes:
    return (dumps(public) + "\n").encode()


# ---- public.json -----------------------------------------------------------------------

class _Checker:
    """Type checks that raise one SerializationError naming the file and the key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, what: str) -> SerializationError:
        return SerializationError(f"{self.path}: {where} {what}")

    def get(self, obj: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
        if not isinstance(obj, dict) or key not in obj:
            raise self.fail(where, f"has no key {key!r}")
        value = obj[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(f"{where}.{key}", f"must be {names}, got {type(value).__name__}")
        return value

    def nat(self, obj: Any, key: str, where: str) -> int:
        value = self.get(obj, key, int, where)
        if value < 0:
            raise self.fail(f"{where}.{key}", f"must be >= 0, got {value}")
        return value

    def shape(self, obj: Any, where: str) -> tuple[int, ...]:
        shape = self.get(obj, "shape", list, where)
        if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
            raise self.fail(f"{where}.shape", "must be a list of non-negative integers")
        return tuple(shape)


def parse_public(data: bytes, path: Path) -> dict[str, Any]:
    """``public.json`` checked against the schema (types, layout arithmetic); the
    instance values are returned as ints in ``["instance_ints"]``. Field ranges and the
    decoded tensors are checked by the verifier, which knows the field."""
    c = _Checker(path)
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SerializationError(f"{path}: not valid JSON ({exc}); the file is damaged") from None
    if not isinstance(obj, dict):
        raise SerializationError(f"{path}: expected a JSON object")
    if obj.get("format") != FORMAT:
        raise SerializationError(f"{path}: not a zkml proof bundle's public.json "
                                 f"(format {obj.get('format')!r}, expected {FORMAT!r})")
    version = c.get(obj, "version", int, "public.json")
    if version != VERSION:
        raise SerializationError(f"{path}: bundle format version {version} is not supported "
                                 f"(this zkml reads {VERSION})")
    c.get(obj, "backend", str, "public.json")
    c.nat(obj, "k", "public.json")
    vis = c.get(obj, "visibility", dict, "public.json")
    for group in GROUP_NAMES:
        c.get(vis, group, str, "visibility")
    model = c.get(obj, "model", dict, "public.json")
    sf = c.get(model, "scale_factor", int, "model")
    if sf <= 0:
        raise c.fail("model.scale_factor", f"must be positive, got {sf}")
    for idx, q in (model.get("quantization") or {}).items():
        ok = (isinstance(q, list) and len(q) == 2 and isinstance(q[0], (int, float))
              and not isinstance(q[0], bool) and q[0] > 0 and isinstance(q[1], int)
              and not isinstance(q[1], bool) and idx.isdigit())
        if not ok:
            raise c.fail(f"model.quantization[{idx!r}]",
                         "must be [scale > 0, integer zero point] under a tensor index")
    columns = c.get(obj, "instances", list, "public.json")
    ints: list[list[int]] = []
    for i, col in enumerate(columns):
        if not isinstance(col, list):
            raise c.fail(f"instances[{i}]", "must be a list of decimal strings")
        try:
            ints.append([_decimal(v) for v in col])
        except ValueError as exc:
            raise c.fail(f"instances[{i}]", str(exc)) from None
    groups = c.get(obj, "groups", list, "public.json")
    offset = 0
    for i, g in enumerate(groups):
        where = f"groups[{i}]"
        name = c.get(g, "group", str, where)
        gvis = c.get(g, "visibility", str, where)
        if name not in GROUP_NAMES or vis[name] != gvis or gvis not in ("public", "hashed"):
            raise c.fail(where, f"names group {name!r} with visibility {gvis!r}, which does "
                                "not match the visibility map")
        if c.nat(g, "offset", where) != offset:
            raise c.fail(f"{where}.offset", f"must be {offset} (groups are contiguous)")
        length = c.nat(g, "length", where)
        want = 0
        for j, t in enumerate(c.get(g, "tensors", list, where)):
            c.get(t, "idx", int, f"{where}.tensors[{j}]")
            want += math.prod(c.shape(t, f"{where}.tensors[{j}]"))
        if gvis == "hashed":  # one commitment stands for the whole group
            want = 1
        if length != want:
            raise c.fail(f"{where}.length", f"is {length}, but its tensors take {want} values")
        offset += length
    if len(ints) != 1 or len(ints[0]) != offset:
        got = [len(col) for col in ints]
        raise c.fail("instances", f"must be one column of {offset} values (the groups' total), "
                                  f"got columns of {got}")
    for name in DECODED.values():
        for j, t in enumerate(c.get(obj, name, list, "public.json")):
            c.shape(t, f"{name}[{j}]")
            c.get(t, "idx", int, f"{name}[{j}]")
            c.get(t, "values", (list, int), f"{name}[{j}]")
            c.get(t, "scaled", (list, int, float), f"{name}[{j}]")
    obj["instance_ints"] = ints
    return obj


def _decimal(v: Any) -> int:
    if not isinstance(v, str) or not v.isdigit() or not v.isascii() or (len(v) > 1 and v[0] == "0"):
        raise ValueError(f"holds {v!r}: instance values are canonical decimal strings")
    return int(v)
