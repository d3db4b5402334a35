"""Pagination for every list page: one page size, one rule for a bad ``?page=``, one set of links.

The pages render the bar with ``{% include "includes/pagination.html" with page=page %}``.
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator

PAGE_SIZE = 50


class LinkedPage(Page):
    """A page that knows the URL it came from: its links keep the other query parameters (the
    list's filters), so page 2 of a filtered list is page 2 of the same list."""

    def __init__(self, *args, query, param: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.query, self.param = query, param

    def url(self, number: int) -> str:
        query = self.query.copy()
        query[self.param] = str(number)
        return "?" + query.urlencode()

    @property
    def previous_url(self) -> str | None:
        return self.url(self.previous_page_number()) if self.has_previous() else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.next_page_number()) if self.has_next() else None

    @property
    def links(self) -> list[tuple[int | str, str | None]]:
        """(number, url) around the current page, with (…, None) where numbers are left out."""
        return [
            (number, None if number == Paginator.ELLIPSIS else self.url(number))
            for number in self.paginator.get_elided_page_range(self.number, on_each_side=2, on_ends=1)
        ]


class _LinkedPaginator(Paginator):
    def __init__(self, *args, query, param: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.query, self.param = query, param

    def _get_page(self, *args, **kwargs) -> LinkedPage:
        return LinkedPage(*args, query=self.query, param=self.param, **kwargs)


def paginate(request, items, *, per_page: int = PAGE_SIZE, param: str = "page") -> LinkedPage:
    """The page of ``items`` the URL asks for. A number that is not one (``abc``, ``1.5``) gives
    page 1 and one out of range (``0``, ``999``) the last page: an old or edited link still shows
    a list, never a 404 or a 500. ``page.paginator.count`` is the list's total."""
    paginator = _LinkedPaginator(items, per_page, query=request.GET, param=param)
    return paginator.get_page(request.GET.get(param))
