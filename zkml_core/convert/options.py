"""The converter's settings (kept apart so the CLI can show defaults without importing
the TFLite schema)."""

from __future__ import annotations

import attrs

from zkml_core.model.ir import DEFAULT_NUM_RANDOM


@attrs.frozen
class ConvertOptions:
    """The converter's settings (zkml's converter flags and their defaults)."""

    scale_factor: int = 512
    k: int = 17
    num_cols: int = 10
    num_random: int = DEFAULT_NUM_RANDOM
    use_selectors: bool = True
    #: commit_before = [weights, inputs], commit_after = [outputs]
    commit: bool = False
    #: convert operators [start_layer, end_layer) only
    start_layer: int = 0
    end_layer: int | None = None
