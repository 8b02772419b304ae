"""Every failure a user can act on is a :class:`ZkmlError`.

The CLI prints ``str(error)`` as one line and exits non-zero; anything else escaping
is a bug in zkml.
"""

from __future__ import annotations


class ZkmlError(Exception):
    """Base class of user-facing errors. The message says what to do next."""

    exit_code = 1


class PluginError(ZkmlError):
    """A plugin is invalid, broken, or clashes with another plugin."""


class ModelError(ZkmlError):
    """A model or input file is malformed or inconsistent."""


class UnsupportedError(ZkmlError):
    """The model uses an op or layer no installed plugin provides."""


class SerializationError(ZkmlError):
    """Bytes (params, keys, proofs, field elements, points) that do not decode."""


class CircuitError(ZkmlError):
    """The circuit cannot be built: too few rows or columns, bad layout."""


class VerificationError(ZkmlError):
    """A proof did not verify, or a witness does not satisfy the circuit."""

    exit_code = 2
