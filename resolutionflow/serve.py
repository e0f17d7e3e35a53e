"""The production web process: uvicorn serving `resolutionflow.asgi:application` (HTTP and
websockets), with the options chosen here once for the Procfile, the tests and the benchmarks.

    python -m resolutionflow.serve --host 0.0.0.0 --port 8000

Why uvicorn (docs/realtime.md, "The web process"): a queue card goes to every engineer's socket
in one pass of the process's realtime hub, so what a web process pays per websocket frame is what
grows with the account. uvicorn writes each frame to its socket at once, at about a third of
daphne's cost per frame at 500 sockets (tests/load/bench_ws_delivery.py, docs/performance.md).
`manage.py runserver` (`make run`, embedded mode) still serves through daphne's runserver.

The options:
- `ws="websockets-sansio"`, `ws_per_message_deflate=False`: the same frame goes to hundreds of
  sockets; compressing it once per socket would cost more CPU than the small JSON frames save.
- `ws_max_size`: clients send only small control frames (ping, session join/leave).
- `ws_ping_interval`/`ws_ping_timeout` (uvicorn's defaults, 20 s each): a client that stops reading
  stops answering pings and is closed, which ends the hub's waits on it (escalations/broadcast.py).
- `proxy_headers=False`: the application reads X-Forwarded-For and X-Forwarded-Proto itself, as far
  as TRUSTED_PROXY_COUNT and SECURE_PROXY_SSL_HEADER allow; the server must not rewrite the client
  address or scheme before it does.
- `lifespan="off"`: Django has no lifespan events.
- `server_header=False`: the server's name and version are nobody's business.
- `timeout_graceful_shutdown`: on SIGTERM open websockets are closed (1012: the browser reconnects,
  to another process behind the load balancer) and requests in flight get this long to finish.
- `log_config=None`, `access_log=False`: logging is Django's `LOGGING` (text or JSON lines,
  docs/operations.md); the request lines come from `resolutionflow.request`.

Before serving, the application is loaded, its URLconf with it (every view module and what they
import, which the first request would load otherwise: ~11,000 objects), and everything it made
(Django, the apps, the libraries: ~150,000 objects, never garbage, that the cycle collector would
otherwise walk on every full collection) is moved out of the collector's reach with `gc.freeze()`.
A full collection pauses the whole process, every socket of it, for a time that grows with what
it walks: at 500 sockets 115 ms before, 36 ms after (docs/performance.md). The collections still
needed (for what the sockets and requests make) run between requests, not inside whichever request
happened to cross a threshold (`resolutionflow.quiet_gc`).
"""

import argparse
import gc

WS_MAX_SIZE = 64 * 1024
GRACEFUL_SHUTDOWN_SECONDS = 10


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m resolutionflow.serve",
                                     description="The production web process (uvicorn).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)

    import uvicorn
    from django.conf import settings
    from django.urls import get_resolver

    from resolutionflow.asgi import application
    from resolutionflow.quiet_gc import QuietCollector, automatic_collections_off

    get_resolver().url_patterns  # noqa: B018  (loads the URLconf and every view module)
    gc.collect()
    gc.freeze()
    young, middle = automatic_collections_off()
    uvicorn.run(
        QuietCollector(application, full_every=settings.WEB_FULL_GC_SECONDS, young_threshold=young,
                       middle_threshold=middle),
        host=args.host,
        port=args.port,
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=WS_MAX_SIZE,
        proxy_headers=False,
        lifespan="off",
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
