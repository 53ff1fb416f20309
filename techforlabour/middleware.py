"""Give every request an id, in the X-Request-ID header and on every log line it causes."""

import logging
import re
import time
import uuid

from .logging import current_request_id

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"

# A proxy's id is kept only when it is short and plain, so that a client
# cannot write arbitrary text into the logs through the header.
_ACCEPTED_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")


def request_id_for(incoming: str | None) -> str:
    """Return the proxy's request id when it is acceptable, otherwise a new random one."""
    if incoming and _ACCEPTED_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Set the request id, send it back in the response, and log one line per request.

    The line names the URL pattern (such as /volunteer/signup/), never the
    path itself, because a path can hold an email confirmation or password
    reset key. A path that matched no pattern is logged as "-".
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_for(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        token = current_request_id.set(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            resolver_match = getattr(request, "resolver_match", None)
            route = f"/{resolver_match.route}" if resolver_match else "-"
            duration_ms = round((time.monotonic() - started) * 1000, 1)
            logger.info(
                "%s %s %s in %.1f ms",
                request.method,
                route,
                response.status_code,
                duration_ms,
                extra={"route": route, "status": response.status_code, "duration_ms": duration_ms},
            )
            return response
        finally:
            current_request_id.reset(token)
