"""One page of a long list, for the pages that list every unit of a campaign.

A national campaign has thousands of units: a page shows one page of them and
``templates/rankings/public/_pager.html`` links to the others, keeping the
rest of the query string (filters, the other tables' pages).
"""

from __future__ import annotations

from dataclasses import dataclass


def page_number(asked: str | None, *, total: int, per_page: int) -> tuple[int, int]:
    """``(number, pages)``: the page asked for, within 1 … pages.

    Anything that is not a page number gives the first page, a number past the
    end the last one; an empty list has one (empty) page.
    """
    pages = max(1, -(-total // per_page))
    asked = (asked or "").strip()
    number = min(max(int(asked), 1), pages) if asked.isascii() and asked.isdigit() else 1
    return number, pages


@dataclass(frozen=True)
class Page:
    """Where a page stands in its list, as the pager shows it."""

    kind: str  # the anchor the pager's links return to: ``#table-<kind>``
    label: str  # what is paged, for the pager's accessible name
    number: int
    pages: int
    total: int
    per_page: int
    shown: int  # rows on this page
    parameter: str  # the query parameter that carries the page number
    drop: str = ""  # query parameters the pager's links leave out, comma-separated
    noun: str = ""  # "units": the pager counts units, not rows

    @property
    def start(self) -> int:
        """The offset of the page's first row."""
        return (self.number - 1) * self.per_page

    @property
    def first_row(self) -> int:
        return self.start + 1 if self.shown else 0

    @property
    def last_row(self) -> int:
        return self.start + self.shown
