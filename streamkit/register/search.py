"""Find martyrs by name (characters, traditional or simplified, pinyin, initials), place, unit, year, tomb section.

The text goes through the database's own index, never a scan: SQLite matches the FTS5 table ``martyr_search``
(ranked by bm25); PostgreSQL matches the same derived columns with ``ILIKE`` on their trigram indexes. Both read
the same search text, so a query means the same on either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, column, literal_column, select, table
from sqlalchemy.orm import InstrumentedAttribute

from streamkit.archive.store import ArchiveStore
from streamkit.register.models import Martyr
from streamkit.register.text_forms import query_terms

_FTS = table("martyr_search", column("rowid"), column("rank"))


@dataclass(frozen=True)
class RegisterQuery:
    """What to look for; empty values mean no filter. ``text`` is a name in characters or pinyin (or initials)."""

    text: str = ""
    native_place: str = ""
    unit: str = ""
    died_year: int | None = None
    cemetery: str = ""
    section: str = ""
    include_hidden: bool = False
    limit: int = 20
    offset: int = 0


def _text_filters(query: RegisterQuery) -> list[tuple[str, str, bool]]:
    """(search column, term, is_prefix) for every word of the text filters."""
    wanted = (("search_name", query.text), ("search_place", query.native_place), ("search_unit", query.unit))
    return [(name, term, prefix) for name, words in wanted for term, prefix in query_terms(words)]


def fts5_match(filters: Sequence[tuple[str, str, bool]]) -> str:
    """The FTS5 MATCH expression: each term a quoted phrase in its column, prefixes starred, all required."""
    return " AND ".join(f'{name} : "{term}"' + ("*" if prefix else "") for name, term, prefix in filters)


def _like_conditions(filters: Sequence[tuple[str, str, bool]]) -> list[Any]:
    """For databases without FTS5: the stored search text starts every token with a space, so ``% term`` matches
    at a token start (pinyin prefixes) and ``% 王 志 国 %`` a whole phrase of characters."""
    columns: dict[str, InstrumentedAttribute[str]] = {
        "search_name": Martyr.search_name,
        "search_place": Martyr.search_place,
        "search_unit": Martyr.search_unit,
    }
    return [columns[name].ilike(f"% {term}%" if prefix else f"% {term} %") for name, term, prefix in filters]


def build_search(query: RegisterQuery, dialect: str) -> Select[Martyr]:
    """The SELECT for a query in the given SQL dialect (``sqlite`` uses FTS5; others trigram ``ILIKE``)."""
    conditions: list[Any] = []
    if not query.include_hidden:
        conditions.append(Martyr.hidden.is_(False))
    if query.died_year is not None:
        conditions += [Martyr.died_from <= date(query.died_year, 12, 31), Martyr.died_to >= date(query.died_year, 1, 1)]
        if not query.include_hidden:  # a withheld death date must not be found by its year either
            conditions.append(Martyr.hidden_fields.not_like("%died%"))
    if query.cemetery:
        conditions.append(Martyr.cemetery == query.cemetery.strip())
    if query.section:
        conditions.append(Martyr.section == query.section.strip().upper())
    filters = _text_filters(query)
    statement = select(Martyr)
    if filters and dialect == "sqlite":
        statement = statement.join(_FTS, _FTS.c.rowid == Martyr.id)
        conditions.append(literal_column("martyr_search").op("MATCH")(fts5_match(filters)))
        order: list[Any] = [_FTS.c.rank, Martyr.id]
    else:
        conditions += _like_conditions(filters)
        order = [Martyr.cemetery, Martyr.section, Martyr.id]
    return statement.where(and_(*conditions)).order_by(*order).offset(query.offset).limit(query.limit)


def search(store: ArchiveStore, query: RegisterQuery) -> list[Martyr]:
    """The martyrs matching ``query``, best first, at most ``query.limit``."""
    if (query.text or query.native_place or query.unit) and not _text_filters(query):
        return []  # only punctuation: nothing can match, and no filter must not mean everything
    with store.session() as session:
        return list(session.scalars(build_search(query, store.engine.dialect.name)))


def find_martyr(store: ArchiveStore, martyr_id: int) -> Martyr | None:
    """One record by its number, hidden or not (callers decide what to show)."""
    with store.session() as session:
        return session.get(Martyr, martyr_id)
