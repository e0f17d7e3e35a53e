"""The OpenAPI document's error answers and DRF's unwritten rules, in one place (issue #10 item 10).

Integrators generate clients from `/api/v1/schema/`, so every operation lists each status it can
answer with the body it sends. Most errors can meet any request, whatever the view: the
postprocessing hook `add_error_responses` (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]) adds them
to every operation, so a view added later is documented the same way without a line of its own:

- 400 `ValidationError`: DRF's field errors `{"field": ["message"]}` (`{"field": {"0": [...]}}`
  for an item of a list), or `{"detail": "..."}` (a body that is not a JSON object or not JSON at
  all, a malformed Content-Length header from `BodySizeLimitMiddleware`), `{"detail": [...]}` (a
  model's validation) and `{"detail": "...", "limit": 500}` (a session's steps or messages are full).
- 401 `Error` and `WWW-Authenticate: Token`: no credentials, or a token that is not (or no longer) valid.
- 403 `Error`: a role too low for the operation, a user outside any account, a failed CSRF check
  (cookie sessions).
- 404 `Error`: on operations with an id in their path (unknown or malformed ids, and objects of
  another account, are all "Not found.") and on paginated lists (`page` past the end).
- 406 `Error`: an `Accept` header that asks for something other than JSON.
- 413 `Error`: a body over DATA_UPLOAD_MAX_MEMORY_SIZE (`resolutionflow.middleware`), on any operation.
- 415 `Error`: on operations with a request body, a Content-Type the API does not parse.
- 429 `Error` and `Retry-After` (seconds): throttled.

A view declares only what is its own: its 409, `conflict("when")` (escalations raise `Conflict`,
whose extra keys `handoff_id` and `claimed_by` join the body: resolutionflow.api.exception_handler).

The hook also says what drf-spectacular leaves out: every field a serializer writes is present in
a response body (`required`), path ids are plain strings (anything unknown is a 404, never a 400),
an empty optional query parameter is the same as an absent one (`allowEmptyValue`), and request text
follows DRF's CharField (not blank, no NUL: `pattern`). tests/test_openapi_conformance.py holds the
document to the API with schemathesis.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

ERROR_MEDIA_TYPE = "application/json"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


_MESSAGES = {"type": "array", "items": {"type": "string"}}

COMPONENTS = {
    "Error": {
        "type": "object",
        "description": "Every error but a validation error (400) and a conflict (409).",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "ValidationError": {
        "type": "object",
        "description": "A request the API refuses as it is: the fields in error, each with its messages "
                       '(`{"title": ["This field is required."]}`; an item of a list by its index, '
                       '`{"events": {"0": ["…"]}}`), or `detail` for the request as a whole.',
        "properties": {
            "detail": {"oneOf": [{"type": "string"}, _MESSAGES],
                       "description": "What is wrong with the request as a whole."},
            "non_field_errors": _MESSAGES,
            "limit": {"type": "integer",
                      "description": "With `detail`: the limit the write would pass (a session's steps or messages)."},
        },
        "additionalProperties": {
            "oneOf": [_MESSAGES, {"type": "object", "additionalProperties": _MESSAGES}],
        },
    },
}

_TOKEN_CHALLENGE = {
    "WWW-Authenticate": {"description": "`Token`: send `Authorization: Token <key>`.", "required": True,
                         "schema": {"type": "string"}},
}
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before the next request.", "required": True,
                    "schema": {"type": "integer", "minimum": 0}},
}


def _response(description: str, component: str = "Error", headers: dict | None = None) -> dict:
    response = {"description": description, "content": {ERROR_MEDIA_TYPE: {"schema": _ref(component)}}}
    if headers:
        response["headers"] = headers
    return response


def _takes_id(path: str) -> bool:
    return "{" in path


def _is_paginated(operation: dict) -> bool:
    return any(p.get("in") == "query" and p.get("name") == "page" for p in operation.get("parameters", []))


def _errors_for(path: str, operation: dict) -> dict[str, dict]:
    errors = {
        "400": _response(
            "The request is malformed or its data is invalid: the fields in error, or `detail`.",
            "ValidationError"),
        "401": _response("No credentials, or a token that is not valid.", headers=_TOKEN_CHALLENGE),
        "403": _response("Not allowed: the caller's role is too low for this operation, or the caller "
                         "belongs to no account, or a cookie session's CSRF check failed."),
        "406": _response("The `Accept` header asks for something other than JSON."),
        "413": _response(f"The request body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE "
                         f"({settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes)."),
        "429": _response("Too many requests: throttled.", headers=_RETRY_AFTER),
    }
    if _takes_id(path):
        errors["404"] = _response("Not found: no such object in the caller's account, or the caller may not see "
                                  "it (ids of other accounts and malformed ids alike).")
    elif _is_paginated(operation):
        errors["404"] = _response("Not found: `page` is not a page of the list (`Invalid page.`).")
    if "requestBody" in operation:
        errors["415"] = _response("The Content-Type is not one the API reads.")
    return errors


def _describe_path_ids(operation: dict) -> None:
    """Ids in paths are strings: anything that is not the id of an object the caller may see,
    a malformed one included, is a 404 (never a 400)."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter["name"].endswith("_id"):
            parameter["schema"] = {"type": "string"}
            parameter.setdefault("description", "The object's id (a UUID). Any other value, and the id of "
                                                "an object the caller may not see, is a 404.")


def _empty_query_values_allowed(operation: dict) -> None:
    """An optional query parameter sent empty (`?page=`) is the same as one left out."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and not parameter.get("required"):
            parameter["allowEmptyValue"] = True


# DRF's CharField strips the text it reads, refuses it blank (unless the field allows blank) and
# refuses NUL characters (PostgreSQL cannot store them): said as patterns, so that the document's
# valid strings are the ones the API accepts.
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"


def _text_rules(schemas: dict) -> None:
    for name, component in schemas.items():
        if not name.endswith("Request"):
            continue
        for prop in component.get("properties", {}).values():
            if prop.get("type") != "string" or {"format", "enum", "pattern"} & prop.keys():
                continue
            prop["pattern"] = NOT_BLANK if prop.get("minLength", 0) >= 1 else NO_NUL


# Error bodies whose keys depend on the error; every other response body is a DRF serializer's.
PARTIAL_BODIES = {"ValidationError", "Conflict"}


def _every_field_present(schemas: dict) -> None:
    """A serializer writes every one of its fields, null or not: in a response body all of them
    are there (drf-spectacular marks only read-only and required-on-input ones)."""
    for name, component in schemas.items():
        if name.endswith("Request") or name in PARTIAL_BODIES or "properties" not in component:
            continue
        component["required"] = sorted(component["properties"])


def add_error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: the errors every operation can answer, in one place
    (and what DRF's parameters and text fields accept, which drf-spectacular does not say)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, component in COMPONENTS.items():
        schemas.setdefault(name, component)
    _text_rules(schemas)
    _every_field_present(schemas)
    for path, methods in result.get("paths", {}).items():
        for operation in methods.values():
            _describe_path_ids(operation)
            _empty_query_values_allowed(operation)
            responses = operation.setdefault("responses", {})
            for status, response in _errors_for(path, operation).items():
                responses.setdefault(status, response)
            operation["responses"] = dict(sorted(responses.items()))
    return result


# --- 409, declared by the views that raise it ---------------------------------------------------

class ClaimerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    email = serializers.EmailField()


class ConflictSerializer(serializers.Serializer):
    """`escalations.errors.Conflict`: the object's state forbids the operation."""

    detail = serializers.CharField()
    handoff_id = serializers.UUIDField(
        required=False, help_text="Escalating a session that has an open handoff: that handoff's id.")
    claimed_by = ClaimerSerializer(
        required=False, help_text="Claiming a handoff someone else claimed: who did.")


def conflict(description: str) -> OpenApiResponse:
    """A view's 409, with what causes it there."""
    return OpenApiResponse(ConflictSerializer, description=description)
