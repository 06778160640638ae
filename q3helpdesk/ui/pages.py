"""Reading one page of a long list: the page's ids first, then those rows with what they
show of other tables.

Asked for in one statement (``SELECT … FROM callbacks JOIN cases JOIN customers … ORDER BY
… LIMIT 50``) SQLite starts from the joined tables and sorts every row of the list to keep
fifty (14 000 callbacks: 25 ms). Asked for the page's ids alone, it reads them in the order
of the list's index; the rows then join those fifty only.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.query import ModelIterable


class IdsFirst(ModelIterable):
    """Reads a page of a list (a sliced queryset) as ``WHERE id IN (SELECT id … ORDER BY
    … LIMIT 50 OFFSET …)``, in the page's order; a queryset that is not a page (a count,
    an export) reads as usual. Same rows, same order as the one statement."""

    def __iter__(self):
        queryset = self.queryset
        if not queryset.query.is_sliced:
            yield from super().__iter__()
            return
        page = queryset.values("pk")  # the order and the slice kept; the ids only
        rows = queryset._chain()
        rows.query.clear_limits()
        yield from ModelIterable(rows.filter(pk__in=page), self.chunked_fetch, self.chunk_size)


def ids_first(rows: QuerySet) -> QuerySet:
    """``rows``, whose pages read their ids first (:class:`IdsFirst`); every later filter,
    order and slice keeps it."""
    rows = rows.all()
    rows._iterable_class = IdsFirst
    return rows
