"""A hostile query test (POST /api/keywords/test) against the real web server on loopback: its
matching runs off the event loop, so the server keeps answering meanwhile, and it ends at the
matcher's work limit with an answer that says so."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

from tests.webserver import call

MATCHER = str(Path("monitor", "query", "matcher.py"))
CHAIN32 = " NEAR/100 ".join(["a*"] * 32)  # issue 21: ran a web server to 11.9 GB
WAIT = 60.0  # seconds the matching may take to start before the test fails


def _matching_off_this_thread() -> bool:
    """Whether a thread other than this one (the event loop's) is inside the matcher."""
    me = threading.get_ident()
    for ident, frame in sys._current_frames().items():
        while ident != me and frame is not None:
            if frame.f_code.co_filename.endswith(MATCHER):
                return True
            frame = frame.f_back  # type: ignore[assignment]
    return False


async def _until_matching_starts(hostile: asyncio.Task[object]) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT
    while not _matching_off_this_thread():
        assert not hostile.done(), "the hostile test ended without matching off the loop"
        assert asyncio.get_running_loop().time() < deadline, "the matching never started"
        await asyncio.sleep(0.005)


async def test_a_hostile_query_test_leaves_the_server_answering(site: str) -> None:
    """While the hostile test is matching, /healthz and another API request answer; the
    hostile one then answers 200, the query reported as limited on its text."""
    body = {"query": CHAIN32, "text": "a " * 300_000}
    hostile = asyncio.create_task(call("POST", site + "api/keywords/test", json=body))
    await _until_matching_starts(hostile)
    assert await call("GET", site + "healthz") == (200, "ok\n")
    status, small = await call(
        "POST", site + "api/keywords/test", json={"query": "troops", "text": "troops"}
    )
    assert (status, small["total"], small["limited"]) == (200, 1, 0)
    assert not hostile.done()  # both answered while the hostile test was still matching
    status, answer = await hostile
    assert status == 200, answer
    assert (answer["matches"], answer["total"], answer["limited"]) == ([], 0, 1)
