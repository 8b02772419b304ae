"""LeakyRelu: ``y = x`` for ``x >= 0``, ``y = alpha * x`` otherwise.

Model-file form: ``layer_type "LeakyRelu"``, ``params [alpha_num, alpha_den]`` (alpha as
an exact fraction, so the integer semantics need no scale factor of their own).
Integer semantics: ``y = x`` for ``x >= 0``, else ``floor((2*x*num + den) / (2*den))``
(round half up, like every zkml division). The circuit is not written yet: this
plugin teaches zkml the op's reference and witness semantics.
"""

from __future__ import annotations

import numpy as np

from zkml_core.errors import CircuitError, ModelError
from zkml_core.hookspecs import hookimpl
from zkml_core.interfaces import Layer


class LeakyRelu(Layer):
    name = "LeakyRelu"
    description = "leaky ReLU with a rational slope (example third-party plugin)"
    tflite_ops = ("LEAKY_RELU",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        params = list(getattr(spec, "params", spec))
        if len(params) != 2 or params[1] <= 0:
            raise ModelError(f"LeakyRelu needs params [alpha_num, alpha_den > 0], got {params}")
        self.num, self.den = int(params[0]), int(params[1])

    def forward_float(self, inputs, ctx):
        (x,) = inputs
        return [np.where(x >= 0, x, x * (self.num / self.den))]

    def forward_int(self, inputs, ctx):
        (x,) = inputs
        x = np.asarray(x, dtype=np.int64)
        neg = (2 * x * self.num + self.den) // (2 * self.den)
        return [np.where(x >= 0, x, neg)]

    def synthesize(self, inputs, ctx):
        raise CircuitError("the LeakyRelu example plugin has no circuit yet")


@hookimpl
def zkml_register_layers():
    return [LeakyRelu]
