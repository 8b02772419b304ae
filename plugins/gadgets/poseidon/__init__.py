"""Poseidon hash (x^5, width 3, rate 2): Grain-LFSR constants, native hash, gadget.

- :mod:`.params`: parameter sets and constant generation.
- :mod:`.native`: the permutation and sponge over Python ints.
"""
