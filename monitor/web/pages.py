"""The HTML pages, rendered on the server (Jinja2, every value escaped) with a little JavaScript
(static/newsmon.js) for what must be live: new alerts, and trying a query as it is typed."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from monitor import render
from monitor.store import is_stream_id
from monitor.web.api import recent_alerts, summary
from monitor.web.cards import cards
from monitor.web.filters import BadRequest, alert_wanted
from monitor.web.state import STORE
from monitor.web.views import edit_pieces, excerpts, health, health_class, time_tag, url_breaks

WALL = 100  # alerts the wall opens with
TYPE_LABELS = {
    "item.new": "new item",
    "block.new": "new block",
    "block.edited": "edited",
    "block.removed": "removed",
}
_MARK = re.compile(r"\*\*(.+?)\*\*")
routes = web.RouteTableDef()


@routes.get("/")
async def wall(request: web.Request) -> web.Response:
    """The newest alerts, filtered as the query string says; new ones arrive live."""
    store = request.app[STORE]
    try:
        wanted = alert_wanted(request.query)
    except BadRequest as exc:
        return _page(
            "missing.html", code=400, heading="Bad request", why=f"{exc.field}: {exc.message}"
        )
    # The live stream goes on from the newest entry before the page read its alerts, so an
    # alert committed in between is not lost (the page skips one it already shows).
    after = await store.last_stream_id()
    found, _ = await recent_alerts(store, None, WALL, wanted)
    choices = {"terms": [k.name for k in await store.keywords()],
               "sources": await store.schedule.names(), "types": TYPE_LABELS}  # fmt: skip
    chosen = {key: request.query.get(key, "") for key in ("term", "source", "type", "story")}
    return _page("wall.html", alerts=found, cards=cards(found), after=after, choices=choices,
                 chosen=chosen)  # fmt: skip


@routes.get("/alerts/{stream_id}")
async def alert_detail(request: web.Request) -> web.Response:
    """One alert in full: the block's text, the terms, and for an edit the words changed."""
    eid = request.match_info["stream_id"]
    alert = await request.app[STORE].alert_at(eid) if is_stream_id(eid) else None
    if alert is None:
        why = f"No alert {eid}: it was never written, or has been trimmed from the stream."
        return _page("missing.html", code=404, heading="Not found", why=why)
    return _page("alert.html", entry={"stream_id": eid, "alert": alert})


@routes.get("/workbench")
async def workbench(request: web.Request) -> web.Response:
    """Write a query, see its errors and what it would have matched, then watch it."""
    keywords = await request.app[STORE].keywords()
    return _page("workbench.html", keywords=keywords, draft=request.query.get("query", ""))


@routes.get("/sources")
async def sources_page(request: web.Request) -> web.Response:
    """Every source with its health, and the forms to change them."""
    return _page("sources.html", status=await summary(request.app))


@routes.get("/help/queries")
async def query_help(request: web.Request) -> web.Response:
    """The query syntax (docs/queries.md), as a page of the site."""
    return _page("help.html", title="Keyword queries", body=_help("queries.md"))


@functools.cache
def _help(name: str) -> Markup:
    # Raw HTML in the file is shown as text (html off): the page is rendered, never trusted.
    source = Path(__file__).with_name("help").joinpath(name).read_text(encoding="utf-8")
    return Markup(MarkdownIt("commonmark", {"html": False}).enable("table").render(source))


def unavailable(reason: str, headers: dict[str, str]) -> web.Response:
    """The page for a request Redis could not answer."""
    page = _page("missing.html", code=503, heading="Unavailable", why=f"{reason.capitalize()}.")
    page.headers.update(headers)
    return page


def _page(template: str, code: int = 200, **values: Any) -> web.Response:
    html = _templates.get_template(template).render(**values)
    return web.Response(text=html, status=code, content_type="text/html", headers=_HEADERS)


def marked(snippet: str) -> Markup:
    """A snippet with its **matches** as <mark>, everything else escaped."""
    return Markup(_MARK.sub(lambda m: f"<mark>{m.group(1)}</mark>", str(escape(snippet))))


def headline(alert: dict[str, Any]) -> str:
    """What an alert is about in one line (its URL or id when it has no headline or title)."""
    item = alert.get("item") or {}
    return render.headline(alert) or str(item.get("url") or alert.get("id"))


def link(alert: dict[str, Any]) -> str | None:
    """Where the change can be read at the publisher (web addresses only: never a
    ``javascript:`` link)."""
    url = render.link(alert)
    return url if url and url.startswith(("http://", "https://")) else None


_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
)
_templates.filters.update(marked=marked)
_templates.globals.update(headline=headline, excerpts=excerpts, link=link, type_labels=TYPE_LABELS,
                          edit_pieces=edit_pieces, health=health, health_class=health_class,
                          time_tag=time_tag, url_breaks=url_breaks)  # fmt: skip
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
