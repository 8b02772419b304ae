"""Sub: elementwise a - b with numpy-style broadcasting (exact). params = []."""

from __future__ import annotations

from zkml_plugins.layers._common import BuiltinLayer, expect_inputs, expect_params

from zkml_core.hookspecs import hookimpl
from zkml_core.model.fixed_point import broadcast


class Sub(BuiltinLayer):
    name = "Sub"
    description = "elementwise a - b (broadcasting)"
    tflite_ops = ("SUB",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        expect_params(spec, 0, "")
        expect_inputs(spec, (2,), "a, b")

    @classmethod
    def from_tflite(cls, op, ctx):
        ctx.activation(op, ("NONE",))
        return ctx.layer("Sub", op)

    def forward_int(self, inputs, ctx):
        a, b = broadcast("Sub", *inputs)
        return [a - b]

    def forward_float(self, inputs, ctx):
        a, b = broadcast("Sub", *inputs)
        return [a - b]

    def gadgets(self, ctx):
        return ["sub_pairs"]


@hookimpl
def zkml_register_layers():
    return [Sub]
