"""The Poseidon sponge as a circuit: rounds as custom gates, constants in fixed columns.

Columns: the state words ``s0, s1, s2`` and helper cells are the first advice columns
handed to :meth:`PoseidonGadget.configure`; fixed columns hold each row's constants; one
selector per gate. M is the MDS matrix. Rows (:func:`.rows.row_plan`): one full round a
row, ``k`` partial rounds a row, then the output row. Two layouts, chosen by the number
of columns given:

- **4 columns** ``s0 s1 s2 aux``, gate degree 6 (x^5 times a selector), ``k = 2``:
  ``full``: ``next = M (cur + rc)^5``; two partial rounds (as halo2's Pow5 chip):
  ``aux = (s0 + rc_a0)^5``, ``mid = M (aux, s1 + rc_a1, s2 + rc_a2)``,
  ``M^-1 next = ((mid0 + rc_b0)^5, mid1 + rc_b1, mid2 + rc_b2)``; a single partial
  round when R_P is odd (BN254's 57).
- **6 or more columns** ``s0 s1 s2 h1 h2 ...``, gate degree 4: every S-box input's
  square is a cell and ``x^5 = (x^2)^2 x``, so the quotient needs half the extended
  domain of the degree-6 layout. Full rows keep the three squares in ``h1 h2 h3``.
  A partial row holds ``k = (columns - 2) // 2`` rounds (at most :data:`MAX_K`) with the
  helper cells ``[q_1, x_1, ..., q_k]`` of :class:`.rows.PartialRowAlgebra`; each S-box
  input is an affine function of the row's cells with a per-row constant (fixed).

Sponge (see :mod:`.native` for the exact padding and domain tags): the first block's two
words and the capacity tag are the first row's state (copy constraints to the message
cells and to the constants column); every later block is absorbed by ``absorb`` on the
previous output row: ``next = cur + (w0, w1, 0)``, where ``w0, w1`` are copies of the
message words in ``aux`` of the output row and of the next row (4 columns) or in ``h1``
and ``h2`` of the output row. Zero padding words are copies of the constant 0; in zkml
mode the padding words are copies of the blinding cell.
"""

from __future__ import annotations

import functools
import operator
from typing import Any, ClassVar

import numpy as np
from zkml_plugins.gadgets.poseidon.native import ZKML_L, pad_constant_length
from zkml_plugins.gadgets.poseidon.params import field_name, poseidon_params
from zkml_plugins.gadgets.poseidon.rows import FULL, PARTIAL, PartialRowAlgebra, row_plan

from zkml_core.errors import CircuitError
from zkml_core.interfaces import Gadget
from zkml_core.plonk.layouter import Assigned, Cells

#: most partial rounds on one row of the degree-4 layout
MAX_K = 8


def _lin(coeffs: Any, terms: list[Any]) -> Any:
    """``sum(c * t)`` over the non-zero coefficients (a flat expression)."""
    parts = [c * e for c, e in zip(coeffs, terms, strict=True) if c]
    return functools.reduce(operator.add, parts) if parts else 0


class PoseidonGadget(Gadget):
    """Poseidon sponge hashes of batches of messages (see the module docstring).

    ``PoseidonGadget(field, r_p=None, mds_skip=None)`` picks the parameter set of
    :func:`.params.poseidon_params`; the circuit's field must be that field. Without
    ``field`` (as a model circuit builds it, by name), :meth:`configure` takes the
    field from ``GadgetConfig.field`` (BN254 Fr when that is None).
    """

    name: ClassVar[str] = "poseidon"
    description: ClassVar[str] = "Poseidon x^5 width-3 sponge hash (commitments)"

    def __init__(self, field: str | None = None, r_p: int | None = None,
                 mds_skip: int | None = None):
        self._field, self._r_p, self._mds_skip = field, r_p, mds_skip
        self.params = poseidon_params(field_name(field or "bn254"), r_p, mds_skip=mds_skip)

    @property
    def rows_per_permutation(self) -> int:
        """Rows of one absorbed block: the rounds plus the output row."""
        return len(self.plan) + 1

    def configure(self, cs: Any, columns: Any, config: Any = None) -> None:
        """Declare the gates on ``cs`` over ``columns`` (4, or 6+ for degree 4).

        ``config`` (a :class:`zkml_core.plonk.gadgets.GadgetConfig`, optional) provides
        the shared constants column and, in ``config.field``, the circuit's field.
        """
        cfg_field = getattr(config, "field", None)
        if cfg_field is not None:
            name = field_name(cfg_field)
            if self._field is not None and field_name(self._field) != name:
                raise CircuitError(
                    f"this Poseidon gadget was built for {self._field} but the circuit's field "
                    f"is {name}; build it without a field to follow GadgetConfig.field"
                )
            self.params = poseidon_params(name, self._r_p, mds_skip=self._mds_skip)
        columns = list(columns)
        if len(columns) < 4:
            raise CircuitError(
                f"the Poseidon gadget needs 4 advice columns (6 or more for degree-4 gates), "
                f"got {len(columns)}; configure the circuit with more columns"
            )
        prm = self.params
        self.low_degree = len(columns) >= 6
        if self.low_degree:
            self.k = max(2, min((len(columns) - 2) // 2, MAX_K, prm.r_p))
            self.columns = columns[: 3 + max(3, 2 * self.k - 1)]
        else:
            self.k = 2
            self.columns = columns[:4]
        self.plan = row_plan(prm, self.k)
        self.algebra = {n: PartialRowAlgebra(prm, n) for _, _, n in self.plan if self.low_degree}
        for col in self.columns:
            cs.enable_equality(col)
        self.fixed = [cs.fixed_column(f"poseidon_c{i}") for i in range(max(6, self.k + 3))]
        gates = [FULL] + sorted({f"{PARTIAL}{n}" for kind, _, n in self.plan if kind == PARTIAL})
        self.q = {g: cs.selector(f"poseidon_{g}") for g in gates + ["absorb"]}
        if config is not None:
            config.constants(cs)
        elif not cs.constants:
            cs.enable_constant(cs.fixed_column("constants"))

        m = prm.mds
        s = [c.cur() for c in self.columns[:3]]
        nxt = [c.next() for c in self.columns[:3]]
        h = [c.cur() for c in self.columns[3:]]
        f = [c.cur() for c in self.fixed]
        u = [s[j] + f[j] for j in range(3)]  # full rows: the S-box inputs

        q = self.q[FULL].cur()
        if self.low_degree:
            x5 = [h[j] * h[j] * u[j] for j in range(3)]
            squares = [(f"square{j}", q * (h[j] - u[j] * u[j])) for j in range(3)]
        else:
            x5, squares = [u[j] ** 5 for j in range(3)], []
        cs.create_gate("poseidon full round",
                       [(f"s{i}", q * (nxt[i] - _lin(m[i], x5))) for i in range(3)] + squares)

        for gate in gates[1:]:
            n = int(gate[len(PARTIAL):])
            q = self.q[gate].cur()
            if self.low_degree:
                constraints = self._partial_constraints(self.algebra[n], s, nxt, h, f)
            else:
                constraints = self._pow5_partial_constraints(n, s, nxt, h[0], f)
            cs.create_gate(f"poseidon {n} partial round{'s' if n > 1 else ''}",
                           [(name, q * e) for name, e in constraints])

        q = self.q["absorb"].cur()
        w0, w1 = (h[0], h[1]) if self.low_degree else (h[0], self.columns[3].next())
        cs.create_gate("poseidon absorb", [
            ("s0", q * (nxt[0] - s[0] - w0)),
            ("s1", q * (nxt[1] - s[1] - w1)),
            ("s2", q * (nxt[2] - s[2])),
        ])

    def _partial_constraints(self, alg: PartialRowAlgebra, s: list, nxt: list, h: list,
                             f: list) -> list[tuple[str, Any]]:
        """Degree-3 expressions (times the selector: 4) of one partial row, n rounds."""
        n, m = alg.k, self.params.mds
        variables = s + [h[2 * j + 1] for j in range(n - 1)]  # s0..s2, x_1..x_{n-1}
        out = []
        for j in range(n):
            uj = _lin(alg.u[j], variables) + f[j]
            out.append((f"square{j + 1}", h[2 * j] - uj * uj))
            if j < n - 1:
                out.append((f"sbox{j + 1}", h[2 * j + 1] - h[2 * j] * h[2 * j] * uj))
        last = h[2 * (n - 1)] * h[2 * (n - 1)] * uj
        for i in range(3):
            out.append((f"s{i}", nxt[i] - (m[i][0] * last + _lin(alg.next[i], variables) + f[n + i])))
        return out

    def _pow5_partial_constraints(self, n: int, s: list, nxt: list, aux: Any,
                                  f: list) -> list[tuple[str, Any]]:
        """The degree-5 expressions of the 4-column layout (1 or 2 rounds a row)."""
        m, minv = self.params.mds, self.params.mds_inv
        u0 = s[0] + f[0]
        if n == 1:
            words = [u0 ** 5, s[1] + f[1], s[2] + f[2]]
            return [(f"s{i}", nxt[i] - _lin(m[i], words)) for i in range(3)]
        mid = [_lin(m[i], [aux, s[1] + f[1], s[2] + f[2]]) for i in range(3)]
        back = [_lin(minv[i], nxt) for i in range(3)]
        return [
            ("sbox", u0 ** 5 - aux),
            ("s0", (mid[0] + f[3]) ** 5 - back[0]),
            ("s1", mid[1] + f[4] - back[1]),
            ("s2", mid[2] + f[5] - back[2]),
        ]

    def word_positions(self, blocks: int) -> tuple[np.ndarray, np.ndarray]:
        """(row offset from the message's first row, column index) of each absorbed word."""
        P = self.rows_per_permutation
        starts = np.arange(blocks) * P
        rows = np.empty(2 * blocks, dtype=np.int64)
        cols = np.empty(2 * blocks, dtype=np.int64)
        rows[0:2], cols[0:2] = 0, (0, 1)
        if blocks > 1:
            if self.low_degree:  # both words on the previous output row: h1, h2
                rows[2::2], rows[3::2] = starts[1:] - 1, starts[1:] - 1
                cols[2::2], cols[3::2] = 3, 4
            else:  # aux of the previous output row and of the block's first row
                rows[2::2], rows[3::2] = starts[1:] - 1, starts[1:]
                cols[2:] = 3
        return rows, cols

    def trace(self, state: list[int]) -> list[list[int]]:
        """The witness rows (one per column of this layout) of one permutation of
        ``state``, output row last. Width 3 written out: this is the witness hot path."""
        p = self.params.p
        m = self.params.mds
        (m00, m01, m02), (m10, m11, m12), (m20, m21, m22) = m
        rc = self.params.round_constants
        width = len(self.columns)
        a, b, c = (v % p for v in state)
        rows = []
        for kind, r, n in self.plan:
            if kind == FULL:
                r0, r1, r2 = rc[r]
                u0, u1, u2 = (a + r0) % p, (b + r1) % p, (c + r2) % p
                q0, q1, q2 = u0 * u0 % p, u1 * u1 % p, u2 * u2 % p
                x0, x1, x2 = q0 * q0 % p * u0, q1 * q1 % p * u1, q2 * q2 % p * u2
                helpers = [q0, q1, q2] if self.low_degree else [0]
                nxt = [(m00 * x0 + m01 * x1 + m02 * x2) % p, (m10 * x0 + m11 * x1 + m12 * x2) % p,
                       (m20 * x0 + m21 * x1 + m22 * x2) % p]
            elif self.low_degree:
                helpers, nxt = self.algebra[n].witness([a, b, c], r)
            else:
                helpers, nxt = self._pow5_partial_witness([a, b, c], r, n)
            rows.append([a, b, c] + helpers + [0] * (width - 3 - len(helpers)))
            a, b, c = nxt
        rows.append([a, b, c] + [0] * (width - 3))
        return rows

    def _pow5_partial_witness(self, x: list[int], r: int, n: int) -> tuple[list[int], list[int]]:
        p, m, rc = self.params.p, self.params.mds, self.params.round_constants
        aux = 0
        for j in range(n):
            w = [(x[i] + rc[r + j][i]) % p for i in range(3)]
            w[0] = pow(w[0], 5, p)
            if j == 0:
                aux = w[0] if n == 2 else 0
            x = [sum(a * b for a, b in zip(row, w, strict=True)) % p for row in m]
        return [aux], x

    def fixed_pattern(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The fixed values ``(P, columns)`` and each selector's row offsets of one
        permutation block (the same for every block)."""
        P, rc = self.rows_per_permutation, self.params.round_constants
        values = np.zeros((P, len(self.fixed)), dtype=object)
        offsets: dict[str, list[int]] = {g: [] for g in self.q}
        for row, (kind, r, n) in enumerate(self.plan):
            if kind == FULL:
                values[row, :3] = rc[r]
                offsets[FULL].append(row)
                continue
            offsets[f"{PARTIAL}{n}"].append(row)
            if self.low_degree:
                cs, ds = self.algebra[n].constants(r)
                values[row, : n + 3] = cs + ds
            else:
                values[row, :3] = rc[r]
                if n == 2:
                    values[row, 3:6] = rc[r + 1]
        return values, {g: np.array(o, dtype=np.int64) for g, o in offsets.items()}

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
        Returns the ``n`` hashes (field values), shape ``(n,)``, or ``(1,)`` if ``message`` is 1-D.
        """
        field = layouter.field
        if field is not None and field.p != self.params.p:
            raise CircuitError(
                f"the Poseidon gadget was configured for {self.params.field} but the circuit's "
                f"field has modulus {field.p:#x}; set GadgetConfig.field to the backend's "
                "scalar_field (or construct PoseidonGadget with the right field)"
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
                    trace = self.trace(state)
                    base = i * height + k * P
                    witness[base:base + P] = trace
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
        return result[:1] if single else result  # a slice keeps field values (1, 4)

    def _assign_fixed(self, region: Any, n: int, blocks: int) -> None:
        """Row constants and selectors, the same pattern for every block."""
        P = self.rows_per_permutation
        values, offsets = self.fixed_pattern()
        reps = n * blocks
        region.assign_fixed(self.fixed, 0, np.tile(values, (reps, 1)))
        block_starts = np.arange(reps) * P
        for gate, offs in offsets.items():
            if offs.size:
                region.enable_selector(self.q[gate], (block_starts[:, None] + offs[None, :]).reshape(-1))
        absorb = np.array([b * P + P - 1 for b in range(reps) if (b + 1) % blocks], dtype=np.int64)
        if absorb.size:
            region.enable_selector(self.q["absorb"], absorb)
