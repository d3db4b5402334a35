"""The OpenAPI schema's error answers, which drf-spectacular does not write on its own.

Every operation may answer 401 (no or a bad token) and 404 (an id the caller may not see, a page
past the last); one with query parameters 400 (a filter value that is not valid, as
``{"filter": ["message", …]}``); the dashboard figures 403 (not the office or a leader). A query
parameter given empty is left out, as the pages' filter forms do: the schema says so. Any operation
may answer 429 (throttled, portal/api/throttles.py) with a Retry-After header.
Schemathesis (tests/api/test_api_fuzz.py) holds the API to exactly these.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

FIGURES_OPERATION = "plans_figures_retrieve"


def _answer(description: str, component: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


def document_errors(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
    schemas["FieldErrors"] = {
        "type": "object",
        "description": _("The filters that were refused, each with its messages."),
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    }
    unauthenticated = _answer(_("Not authenticated: no token, or a token that is not valid."), "Error")
    not_found = _answer(_("Not found, or not visible to the caller; or a page past the last."), "Error")
    refused_filter = _answer(_("A filter value that is not valid."), "FieldErrors")
    forbidden = _answer(_("Only the supervising office and leaders read figures."), "Error")
    throttled = {
        **_answer(_("Too many requests: try again after the seconds in Retry-After."), "Error"),
        "headers": {
            "Retry-After": {
                "description": _("Seconds to wait before the next request."),
                "schema": {"type": "integer"},
            }
        },
    }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    # As in the pages' filter forms, an empty value is no filter (and no page size).
                    parameter["allowEmptyValue"] = True
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", unauthenticated)
            responses.setdefault("404", not_found)
            responses.setdefault("429", throttled)
            if any(parameter.get("in") == "query" for parameter in operation.get("parameters", [])):
                responses.setdefault("400", refused_filter)
            if operation.get("operationId") == FIGURES_OPERATION:
                responses.setdefault("403", forbidden)
    return result
