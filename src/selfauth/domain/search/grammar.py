"""The query language's grammar (Lucene's query-string syntax, the subset Auth0 documents).

Juxtaposed clauses are OR'ed, as in Lucene; AND binds tighter than OR, NOT tighter than AND.
A term is any run of characters but whitespace and ( ) [ ] { } " : and backslash, which a
backslash escapes; a phrase is double-quoted. `*` inside a term is a wildcard.
"""

from __future__ import annotations

from lark import Lark

GRAMMAR = r"""
start: or_expr?

or_expr: and_expr (_OR? and_expr)*
and_expr: not_expr (_AND not_expr)*
?not_expr: _NOT not_expr -> negation
         | atom
?atom: "(" or_expr ")"
     | TERM ":" value -> fielded
     | TERM -> bare_term
     | PHRASE -> bare_phrase

?value: TERM -> value_term
      | PHRASE -> value_phrase
      | range
      | "(" value_or ")"
value_or: value_and (_OR? value_and)*
value_and: value_not (_AND value_not)*
?value_not: _NOT value_not -> value_negation
          | TERM -> value_term
          | PHRASE -> value_phrase
          | "(" value_or ")"

range: LOW bound _TO bound HIGH
?bound: TERM | PHRASE
LOW: "[" | "{"
HIGH: "]" | "}"

// Keywords are whole words only: `ANDROID` is a term. Their priority puts them before TERM.
_AND.2: /AND(?![^\s:()\[\]{}"\\])/
_OR.2: /OR(?![^\s:()\[\]{}"\\])/
_NOT.2: /NOT(?![^\s:()\[\]{}"\\])/
_TO.2: /TO(?![^\s:()\[\]{}"\\])/
TERM: /(?:\\.|[^\s:()\[\]{}"\\])+/
PHRASE: /"(?:\\.|[^"\\])*"/

%import common.WS
%ignore WS
"""

# LALR with the contextual lexer: linear time, and `TO` is a keyword only inside a range.
PARSER = Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=False)
