"""The fetch adapter against a real local HTTP server and real files; no mocks."""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import os
import time
from pathlib import Path

import pytest

from monitor.poll.fetch import Failed, Fetched, Fetcher, NotModified, Validators, _retry_after
from tests import httpserver
from tests.httpserver import LocalHTTPServer, free_port

# The fixture lives in tests/httpserver.py; bound here so this file runs without a conftest.
http_server = httpserver.http_server

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


async def test_200_then_304_with_if_none_match(http_server: LocalHTTPServer) -> None:
    http_server.put("/feed.xml", RSS)
    async with Fetcher() as fetcher:
        first = await fetcher.fetch(http_server.url("/feed.xml"))
        assert isinstance(first, Fetched)
        second = await fetcher.fetch(http_server.url("/feed.xml"), first.validators)
    assert first.status == 200
    assert first.body == RSS
    assert first.content_type == "application/rss+xml"
    assert first.final_url == http_server.url("/feed.xml")
    resource = http_server.resources["/feed.xml"]
    assert first.validators == Validators(resource.etag, resource.last_modified)
    assert isinstance(second, NotModified)
    assert second.status == 304
    assert second.validators == first.validators
    sent = http_server.requests_for("/feed.xml")[1]
    assert sent.header("If-None-Match") == resource.etag
    assert sent.status == 304


async def test_if_modified_since_is_the_servers_own_last_modified(
    http_server: LocalHTTPServer,
) -> None:
    """IMS carries the server's Last-Modified verbatim, so an nginx-like server can answer 304."""
    http_server.put("/feed.xml", RSS)
    last_modified = http_server.resources["/feed.xml"].last_modified
    async with Fetcher() as fetcher:
        first = await fetcher.fetch(http_server.url("/feed.xml"))
        assert isinstance(first, Fetched)
        await fetcher.fetch(http_server.url("/feed.xml"), first.validators)
    first_sent, second_sent = http_server.requests_for("/feed.xml")
    assert first_sent.header("If-Modified-Since") is None
    assert first_sent.header("If-None-Match") is None
    assert second_sent.header("If-Modified-Since") == last_modified
    assert second_sent.status == 304


async def test_no_if_modified_since_without_a_server_last_modified(
    http_server: LocalHTTPServer,
) -> None:
    http_server.put("/feed.xml", RSS, validators=False, headers={"ETag": '"only-etag"'})
    async with Fetcher() as fetcher:
        first = await fetcher.fetch(http_server.url("/feed.xml"))
        assert isinstance(first, Fetched)
        assert first.validators == Validators(etag='"only-etag"', last_modified=None)
        await fetcher.fetch(http_server.url("/feed.xml"), first.validators)
    sent = http_server.requests_for("/feed.xml")[1]
    assert sent.header("If-None-Match") == '"only-etag"'
    assert sent.header("If-Modified-Since") is None


async def test_changed_body_gives_200_and_new_validators(http_server: LocalHTTPServer) -> None:
    http_server.put("/feed.xml", RSS)
    async with Fetcher() as fetcher:
        first = await fetcher.fetch(http_server.url("/feed.xml"))
        assert isinstance(first, Fetched)
        http_server.put("/feed.xml", RSS.replace(b"<title>T", b"<title>U"))
        second = await fetcher.fetch(http_server.url("/feed.xml"), first.validators)
    assert isinstance(second, Fetched)
    assert b"<title>U" in second.body
    assert second.validators.etag != first.validators.etag
    assert second.validators.last_modified != first.validators.last_modified


async def test_user_agent_and_gzip_are_requested(http_server: LocalHTTPServer) -> None:
    http_server.put("/feed.xml", RSS * 50, compress=True)
    async with Fetcher(user_agent="newsmon-test/9") as fetcher:
        result = await fetcher.fetch(http_server.url("/feed.xml"))
    assert isinstance(result, Fetched)
    assert result.body == RSS * 50
    [sent] = http_server.requests
    assert sent.header("User-Agent") == "newsmon-test/9"
    assert "gzip" in (sent.header("Accept-Encoding") or "")


async def test_request_timeout(http_server: LocalHTTPServer) -> None:
    http_server.put("/slow.xml", RSS, delay=2.0)
    async with Fetcher(timeout=0.3) as fetcher:
        result = await fetcher.fetch(http_server.url("/slow.xml"))
    assert isinstance(result, Failed)
    assert result.error == "timed out after 0.3s"
    assert result.status is None
    assert result.elapsed_ms < 1500


async def test_timeout_while_the_body_stalls(http_server: LocalHTTPServer) -> None:
    """Headers arrive at once but the body never finishes: the total timeout still applies."""
    http_server.put("/stall.xml", RSS * 10, stall_after=20)
    async with Fetcher(timeout=0.3) as fetcher:
        result = await fetcher.fetch(http_server.url("/stall.xml"))
    assert isinstance(result, Failed)
    assert result.error == "timed out after 0.3s"


async def test_declared_body_over_limit(http_server: LocalHTTPServer) -> None:
    http_server.put("/big.xml", b"x" * 2001)
    async with Fetcher(max_bytes=2000) as fetcher:
        result = await fetcher.fetch(http_server.url("/big.xml"))
    assert isinstance(result, Failed)
    assert result.error == "body larger than 2000 bytes"
    assert result.status == 200


async def test_body_exactly_at_limit_is_fine(http_server: LocalHTTPServer) -> None:
    http_server.put("/edge.xml", b"x" * 2000)
    async with Fetcher(max_bytes=2000) as fetcher:
        result = await fetcher.fetch(http_server.url("/edge.xml"))
    assert isinstance(result, Fetched)
    assert len(result.body) == 2000


async def test_limit_applies_after_gzip_decompression(http_server: LocalHTTPServer) -> None:
    """A small gzip body that inflates past the limit is refused (a gzip bomb)."""
    body = b"a" * 5_000_000
    assert len(gzip.compress(body)) < 10_000
    http_server.put("/bomb.xml", body, compress=True)
    async with Fetcher(max_bytes=1_000_000) as fetcher:
        result = await fetcher.fetch(http_server.url("/bomb.xml"))
    assert isinstance(result, Failed)
    assert result.error == "body larger than 1000000 bytes"


async def test_limit_applies_while_streaming(http_server: LocalHTTPServer) -> None:
    """No Content-Length and a body that stalls past the limit: reading stops at the limit."""
    http_server.put("/stream.xml", b"y" * 300_000, chunked=True, stall_after=200_000)
    async with Fetcher(max_bytes=100_000, timeout=10) as fetcher:
        result = await fetcher.fetch(http_server.url("/stream.xml"))
    assert isinstance(result, Failed)
    assert result.error == "body larger than 100000 bytes"


async def test_chunked_body_is_read_whole(http_server: LocalHTTPServer) -> None:
    body = bytes(range(256)) * 400
    http_server.put("/chunked.xml", body, chunked=True)
    async with Fetcher() as fetcher:
        result = await fetcher.fetch(http_server.url("/chunked.xml"))
    assert isinstance(result, Fetched)
    assert result.body == body


async def test_redirect_is_followed(http_server: LocalHTTPServer) -> None:
    http_server.put("/new.xml", RSS)
    http_server.redirect("/old.xml", "/new.xml", status=301)
    async with Fetcher() as fetcher:
        result = await fetcher.fetch(http_server.url("/old.xml"))
    assert isinstance(result, Fetched)
    assert result.url == http_server.url("/old.xml")
    assert result.final_url == http_server.url("/new.xml")


@pytest.mark.parametrize(("hops", "ok"), [(3, True), (4, False)])
async def test_redirect_cap(http_server: LocalHTTPServer, hops: int, ok: bool) -> None:
    http_server.put("/end.xml", RSS)
    for hop in range(hops):
        target = f"/r{hop + 1}" if hop + 1 < hops else "/end.xml"
        http_server.redirect(f"/r{hop}", target)
    async with Fetcher(max_redirects=3) as fetcher:
        result = await fetcher.fetch(http_server.url("/r0"))
    if ok:
        assert isinstance(result, Fetched)
        assert result.final_url == http_server.url("/end.xml")
    else:
        assert isinstance(result, Failed)
        assert result.error == "too many redirects (more than 3)"


@pytest.mark.parametrize(
    ("status", "message"),
    [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error"), (410, "HTTP 410 Gone")],
)
async def test_http_error_status_is_failed(
    http_server: LocalHTTPServer, status: int, message: str
) -> None:
    http_server.put("/x.xml", b"nope", "text/plain", status=status)
    async with Fetcher() as fetcher:
        result = await fetcher.fetch(http_server.url("/x.xml"))
    assert isinstance(result, Failed)
    assert (result.status, result.error, result.retry_after) == (status, message, None)


async def test_429_retry_after_seconds(http_server: LocalHTTPServer) -> None:
    http_server.put("/busy.xml", b"slow down", status=429, headers={"Retry-After": "120"})
    async with Fetcher() as fetcher:
        result = await fetcher.fetch(http_server.url("/busy.xml"))
    assert isinstance(result, Failed)
    assert result.error == "HTTP 429 Too Many Requests"
    assert result.retry_after == 120.0


async def test_503_retry_after_http_date(http_server: LocalHTTPServer) -> None:
    when = email.utils.formatdate(time.time() + 300, usegmt=True)
    http_server.put("/down.xml", b"later", status=503, headers={"Retry-After": when})
    async with Fetcher() as fetcher:
        result = await fetcher.fetch(http_server.url("/down.xml"))
    assert isinstance(result, Failed)
    assert result.status == 503
    assert result.retry_after is not None
    assert 290 <= result.retry_after <= 300


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        (" 45 ", 45.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past: retry now
        ("Wed, 21 Oct 2015 07:30:00 GMT", 120.0),
        ("soon", None),
        ("-5", None),
        (None, None),
    ],
)
def test_retry_after_values(value: str | None, expected: float | None) -> None:
    now = email.utils.parsedate_to_datetime("Wed, 21 Oct 2015 07:28:00 GMT").timestamp()
    assert _retry_after(value, now=now) == expected


async def test_connection_refused() -> None:
    url = f"http://user:hunter2@127.0.0.1:{free_port()}/feed.xml"
    async with Fetcher() as fetcher:
        result = await fetcher.fetch(url)
    assert isinstance(result, Failed)
    assert result.error == "connection refused"
    assert result.status is None


@pytest.mark.parametrize(
    "url",
    ["http://user:hunter2@[::1/feed", "http://user:hunter2@host:99999/feed", "http://"],
)
async def test_bad_url_is_failed_without_the_password(url: str) -> None:
    async with Fetcher() as fetcher:
        result = await fetcher.fetch(url)
    assert isinstance(result, Failed)
    assert "hunter2" not in result.error
    assert result.error in ("invalid URL", "cannot resolve host") or "URL" in result.error


async def test_unsupported_scheme() -> None:
    async with Fetcher() as fetcher:
        result = await fetcher.fetch("ftp://files.example.test/feed.xml")
    assert isinstance(result, Failed)
    assert result.error == "unsupported URL scheme 'ftp'"


async def test_userinfo_is_sent_but_not_kept_in_final_url(http_server: LocalHTTPServer) -> None:
    http_server.put("/private.xml", RSS)
    url = http_server.url("/private.xml").replace("http://", "http://reader:hunter2@")
    async with Fetcher() as fetcher:
        result = await fetcher.fetch(url)
    assert isinstance(result, Fetched)
    assert "hunter2" not in result.final_url
    assert (http_server.requests[0].header("Authorization") or "").startswith("Basic ")


async def test_concurrency_is_bounded(http_server: LocalHTTPServer) -> None:
    for n in range(40):
        http_server.put(f"/f{n}.xml", RSS, delay=0.02)
    async with Fetcher(concurrency=4) as fetcher:
        results = await asyncio.gather(
            *(fetcher.fetch(http_server.url(f"/f{n}.xml")) for n in range(40))
        )
    assert all(isinstance(r, Fetched) for r in results)
    assert 1 <= http_server.peak_in_flight <= 4


async def test_fetch_outside_context_is_a_programming_error() -> None:
    fetcher = Fetcher()
    with pytest.raises(RuntimeError, match="async with"):
        await fetcher.fetch("http://127.0.0.1:1/")


async def test_file_url_and_plain_path(tmp_path: Path) -> None:
    feed = tmp_path / "local feed.xml"
    feed.write_bytes(RSS)
    async with Fetcher() as fetcher:
        by_path = await fetcher.fetch(str(feed))
        by_url = await fetcher.fetch(feed.as_uri())
    assert isinstance(by_path, Fetched)
    assert isinstance(by_url, Fetched)
    assert by_path.body == by_url.body == RSS
    assert by_path.status == 200
    assert by_path.content_type in ("application/xml", "text/xml")
    st = feed.stat()
    assert by_path.validators.etag == f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
    assert by_url.validators == by_path.validators


async def test_file_not_modified_until_it_changes(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(RSS)
    async with Fetcher() as fetcher:
        first = await fetcher.fetch(str(feed))
        assert isinstance(first, Fetched)
        same = await fetcher.fetch(str(feed), first.validators)
        feed.write_bytes(RSS + b"\n")
        os.utime(feed, ns=(first_ns := feed.stat().st_mtime_ns, first_ns + 1_000_000))
        changed = await fetcher.fetch(feed.as_uri(), first.validators)
    assert isinstance(same, NotModified)
    assert same.status == 304
    assert same.validators == first.validators
    assert isinstance(changed, Fetched)
    assert changed.body == RSS + b"\n"


async def test_missing_file_and_directory_are_failed(tmp_path: Path) -> None:
    async with Fetcher() as fetcher:
        missing = await fetcher.fetch(str(tmp_path / "nope.xml"))
        directory = await fetcher.fetch(tmp_path.as_uri())
    assert isinstance(missing, Failed)
    assert missing.error.startswith("no such file: ")
    assert isinstance(directory, Failed)
    assert directory.error.startswith("is a directory: ")


async def test_file_over_limit(tmp_path: Path) -> None:
    feed = tmp_path / "big.xml"
    feed.write_bytes(b"z" * 101)
    async with Fetcher(max_bytes=100) as fetcher:
        result = await fetcher.fetch(str(feed))
    assert isinstance(result, Failed)
    assert result.error == "body larger than 100 bytes"


def test_server_works_from_a_plain_thread(http_server: LocalHTTPServer) -> None:
    """Sync tests (and subprocesses) can use the server: it runs on its own loop."""
    import urllib.request

    http_server.put("/plain.txt", "hello", "text/plain")
    with urllib.request.urlopen(http_server.url("/plain.txt"), timeout=5) as resp:
        assert resp.read() == b"hello"
        etag = resp.headers["ETag"]
    request = urllib.request.Request(
        http_server.url("/plain.txt"),
        headers={"If-None-Match": etag, "If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
    )
    # Like nginx: a matching ETag with a foreign If-Modified-Since still gets a 200.
    with urllib.request.urlopen(request, timeout=5) as resp:
        assert resp.status == 200
