"""The built-in MNIST layer plugins, as a layer map and as a plugin object for a Registry."""

from __future__ import annotations

from zkml_plugins.layers.add import Add
from zkml_plugins.layers.avg_pool_2d import AveragePool2D
from zkml_plugins.layers.conv2d import Conv2D
from zkml_plugins.layers.mul import Mul
from zkml_plugins.layers.reshape import Reshape
from zkml_plugins.layers.sub import Sub

from zkml_core.hookspecs import hookimpl

LAYERS = {c.name: c for c in (Conv2D, AveragePool2D, Add, Mul, Sub, Reshape)}


class Plugin:
    """A plugin object registering these layers (a Registry without entry points)."""

    @staticmethod
    @hookimpl
    def zkml_register_layers():
        return list(LAYERS.values())
