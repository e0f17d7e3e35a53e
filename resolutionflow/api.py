"""API plumbing shared by every app: the exception handler, and the 404 of URLs no view answers."""

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
