"""Model-wide values a layer needs while executing (zkml's global ``GadgetConfig``)."""

from __future__ import annotations

import attrs

from zkml_core.model.ir import Model


@attrs.frozen(kw_only=True)
class ExecContext:
    """Scale factor and circuit size, with zkml's derived value bounds.

    ``min_val = -2^(k-1)``, ``max_val = 2^(k-1) - 10``, ``num_rows = 2^k - 9`` (the
    range table T = {0 .. num_rows-1}), as in zkml's ``generate_from_msgpack``.
    """

    scale_factor: int
    k: int
    num_cols: int

    @property
    def min_val(self) -> int:
        return -(2 ** (self.k - 1))

    @property
    def max_val(self) -> int:
        return 2 ** (self.k - 1) - 10

    @property
    def num_rows(self) -> int:
        return 2**self.k - 9

    @classmethod
    def from_model(cls, model: Model) -> ExecContext:
        return cls(scale_factor=model.global_sf, k=model.k, num_cols=model.num_cols)
