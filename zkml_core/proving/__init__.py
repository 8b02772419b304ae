"""Proving a model end to end: layout choice, params, keys, proofs and proof bundles.

- :mod:`~zkml_core.proving.pipeline`: choose k and the column count, build the model
  circuit, setup / load params, keygen, prove, verify, inspect, mock;
- :mod:`~zkml_core.proving.bundle`: the proof bundle directory (``proof.bin``,
  ``vk.bin``, ``params.bin``, ``public.json``), written atomically, read and validated;
- :mod:`~zkml_core.proving.commands`: ``zkml inspect / mock / setup / prove / verify``.

The bundle format and the commands are documented in ``docs/proving.md``.
"""
