"""GET /healthz: liveness for the process manager and the load balancer's quick check.

It only says that this worker process answers, so it is answered before Flask: no session,
language, user, access log line or metric, none of which a probe asked every few seconds
needs (the access log would be mostly probes). Its answer still carries the request id and
the security headers every answer has. /readyz (workshops.operations.views) is the check
that asks the database.
"""

import uuid

from workshops.logs import ACCEPTED_REQUEST_ID, REQUEST_ID_HEADER
from workshops.security import security_headers

PATH = "/healthz"
BODY = b"ok"


class LivenessProbe:
    """WSGI middleware answering GET and HEAD /healthz; everything else goes to `app`."""

    def __init__(self, app, https: bool):
        self.app = app
        self.headers = [("Content-Type", "text/plain; charset=utf-8"),
                        ("Content-Length", str(len(BODY))), ("Cache-Control", "no-store"),
                        *security_headers(https).items()]

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") not in ("GET",
                                                                                       "HEAD"):
            return self.app(environ, start_response)
        offered = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = offered if ACCEPTED_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
        start_response("200 OK", [*self.headers, (REQUEST_ID_HEADER, request_id)])
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [BODY]
