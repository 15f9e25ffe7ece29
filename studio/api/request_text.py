"""The request behind a job as text to paste elsewhere: a cURL command for a POSIX shell, or a
Python script on httpx. Both send what the studio sent: the method, base URL + the operation's
path (studio.api.operations), the headers the client adds, and the JSON body byte for byte
(the typed request's `body()`, encoded the way httpx encodes it for the client). The key is
never in the text: cURL reads the shell variable `$LEGNEXT_API_KEY`, Python reads
`os.environ["LEGNEXT_API_KEY"]`.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from studio.api.job_requests import JobRequest

# httpx and the client are imported where a request is written, not with this module: the
# menus read FORMATS while the window is built, before anything is sent.

KEY_VARIABLE = "LEGNEXT_API_KEY"  # the environment variable the studio itself also reads
# Headers the transport makes up per connection and per body: curl and httpx write their own.
_TRANSPORT_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding"})


@dataclass(frozen=True)
class SentRequest:
    """One request as it goes on the wire, its key header aside."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]  # in the order they are written, the key's first
    body: bytes  # UTF-8 JSON

    @classmethod
    def of(cls, request: JobRequest, base_url: str) -> SentRequest:
        """What `LegnextClient.submit(request)` sends to `base_url` (ValidationError, as for
        the client, when the request breaks a documented rule)."""
        import httpx

        from studio.api.client import ACCEPT_JSON, USER_AGENT

        wire = httpx.Request("POST", base_url.rstrip("/") + request.operation.path,
                             json=request.body(), headers={"User-Agent": USER_AGENT, **ACCEPT_JSON})
        headers = tuple((name.decode("ascii"), value.decode("ascii")) for name, value in wire.headers.raw
                        if name.decode("ascii").lower() not in _TRANSPORT_HEADERS)
        # Content-Type first after the key: the order people expect to read them in.
        headers = tuple(sorted(headers, key=lambda h: h[0].lower() != "content-type"))
        return cls("POST", str(wire.url), headers, wire.content)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def curl_text(sent: SentRequest) -> str:
    """A cURL command for bash/zsh/sh. Everything but the key is single-quoted (so quotes,
    `$`, backticks and newlines in a prompt stay literal); the key header is double-quoted so
    the shell puts `$LEGNEXT_API_KEY` in."""
    from studio.api.client import KEY_HEADER

    lines = [f"curl {shlex.quote(sent.url)}"]
    inferred = "POST" if sent.body else "GET"
    if sent.method.upper() != inferred:
        lines.append(f"-X {sent.method.upper()}")
    lines.append(f'-H "{KEY_HEADER}: ${KEY_VARIABLE}"')
    lines.extend(f"-H {shlex.quote(f'{name}: {value}')}" for name, value in sent.headers)
    if sent.body:
        lines.append(f"--data-raw {shlex.quote(sent.text)}")
    return " \\\n  ".join(lines) + "\n"


def _literal(value: Any, indent: int = 0) -> str:
    """`value` (decoded JSON) as a Python literal, laid out like the JSON it came from."""
    pad, inner = " " * indent, " " * (indent + 4)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{_literal(str(k))}: {_literal(v, indent + 4)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return "[" + ", ".join(repr(v) for v in value) + "]"  # polygon points stay on one line
        items = [f"{inner}{_literal(v, indent + 4)}," for v in value]
        return "[\n" + "\n".join(items) + f"\n{pad}]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a Python string literal
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def httpx_text(sent: SentRequest) -> str:
    """A Python script that sends the request with httpx and prints the answer. The body is
    written as a dict to read and edit, and encoded the way the studio's httpx encodes it
    (compact separators, UTF-8, keys in order), so it goes out byte for byte the same."""
    from studio.api.client import KEY_HEADER

    headers = [f'        "{KEY_HEADER}": os.environ["{KEY_VARIABLE}"],']
    headers += [f"        {_literal(name)}: {_literal(value)}," for name, value in sent.headers]
    lines = [
        "import json",
        "import os",
        "",
        "import httpx",
        "",
        f"body = {_literal(json.loads(sent.body))}",
        "",
        "response = httpx.request(",
        f"    {_literal(sent.method.upper())},",
        f"    {_literal(sent.url)},",
        "    headers={",
        *headers,
        "    },",
        '    content=json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8"),',
        "    timeout=30,",
        ")",
        "print(response.status_code)",
        "print(response.text)",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class RequestFormat:
    name: str    # "curl"
    label: str   # how the menus name it, after "Copy as"
    write: Callable[[SentRequest], str]


# Every way the studio writes a request out, once: the menus of the queue, the history and the
# grid read their entries from here.
FORMATS: dict[str, RequestFormat] = {f.name: f for f in (
    RequestFormat("curl", "cURL", curl_text),
    RequestFormat("httpx", "Python (httpx)", httpx_text),
)}
