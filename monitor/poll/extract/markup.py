"""Publisher markup: update elements named by an id prefix, a data attribute, or a class.

``article#block-…`` (Guardian), ``#liveblog-entry-…`` (Times of Israel, WordPress),
``[data-post-id]``, ``section.post-update`` (CBS), ``.lx-stream-post`` (BBC). The innermost
such element is the update, so a wrapper like ``article#post-123`` around a whole live blog
is never taken for one.
"""

from __future__ import annotations

from lxml.html import HtmlElement

from monitor.models import Block
from monitor.poll.extract import element, ids, noise
from monitor.poll.extract.tree import inside, tag_of

_CONTAINERS = frozenset({"article", "div", "section", "li"})
_ID_ATTRIBUTES = ("data-post-id", "data-block-id", "data-entry-id", "data-update-id")
_UPDATE_CLASSES = frozenset(
    {"post-update", "lx-stream-post", "liveblog-entry", "liveblog-post", "live-update"}
    | {"live-post", "live-blog-post", "live-blog-entry", "liveblog__entry", "live-entry"}
)


def extract(root: HtmlElement, page_url: str) -> list[Block]:
    """One block per innermost update element, in page order."""
    candidates = [el for el in root.iter() if _is_candidate(el, root)]
    chosen = set(candidates)
    innermost = [el for el in candidates if not any(d in chosen for d in el.iterdescendants())]
    return [_block(el, page_url) for el in innermost]


def native_id(el: HtmlElement) -> str | None:
    """The id an update element gives itself, prefix stripped."""
    for name in _ID_ATTRIBUTES:
        if el.get(name):
            return ids.from_attribute(el.get(name))
    return ids.from_element_id(el.get("id"), prefixed_only=not _classed(el))


def _classed(el: HtmlElement) -> bool:
    tokens = set((el.get("class") or "").split())
    return bool(tokens & _UPDATE_CLASSES) or (tag_of(el) == "article" and "block" in tokens)


def _is_candidate(el: HtmlElement, root: HtmlElement) -> bool:
    if tag_of(el) not in _CONTAINERS:
        return False
    if not (_classed(el) or native_id(el)):
        return False
    return not inside(el, root, _excluded)


def _excluded(el: HtmlElement) -> bool:
    return tag_of(el) in ("aside", "nav", "footer") or noise.is_summary_element(el)


def _pinned(el: HtmlElement) -> bool:
    def marked(e: HtmlElement) -> bool:
        label = f"{e.get('class') or ''} {e.get('id') or ''} {e.get('data-pinned') or ''}"
        return "pinned" in label.lower() or e.get("data-pinned") == "true"

    return inside(el, el.getroottree().getroot(), marked)


def _block(el: HtmlElement, page_url: str) -> Block:
    return element.read(el, page_url).block(native_id(el), "markup", pinned=_pinned(el))
