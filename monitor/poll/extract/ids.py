"""Native block ids: one normal form for the id a page gives a block, whatever carried it.

JSON-LD ``@id`` "https://x/live#block-abc", an update ``url`` "…?postId=abc" and
``<article id="block-abc">`` must all name the same block, so every source is reduced to the
bare publisher id ("abc").
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

_PREFIX = re.compile(
    r"^(?:liveblog-entry|liveblog-post|live-update|lx-stream-post|post-update|block|post|entry|update|card)[-_]",
    re.IGNORECASE,
)
# The same prefixes glued to the number in camel case ("liveblogPost1288930", "post1288930").
_GLUED_PREFIX = re.compile(
    r"^(?:live[-_]?)?(?:blog[-_]?)?(?:post|entry|update|block|card)(?=\d+$)", re.IGNORECASE
)
_NUMBER = re.compile(r"^[A-Za-z#_:./-]*?(\d{4,})$")
_QUERY_KEYS = ("postId", "postid", "post_id", "update", "updateId", "entry", "block")
_PAGE_WITH = re.compile(r"^with:")
_VALID = re.compile(r"^[\w.:-]{1,120}$")


def strip_prefix(raw: str) -> str:
    """The id without a publisher's element prefix ("block-abc" → "abc")."""
    raw = _PAGE_WITH.sub("", raw.strip())
    stripped = _GLUED_PREFIX.sub("", _PREFIX.sub("", raw))
    return stripped or raw


def number_of(native: str | None) -> str | None:
    """The number a prefixed id ends in ("post-1288930", "#liveblogPost1288930" → "1288930"),
    else None (a hex id holds digits but no number): two representations of one update
    often differ in everything but this."""
    if not native:
        return None
    found = _NUMBER.match(native)
    return found.group(1) if found else None


def from_element_id(raw: str | None, *, prefixed_only: bool) -> str | None:
    """An element ``id`` as a native id; it must hold a digit, so layout ids never qualify."""
    if not raw or not _VALID.match(raw.strip()):
        return None
    if prefixed_only and not _PREFIX.match(raw.strip()):
        return None
    value = strip_prefix(raw)
    return value if any(ch.isdigit() for ch in value) else None


def from_attribute(raw: str | None) -> str | None:
    """A ``data-post-id`` / ``data-block-id`` value as a native id."""
    if not raw or not raw.strip():
        return None
    return strip_prefix(raw)


def from_reference(raw: object, page_urls: tuple[str, ...] = ()) -> str | None:
    """A JSON-LD ``@id`` or ``url``: its query id, else its fragment, else the whole reference.

    A reference that is just the page's own URL names the article, not an update: None.
    """
    if not isinstance(raw, str | int) or isinstance(raw, bool):
        return None
    text = str(raw).strip()
    if not text or text.startswith("_:"):
        return None
    parts = urlsplit(text)
    query = parse_qs(parts.query)
    for key in _QUERY_KEYS:
        if query.get(key):
            return strip_prefix(query[key][0])
    if parts.fragment:
        return strip_prefix(parts.fragment)
    if _same_page(text, page_urls):
        return None
    return strip_prefix(text) if not parts.scheme else text


def _same_page(url: str, page_urls: tuple[str, ...]) -> bool:
    def bare(u: str) -> str:
        p = urlsplit(u)
        return f"{p.netloc}{p.path}".rstrip("/").lower()

    return any(bare(url) == bare(page) for page in page_urls if page)
