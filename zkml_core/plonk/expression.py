"""Polynomial expressions over circuit cells: the language of gates and lookups.

Python operators build an immutable tree::

    a, b, c = cs.advice_column(), cs.advice_column(), cs.advice_column()
    q = cs.selector()
    cs.create_gate("mul", [q.cur() * (a.cur() * b.cur() - c.next())])

Leaves are :class:`Constant`, :class:`Query` (a column at a rotation: ``col.cur()``,
``col.next()``, ``col.prev()``, ``col.rot(r)``) and :class:`Challenge`. A fixed-column
query has degree 1 (selectors are fixed columns), a challenge degree 0.

:func:`evaluate` walks a tree with caller-supplied leaf and operator functions, so the
same tree is evaluated on whole columns (MockProver, quotient on the extended domain)
and on single points with Python ints (verifier).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Expression:
    """Base class; combine with ``+ - *``, unary ``-`` and ``** int``."""

    __slots__ = ()

    def degree(self) -> int:
        raise NotImplementedError

    def __add__(self, other: Any) -> Expression:
        return Sum(self, as_expression(other))

    def __radd__(self, other: Any) -> Expression:
        return Sum(as_expression(other), self)

    def __sub__(self, other: Any) -> Expression:
        return Sum(self, Negated(as_expression(other)))

    def __rsub__(self, other: Any) -> Expression:
        return Sum(as_expression(other), Negated(self))

    def __mul__(self, other: Any) -> Expression:
        if isinstance(other, int):
            return Scaled(self, other)
        return Product(self, as_expression(other))

    def __rmul__(self, other: Any) -> Expression:
        if isinstance(other, int):
            return Scaled(self, other)
        return Product(as_expression(other), self)

    def __neg__(self) -> Expression:
        return Negated(self)

    def __pow__(self, e: int) -> Expression:
        if not isinstance(e, int) or e < 1:
            raise ValueError("expressions can only be raised to a positive integer power")
        out: Expression = self
        for _ in range(e - 1):
            out = Product(out, self)
        return out

    # Expressions are built from ints and each other; make `x == y` a programming error
    # rather than a silent identity test inside constraint lists.
    __hash__ = object.__hash__


def as_expression(value: Any) -> Expression:
    if isinstance(value, Expression):
        return value
    if isinstance(value, int):
        return Constant(value)
    raise TypeError(f"cannot use {type(value).__name__} in a circuit expression")


class Constant(Expression):
    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = int(value)

    def degree(self) -> int:
        return 0

    def __repr__(self) -> str:
        return str(self.value)


class Query(Expression):
    """The value of ``column`` at the row ``rotation`` rows after the current one."""

    __slots__ = ("column", "rotation")

    def __init__(self, column: Any, rotation: int) -> None:
        self.column = column
        self.rotation = int(rotation)

    def degree(self) -> int:
        return 1

    def __repr__(self) -> str:
        return f"{self.column.name}[{self.rotation:+d}]"


class Challenge(Expression):
    """A verifier challenge drawn after advice phase ``phase`` is committed.

    Usable in gates, and its value is available to witness generation of advice
    columns of later phases (``layouter.challenge(ch)``).
    """

    __slots__ = ("index", "phase")

    def __init__(self, index: int, phase: int) -> None:
        self.index = index
        self.phase = phase

    def degree(self) -> int:
        return 0

    def __repr__(self) -> str:
        return f"challenge{self.index}"


class Sum(Expression):
    __slots__ = ("a", "b")

    def __init__(self, a: Expression, b: Expression) -> None:
        self.a, self.b = a, b

    def degree(self) -> int:
        return max(self.a.degree(), self.b.degree())

    def __repr__(self) -> str:
        return f"({self.a!r} + {self.b!r})"


class Product(Expression):
    __slots__ = ("a", "b")

    def __init__(self, a: Expression, b: Expression) -> None:
        self.a, self.b = a, b

    def degree(self) -> int:
        return self.a.degree() + self.b.degree()

    def __repr__(self) -> str:
        return f"{self.a!r}*{self.b!r}"


class Negated(Expression):
    __slots__ = ("a",)

    def __init__(self, a: Expression) -> None:
        self.a = a

    def degree(self) -> int:
        return self.a.degree()

    def __repr__(self) -> str:
        return f"-{self.a!r}"


class Scaled(Expression):
    __slots__ = ("a", "factor")

    def __init__(self, a: Expression, factor: int) -> None:
        self.a, self.factor = a, int(factor)

    def degree(self) -> int:
        return self.a.degree()

    def __repr__(self) -> str:
        return f"{self.factor}*{self.a!r}"


def evaluate(
    expr: Expression,
    *,
    constant: Callable[[int], Any],
    query: Callable[[Query], Any],
    challenge: Callable[[Challenge], Any],
    add: Callable[[Any, Any], Any],
    mul: Callable[[Any, Any], Any],
    neg: Callable[[Any], Any],
    scale: Callable[[Any, int], Any] | None = None,
) -> Any:
    """Fold ``expr`` bottom-up with the given leaf and operator functions."""

    def go(e: Expression) -> Any:
        if isinstance(e, Sum):
            return add(go(e.a), go(e.b))
        if isinstance(e, Product):
            return mul(go(e.a), go(e.b))
        if isinstance(e, Negated):
            return neg(go(e.a))
        if isinstance(e, Scaled):
            if scale is not None:
                return scale(go(e.a), e.factor)
            return mul(go(e.a), constant(e.factor))
        if isinstance(e, Query):
            return query(e)
        if isinstance(e, Challenge):
            return challenge(e)
        if isinstance(e, Constant):
            return constant(e.value)
        raise TypeError(f"unknown expression node {type(e).__name__}")

    return go(expr)


def _leaves(expr: Expression, cls: type) -> list:
    out = []
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, cls):
            out.append(e)
        elif isinstance(e, (Sum, Product)):
            stack.extend((e.b, e.a))
        elif isinstance(e, (Negated, Scaled)):
            stack.append(e.a)
    return out


def queries_of(expr: Expression) -> list[Query]:
    """Every column query in ``expr`` (with repeats), left to right."""
    return _leaves(expr, Query)


def challenges_of(expr: Expression) -> list[Challenge]:
    """Every challenge in ``expr`` (with repeats), left to right."""
    return _leaves(expr, Challenge)


def to_data(expr: Expression) -> list:
    """A plain nested-list form of ``expr`` (for the verifying key's bytes and digest).

    Columns are written as ``(kind, index)``; :func:`from_data` rebuilds the tree given
    a function that maps ``(kind, index)`` back to column objects.
    """
    if isinstance(expr, Sum):
        return ["+", to_data(expr.a), to_data(expr.b)]
    if isinstance(expr, Product):
        return ["*", to_data(expr.a), to_data(expr.b)]
    if isinstance(expr, Negated):
        return ["-", to_data(expr.a)]
    if isinstance(expr, Scaled):
        return ["s", to_data(expr.a), _int_to_data(expr.factor)]
    if isinstance(expr, Query):
        return ["q", expr.column.kind, expr.column.index, expr.rotation]
    if isinstance(expr, Challenge):
        return ["c", expr.index, expr.phase]
    if isinstance(expr, Constant):
        return ["k", _int_to_data(expr.value)]
    raise TypeError(f"unknown expression node {type(expr).__name__}")


def from_data(data: Any, column: Callable[[str, int], Any]) -> Expression:
    """Inverse of :func:`to_data`; raises ValueError on malformed input."""
    if not isinstance(data, (list, tuple)) or not data:
        raise ValueError("malformed expression")
    tag = data[0]
    if tag == "+" and len(data) == 3:
        return Sum(from_data(data[1], column), from_data(data[2], column))
    if tag == "*" and len(data) == 3:
        return Product(from_data(data[1], column), from_data(data[2], column))
    if tag == "-" and len(data) == 2:
        return Negated(from_data(data[1], column))
    if tag == "s" and len(data) == 3:
        return Scaled(from_data(data[1], column), _int_from_data(data[2]))
    if tag == "q" and len(data) == 4:
        if not isinstance(data[2], int) or not isinstance(data[3], int):
            raise ValueError("malformed query")
        return Query(column(data[1], data[2]), data[3])
    if tag == "c" and len(data) == 3:
        if not isinstance(data[1], int) or not isinstance(data[2], int):
            raise ValueError("malformed challenge")
        return Challenge(data[1], data[2])
    if tag == "k" and len(data) == 2:
        return Constant(_int_from_data(data[1]))
    raise ValueError(f"malformed expression node {tag!r}")


# msgpack integers stop at 64 bits; field constants are written as signed decimal strings.
def _int_to_data(v: int) -> str:
    return str(int(v))


def _int_from_data(v: Any) -> int:
    if not isinstance(v, str):
        raise ValueError("malformed integer")
    return int(v)
