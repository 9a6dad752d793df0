"""The JSON API (docs/api.md): alerts, keywords, sources, status. A bad request is answered
400 with ``{"error": …, "field": …}`` (and ``column`` for a query), in the CLI's words."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from monitor.config import check_keyword_name, source_from_table
from monitor.errors import ConfigError, QueryError
from monitor.models import BlockState, DocState
from monitor.poll.alerts import block_text, match_block, title_of
from monitor.query import (
    AUTO,
    KeywordSpec,
    Matcher,
    Matches,
    check_language,
    compile_keyword,
    snippets,
)
from monitor.sources import registry as sources
from monitor.store import Store
from monitor.web import trial
from monitor.web.filters import (
    BadRequest,
    NotFound,
    alert_wanted,
    json_object,
    stream_id,
    text,
    whole,
)
from monitor.web.state import CONFIG, STORE

SCAN = 5000  # stream entries one alerts request reads at most, however few pass the filters
MATCHES = 200  # blocks a query test returns at most
# A query test matches a text from the request on these threads, never on the event loop: a
# hostile query costs at most the matcher's work limit per text, but that is still time the
# loop must not lose. Two at a time, so a burst of tests queues here instead of the loop.
_MATCHING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="newsmon-query-test")
_SOURCE_FIELDS = ("name", "url", "kind", "interval", "alert_on_first_poll", "follow_links", "tier")
routes = web.RouteTableDef()


@routes.get("/api/alerts")
async def list_alerts(request: web.Request) -> web.Response:
    """Alerts, newest first, filtered; ``before`` (a stream id) pages back."""
    q = request.query
    limit = whole(q.get("limit", "50"), "limit", 1, 500)
    before = stream_id(q.get("before"), "before")
    found, more = await recent_alerts(request.app[STORE], before, limit, alert_wanted(q))
    return web.json_response({"alerts": found, "next": more})


async def recent_alerts(
    store: Store, before: str | None, limit: int, wanted: Any
) -> tuple[list[dict[str, Any]], str | None]:
    """Up to ``limit`` wanted alerts older than ``before``, as {stream_id, alert}; and the id
    to page on from, None when the stream was read to its start. One call reads at most
    ``SCAN`` entries, so a rare filter may answer short, with an id to go on from."""
    found: list[dict[str, Any]] = []
    last, scanned = before, 0
    while scanned < SCAN:
        asked = min(200, SCAN - scanned)
        page = await store.alerts_before(last, asked)
        for eid, alert in page:
            last, scanned = eid, scanned + 1
            if wanted(alert):
                found.append({"stream_id": eid, "alert": alert})
                if len(found) == limit:
                    return found, eid
        if len(page) < asked:
            return found, None
    return found, last


@routes.get("/api/alerts/{stream_id}")
async def one_alert(request: web.Request) -> web.Response:
    """One alert by its stream id."""
    eid = stream_id(request.match_info["stream_id"], "stream_id")
    alert = await request.app[STORE].alert_at(str(eid))
    if alert is None:
        raise NotFound(f"no alert {eid} (never written, or trimmed from the stream)")
    return web.json_response({"stream_id": eid, "alert": alert})


@routes.get("/api/keywords")
async def list_keywords(request: web.Request) -> web.Response:
    """The watched keywords, by name."""
    return web.json_response([_spec(s) for s in await request.app[STORE].keywords()])


@routes.post("/api/keywords")
async def add_keyword(request: web.Request) -> web.Response:
    """Watch a keyword (or change one), validated as ``newsmon keywords add`` does: nothing is
    stored when anything is wrong. Running daemons use it from their next poll."""
    body = await json_object(request)
    try:
        name = check_keyword_name(text(body, "name"))
    except ConfigError as exc:
        raise BadRequest(exc.reason, "name") from None
    spec = checked(KeywordSpec(name, text(body, "query"), _language(body)))
    await request.app[STORE].put_keywords([spec], announce="add")
    return web.json_response(_spec(spec), status=201)


@routes.delete("/api/keywords/{name}")
async def remove_keyword(request: web.Request) -> web.Response:
    """Stop watching a keyword."""
    if not await request.app[STORE].remove_keyword(request.match_info["name"]):
        raise NotFound(f"no keyword named {request.match_info['name']!r}")
    return web.Response(status=204)


@routes.post("/api/keywords/test")
async def test_keyword(request: web.Request) -> web.Response:
    """What a query matches: in ``text``, or else in the newest ``last`` documents of each
    source as stored, and the items of a feed's first poll (web/trial.py); the blocks it
    would have matched, with snippets. Parsing and matching run on a worker thread;
    ``limited`` counts the texts where the query reached the work limit."""
    body = await json_object(request)
    spec = checked(KeywordSpec("query", text(body, "query"), _language(body)), "query")
    started = time.perf_counter()
    if "text" in body:
        blocks: list[_Block] = [("", None, None, text(body, "text"))]
        searched = 1
    else:
        last = whole(body.get("last", 20), "last", 1, trial.ITEMS)
        docs = await trial.documents(request.app[STORE], last, trial.runner(_MATCHING))
        blocks, searched = _blocks(docs), len(docs)
    loop = asyncio.get_running_loop()
    found, limited = await loop.run_in_executor(_MATCHING, _matches, Matcher([spec]), blocks)
    took = round((time.perf_counter() - started) * 1000, 1)
    return web.json_response({"matches": found[:MATCHES], "total": len(found),
                              "documents": searched, "limited": limited,
                              "took_ms": took})  # fmt: skip


def checked(spec: KeywordSpec, draft: str | None = None) -> KeywordSpec:
    """The spec, if its query parses; else a 400 naming the column (a ``draft`` has no name
    of its own to put in the message)."""
    try:
        compile_keyword(spec)
    except QueryError as exc:
        reason = exc.reason.removeprefix(f"keyword {draft!r}: ") if draft else exc.reason
        raise BadRequest(reason, "query", column=exc.column) from None
    return spec


_Block = tuple[str, DocState | None, BlockState | None, str]  # source, document, block, text


def _matches(matcher: Matcher, blocks: list[_Block]) -> tuple[list[dict[str, Any]], int]:
    """Each block's match (only count and snippets for a text of the request's own), and the
    number of blocks where the query reached the work limit. Runs on a worker thread."""
    found: list[dict[str, Any]] = []
    limited = 0
    for source, doc, block, body in blocks:
        matches: Matches = (
            match_block(matcher, block, source)
            if block is not None
            else matcher.match(body, title=title_of(body))
        )
        limited += len(matches.limited)
        hits = matches.get("query")
        if hits is None:
            continue
        excerpts = snippets(body, hits.spans)
        if doc is None or block is None:
            found.append({"count": hits.count, "snippets": excerpts, "lang": matches.lang})
        else:
            found.append(_found(source, doc, block, hits.count, excerpts) | {"lang": matches.lang})
    return found, limited


def _blocks(docs: list[tuple[str, DocState]]) -> list[_Block]:
    return [(source, doc, block, block_text(block))
            for source, doc in docs for block in doc.blocks]  # fmt: skip


def _found(
    source: str, doc: DocState, block: BlockState, count: int, excerpts: list[str]
) -> dict[str, Any]:
    where = {"id": block.id, "headline": block.headline, "url": block.url}
    return {"source": source, "document": _document(doc), "block": where,
            "count": count, "snippets": excerpts}  # fmt: skip


def _document(doc: DocState) -> dict[str, str]:
    return {"id": doc.id, "url": doc.url, "title": doc.title}


@routes.get("/api/sources")
async def list_sources(request: web.Request) -> web.Response:
    """Every source with its health (the rows of ``newsmon status --json``)."""
    return web.json_response(await sources.status_rows(request.app[STORE], request.app[CONFIG]))


@routes.post("/api/sources")
async def add_source(request: web.Request) -> web.Response:
    """Watch a source (or change one), validated as the config file's sources are."""
    body = await json_object(request)
    extra = sorted(set(body) - set(_SOURCE_FIELDS))
    if extra:
        raise BadRequest(f"unknown field; the fields are {', '.join(_SOURCE_FIELDS)}", extra[0])
    try:
        source = source_from_table(body)
    except ConfigError as exc:
        raise BadRequest(exc.reason, exc.key) from None
    changed = await sources.add(request.app[STORE], source)
    return web.json_response({"name": source.name, "changed": changed}, status=201)


@routes.delete("/api/sources/{name}")
async def remove_source(request: web.Request) -> web.Response:
    """Stop watching a source and forget its state."""
    if not await sources.remove(request.app[STORE], request.match_info["name"]):
        raise NotFound(f"no source named {request.match_info['name']!r}")
    return web.Response(status=204)


@routes.post("/api/sources/{name}/disable")
async def disable_source(request: web.Request) -> web.Response:
    """Stop polling a source, keeping its definition and state."""
    if not await sources.disable(request.app[STORE], request.match_info["name"]):
        raise NotFound(f"no source named {request.match_info['name']!r}")
    return web.json_response({"name": request.match_info["name"], "disabled": True})


@routes.post("/api/sources/{name}/enable")
async def enable_source(request: web.Request) -> web.Response:
    """Poll a disabled source again, from now."""
    if not await sources.enable(request.app[STORE], request.match_info["name"]):
        raise NotFound(f"no source named {request.match_info['name']!r}")
    return web.json_response({"name": request.match_info["name"], "disabled": False})


@routes.get("/api/status")
async def status(request: web.Request) -> web.Response:
    """A summary (daemons running, keywords, failing sources) and every source's health."""
    return web.json_response(await summary(request.app))


async def summary(app: web.Application) -> dict[str, Any]:
    """What /api/status answers, also shown on the sources page."""
    store = app[STORE]
    rows = await sources.status_rows(store, app[CONFIG])
    return {
        "daemons": await sources.live_daemons(store),
        "keywords": len(await store.keywords()),
        "sources": len(rows),
        "failing": [r["source"] for r in rows if r["failures"] or r["gone"]],
        "disabled": [r["source"] for r in rows if r["disabled"]],
        "alerts": await store.stream_length(),
        "rows": rows,
    }


def _spec(spec: KeywordSpec) -> dict[str, str]:
    return {"name": spec.name, "query": spec.query, "language": spec.language}


def _language(body: dict[str, Any]) -> str:
    try:
        return check_language(text(body, "language", AUTO))
    except QueryError as exc:
        raise BadRequest(exc.reason, "language") from None
