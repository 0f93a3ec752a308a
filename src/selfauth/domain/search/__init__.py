"""User search: the query language (Lucene's query-string syntax, as Auth0's v3 engine)."""

from selfauth.domain.search.ast import Query
from selfauth.domain.search.parser import (
    MAX_QUERY_LENGTH,
    InvalidQuery,
    QueryTooLong,
    parse,
)

__all__ = ["MAX_QUERY_LENGTH", "InvalidQuery", "Query", "QueryTooLong", "parse"]
