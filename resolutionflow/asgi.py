"""ASGI entry point: HTTP through Django, websockets through Channels.

HTTP requests run the whole middleware stack and the view in ONE hop to a worker thread
(`SyncStackASGIHandler`). Django's own ASGI handler builds an async middleware chain: every
`MiddlewareMixin` middleware (sessions, CSRF, auth, messages, ...) then calls its
`process_request` and `process_response` through `sync_to_async`, a sync-only middleware
(ours, WhiteNoise) switches back with `async_to_sync`, and the (sync) DRF view is one more
switch: ~20 thread hops per request, ~10 ms of the 18–29 ms an authenticated API request took
under daphne on 2 busy cores (issue #13, docs/performance.md "The request floor"). Every view
of the project is synchronous, so the stack is run as Django runs it under WSGI, in the
request's own thread (asgiref's ThreadSensitiveContext: one thread per request, the same one
for the request_started / request_finished signals, so database connections open and close in
the thread that uses them).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resolutionflow.settings")

import django  # noqa: E402
from asgiref.sync import sync_to_async  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402


class SyncStackASGIHandler(ASGIHandler):
    """Django's ASGI handler with the synchronous middleware chain (as under WSGI), entered once
    per request. An async view would still work (Django runs it with async_to_sync), but there
    is none: add one and this handler is the place to reconsider."""

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


django.setup(set_prefix=False)
django_asgi_app = SyncStackASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from escalations.routing import websocket_urlpatterns  # noqa: E402
from escalations.ws_auth import websocket_stack  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
    }
)
