"""The Poseidon sponge as a circuit: rounds as custom gates, constants in fixed columns.

Columns: the state words ``s0, s1, s2`` and helpers are the first advice columns handed
to :meth:`PoseidonGadget.configure`; six fixed columns hold round constants (``rc_a``:
the row's round, ``rc_b``: the second round of a double-partial row); four selectors
choose the gate of each row. M is the MDS matrix. Two layouts, chosen by the number of
columns given:

- 4 columns ``s0 s1 s2 aux`` (gate degree 6, x^5 times a selector);
- 6 or more: ``s0 s1 s2 aux e1 e2`` (gate degree 4): every S-box input's square is a
  witness cell, ``x^5 = (x^2)^2 * x``, so the circuit's quotient needs half the
  extended domain of the degree-6 layout. Full rows keep the squares of the three
  S-box inputs in ``aux e1 e2``.

One permutation takes ``R_F + ceil(R_P / 2)`` rows, each gate relating a row's state to
the next row's:

- ``full``: ``next = M (cur + rc_a)^5`` (S-box on every word);
- ``partial2`` (two partial rounds a row, as halo2's Pow5 chip): ``aux = (s0 + rc_a0)^5``,
  ``mid = M (aux, s1 + rc_a1, s2 + rc_a2)``, and
  ``M^-1 next = ((mid0 + rc_b0)^5, mid1 + rc_b1, mid2 + rc_b2)``; in the 6-column
  layout ``e1 = (s0 + rc_a0)^2`` and ``e2 = (mid0 + rc_b0)^2``;
- ``partial1``: one partial round (``e1`` its square), used once when R_P is odd
  (BN254's 57).

The row after the last round holds the permutation's output. Sponge (see
:mod:`.native` for the exact padding and domain tags): the first block's two words and
the capacity tag are the first row's state (copy constraints to the message cells and
to the constants column); every later block is absorbed by ``absorb`` on the previous
output row: ``next = cur + (w0, w1, 0)``, where the words ``w0, w1`` are copies of the
message words in ``aux`` of the output row and of the next row (4 columns) or in
``aux`` and ``e1`` of the output row (6 columns). Zero padding words are copies of the
constant 0; in zkml mode the padding words are copies of the blinding cell.
"""

from __future__ import annotations

import functools
import operator
from typing import Any, ClassVar

import numpy as np
from zkml_plugins.gadgets.poseidon.native import ZKML_L, pad_constant_length
from zkml_plugins.gadgets.poseidon.params import PoseidonParams, poseidon_params

from zkml_core.errors import CircuitError
from zkml_core.interfaces import Gadget
from zkml_core.plonk.layouter import Assigned, Cells

FULL, PARTIAL2, PARTIAL1 = "full", "partial2", "partial1"


def round_layout(params: PoseidonParams) -> list[tuple[str, int]]:
    """One ``(gate, first round)`` per row of a permutation."""
    half = params.r_f // 2
    rows = [(FULL, r) for r in range(half)]
    r = half
    while r + 1 < half + params.r_p:
        rows.append((PARTIAL2, r))
        r += 2
    if r < half + params.r_p:
        rows.append((PARTIAL1, r))
    rows += [(FULL, r) for r in range(half + params.r_p, params.rounds)]
    return rows


def permutation_trace(params: PoseidonParams, state: list[int]) -> list[list[int]]:
    """The ``(s0, s1, s2, aux, e1, e2)`` rows of one permutation of ``state`` in the
    6-column layout (the 4-column layout uses the first four), output row last.

    Width 3, written out (this is the witness hot path)."""
    p = params.p
    (m00, m01, m02), (m10, m11, m12), (m20, m21, m22) = params.mds
    rc = params.round_constants
    a, b, c = (v % p for v in state)
    rows = []
    for gate, r in round_layout(params):
        ra, rb, rc_ = rc[r]
        u0, u1, u2 = (a + ra) % p, (b + rb) % p, (c + rc_) % p
        sq0 = u0 * u0 % p
        x0 = sq0 * sq0 % p * u0 % p
        if gate == FULL:
            sq1, sq2 = u1 * u1 % p, u2 * u2 % p
            x1, x2 = sq1 * sq1 % p * u1, sq2 * sq2 % p * u2
            rows.append([a, b, c, sq0, sq1, sq2])
        else:
            x1, x2 = u1, u2
        # the first (or only) partial round's output, or the full round's
        a2 = (m00 * x0 + m01 * x1 + m02 * x2) % p
        b2 = (m10 * x0 + m11 * x1 + m12 * x2) % p
        c2 = (m20 * x0 + m21 * x1 + m22 * x2) % p
        if gate == PARTIAL2:
            sa, sb, sc = rc[r + 1]
            v0, v1, v2 = (a2 + sa) % p, b2 + sb, c2 + sc
            sqv = v0 * v0 % p
            y0 = sqv * sqv % p * v0
            rows.append([a, b, c, x0, sq0, sqv])
            a2 = (m00 * y0 + m01 * v1 + m02 * v2) % p
            b2 = (m10 * y0 + m11 * v1 + m12 * v2) % p
            c2 = (m20 * y0 + m21 * v1 + m22 * v2) % p
        elif gate == PARTIAL1:
            rows.append([a, b, c, 0, sq0, 0])
        a, b, c = a2, b2, c2
    rows.append([a, b, c, 0, 0, 0])
    return rows


class PoseidonGadget(Gadget):
    """Poseidon sponge hashes of batches of messages (see the module docstring).

    ``PoseidonGadget(field, r_p=None, mds_skip=None)`` picks the parameter set of
    :func:`.params.poseidon_params`; the circuit's field must be that field.
    """

    name: ClassVar[str] = "poseidon"
    description: ClassVar[str] = "Poseidon x^5 width-3 sponge hash (commitments)"

    def __init__(self, field: str = "bn254", r_p: int | None = None, mds_skip: int | None = None):
        self.params = poseidon_params(field, r_p, mds_skip=mds_skip)
        self.layout = round_layout(self.params)

    @property
    def rows_per_permutation(self) -> int:
        """Rows of one absorbed block: the rounds plus the output row."""
        return len(self.layout) + 1

    def configure(self, cs: Any, columns: Any) -> None:
        columns = list(columns)
        if len(columns) < 4:
            raise CircuitError(
                f"the Poseidon gadget needs 4 advice columns (6 for degree-4 gates), got "
                f"{len(columns)}; configure the circuit with more columns"
            )
        self.low_degree = len(columns) >= 6
        self.columns = columns[:6] if self.low_degree else columns[:4]
        self.state = self.columns[:3]
        self.aux = self.columns[3]
        for col in self.columns:
            cs.enable_equality(col)
        self.rc_a = [cs.fixed_column(f"poseidon_rc_a{i}") for i in range(3)]
        self.rc_b = [cs.fixed_column(f"poseidon_rc_b{i}") for i in range(3)]
        self.q = {g: cs.selector(f"poseidon_{g}") for g in (FULL, PARTIAL2, PARTIAL1, "absorb")}
        if not cs.constants:
            cs.enable_constant(cs.fixed_column("constants"))

        m, minv = self.params.mds, self.params.mds_inv
        s = [c.cur() for c in self.state]
        nxt = [c.next() for c in self.state]
        rca = [c.cur() for c in self.rc_a]
        rcb = [c.cur() for c in self.rc_b]
        helper = [c.cur() for c in self.columns[3:]]  # aux (, e1, e2)
        aux = helper[0]

        def lin(mat_row: tuple[int, ...], words: list[Any]) -> Any:
            return functools.reduce(operator.add, (c * w for c, w in zip(mat_row, words, strict=True)))

        def pow5(u: Any, square: Any | None) -> Any:
            return u ** 5 if square is None else square * square * u

        low = self.low_degree
        q = self.q[FULL].cur()
        inputs = [s[j] + rca[j] for j in range(3)]
        squares = helper if low else [None] * 3
        constraints = [(f"s{i}", q * (nxt[i] - lin(m[i], [pow5(u, sq) for u, sq in zip(inputs, squares, strict=True)])))
                       for i in range(3)]
        if low:
            constraints += [(f"square{j}", q * (squares[j] - inputs[j] * inputs[j])) for j in range(3)]
        cs.create_gate("poseidon full round", constraints)

        q = self.q[PARTIAL2].cur()
        sq_a, sq_b = (helper[1], helper[2]) if low else (None, None)
        mid = [lin(m[i], [aux, s[1] + rca[1], s[2] + rca[2]]) for i in range(3)]
        back = [lin(minv[i], nxt) for i in range(3)]
        constraints = [
            ("sbox", q * (pow5(inputs[0], sq_a) - aux)),
            ("s0", q * (pow5(mid[0] + rcb[0], sq_b) - back[0])),
            ("s1", q * (mid[1] + rcb[1] - back[1])),
            ("s2", q * (mid[2] + rcb[2] - back[2])),
        ]
        if low:
            constraints += [("square a", q * (sq_a - inputs[0] * inputs[0])),
                            ("square b", q * (sq_b - (mid[0] + rcb[0]) * (mid[0] + rcb[0])))]
        cs.create_gate("poseidon partial rounds", constraints)

        q = self.q[PARTIAL1].cur()
        words = [pow5(inputs[0], sq_a), inputs[1], inputs[2]]
        constraints = [(f"s{i}", q * (nxt[i] - lin(m[i], words))) for i in range(3)]
        if low:
            constraints.append(("square", q * (sq_a - inputs[0] * inputs[0])))
        cs.create_gate("poseidon partial round", constraints)

        q = self.q["absorb"].cur()
        w1 = helper[1] if low else self.aux.next()
        cs.create_gate("poseidon absorb", [
            ("s0", q * (nxt[0] - s[0] - aux)),
            ("s1", q * (nxt[1] - s[1] - w1)),
            ("s2", q * (nxt[2] - s[2])),
        ])

    def word_positions(self, blocks: int) -> tuple[np.ndarray, np.ndarray]:
        """(row offset from the message's first row, column index) of each absorbed word."""
        P = self.rows_per_permutation
        starts = np.arange(blocks) * P
        rows = np.empty(2 * blocks, dtype=np.int64)
        cols = np.empty(2 * blocks, dtype=np.int64)
        rows[0:2], cols[0:2] = 0, (0, 1)
        if blocks > 1:
            if self.low_degree:  # both words on the previous output row: aux, e1
                rows[2::2], rows[3::2] = starts[1:] - 1, starts[1:] - 1
                cols[2::2], cols[3::2] = 3, 4
            else:  # aux of the previous output row and of the block's first row
                rows[2::2], rows[3::2] = starts[1:] - 1, starts[1:]
                cols[2:] = 3
        return rows, cols

    # ---- assignment --------------------------------------------------------------
    def _message_ints(self, layouter: Any, message: Assigned, n: int, length: int) -> list[list[int]]:
        vals = message.values
        p = self.params.p
        if vals.dtype == np.uint64 and vals.ndim == message.cells.rows.ndim + 1:
            flat = layouter.field.to_ints(vals.reshape(-1, 4))
        else:
            flat = [int(v) % p for v in np.asarray(vals).reshape(-1)]
        return [flat[i * length:(i + 1) * length] for i in range(n)]

    def assign(self, layouter: Any, message: Assigned, blinding: Assigned | None = None,
               zkml_compat: bool = False) -> Assigned:
        """Hash each row of ``message`` (shape ``(L,)`` or ``(n, L)``) in one region.

        Default: the ``ConstantLength<L>`` domain of :func:`.native.hash_message`.
        ``zkml_compat=True``: the original zkml's message ``values ++ [b] ++ b...`` with
        the ``ConstantLength<4>`` tag (:func:`.native.hash_zkml_compat`); ``blinding`` is
        then the cell ``b`` (one per message, shape ``(n,)`` or ``(1,)``).
        Returns the ``n`` hashes (field values), or one if ``message`` is 1-D.
        """
        field = layouter.field
        if field is not None and field.p != self.params.p:
            raise CircuitError(
                f"the Poseidon gadget was configured for {self.params.field} but the circuit's "
                f"field has modulus {field.p:#x}; construct PoseidonGadget with the right field"
            )
        single = message.cells.rows.ndim == 1
        if single:
            message = message.reshape(1, -1)
        n, length = message.shape
        rate, p = self.params.rate, self.params.p
        if zkml_compat:
            if blinding is None:
                raise CircuitError("zkml-compatible Poseidon hashing needs a blinding cell")
            blinding = blinding.reshape(-1)
            total = length + 1 + (-(length + 1) % ZKML_L)
            cap = ZKML_L << 64
        else:
            total = len(pad_constant_length([0] * length, rate))
            cap = length << 64
        blocks = total // rate
        P = self.rows_per_permutation
        height = blocks * P

        compute = layouter.asg.mode in ("witness", "mock")
        width = len(self.columns)
        w_rows, w_cols = self.word_positions(blocks)
        witness = np.zeros((n * height, width), dtype=object)
        hashes = [0] * n
        if compute:
            msgs = self._message_ints(layouter, message, n, length)
            if zkml_compat:
                bvals = self._message_ints(layouter, blinding.reshape(-1, 1), blinding.shape[0], 1)
            for i, msg in enumerate(msgs):
                if zkml_compat:
                    b = bvals[i % len(bvals)][0]
                    words = msg + [b] * (total - length)
                else:
                    words = msg + [0] * (total - length)
                state = [0, 0, cap]
                for k in range(blocks):
                    state = [(state[0] + words[2 * k]) % p, (state[1] + words[2 * k + 1]) % p, state[2]]
                    trace = permutation_trace(self.params, state)
                    base = i * height + k * P
                    witness[base:base + P] = [row[:width] for row in trace]
                    state = trace[-1][:3]
                for j in range(2, total):  # later blocks' words (block 0 is the state)
                    witness[i * height + w_rows[j], w_cols[j]] = words[j]
                hashes[i] = state[0]

        with layouter.region(f"poseidon x{n}") as region:
            cells = region.assign_advice(self.columns, 0, witness)
            self._assign_fixed(region, n, blocks)
            starts = np.arange(n)[:, None] * height + np.arange(blocks)[None, :] * P  # (n, blocks)
            w_rows = starts[:, :1] + w_rows[None, :]  # (n, total) absolute in the region
            w_cols = np.broadcast_to(w_cols, w_rows.shape)
            word_cells = cells[w_rows, w_cols]  # (n, total)
            layouter.constrain_equal(word_cells[:, :length], message.cells)
            if total > length:
                pad = word_cells[:, length:]
                if zkml_compat:
                    src = blinding.cells if blinding.shape[0] == n else blinding.cells[np.zeros(n, dtype=np.int64)]
                    layouter.constrain_equal(pad, Cells(src.gids[:, None], src.rows[:, None]))
                else:
                    region.constrain_constant(pad, [0] * pad.size)
            region.constrain_constant(cells[starts[:, 0], np.full(n, 2)], [cap] * n)
            out = cells[starts[:, -1] + P - 1, np.zeros(n, dtype=np.int64)]
        values = field.from_ints(hashes) if field is not None else np.zeros((n, 4), dtype=np.uint64)
        result = Assigned(out, values)
        return result[0] if single else result

    def _assign_fixed(self, region: Any, n: int, blocks: int) -> None:
        """Round constants and selectors, the same pattern for every block."""
        rc = self.params.round_constants
        P = self.rows_per_permutation
        rca = np.zeros((P, 3), dtype=object)
        rcb = np.zeros((P, 3), dtype=object)
        for row, (gate, r) in enumerate(self.layout):
            rca[row] = rc[r]
            if gate == PARTIAL2:
                rcb[row] = rc[r + 1]
        reps = n * blocks
        region.assign_fixed(self.rc_a, 0, np.tile(rca, (reps, 1)))
        region.assign_fixed(self.rc_b, 0, np.tile(rcb, (reps, 1)))
        block_starts = np.arange(reps) * P
        for gate in (FULL, PARTIAL2, PARTIAL1):
            offs = np.array([row for row, (g, _) in enumerate(self.layout) if g == gate], dtype=np.int64)
            if offs.size:
                region.enable_selector(self.q[gate], (block_starts[:, None] + offs[None, :]).reshape(-1))
        absorb = np.array([b * P + P - 1 for b in range(reps) if (b + 1) % blocks], dtype=np.int64)
        if absorb.size:
            region.enable_selector(self.q["absorb"], absorb)
