"""The built-in int8 layer plugins (TFLite's integer semantics), as a layer map."""

from __future__ import annotations

from zkml_plugins.layers.q_add_sub import QAddSub
from zkml_plugins.layers.q_avg_pool_2d import QAveragePool2D
from zkml_plugins.layers.q_conv2d import QConv2D
from zkml_plugins.layers.q_fully_connected import QFullyConnected
from zkml_plugins.layers.q_max_pool_2d import QMaxPool2D
from zkml_plugins.layers.q_mul import QMul
from zkml_plugins.layers.q_reshape import QReshape

INT8_LAYERS = {c.name: c for c in (QConv2D, QAveragePool2D, QFullyConnected, QAddSub, QMul,
                                   QMaxPool2D, QReshape)}
