"""Public instance values to bytes and back.

Format: ``b"ZKMLINS"``, u16 version (1), u32 number of columns, then per column a u32
count followed by that many 32-byte little-endian canonical field elements (all
integers little-endian). Decoding checks the header, every length and that each value is
below the field modulus, raising SerializationError otherwise.
"""

from __future__ import annotations

import struct
from typing import Any

from zkml_core.errors import SerializationError

MAGIC = b"ZKMLINS"
VERSION = 1


def instances_to_bytes(field: Any, instances: list[Any]) -> bytes:
    """One list of ints per instance column (negative values are taken mod p)."""
    p = field.p
    out = [MAGIC, struct.pack("<HI", VERSION, len(instances))]
    for col in instances:
        vals = [int(v) % p for v in col]
        out.append(struct.pack("<I", len(vals)))
        out.extend(v.to_bytes(32, "little") for v in vals)
    return b"".join(out)


def instances_from_bytes(field: Any, data: bytes) -> list[list[int]]:
    """The inverse of :func:`instances_to_bytes` (canonical ints in [0, p))."""
    head = len(MAGIC) + 6
    if len(data) < head or data[: len(MAGIC)] != MAGIC:
        raise SerializationError("not a zkml instances file (bad header)")
    version, ncols = struct.unpack("<HI", data[len(MAGIC) : head])
    if version != VERSION:
        raise SerializationError(f"instances version {version} is not supported (this zkml reads {VERSION})")
    pos, out = head, []
    for c in range(ncols):
        if pos + 4 > len(data):
            raise SerializationError(f"instances: truncated before column {c}")
        (count,) = struct.unpack("<I", data[pos : pos + 4])
        pos += 4
        if pos + 32 * count > len(data):
            raise SerializationError(f"instances: column {c} is truncated")
        col = [int.from_bytes(data[pos + 32 * i : pos + 32 * i + 32], "little") for i in range(count)]
        if any(v >= field.p for v in col):
            raise SerializationError(f"instances: column {c} holds a value that is not a canonical field element")
        pos += 32 * count
        out.append(col)
    if pos != len(data):
        raise SerializationError("instances: trailing bytes")
    return out
