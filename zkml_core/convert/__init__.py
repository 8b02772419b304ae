"""TFLite models in and out, and their conversion to zkml's model IR.

- :mod:`~zkml_core.convert.tflite_reader`: a .tflite file -> :class:`TFLiteGraph`
  (tensors with quantisation and constant data, operators with decoded options);
  one ModelError for corrupt files, one UnsupportedError listing unconvertible ops.
- :mod:`~zkml_core.convert.tflite_writer`: build small float32 / int8 .tflite models
  (tests, benchmarks, the bundled demo), plus affine quantisation helpers.
- :mod:`~zkml_core.convert.converter`: TFLiteGraph -> :class:`zkml_core.model.Model`
  through the layer plugins' ``from_tflite`` (the contract is documented there).
- :mod:`~zkml_core.convert.params`: scale factor and k from a calibration input.
- :mod:`~zkml_core.convert.inputs`: float arrays -> a model's input tensors.
- :mod:`~zkml_core.convert.tflite_quant`: TFLite's integer requantisation arithmetic,
  bit-exact, for int8 layers.
- :mod:`~zkml_core.convert.check`: the converted model vs TFLite (``--check``).
- :mod:`~zkml_core.convert.commands`: ``zkml convert`` and ``zkml input``.

Nothing is imported here, so ``import zkml_core.convert.X`` stays cheap.
"""
