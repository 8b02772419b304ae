"""Eight-lane field arithmetic in AVX-512 IFMA, emitted as LLVM IR (numba intrinsics).

Values are the engine's Montgomery elements (a·2^256 mod p, canonical), held in radix
2^52: five 52-bit limbs, each a ``<8 x i64>`` vector (lane r = the r-th element). In
that radix the Montgomery product with R' = 2^260 of 16·a and b is a·b·2^-256, the
engine's product: 16·a < 2^259 fits five limbs, and (16a·b + m·p) / 2^260 < 1.5p needs
one conditional subtraction. vpmadd52{l,h}uq add the low / high 52 bits of a 52x52-bit
product to a 64-bit lane, so the sums of a row stay carry-free (< 2^58) until one final
carry pass.

Every intrinsic here compiles to nothing unless the compiling CPU has AVX-512 IFMA;
``vector_rows`` / ``simd_lanes`` tell a kernel at compile time whether it may use them
(8) or must take the scalar path of :mod:`zkml_core.arith.llvm_ops` (0). numba keys its
cache on the CPU name and features, so a cached kernel never runs on a CPU without them.

- ``mont_mul8(a, b, out, i, p0..p3, inv)``: rows i..i+7 of C-contiguous ``(n, 4)``
  arrays, ``out = a·b``; ``mont_mul8_b1``: the same with b's single row.
- ``affine_add8_fwd`` / ``affine_add8_bwd``: the two passes of a batch of affine
  additions sharing one inversion (see :func:`zkml_core.arith.msm_kernels._flush`).

After editing this file, delete ``zkml_core/arith/__pycache__/*.nbi`` and ``*.nbc``
(numba's cache is keyed on the kernels' files, not on this one).
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

I32 = ir.IntType(32)
I64 = ir.IntType(64)
V8 = ir.VectorType(I64, 8)
M52 = (1 << 52) - 1
#: values a group of eight batch entries keeps between the passes (x, y, bx, by, den,
#: prefix product), five limbs of eight lanes each: the row length of the scratch array
GROUP_WORDS = 6 * 5 * 8
#: one vector of five limbs (the running product / inverse of each lane)
VEC_WORDS = 5 * 8


def _vc(x):
    return ir.Constant(V8, [x] * 8)


def _vsplat(bd, v):
    vec = bd.insert_element(ir.Constant(V8, ir.Undefined), v, ir.Constant(I32, 0))
    return bd.shuffle_vector(vec, ir.Constant(V8, ir.Undefined),
                             ir.Constant(ir.VectorType(I32, 8), [0] * 8))


def _shuf(bd, x, y, mask):
    return bd.shuffle_vector(x, y, ir.Constant(ir.VectorType(I32, 8), mask))


# -- layout: rows of memory <-> limb-major vectors ---------------------------------------


def _rows_to_limbs(bd, V):
    """4 vectors of 2 rows x 4 limbs -> L[k] = limb k of the 8 rows."""
    lo, hi = [0, 4, 8, 12, 1, 5, 9, 13], [2, 6, 10, 14, 3, 7, 11, 15]
    a, b = _shuf(bd, V[0], V[1], lo), _shuf(bd, V[0], V[1], hi)  # rows 0-3: l0|l1, l2|l3
    c, d = _shuf(bd, V[2], V[3], lo), _shuf(bd, V[2], V[3], hi)  # rows 4-7
    first, second = [0, 1, 2, 3, 8, 9, 10, 11], [4, 5, 6, 7, 12, 13, 14, 15]
    return [_shuf(bd, a, c, first), _shuf(bd, a, c, second),
            _shuf(bd, b, d, first), _shuf(bd, b, d, second)]


def _limbs_to_rows(bd, L):
    """The inverse of :func:`_rows_to_limbs`."""
    lo, hi = [0, 8, 1, 9, 2, 10, 3, 11], [4, 12, 5, 13, 6, 14, 7, 15]
    a, b = _shuf(bd, L[0], L[1], lo), _shuf(bd, L[2], L[3], lo)  # rows 0-3 as l0 l1 | l2 l3
    c, d = _shuf(bd, L[0], L[1], hi), _shuf(bd, L[2], L[3], hi)  # rows 4-7
    first, second = [0, 1, 8, 9, 2, 3, 10, 11], [4, 5, 12, 13, 6, 7, 14, 15]
    return [_shuf(bd, a, b, first), _shuf(bd, a, b, second),
            _shuf(bd, c, d, first), _shuf(bd, c, d, second)]


def _transpose8(bd, rows):
    """8 vectors of 8 words -> cols[c][r] = rows[r][c] (its own inverse)."""
    t = []
    for r in range(0, 8, 2):
        t += [_shuf(bd, rows[r], rows[r + 1], [0, 8, 2, 10, 4, 12, 6, 14]),   # even cols
              _shuf(bd, rows[r], rows[r + 1], [1, 9, 3, 11, 5, 13, 7, 15])]   # odd cols
    lo4, hi4 = [0, 1, 8, 9, 4, 5, 12, 13], [2, 3, 10, 11, 6, 7, 14, 15]
    u = {}
    for base in (0, 4):  # rows 0-3, rows 4-7
        for par in (0, 1):  # even / odd columns
            x, y = t[base + par], t[base + 2 + par]
            u[base, par, 0] = _shuf(bd, x, y, lo4)  # columns par, par + 4
            u[base, par, 1] = _shuf(bd, x, y, hi4)  # columns par + 2, par + 6
    first, second = [0, 1, 2, 3, 8, 9, 10, 11], [4, 5, 6, 7, 12, 13, 14, 15]
    cols = [None] * 8
    for par in (0, 1):
        for half in (0, 1):
            c = par + 2 * half
            cols[c] = _shuf(bd, u[0, par, half], u[4, par, half], first)
            cols[c + 4] = _shuf(bd, u[0, par, half], u[4, par, half], second)
    return cols


# -- radix conversion and arithmetic on five 52-bit limbs --------------------------------


def _to52(bd, x, shift=0):
    """Four 64-bit limbs of x·2^shift (shift 0 or 4, x·2^shift < 2^260) as five 52-bit."""
    out = []
    for j in range(5):
        lo_bit = 52 * j - shift  # bit of x that lands at bit 0 of limb j
        k, off = divmod(lo_bit, 64) if lo_bit >= 0 else (0, lo_bit)
        v = bd.lshr(x[k], _vc(off)) if off > 0 else bd.shl(x[k], _vc(-off)) if off < 0 else x[k]
        if off > 12 and k + 1 < 4:  # the limb also takes low bits of the next 64-bit limb
            v = bd.or_(v, bd.shl(x[k + 1], _vc(64 - off)))
        out.append(bd.and_(v, _vc(M52)) if j < 4 else v)
    return out


def _from52(bd, R):
    """Five normalised 52-bit limbs (value < 2^256) as four 64-bit limbs."""
    return [bd.or_(bd.lshr(R[j], _vc(12 * j)) if j else R[0], bd.shl(R[j + 1], _vc(52 - 12 * j)))
            for j in range(4)]


def _times16(bd, a):
    """16·a for normalised limbs of a < 2^256 (five limbs again, the top one < 2^52)."""
    out = []
    for j in range(5):
        v = bd.shl(a[j], _vc(4))
        if j < 4:
            v = bd.and_(v, _vc(M52))
        if j:
            v = bd.or_(v, bd.lshr(a[j - 1], _vc(48)))
        out.append(v)
    return out


def _madd52(bd, which, acc, x, y):
    fn = bd.module.declare_intrinsic(f"llvm.x86.avx512.vpmadd52{which}.uq.512",
                                     fnty=ir.FunctionType(V8, [V8, V8, V8]))
    return bd.call(fn, [acc, x, y])


def _sub_p_unless_borrow(bd, T, P):
    """T - P if T >= P else T, for normalised limbs (T < 2P)."""
    borrow = _vc(0)
    D = []
    for j in range(5):
        d = bd.sub(bd.sub(T[j], P[j]), borrow)
        borrow = bd.lshr(d, _vc(63))
        D.append(bd.and_(d, _vc(M52)))
    keep = bd.icmp_unsigned("!=", borrow, _vc(0))  # T < P
    return [bd.select(keep, T[j], D[j]) for j in range(5)]


def _mont52(bd, A, B, P, pinv):
    """Montgomery product (R' = 2^260) of five-limb A (< 2^260), B (< p): normalised, < p."""
    zero = _vc(0)
    T = [zero] * 6
    for i in range(5):
        for j in range(5):
            T[j] = _madd52(bd, "l", T[j], A[j], B[i])
            T[j + 1] = _madd52(bd, "h", T[j + 1], A[j], B[i])
        m = _madd52(bd, "l", zero, T[0], pinv)  # low 52 bits of T0·(-p^-1)
        for j in range(5):
            T[j] = _madd52(bd, "l", T[j], m, P[j])
            T[j + 1] = _madd52(bd, "h", T[j + 1], m, P[j])
        T[1] = bd.add(T[1], bd.lshr(T[0], _vc(52)))  # T0 = 0 mod 2^52: shift it out
        T = T[1:] + [zero]
    for j in range(4):
        T[j + 1] = bd.add(T[j + 1], bd.lshr(T[j], _vc(52)))
        T[j] = bd.and_(T[j], _vc(M52))
    return _sub_p_unless_borrow(bd, T, P)


class _Field:
    """The modulus splatted over eight lanes, and the lane-wise field operations."""

    def __init__(self, bd, pv):
        self.bd = bd
        self.P = _to52(bd, [_vsplat(bd, v) for v in pv[:4]])
        self.pinv = _vsplat(bd, bd.and_(pv[4], ir.Constant(I64, M52)))

    def mul(self, a, b):
        return _mont52(self.bd, _times16(self.bd, a), b, self.P, self.pinv)

    def sub(self, a, b):
        """a - b mod p: the difference, and the difference plus p, selected by the borrow."""
        bd = self.bd
        borrow, carry = _vc(0), _vc(0)
        D, E = [], []
        for j in range(5):
            d = bd.sub(bd.sub(a[j], b[j]), borrow)
            borrow = bd.lshr(d, _vc(63))
            d = bd.and_(d, _vc(M52))
            e = bd.add(bd.add(d, self.P[j]), carry)
            carry = bd.lshr(e, _vc(52))
            D.append(d)
            E.append(bd.and_(e, _vc(M52)))
        neg = bd.icmp_unsigned("!=", borrow, _vc(0))
        return [bd.select(neg, E[j], D[j]) for j in range(5)]


def has_ifma(context):
    feats = getattr(context.codegen(), "_tm_features", "") or ""
    return "+avx512ifma" in feats and "+avx512f" in feats


def _c_rows(*tys):
    return all(isinstance(t, types.Array) and t.ndim == 2 and t.layout == "C"
               and t.dtype == types.uint64 for t in tys)


def _arrays(context, bd, sig, vals, n):
    return [context.make_array(t)(context, bd, v) for t, v in zip(sig.args[:n], vals[:n],
                                                                 strict=True)]


def _u64s(context, bd, sig, vals, start):
    return [context.cast(bd, v, t, types.uint64)
            for v, t in zip(vals[start:], sig.args[start:], strict=True)]


def _row_ptr(bd, arr, row):
    """Address of arr[row, 0] of a 2-D uint64 array (byte strides honoured)."""
    stride = cgutils.unpack_tuple(bd, arr.strides, 2)[0]
    base = bd.ptrtoint(arr.data, I64)
    return bd.inttoptr(bd.add(base, bd.mul(row, stride)), ir.PointerType(V8))


def _vload(bd, ptr, k=0):
    return bd.load(bd.gep(ptr, [ir.Constant(I64, k)]) if k else ptr, align=8)


def _vstore(bd, v, ptr, k=0):
    bd.store(v, bd.gep(ptr, [ir.Constant(I64, k)]) if k else ptr, align=8)


# -- element-wise multiplication of (n, 4) arrays ---------------------------------------


@intrinsic
def vector_rows(typingctx, a, b, out):
    """8 when ``mont_mul8`` may run on these arrays on the compiling CPU, else 0."""
    ok = _c_rows(a, b, out)

    def codegen(context, builder, signature, vals):
        return ir.Constant(I64, 8 if ok and has_ifma(context) else 0)

    return types.intp(a, b, out), codegen


def _mul8_typer(bcast):
    def typer(typingctx, a, b, out, i, p0, p1, p2, p3, inv):
        if not (all(isinstance(t, types.Array) for t in (a, b, out))
                and isinstance(i, types.Integer)):
            return None
        usable = _c_rows(a, b, out)

        def codegen(context, bd, signature, vals):
            if not (usable and has_ifma(context)):  # vector_rows is 0: never called
                return context.get_dummy_value()
            arrs = _arrays(context, bd, signature, vals, 3)
            row = context.cast(bd, vals[3], signature.args[3], types.intp)
            F = _Field(bd, _u64s(context, bd, signature, vals, 4))

            def rows(arr):  # rows row..row+7: four vectors of two rows each
                ptr = _row_ptr(bd, arr, row)
                return [_vload(bd, ptr, k) for k in range(4)]

            A = _to52(bd, _rows_to_limbs(bd, rows(arrs[0])), 4)
            if bcast:
                b = [_vsplat(bd, bd.load(bd.gep(arrs[1].data, [ir.Constant(I64, k)])))
                     for k in range(4)]
            else:
                b = _rows_to_limbs(bd, rows(arrs[1]))
            R = _limbs_to_rows(bd, _from52(bd, _mont52(bd, A, _to52(bd, b), F.P, F.pinv)))
            ptr = _row_ptr(bd, arrs[2], row)
            for k in range(4):
                _vstore(bd, R[k], ptr, k)
            return context.get_dummy_value()

        return types.none(a, b, out, i, p0, p1, p2, p3, inv), codegen

    typer.__name__ = typer.__qualname__ = "mont_mul8_b1" if bcast else "mont_mul8"
    return typer


@intrinsic
def mont_mul8_at(typingctx, a, ia, b, ib, out, io, p0, p1, p2, p3, inv):
    """out[io..io+8] = a[ia..ia+8]·b[ib..ib+8] (rows at their own offsets: the NTT's
    butterflies multiply the upper halves by a run of twiddles)."""
    if not (all(isinstance(t, types.Array) for t in (a, b, out))
            and all(isinstance(t, types.Integer) for t in (ia, ib, io))):
        return None
    usable = _c_rows(a, b, out)

    def codegen(context, bd, signature, vals):
        if not (usable and has_ifma(context)):  # vector_rows is 0: never called
            return context.get_dummy_value()
        arrs = [context.make_array(signature.args[k])(context, bd, vals[k]) for k in (0, 2, 4)]
        rows_at = [context.cast(bd, vals[k], signature.args[k], types.intp) for k in (1, 3, 5)]
        F = _Field(bd, _u64s(context, bd, signature, vals, 6))

        def rows(arr, row):  # rows row..row+7: four vectors of two rows each
            ptr = _row_ptr(bd, arr, row)
            return [_vload(bd, ptr, k) for k in range(4)]

        A = _to52(bd, _rows_to_limbs(bd, rows(arrs[0], rows_at[0])), 4)
        B = _to52(bd, _rows_to_limbs(bd, rows(arrs[1], rows_at[1])))
        R = _limbs_to_rows(bd, _from52(bd, _mont52(bd, A, B, F.P, F.pinv)))
        ptr = _row_ptr(bd, arrs[2], rows_at[2])
        for k in range(4):
            _vstore(bd, R[k], ptr, k)
        return context.get_dummy_value()

    return types.none(a, ia, b, ib, out, io, p0, p1, p2, p3, inv), codegen


#: out[i..i+8] = a[i..i+8]·b[i..i+8] (Montgomery), where ``vector_rows`` says so
mont_mul8 = intrinsic(_mul8_typer(False))
#: out[i..i+8] = a[i..i+8]·b[0]
mont_mul8_b1 = intrinsic(_mul8_typer(True))


# -- batch-affine additions, eight entries at a time ---------------------------------------
#
# A batch adds point j (row j of ``bxy``: x ‖ y, 4 + 4 limbs) to bucket ``Bk[bk[j]]``
# (x ‖ y) for distinct buckets. Lane l of group g is entry 8g + l; lane l keeps its own
# running product of denominators x - bx, so the eight chains are independent. The
# forward pass stores, per group, x, y, bx, by, den and the lane's running product before
# den (``st[g]``: value v, limb k, lane l at v·40 + k·8 + l) and leaves each lane's total
# in ``acc`` (limb k, lane l at k·8 + l); the caller turns the eight totals into their
# inverses (one field inversion) in place; the backward pass walks the groups down,
# each lane's inverse giving 1/den of its entry, and writes the sums to the buckets.


@intrinsic
def simd_lanes(typingctx):
    """8 when the ``affine_add8_*`` passes run on the compiling CPU, else 0."""
    def codegen(context, builder, signature, vals):
        return ir.Constant(I64, 8 if has_ifma(context) else 0)

    return types.intp(), codegen


def _load_v(bd, base, v):
    return [_vload(bd, base, 5 * v + k) for k in range(5)]


def _store_v(bd, val, base, v):
    for k in range(5):
        _vstore(bd, val[k], base, 5 * v + k)


def _bucket_rows(bd, Bk, bk, g):
    """Row pointers of the eight buckets of group g."""
    idx = cgutils.unpack_tuple(bd, bk.strides, 1)[0]
    base = bd.ptrtoint(bk.data, I64)
    out = []
    for lane in range(8):
        j = bd.add(bd.mul(g, ir.Constant(I64, 8)), ir.Constant(I64, lane))
        kp = bd.inttoptr(bd.add(base, bd.mul(j, idx)), ir.PointerType(I64))
        out.append(_row_ptr(bd, Bk, bd.load(kp)))
    return out


def _points(bd, ptrs):
    """x, y (five limbs each) of eight rows x ‖ y (8 words each)."""
    cols = _transpose8(bd, [_vload(bd, q) for q in ptrs])
    return _to52(bd, cols[:4]), _to52(bd, cols[4:])


def _add8_typer(forward):
    def typer(typingctx, Bk, bk, bxy, st, acc, g, p0, p1, p2, p3, inv):
        if not (all(isinstance(t, types.Array) for t in (Bk, bk, bxy, st, acc))
                and isinstance(g, types.Integer)):
            return None

        def codegen(context, bd, signature, vals):
            if not has_ifma(context):  # simd_lanes is 0: never called
                return context.get_dummy_value()
            Bk_, bk_, bxy_, st_, acc_ = _arrays(context, bd, signature, vals, 5)
            grp = context.cast(bd, vals[5], signature.args[5], types.intp)
            F = _Field(bd, _u64s(context, bd, signature, vals, 6))
            scratch = _row_ptr(bd, st_, grp)
            accp = bd.bitcast(acc_.data, ir.PointerType(V8))
            run = _load_v(bd, accp, 0)
            buckets = _bucket_rows(bd, Bk_, bk_, grp)
            if forward:
                bx, by = _points(bd, buckets)
                rows = [_row_ptr(bd, bxy_, bd.add(bd.mul(grp, ir.Constant(I64, 8)),
                                                  ir.Constant(I64, lane))) for lane in range(8)]
                x, y = _points(bd, rows)
                den = F.sub(x, bx)
                for v, val in enumerate((x, y, bx, by, den, run)):
                    _store_v(bd, val, scratch, v)
                _store_v(bd, F.mul(run, den), accp, 0)
            else:
                x, y, bx, by, den, pref = (_load_v(bd, scratch, v) for v in range(6))
                dinv = F.mul(run, pref)  # 1 / den of this entry
                _store_v(bd, F.mul(run, den), accp, 0)  # 1 / (product of the lower groups)
                lam = F.mul(F.sub(y, by), dinv)
                x3 = F.sub(F.sub(F.mul(lam, lam), bx), x)
                y3 = F.sub(F.mul(lam, F.sub(bx, x3)), by)
                out = _transpose8(bd, _from52(bd, x3) + _from52(bd, y3))
                for q, v in zip(buckets, out, strict=True):
                    _vstore(bd, v, q)
            return context.get_dummy_value()

        return types.none(Bk, bk, bxy, st, acc, g, p0, p1, p2, p3, inv), codegen

    typer.__name__ = typer.__qualname__ = "affine_add8_fwd" if forward else "affine_add8_bwd"
    return typer


#: forward pass over group g (see above)
affine_add8_fwd = intrinsic(_add8_typer(True))
#: backward pass over group g, ``acc`` holding each lane's inverse
affine_add8_bwd = intrinsic(_add8_typer(False))
