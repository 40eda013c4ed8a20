"""The page envelope of every list, as the LMS's APIs shape it (edx-drf-extensions' ``DefaultPagination``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from edx_rest_framework_extensions.paginators import DefaultPagination
from rest_framework.response import Response


class Pagination(DefaultPagination):
    """``?page=`` and ``?page_size=`` (at most 100); the body adds ``count``, ``num_pages``, ``current_page``."""

    page_size = 10
    max_page_size = 100

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The envelope's OpenAPI schema around ``schema`` (the items' array)."""
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["count", "num_pages", "current_page", "start", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "example": 23},
                "num_pages": {"type": "integer", "example": 3},
                "current_page": {"type": "integer", "example": 1},
                "start": {"type": "integer", "example": 0},
                "next": link,
                "previous": link,
                "results": schema,
            },
        }


def paginate(request, view, items: Sequence[Any], serialize: Callable[[list[Any]], Any]) -> Response:
    """Answer one page of ``items`` (a list an ``api`` function returned), serialising only that page.

    Uses the view's ``pagination_class``, the one its schema describes.

    Raises:
        rest_framework.exceptions.NotFound: the page does not exist.
    """
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(serialize(page))
