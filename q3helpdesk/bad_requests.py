"""Requests no page can handle are refused at the door with a translated 400 page.

A NUL byte cannot be stored in PostgreSQL text and is never typed by a person: it comes
from a pasted binary, a broken client or a probe. Forms already refuse it in their fields,
but a page also reads query parameters directly (the lookup's ``?q=``, ``?phone=``,
``?reply_to=``); refusing it here, before any view runs, means no code path can reach the
database with it.
"""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.views.defaults import bad_request


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())


def _carries_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or _has_nul(request.GET):
        return True
    form = ("application/x-www-form-urlencoded", "multipart/form-data")
    return request.method == "POST" and request.content_type in form and _has_nul(request.POST)


class RefuseNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _carries_nul(request):
            return bad_request(request, BadRequest("NUL byte in the request"))
        return self.get_response(request)
