"""Pages of every list: ``?page=2&page_size=100`` (at most ``API_MAX_PAGE_SIZE``).

The answer says how many rows there are and how many pages; a page past the
end is empty. A larger page size than allowed is refused (422), not cut.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from ninja import Field, Schema
from ninja.pagination import PaginationBase

# Far more than any list has, and a bound a database accepts as an offset.
MAX_PAGE = 1_000_000


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="From 1.")
    page_size: int = Field(
        settings.API_PAGE_SIZE,
        ge=1,
        le=settings.API_MAX_PAGE_SIZE,
        description=f"Rows per page, at most {settings.API_MAX_PAGE_SIZE}.",
    )


class Pages(PaginationBase):
    Input = PageQuery

    class Output(Schema):
        items: list[Any]
        count: int = Field(description="Rows in every page together.")
        page: int
        page_size: int
        pages: int = Field(description="Pages in all (0 for an empty list).")

    def paginate_queryset(self, queryset, pagination: PageQuery, request, **params) -> dict:
        count = self._items_count(queryset)
        start = (pagination.page - 1) * pagination.page_size
        items = queryset[start : start + pagination.page_size] if start < count else []
        return {
            "items": list(items),
            "count": count,
            "page": pagination.page,
            "page_size": pagination.page_size,
            "pages": (count + pagination.page_size - 1) // pagination.page_size,
        }


class Mapped(Sequence):
    """``source`` (a sequence read a slice at a time) with ``shape`` applied to each row read."""

    def __init__(self, source: Sequence, shape: Callable[[Any], Any]):
        self.source, self.shape = source, shape

    def __len__(self) -> int:
        # A queryset is counted by the database, never read whole to be counted.
        if isinstance(self.source, QuerySet):
            return self.source.count()
        return len(self.source)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.shape(row) for row in self.source[index]]
        return self.shape(self.source[index])
