"""LeakyRelu: ``y = x`` for ``x >= 0``, ``y = alpha * x`` otherwise.

Model-file form: ``layer_type "LeakyRelu"``, ``params [alpha_num, alpha_den]`` (alpha as
an exact fraction, so the integer semantics need no scale factor of their own).
Integer semantics: ``y = x`` for ``x >= 0``, else ``floor((2*x*num + den) / (2*den))``
(round half up, like every zkml division).

Everything a layer plugin provides, through zkml's public API only:

- ``from_tflite``: TFLite's LEAKY_RELU (its ``alpha`` as a fraction of small integers);
- ``forward_float`` / ``forward_int``: the reference and the witness;
- ``gadgets`` / ``synthesize``: the circuit, built from zkml's built-in gadgets:
  ``r = relu(x)`` (a table lookup), ``n = x - r`` (``min(x, 0)``),
  ``y = r + round_half_up(n * num / den)``. For ``x >= 0`` n is 0 and y = x; otherwise
  r is 0 and y is the rounded slope. Every step is constrained by its gadget.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from zkml_core.errors import ModelError
from zkml_core.hookspecs import hookimpl
from zkml_core.interfaces import Layer


class LeakyRelu(Layer):
    name = "LeakyRelu"
    description = "leaky ReLU with a rational slope (example third-party plugin)"
    tflite_ops = ("LEAKY_RELU",)

    #: the largest denominator of alpha's fraction (the division gadget's divisor)
    max_den = 1000

    def __init__(self, spec) -> None:
        super().__init__(spec)
        params = list(getattr(spec, "params", spec))
        if len(params) != 2 or params[1] <= 0:
            raise ModelError(f"LeakyRelu needs params [alpha_num, alpha_den > 0], got {params}")
        self.num, self.den = int(params[0]), int(params[1])

    @classmethod
    def from_tflite(cls, op, ctx):
        ctx.activation(op, ("NONE",))
        alpha = Fraction(float(op.options.get("alpha", 0.2))).limit_denominator(cls.max_den)
        return ctx.layer(cls.name, op, [alpha.numerator, alpha.denominator])

    def forward_float(self, inputs, ctx):
        (x,) = inputs
        return [np.where(x >= 0, x, x * (self.num / self.den))]

    def forward_int(self, inputs, ctx):
        (x,) = inputs
        x = np.asarray(x, dtype=np.int64)
        neg = (2 * x * self.num + self.den) // (2 * self.den)
        return [np.where(x >= 0, x, neg)]

    def gadgets(self, ctx):
        return ["relu", "sub_pairs", "mul_pairs", "var_div_round", "add_pairs"]

    def synthesize(self, inputs, ctx):
        (x,) = inputs
        lay = ctx.layouter
        r = ctx.gadget("relu").assign(lay, x)
        n = ctx.gadget("sub_pairs").assign(lay, x, r)
        scaled = ctx.gadget("mul_pairs").assign(lay, n, ctx.constant([self.num]))
        slope = ctx.gadget("var_div_round").assign(lay, scaled, self.den)
        return [ctx.gadget("add_pairs").assign(lay, r, slope)]


@hookimpl
def zkml_register_layers():
    return [LeakyRelu]
