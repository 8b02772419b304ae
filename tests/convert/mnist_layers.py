"""``from_tflite`` steps for the built-in MNIST layers, for the converter tests.

The built-in layer plugins do not convert from TFLite yet; these subclasses add the
converter step (the rest, forward_int / forward_float, is the real plugins').
"""

from __future__ import annotations

from zkml_plugins.layers.add import Add
from zkml_plugins.layers.avg_pool_2d import AveragePool2D
from zkml_plugins.layers.conv2d import Conv2D
from zkml_plugins.layers.mul import Mul
from zkml_plugins.layers.reshape import Reshape
from zkml_plugins.layers.sub import Sub

from zkml_core.hookspecs import hookimpl

PADDING = {"SAME": 0, "VALID": 1}


class ConvT(Conv2D):
    @classmethod
    def from_tflite(cls, op, ctx):
        o = op.options
        if (o["dilation_h_factor"], o["dilation_w_factor"]) != (1, 1):
            raise ctx.unsupported(op, "dilation")
        conv_type = 1 if op.op == "DEPTHWISE_CONV_2D" else 0
        return ctx.layer("Conv2D", op, [conv_type, PADDING[o["padding"]], ctx.activation(op),
                                        o["stride_h"], o["stride_w"]])


class PoolT(AveragePool2D):
    @classmethod
    def from_tflite(cls, op, ctx):
        o = op.options
        if o["padding"] != "VALID":
            raise ctx.unsupported(op, "SAME padding")
        ctx.activation(op, ("NONE",))
        return ctx.layer("AveragePool2D", op, [o["filter_height"], o["filter_width"],
                                               o["stride_h"], o["stride_w"]])


class AddT(Add):
    @classmethod
    def from_tflite(cls, op, ctx):
        return ctx.layer("Add", op, [ctx.activation(op, ("NONE", "RELU"))])


class MulT(Mul):
    @classmethod
    def from_tflite(cls, op, ctx):
        ctx.activation(op, ("NONE",))
        return ctx.layer("Mul", op)


class SubT(Sub):
    @classmethod
    def from_tflite(cls, op, ctx):
        ctx.activation(op, ("NONE",))
        return ctx.layer("Sub", op)


class ReshapeT(Reshape):
    @classmethod
    def from_tflite(cls, op, ctx):
        return ctx.layer("Reshape", op, inputs=op.inputs[:1])


LAYERS = {c.name: c for c in (ConvT, PoolT, AddT, MulT, SubT, ReshapeT)}


class Plugin:
    """A plugin object registering these layers (for a Registry in CLI tests)."""

    @staticmethod
    @hookimpl
    def zkml_register_layers():
        return list(LAYERS.values())
