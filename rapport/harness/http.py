"""A small asyncio HTTP/1.1 client for the load and fault runs: one person's browser.

It speaks to the app servers on loopback as a TLS-terminating reverse proxy would forward a
browser's requests (`X-Forwarded-Proto: https`, the person's own address in `X-Forwarded-For`),
keeps cookies, and fills in Django's CSRF token. One connection per request: gunicorn's sync
workers close the connection after each response anyway.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LINK = re.compile(r'href="(/[^"#?]*)"')


@dataclass
class Reply:
    status: int
    headers: dict[str, list[str]]
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        values = self.headers.get("location", [""])
        return urlsplit(values[-1]).path if values[-1] else ""

    def csrf_token(self) -> str | None:
        found = CSRF_FIELD.search(self.text)
        return found.group(1) if found else None


@dataclass
class Browser:
    host: str
    port: int
    forwarded_for: str
    timeout: float = 30.0
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return f"https://{self.host}:{self.port}"

    async def get(self, path: str) -> Reply:
        return await self.request("GET", path)

    async def post(self, path: str, form: dict[str, str], *, referer: str | None = None) -> Reply:
        return await self.request("POST", path, form=form, referer=referer or path)

    async def request(
        self, method: str, path: str, *, form: dict[str, str] | None = None, referer: str = ""
    ) -> Reply:
        body = urlencode(form or {}, doseq=True).encode() if method == "POST" else b""
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Connection: close",
            "User-Agent: rapport-harness",
            "Accept: text/html",
            "X-Forwarded-Proto: https",
            f"X-Forwarded-For: {self.forwarded_for}",
        ]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if method == "POST":
            lines += [
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
                f"Origin: {self.origin}",
                f"Referer: {self.origin}{referer}",
            ]
        started = time.perf_counter()
        raw = await asyncio.wait_for(
            self._exchange(("\r\n".join(lines) + "\r\n\r\n").encode() + body), self.timeout
        )
        reply = _parse(raw, time.perf_counter() - started)
        self._keep_cookies(reply)
        return reply

    async def _exchange(self, request: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(request)
            await writer.drain()
            return await reader.read(-1)
        finally:
            writer.close()

    def _keep_cookies(self, reply: Reply) -> None:
        for header in reply.headers.get("set-cookie", []):
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            gone = "max-age=0" in attributes.lower().replace(" ", "")
            if gone or (value in ('""', "") and "expires=thu, 01 jan 1970" in attributes.lower()):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value


class ProtocolError(Exception):
    """The server closed the connection without a whole response (a killed worker, say)."""


def _parse(raw: bytes, seconds: float) -> Reply:
    head, separator, body = raw.partition(b"\r\n\r\n")
    if not separator:
        raise ProtocolError("no complete response")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        raise ProtocolError(f"bad status line {status_line!r}")
    headers: dict[str, list[str]] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    if headers.get("transfer-encoding", [""])[-1].lower() == "chunked":
        body = _unchunk(body)
    elif "content-length" in headers and len(body) < int(headers["content-length"][-1]):
        raise ProtocolError("response cut short")
    return Reply(int(parts[1]), headers, body, seconds)


def _unchunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            return bytes(out)
        out += rest[:size]
        data = rest[size + 2 :]
    raise ProtocolError("chunked body cut short")


def same_site_links(reply: Reply) -> list[str]:
    return LINK.findall(reply.text)


def page_kind(path: str) -> str:
    """The route a path belongs to, with its ids as {id}: figures are grouped by it."""
    return re.sub(r"/[A-Za-z0-9_-]{20,}/", "/{token}/", re.sub(r"/\d+", "/{id}", path))
