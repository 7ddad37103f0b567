"""A waitress server on a free loopback port in a thread, and multipart uploads with the
standard library: shared by the web tests and the serving benchmark."""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def running(app, threads: int = 8) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 with waitress for the duration; yields the base URL."""
    from waitress import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


def multipart(field: str, filename: str, data: bytes,
              content_type: str = "application/octet-stream") -> tuple[bytes, str]:
    """The body and Content-Type header of a form with one file field."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
            f"filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n").encode() \
        + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def post_image(base: str, path: str, filename: str, data: bytes) -> tuple[int, dict]:
    """POST one image as the field `image`; the status and the decoded JSON answer."""
    host, port = base.removeprefix("http://").split(":")
    body, content_type = multipart("image", filename, data, "image/png")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("POST", path, body, {"Content-Type": content_type})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()
