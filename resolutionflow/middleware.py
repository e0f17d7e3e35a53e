"""Reject oversize request bodies up front with 413 (before anything parses them)."""

from django.conf import settings
from django.http import JsonResponse


class BodySizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Invalid Content-Length header."}, status=400)
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return JsonResponse(
                {"detail": f"Request body too large (limit {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes)."},
                status=413,
            )
        return self.get_response(request)
