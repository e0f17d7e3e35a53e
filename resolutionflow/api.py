"""API plumbing shared by every app: the exception handler, the 404 of URLs no view answers, and
serializers whose fields are built once per class."""

import copy

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "payload_too_large"


def exception_handler(exc, context):
    """DRF's handler, plus: oversize bodies are 413, model validation errors are 400."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    extra = getattr(exc, "extra", None)
    if response is not None and extra and isinstance(response.data, dict):
        response.data.update(extra)
    return response


def not_found(request, exception=None):
    """`handler404`: under /api/ the API's own 404 body (`{"detail": "Not found."}`, as its views
    answer), e.g. for an id with a slash in it, which no route matches; the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


class FieldsBuiltOnce:
    """Mix into a ModelSerializer whose fields depend on its class alone (Meta and the declared
    fields; not the instance, the context or the request). DRF builds a serializer's fields again
    for every instance, introspecting the model for each one: `HandoffDetailSerializer` and its
    nested user refs cost ~0.6 ms per escalate response, about half of it that (issue #13). Here
    they are built once per class and each instance gets deep copies, DRF's own way of copying
    declared fields, so every serializer binds its own."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built
        return copy.deepcopy(built)
