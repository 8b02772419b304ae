"""Montgomery field operations emitted as LLVM IR (numba intrinsics).

numba has no 128-bit integer, but an intrinsic can build IR directly: operands are
zero-extended to i128 for the 64x64 -> 128-bit products (CIOS multiplication), and to
i256 for additions and the final conditional subtraction, which LLVM lowers to add/adc
and sub/sbb chains. Intrinsics are expanded in place at every call site without
numba-level inlining, so kernels built from them compile quickly and pay no call
overhead.

Two calling forms share the generators:
- scalar limbs: ``mont_mul(a0..a3, b0..b3, p0..p3, inv)``, ``mod_add`` / ``mod_sub``
  ``(a0..a3, b0..b3, p0..p3)``, each returning a 4-tuple of uint64;
- tuples: ``fm(a, b, P)``, ``fa(a, b, P)``, ``fs(a, b, P)`` with ``a``, ``b`` 4-tuples
  and ``P = (p0, p1, p2, p3, inv)``.

Multiplication is CIOS without the final carry word (valid because every modulus here
is below 2^255); all inputs must be fully reduced (< p) and so are all outputs.

Where the compiling CPU has AVX-512 IFMA, ``mont_mul8`` multiplies eight rows of
``(n, 4)`` arrays at once in radix 2^52 (see ``_mont52_ir``); ``vector_rows`` tells a
kernel at compile time whether it may (8) or must use the scalar form (0). numba keys its
cache on the CPU name and features, so a cached kernel never runs on a CPU without them.

numba's on-disk cache is keyed on the file of each cached kernel, not on this module:
after editing this file, delete ``zkml_core/arith/__pycache__/*.nbi`` and ``*.nbc``.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

I64 = ir.IntType(64)
I128 = ir.IntType(128)
I256 = ir.IntType(256)
U4 = types.UniTuple(types.uint64, 4)


def _join(bd, limbs):
    acc = bd.zext(limbs[0], I256)
    for k in range(1, 4):
        acc = bd.or_(acc, bd.shl(bd.zext(limbs[k], I256), ir.Constant(I256, 64 * k)))
    return acc


def _split(bd, v):
    return [bd.trunc(bd.lshr(v, ir.Constant(I256, 64 * k)), I64) for k in range(4)]


def _mul_ir(bd, a, b, p, inv):
    c64 = ir.Constant(I128, 64)
    t = [ir.Constant(I64, 0)] * 4
    for i in range(4):
        carry = ir.Constant(I128, 0)
        bi = bd.zext(b[i], I128)
        for j in range(4):
            s = bd.add(bd.add(bd.mul(bd.zext(a[j], I128), bi), bd.zext(t[j], I128)), carry)
            t[j] = bd.trunc(s, I64)
            carry = bd.lshr(s, c64)
        t4 = bd.trunc(carry, I64)
        m = bd.zext(bd.mul(t[0], inv), I128)
        s = bd.add(bd.mul(m, bd.zext(p[0], I128)), bd.zext(t[0], I128))
        carry = bd.lshr(s, c64)
        for j in range(1, 4):
            s = bd.add(bd.add(bd.mul(m, bd.zext(p[j], I128)), bd.zext(t[j], I128)), carry)
            t[j - 1] = bd.trunc(s, I64)
            carry = bd.lshr(s, c64)
        t[3] = bd.add(t4, bd.trunc(carry, I64))
    return _reduce_once(bd, _join(bd, t), _join(bd, p))


def _reduce_once(bd, x, p):
    """x - p if x >= p else x (x < 2p): one subtract-with-borrow chain and a select."""
    d = bd.usub_with_overflow(x, p)
    return _split(bd, bd.select(bd.extract_value(d, 1), x, bd.extract_value(d, 0)))


def _add_ir(bd, a, b, p):
    return _reduce_once(bd, bd.add(_join(bd, a), _join(bd, b)), _join(bd, p))  # < 2p < 2^256


def _sub_ir(bd, a, b, p):
    d = bd.usub_with_overflow(_join(bd, a), _join(bd, b))
    # add p back on a borrow, masked rather than branched
    mask = bd.sext(bd.extract_value(d, 1), I256)
    return _split(bd, bd.add(bd.extract_value(d, 0), bd.and_(_join(bd, p), mask)))


def _scalar_sig(args):
    if not all(isinstance(t, types.Integer) for t in args):
        return None
    return U4(*args)


def _scalar_codegen(op):
    def codegen(context, builder, signature, vals):
        v = [context.cast(builder, x, t, types.uint64)
             for x, t in zip(vals, signature.args, strict=True)]
        return context.make_tuple(builder, signature.return_type,
                                  op(builder, v[0:4], v[4:8], v[8:12], *v[12:]))

    return codegen


# numba intrinsics cannot take *args: the scalar forms spell their parameters out
@intrinsic
def mont_mul(typingctx, a0, a1, a2, a3, b0, b1, b2, b3, p0, p1, p2, p3, inv):
    """Montgomery product a·b·2^-256 mod p of limb-wise operands."""
    sig = _scalar_sig((a0, a1, a2, a3, b0, b1, b2, b3, p0, p1, p2, p3, inv))
    return sig, _scalar_codegen(_mul_ir)


@intrinsic
def mod_add(typingctx, a0, a1, a2, a3, b0, b1, b2, b3, p0, p1, p2, p3):
    """(a + b) mod p of limb-wise operands."""
    return _scalar_sig((a0, a1, a2, a3, b0, b1, b2, b3, p0, p1, p2, p3)), _scalar_codegen(_add_ir)


@intrinsic
def mod_sub(typingctx, a0, a1, a2, a3, b0, b1, b2, b3, p0, p1, p2, p3):
    """(a - b) mod p of limb-wise operands."""
    return _scalar_sig((a0, a1, a2, a3, b0, b1, b2, b3, p0, p1, p2, p3)), _scalar_codegen(_sub_ir)


@intrinsic
def mul_wide(typingctx, a, b):
    """The full 128-bit product of two uint64 as ``(lo, hi)`` (plain, not Montgomery)."""
    if not (isinstance(a, types.Integer) and isinstance(b, types.Integer)):
        return None

    def codegen(context, builder, signature, vals):
        x, y = (builder.zext(context.cast(builder, v, t, types.uint64), I128)
                for v, t in zip(vals, signature.args, strict=True))
        prod = builder.mul(x, y)
        lo = builder.trunc(prod, I64)
        hi = builder.trunc(builder.lshr(prod, ir.Constant(I128, 64)), I64)
        return context.make_tuple(builder, signature.return_type, (lo, hi))

    return types.UniTuple(types.uint64, 2)(a, b), codegen


def _unpack(context, builder, val, ty, n):
    return [context.cast(builder, builder.extract_value(val, k), ty[k], types.uint64)
            for k in range(n)]


def _tupled(op, with_inv, name):
    def typer(typingctx, a, b, P):
        for t, n in ((a, 4), (b, 4), (P, 5)):
            if not (isinstance(t, types.BaseTuple) and len(t) == n
                    and all(isinstance(e, types.Integer) for e in t)):
                return None
        sig = U4(a, b, P)

        def codegen(context, builder, signature, vals):
            ta, tb, tp = signature.args
            av = _unpack(context, builder, vals[0], ta, 4)
            bv = _unpack(context, builder, vals[1], tb, 4)
            pv = _unpack(context, builder, vals[2], tp, 5)
            extra = (pv[4],) if with_inv else ()
            out = op(builder, av, bv, pv[:4], *extra)
            return context.make_tuple(builder, signature.return_type, out)

        return sig, codegen

    typer.__name__ = typer.__qualname__ = name
    return typer


fm = intrinsic(_tupled(_mul_ir, True, "fm"))
fa = intrinsic(_tupled(_add_ir, False, "fa"))
fs = intrinsic(_tupled(_sub_ir, False, "fs"))


# -- eight rows at once: AVX-512 IFMA, radix 2^52 --------------------------------------
#
# Rows i..i+7 of a, b (C-contiguous (n, 4) uint64) are loaded as four 512-bit vectors and
# transposed to limb-major order (lane r = row i+r). In radix 2^52 (five limbs) the
# Montgomery product with R' = 2^260 of 16·a and b is a·b·2^-256, the engine's Montgomery
# product: 16·a < 2^259 fits five limbs, and the result (16a·b + m·p) / 2^260 < 1.5p needs
# one conditional subtraction. vpmadd52{l,h}uq add the low / high 52 bits of a 52x52-bit
# product to a 64-bit lane, so the sums of a row stay carry-free (< 2^58) until one final
# carry pass.

V8 = ir.VectorType(I64, 8)
_M52 = (1 << 52) - 1


def _vc(x):
    return ir.Constant(V8, [x] * 8)


def _vsplat(bd, v):
    vec = bd.insert_element(ir.Constant(V8, ir.Undefined), v, ir.Constant(ir.IntType(32), 0))
    return bd.shuffle_vector(vec, ir.Constant(V8, ir.Undefined),
                             ir.Constant(ir.VectorType(ir.IntType(32), 8), [0] * 8))


def _shuf(bd, x, y, mask):
    return bd.shuffle_vector(x, y, ir.Constant(ir.VectorType(ir.IntType(32), 8), mask))


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


def _to52(bd, x, shift):
    """Four 64-bit limbs of x·2^shift (shift 0 or 4, x·2^shift < 2^260) as five 52-bit."""
    out = []
    for j in range(5):
        lo_bit = 52 * j - shift  # bit of x that lands at bit 0 of limb j
        k, off = divmod(lo_bit, 64) if lo_bit >= 0 else (0, lo_bit)
        v = bd.lshr(x[k], _vc(off)) if off > 0 else bd.shl(x[k], _vc(-off)) if off < 0 else x[k]
        if off > 12 and k + 1 < 4:  # the limb also takes low bits of the next 64-bit limb
            v = bd.or_(v, bd.shl(x[k + 1], _vc(64 - off)))
        out.append(bd.and_(v, _vc(_M52)) if j < 4 else v)
    return out


def _madd52(bd, which, acc, x, y):
    fn = bd.module.declare_intrinsic(f"llvm.x86.avx512.vpmadd52{which}.uq.512",
                                     fnty=ir.FunctionType(V8, [V8, V8, V8]))
    return bd.call(fn, [acc, x, y])


def _mont52_ir(bd, A, B, P, pinv):
    """Montgomery product (R' = 2^260) of five-limb A, B, fully reduced, as 4 x 64 bits."""
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
        T[j] = bd.and_(T[j], _vc(_M52))
    borrow = zero
    D = []
    for j in range(5):
        d = bd.sub(bd.sub(T[j], P[j]), borrow)
        borrow = bd.lshr(d, _vc(63))
        D.append(bd.and_(d, _vc(_M52)))
    keep = bd.icmp_unsigned("!=", borrow, zero)  # T < p
    R = [bd.select(keep, T[j], D[j]) for j in range(5)]
    return [bd.or_(bd.lshr(R[j], _vc(12 * j)) if j else R[0], bd.shl(R[j + 1], _vc(52 - 12 * j)))
            for j in range(4)]


def _has_ifma(context):
    feats = getattr(context.codegen(), "_tm_features", "") or ""
    return "+avx512ifma" in feats and "+avx512f" in feats


def _c_rows(*tys):
    return all(isinstance(t, types.Array) and t.ndim == 2 and t.layout == "C"
               and t.dtype == types.uint64 for t in tys)


@intrinsic
def vector_rows(typingctx, a, b, out):
    """8 when ``mont_mul8`` may run on these arrays on the compiling CPU, else 0."""
    ok = _c_rows(a, b, out)

    def codegen(context, builder, signature, vals):
        return ir.Constant(I64, 8 if ok and _has_ifma(context) else 0)

    return types.intp(a, b, out), codegen


def _mul8_typer(bcast):
    def typer(typingctx, a, b, out, i, p0, p1, p2, p3, inv):
        if not (all(isinstance(t, types.Array) for t in (a, b, out))
                and isinstance(i, types.Integer)):
            return None
        usable = _c_rows(a, b, out)

        def codegen(context, bd, signature, vals):
            if not (usable and _has_ifma(context)):  # vector_rows is 0: never called
                return context.get_dummy_value()
            ta, tb, to = signature.args[:3]
            arrs = [context.make_array(t)(context, bd, v) for t, v in zip((ta, tb, to), vals[:3],
                                                                         strict=True)]
            row = context.cast(bd, vals[3], signature.args[3], types.intp)
            pv = [context.cast(bd, v, t, types.uint64)
                  for v, t in zip(vals[4:], signature.args[4:], strict=True)]
            vptr = ir.PointerType(V8)

            def rows(arr):
                base = bd.gep(arr.data, [bd.mul(row, ir.Constant(I64, 4))])
                return [bd.gep(base, [ir.Constant(I64, 8 * k)]) for k in range(4)]

            A = _to52(bd, _rows_to_limbs(bd, [bd.load(bd.bitcast(q, vptr), align=8)
                                               for q in rows(arrs[0])]), 4)
            if bcast:
                b = [_vsplat(bd, bd.load(bd.gep(arrs[1].data, [ir.Constant(I64, k)])))
                     for k in range(4)]
            else:
                b = _rows_to_limbs(bd, [bd.load(bd.bitcast(q, vptr), align=8)
                                        for q in rows(arrs[1])])
            P = _to52(bd, [_vsplat(bd, v) for v in pv[:4]], 0)
            pinv = _vsplat(bd, bd.and_(pv[4], ir.Constant(I64, _M52)))
            R = _limbs_to_rows(bd, _mont52_ir(bd, A, _to52(bd, b, 0), P, pinv))
            for q, v in zip(rows(arrs[2]), R, strict=True):
                bd.store(v, bd.bitcast(q, vptr), align=8)
            return context.get_dummy_value()

        return types.none(a, b, out, i, p0, p1, p2, p3, inv), codegen

    typer.__name__ = typer.__qualname__ = "mont_mul8_b1" if bcast else "mont_mul8"
    return typer


#: out[i..i+8] = a[i..i+8]·b[i..i+8] (Montgomery), where ``vector_rows`` says so
mont_mul8 = intrinsic(_mul8_typer(False))
#: out[i..i+8] = a[i..i+8]·b[0]
mont_mul8_b1 = intrinsic(_mul8_typer(True))
