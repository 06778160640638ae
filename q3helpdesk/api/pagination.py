"""Every list is paged with a cursor: a page's ``next`` link continues after its last row
(by id, the order rows were written in), so a system that reads while the desk writes
sees every row once, none twice. A cursor that was not made by a page is a 404."""

from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

MAX_ID = 2**63 - 1  # the ids are 64-bit


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                valid = 0 <= int(cursor.position) <= MAX_ID
            except ValueError:
                valid = False
            if not valid:
                raise NotFound(self.invalid_cursor_message)
        return cursor
