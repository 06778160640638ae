"""Every list is paged with a cursor: a page's ``next`` link continues after its last row,
so a system that reads while the desk writes sees every row once, none twice."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class NumberCursorPagination(IdCursorPagination):
    """Customers, in the order of their numbers."""

    ordering = "number"
