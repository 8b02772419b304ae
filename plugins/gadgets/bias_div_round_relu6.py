"""BiasDivRoundRelu6: a convolution's post-processing, ``div = round_half_up(inp / sf) +
bias`` and ``relu6 = clamp(div, 0, 6 sf)``, the scale factor fixed in the gate.

Layout ``inp | bias | div | mod | out`` per op, ``num_cols // 5`` ops a row. On every op
of an enabled row:

- gate ``2 inp + sf = 2 sf (div - bias) + mod``;
- lookups ``mod in T`` and ``2 sf - 1 - mod in T``: ``0 <= mod < 2 sf`` (zkml checked
  only the upper bound);
- tuple lookup ``(div - min_val, out)`` in ``(T, relu6)`` with
  ``relu6[i] = clamp(i + min_val, 0, 6 sf)``: ``div`` is in ``[min_val, max_val]`` and
  ``out`` its relu6.

The range of ``div`` bounds ``div - bias`` given the copied ``bias``, so as in
``var_div_round`` the quotient is unique. Needs ``2 sf <= num_rows``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from zkml_plugins.gadgets._ops import RowOpGadget, check_fits, max_abs
from zkml_plugins.gadgets.var_div_round import round_div_parts

from zkml_core.errors import CircuitError
from zkml_core.hookspecs import hookimpl
from zkml_core.plonk.layouter import Assigned


class BiasDivOutput(NamedTuple):
    """``div`` (rounded quotient plus bias) and ``relu6`` (it clamped to [0, 6 sf])."""

    div: Assigned
    relu6: Assigned


class BiasDivRoundRelu6(RowOpGadget):
    name = "bias_div_round_relu6"
    description = "round_half_up(x / sf) + bias and its relu6 (5 columns per op)"
    width, n_inputs = 5, 2
    requires = ("input_lookup",)

    def constrain(self, cs, q, slots):
        cfg = self.config
        sf, lo = cfg.scale_factor, cfg.min_val
        if 2 * sf > cfg.num_rows:
            raise CircuitError(f"{self.name}: scale factor {sf} needs 2 sf <= {cfg.num_rows} "
                               "(the remainder's range check); use a larger k")
        t = cfg.range_table(cs)
        self.table = cs.table_column(f"{self.name}_relu6")
        cs.create_gate(self.name, [(f"op{j}", q * (2 * x + sf - 2 * sf * (div - bias) - mod))
                                   for j, (x, bias, div, mod, _) in enumerate(slots)])
        for j, (_, _, div, mod, out) in enumerate(slots):
            cs.lookup(f"{self.name} remainder op{j}", [(q * mod, t)])
            cs.lookup(f"{self.name} remainder bound op{j}", [(q * (2 * sf - 1 - mod), t)])
            cs.lookup(f"{self.name} relu6 op{j}", [(q * (div - lo), t), (q * out, self.table)])

    def load_tables(self, layouter: Any) -> None:
        cfg = self.config
        x = np.arange(cfg.num_rows, dtype=np.int64) + cfg.min_val
        layouter.assign_table(self.table, np.clip(x, 0, 6 * cfg.scale_factor))

    def assign(self, layouter: Any, inp: Assigned, bias: Assigned) -> BiasDivOutput:
        """``bias`` broadcasts against ``inp`` (e.g. one bias per output channel)."""
        div, _, out = self.assign_ops(layouter, (inp, bias))
        return BiasDivOutput(div, out)

    def compute(self, x, bias):
        cfg = self.config
        sf = cfg.scale_factor
        quotient, mod = round_div_parts(x, sf)
        check_fits(self.name, max_abs(quotient) + max_abs(bias))
        div = quotient + bias
        self.check_range(f"{self.name} result", div, cfg.min_val, cfg.max_val,
                       "use a larger k (or a smaller scale factor)")
        return div, mod, np.clip(div, 0, 6 * sf)


@hookimpl
def zkml_register_gadgets():
    return [BiasDivRoundRelu6]
