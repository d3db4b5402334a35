from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    """``?page=N`` (from 1) and ``?page_size=N`` (50 unless asked; more than 500 gives 500): a BI
    tool pages through a plan's reports in a few requests, and no request holds a whole table.

    A page size that is not a whole number from 1 is refused (400) rather than silently replaced by
    the default, so that a client's mistake shows; a page past the last is a 404, as in DRF."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    last_page_strings = ()  # ?page=last would contradict the schema's "integer"

    def get_page_size(self, request) -> int:
        asked = request.query_params.get(self.page_size_query_param, "")
        if asked == "":
            return self.page_size
        if not asked.isascii() or not asked.isdigit() or int(asked) < 1:
            raise ValidationError({self.page_size_query_param: [_("Give a whole number from 1.")]})
        return min(int(asked), self.max_page_size)

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters
