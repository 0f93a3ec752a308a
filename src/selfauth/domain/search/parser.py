"""`parse(q)`: query text to a typed `Query`, or `InvalidQuery` naming where the problem is."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from selfauth.domain.search import fields
from selfauth.domain.search.ast import (
    And,
    Compare,
    Exists,
    Field,
    FieldKind,
    MatchAll,
    MatchNone,
    Not,
    Op,
    Or,
    Pattern,
    Query,
    Scalar,
    ValueType,
)
from selfauth.domain.search.grammar import PARSER
from selfauth.errors import InvalidQueryString

MAX_QUERY_LENGTH = 2048
MAX_DEPTH = 64  # levels of the syntax tree: about 30 nested parentheses
MAX_CLAUSES = 128  # terms, phrases and ranges in one query


class InvalidQuery(InvalidQueryString):
    """A query that cannot be run; `position` is the 0-based offset of the problem in q."""

    def __init__(self, reason: str, position: int) -> None:
        super().__init__(
            f"Query validation error: '{reason} (at character {position + 1})' on property q."
        )
        self.reason = reason
        self.position = position


class QueryTooLong(InvalidQueryString):
    status_code = 414

    def __init__(self) -> None:
        super().__init__(
            f"Query validation error: 'q is longer than {MAX_QUERY_LENGTH} characters' "
            "on property q."
        )


@dataclass(frozen=True)
class Vocabulary:
    """The fields a query may name: `resolve(name, for_exists)` (a `fields.FieldError` for
    an unknown one), and those a term without a field searches. Users by default; the tenant
    logs (domain/logs.py) bring their own."""

    resolve: Callable[[str, bool], Field]
    unfielded: tuple[str, ...]


USERS = Vocabulary(
    lambda name, for_exists: fields.resolve(name, for_exists=for_exists), fields.UNFIELDED
)


def parse(q: str, vocabulary: Vocabulary = USERS) -> Query:
    if len(q) > MAX_QUERY_LENGTH:
        raise QueryTooLong()
    try:
        tree = PARSER.parse(q)
    except UnexpectedInput as exc:
        raise InvalidQuery(_syntax_reason(exc, q), _syntax_position(exc, q)) from None
    _check_size(tree)
    if not tree.children:
        return MatchAll()
    return _query(tree.children[0], vocabulary)


def _syntax_position(exc: UnexpectedInput, q: str) -> int:
    if isinstance(exc, UnexpectedEOF):
        return len(q)
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        return len(q)
    position = exc.pos_in_stream
    return len(q) if position is None else int(position)


def _syntax_reason(exc: UnexpectedInput, q: str) -> str:
    if isinstance(exc, UnexpectedCharacters):
        return f"unexpected {fields.quote(q[exc.pos_in_stream or 0])}"
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        return f"unexpected {fields.quote(str(exc.token))}"
    return "the query ends too early"


def _check_size(tree: Tree[Token]) -> None:
    """Depth and clause limits, checked without recursion (a deep query must not crash us)."""
    clauses = 0
    stack: list[tuple[Tree[Token] | Token, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Token):
            if node.type in ("TERM", "PHRASE"):
                clauses += 1
                if clauses > MAX_CLAUSES:
                    raise InvalidQuery(f"more than {MAX_CLAUSES} terms", node.start_pos or 0)
            continue
        if depth > MAX_DEPTH:
            raise InvalidQuery("nested too deeply", node.meta.start_pos)
        stack.extend((child, depth + 1) for child in node.children)


def _query(node: Tree[Token] | Token, words: Vocabulary) -> Query:
    assert isinstance(node, Tree)
    kind = node.data
    if kind == "or_expr":
        return _any(_query(child, words) for child in node.children)
    if kind == "and_expr":
        return _all(_query(child, words) for child in node.children)
    if kind == "negation":
        return Not(_query(node.children[0], words))
    if kind == "fielded":
        name, value = node.children
        assert isinstance(name, Token)
        return _value(value, _leaf_for(name, words))
    token = node.children[0]
    assert isinstance(token, Token)
    return _unfielded(token, words)


def _any(items: Iterator[Query]) -> Query:
    found = tuple(items)
    return found[0] if len(found) == 1 else Or(found)


def _all(items: Iterator[Query]) -> Query:
    found = tuple(items)
    return found[0] if len(found) == 1 else And(found)


Leaf = Callable[[Tree[Token] | Token], Query]


def _value(node: Tree[Token] | Token, leaf: Leaf) -> Query:
    """A field's value: a term, a phrase, a range, or a group of them (`email:(a OR b)`)."""
    assert isinstance(node, Tree)
    kind = node.data
    if kind == "value_or":
        return _any(_value(child, leaf) for child in node.children)
    if kind == "value_and":
        return _all(_value(child, leaf) for child in node.children)
    if kind == "value_negation":
        return Not(_value(node.children[0], leaf))
    return leaf(node)


def _leaf_for(name: Token, words: Vocabulary) -> Leaf:
    text = _unescape(str(name))
    if text == fields.EXISTS:
        return lambda node: _exists_leaf(node, words)
    if text == "*":
        return _match_all_leaf
    try:
        field = words.resolve(text, False)
    except fields.FieldError as exc:
        raise InvalidQuery(str(exc), name.start_pos or 0) from None
    return lambda node: _typed_leaf(field, node)


def _exists_leaf(node: Tree[Token] | Token, words: Vocabulary) -> Query:
    token = _token_of(node)
    if token is None:
        raise InvalidQuery("_exists_ takes a field name", _start(node))
    try:
        return Exists(words.resolve(_text(token), True))
    except fields.FieldError as exc:
        raise InvalidQuery(str(exc), token.start_pos or 0) from None


def _match_all_leaf(node: Tree[Token] | Token) -> Query:
    token = _token_of(node)
    if token is None or str(token) != "*":
        raise InvalidQuery("only *:* may leave out the field", _start(node))
    return MatchAll()


def _typed_leaf(field: Field, node: Tree[Token] | Token) -> Query:
    try:
        if isinstance(node, Tree) and node.data == "range":
            return _range(field, node)
        token = _token_of(node)
        assert token is not None
        if token.type == "PHRASE":
            return _equals(field, _text(token))
        segments = _segments(str(token))
        if len(segments) == 1:
            return _equals(field, segments[0])
        if not any(segments):
            return Exists(field)
        return _pattern(field, segments)
    except fields.FieldError as exc:
        raise InvalidQuery(str(exc), _start(node)) from None


def _unfielded(token: Token, words: Vocabulary) -> Query:
    """A term without a field searches the profile's names, email and ids."""
    if token.type == "TERM" and not any(_segments(str(token))):
        return MatchAll()
    return _any(_typed_leaf(words.resolve(name, False), token) for name in words.unfielded)


def _equals(field: Field, text: str) -> Query:
    if field.kind is FieldKind.METADATA:
        return _any(Compare(field, Op.EQ, value) for value in fields.metadata_values(text))
    if field.type is ValueType.DATE:
        start, end = fields.interval(text)
        return And((Compare(field, Op.GE, start), Compare(field, Op.LT, end)))
    return Compare(field, Op.EQ, fields.typed(field, text))


def _pattern(field: Field, segments: tuple[str, ...]) -> Query:
    if field.type not in (ValueType.TEXT, ValueType.FOLDED_TEXT, ValueType.ANY):
        raise fields.FieldError(f"wildcards work on text fields, not on {field.label}")
    return Pattern(field, segments)


def _range(field: Field, node: Tree[Token]) -> Query:
    low_bracket, low_token, high_token, high_bracket = node.children
    low, high = _bound(low_token), _bound(high_token)
    low_inclusive, high_inclusive = str(low_bracket) == "[", str(high_bracket) == "]"
    if low is None and high is None:
        return Exists(field)
    if field.type is ValueType.BOOLEAN:
        raise fields.FieldError(f"ranges do not apply to {field.label}")
    if field.type is ValueType.DATE:
        return _date_range(field, low, high, low_inclusive, high_inclusive)
    converted = [_range_value(field, text, low, high) for text in (low, high)]
    clauses: list[Query] = []
    if converted[0] is not None:
        clauses.append(Compare(field, Op.GE if low_inclusive else Op.GT, converted[0]))
    if converted[1] is not None:
        clauses.append(Compare(field, Op.LE if high_inclusive else Op.LT, converted[1]))
    return _all(iter(clauses))


def _range_value(
    field: Field, text: str | None, low: str | None, high: str | None
) -> Scalar | None:
    if text is None:
        return None
    if field.type is ValueType.ANY:
        # Numbers when every bound is one, so [10 TO *] compares numbers, [a TO m] strings.
        given = [bound for bound in (low, high) if bound is not None]
        if all(fields.number(bound) is not None for bound in given):
            found = fields.number(text)
            assert found is not None
            return found
        return text
    return fields.typed(field, text)


def _date_range(
    field: Field, low: str | None, high: str | None, low_inclusive: bool, high_inclusive: bool
) -> Query:
    after = before = None
    if low is not None:
        start, end = fields.interval(low)
        after = start if low_inclusive else end
    if high is not None:
        start, end = fields.interval(high)
        before = end if high_inclusive else start
    if after is not None and before is not None and after >= before:
        return MatchNone()
    clauses: list[Query] = []
    if after is not None:
        clauses.append(Compare(field, Op.GE, after))
    if before is not None:
        clauses.append(Compare(field, Op.LT, before))
    return _all(iter(clauses))


def _bound(token: Tree[Token] | Token) -> str | None:
    assert isinstance(token, Token)
    if token.type == "PHRASE":
        return _text(token)
    segments = _segments(str(token))
    if len(segments) == 1:
        return segments[0]
    if not any(segments) and len(segments) == 2:
        return None  # a lone `*`: open-ended
    raise fields.FieldError("a range bound is a value or *, not a wildcard pattern")


def _token_of(node: Tree[Token] | Token) -> Token | None:
    if isinstance(node, Token):
        return node
    if node.data in ("value_term", "value_phrase", "bare_term", "bare_phrase"):
        child = node.children[0]
        return child if isinstance(child, Token) else None
    return None


def _start(node: Tree[Token] | Token) -> int:
    if isinstance(node, Token):
        return node.start_pos or 0
    return node.meta.start_pos if not node.meta.empty else 0


def _text(token: Token) -> str:
    """A phrase's or term's literal text (a term's `*` counts as a character here)."""
    raw = str(token)
    if token.type == "PHRASE":
        raw = raw[1:-1]
    return _unescape(raw)


def _unescape(raw: str) -> str:
    out: list[str] = []
    escaped = False
    for char in raw:
        if escaped or char != "\\":
            out.append(char)
            escaped = False
        else:
            escaped = True
    return "".join(out)


def _segments(raw: str) -> tuple[str, ...]:
    """A term split at its unescaped `*`s: `jo*n\\*` is ("jo", "n*")."""
    segments: list[str] = []
    current: list[str] = []
    escaped = False
    for char in raw:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "*":
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
    segments.append("".join(current))
    return tuple(segments)
