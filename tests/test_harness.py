"""The reliability harness's own parts: they decide whether `make load` and `make faults` pass,
so a wrong parser or percentile would hide a failure."""

from __future__ import annotations

import pytest

from rapport.harness.http import Browser, ProtocolError, Reply, _parse, page_kind
from rapport.harness.load import Figures, percentiles


def test_a_whole_response_is_parsed_with_its_headers_and_body():
    raw = (
        b"HTTP/1.1 302 Found\r\nLocation: https://127.0.0.1:8000/m/done/\r\n"
        b"Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; Path=/\r\nContent-Length: 2\r\n\r\nok"
    )
    reply = _parse(raw, 0.5)
    assert (reply.status, reply.body, reply.location) == (302, b"ok", "/m/done/")
    assert reply.headers["set-cookie"] == ["a=1; Path=/", "b=2; Path=/"]


def test_a_chunked_body_is_joined():
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    assert _parse(raw, 0.1).body == b"abcde"


@pytest.mark.parametrize(
    "raw",
    [
        b"",  # the worker was killed before answering
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",  # killed while answering
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        b"garbage\r\n\r\n",
    ],
)
def test_a_cut_off_response_is_a_protocol_error_never_a_success(raw):
    with pytest.raises(ProtocolError):
        _parse(raw, 0.1)


def test_cookies_are_kept_and_a_deleted_cookie_is_dropped():
    browser = Browser("127.0.0.1", 1, "10.0.0.1")
    browser._keep_cookies(Reply(200, {"set-cookie": ["s=abc; Path=/; HttpOnly"]}, b"", 0))
    assert browser.cookies == {"s": "abc"}
    browser._keep_cookies(Reply(200, {"set-cookie": ['s=""; Max-Age=0; Path=/']}, b"", 0))
    assert browser.cookies == {}


def test_pages_are_grouped_by_route_not_by_id_or_token():
    assert page_kind("/clients/12/") == "/clients/{id}/"
    assert page_kind("/episodes/3/progress/chart.svg") == "/episodes/{id}/progress/chart.svg"
    assert page_kind("/m/" + "x" * 43 + "/") == "/m/{token}/"


def test_percentiles_are_those_of_the_sample():
    values = [i / 1000 for i in range(1, 101)]  # 1 ms … 100 ms
    p50, p95, p99 = percentiles(values)
    assert p50 == pytest.approx(0.0505)
    assert p95 == pytest.approx(0.09505)
    assert p99 == pytest.approx(0.09901)


def test_a_reply_outside_the_allowed_statuses_and_a_dropped_connection_count_as_errors():
    figures = Figures()
    figures.record("send", Reply(302, {}, b"", 0.1))
    figures.record("send", Reply(429, {}, b"", 0.1), ok=(200, 302, 429))
    figures.record("send", Reply(500, {}, b"", 0.1))
    figures.record("send", None, "ConnectionResetError")
    assert figures.errors["send"] == ["HTTP 500", "ConnectionResetError"]
    assert "ALL" in figures.table()
