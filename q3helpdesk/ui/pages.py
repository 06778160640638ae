"""Reading one page of a long list: the page's ids first, then those rows with what they
show of other tables; and counting the list only as far as its pages lead
(:class:`BoundedPaginator`).

Asked for in one statement (``SELECT … FROM callbacks JOIN cases JOIN customers … ORDER BY
… LIMIT 50``) SQLite starts from the joined tables and sorts every row of the list to keep
fifty (14 000 callbacks: 25 ms). Asked for the page's ids alone, it reads them in the order
of the list's index; the rows then join those fifty only.
"""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.db.models.query import ModelIterable

COUNT_BOUND = 5000  # rows counted past the start of the page shown, at most
# A page that would start further than this lies past the end of any list: its offset
# would not even fit the databases' 64-bit integers (``?page=9999999999999999999``).
MAX_START = 2**62


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


class BoundedPaginator(Paginator):
    """Counts a list's rows only as far as the pages can lead from the one shown.

    A list of 100 000 ledger rows would otherwise run ``COUNT(*)`` over all of them on
    every view. This paginator counts at most ``COUNT_BOUND`` rows from the start of the
    page asked for (``SELECT COUNT(*) FROM (… LIMIT 5001 OFFSET …)``): below the bound the
    count is exact; past it ``exact`` is False and ``count`` is a lower bound, which the
    list shows as "more than 5 000 rows" with the pages up to there (each page further on
    counts again from where it stands). A page past the end counts the whole list once,
    to lead back to the last page.

    ``bound`` sets another bound for a list; ``counted`` is a count the list's view made
    already, from the list's start with the same bound (up to ``bound`` + 1 rows): it
    serves every page within the bound, and every page when it is exact.
    """

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        self._queryset = kwargs.pop("queryset", None)
        self._number = kwargs.pop("number", 1)
        self._bound = kwargs.pop("bound", COUNT_BOUND)
        self._counted = kwargs.pop("counted", None)
        super().__init__(object_list, per_page, orphans, allow_empty_first_page, **kwargs)
        self.exact = True

    @cached_property
    def count(self) -> int:
        if self._queryset is None:
            return super().count
        try:
            number = max(int(self._number), 1)
        except (TypeError, ValueError):
            number = 1
        start = (number - 1) * self.per_page
        if self._counted is not None and self._counted <= self._bound:
            return self._counted  # the whole list, counted
        if self._counted is not None and start + self.per_page <= self._bound:
            self.exact = False  # the view's count reaches past this page already
            return self._bound
        if start > MAX_START:
            return self._queryset.count()  # past the end: leads back to the last page
        rows = self._queryset
        query = rows.query
        plain = not (query.distinct or query.combinator or query.values_select or query.group_by)
        if plain:
            # How many rows lie past the start does not depend on their order: only the
            # keys, no order, no joins for related rows, no sums the page shows.
            rows = rows.order_by().values("pk")
        ahead = rows[start : start + self._bound + 1].count()
        if ahead > self._bound:
            self.exact = False
            return start + self._bound
        if ahead == 0 and start:
            return self._queryset.count()
        return start + ahead
