"""Developer tools: the MockProver (constraint checks without cryptography)."""

from zkml_core.dev.mock import Failure, MockProver

__all__ = ["Failure", "MockProver"]
