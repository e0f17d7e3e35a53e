from rest_framework import status
from rest_framework.exceptions import APIException


class Conflict(APIException):
    """409: the object is in a state that forbids the operation. `extra` joins the response body."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict."
    default_code = "conflict"

    def __init__(self, detail=None, **extra):
        super().__init__(detail)
        self.extra = extra


class LimitReached(APIException):
    """400: the write would take an object past a size limit (a session's steps or messages).
    Nothing is written. `extra` (e.g. `limit`) joins the response body."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Limit reached."
    default_code = "limit_reached"

    def __init__(self, detail=None, **extra):
        super().__init__(detail)
        self.extra = extra
