"""Updates in markup nobody described to us: the repeated structure of a live list.

A live blog sets its updates as siblings of one shape (same tag, same base class), each with
a time or a heading and text of its own, whatever the publisher calls them
(``div.live-event-entry#2259175``, ``div.coventry#904241``). Among all such sibling runs on
a page the one holding the most update-like text is taken. It runs only when no known
representation (microdata, AMP, known markup) found updates in the DOM, and before any
heading or plain-text split, which cannot tell an update from a line of scores.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from lxml import etree
from lxml.html import HtmlElement

from monitor.models import Block
from monitor.poll.extract import element, ids, noise
from monitor.poll.extract.dates import iso
from monitor.poll.extract.tree import inside, tag_of, text_of

_CONTAINERS = frozenset({"article", "div", "section", "li"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5"})
_TITLE_HINTS = ("title", "headline", "heading")
_ID_ATTRIBUTES = ("data-id", "data-post-id", "data-entry-id", "data-update-id")
_FURNITURE = frozenset({"nav", "footer", "header", "aside", "form"})
_MIN_MEMBERS = 3
_MIN_TEXT = 40  # characters of non-link text an update holds at least
_LINK_DENSE = 0.5


@dataclass(slots=True)
class _Stats:
    """What one element holds, summed bottom-up once per page so the scan stays linear."""

    text: int = 0  # characters of readable text (scripts, forms and other noise left out)
    linked: int = 0  # of which inside links
    timed: bool = False
    headed: bool = False
    noisy: bool = False  # the element itself is noise: it adds only its time to its parent


@dataclass(frozen=True, slots=True)
class _Member:
    el: HtmlElement
    stats: _Stats

    @property
    def text(self) -> int:
        """Characters of text outside links; none at all for a list of links."""
        total, linked = self.stats.text, self.stats.linked
        return 0 if total and linked > _LINK_DENSE * total else total - linked

    @property
    def update_like(self) -> bool:
        return (self.stats.timed or self.stats.headed) and self.text >= _MIN_TEXT


# Elements that carry a time of their own, as XPath: lxml answers it in C, so a page or a run
# without two of them is passed over before any Python walks its elements.
_TIMED = (
    "descendant-or-self::*[self::time or @datetime or @data-timestamp"
    " or @itemprop='datePublished' or @itemprop='dateModified'"
    " or @*[starts-with(name(), 'data-') and (contains(name(), 'time')"
    " or contains(name(), 'date'))]]"
)
_HAS_TIME = etree.XPath(f"boolean({_TIMED})")
_TIMES = etree.XPath(f"count({_TIMED})")


def extract(root: HtmlElement, page_url: str) -> list[Block]:
    """One block per member of the page's best run of update-like siblings, in page order."""
    if _count(_TIMES(root)) < 2:  # a run needs two timed members: nothing to find
        return []
    best: list[_Member] = []
    for run in _runs(root):
        if _score(run) > _score(best):
            best = run
    # The run's shape is established by its update-like members; every member of it is then
    # read (an update with neither time nor heading is still one), and those with nothing to
    # read are dropped with the other slots when blocks are merged.
    return [_block(m.el, page_url) for m in best]


def _count(result: object) -> float:
    return result if isinstance(result, float) else 0.0


def _runs(root: HtmlElement) -> Iterator[list[_Member]]:
    """Sibling runs of one shape, enough of them update-like, outside page furniture. Shapes
    are found first, cheaply; only the members of a run of three or more are measured."""
    memo: dict[HtmlElement, _Stats] = {}
    for parent in root.iter():
        if not isinstance(parent.tag, str) or len(parent) < _MIN_MEMBERS:
            continue
        shapes: dict[tuple[str, str], list[HtmlElement]] = {}
        for child in parent:
            if child.tag in _CONTAINERS and not _hidden(child):
                shapes.setdefault(_signature(child), []).append(child)
        runs = [(sig, kids) for sig, kids in shapes.items() if len(kids) >= _MIN_MEMBERS]
        if not runs or inside(parent, root, _furniture):
            continue
        for signature, children in runs:
            if sum(1 for child in children if _HAS_TIME(child)) < 2:
                continue
            run = [_Member(child, _measure(child, memo)) for child in children]
            if _qualifies(run, classed=bool(signature[1])):
                yield run


def _measure(el: HtmlElement, memo: dict[HtmlElement, _Stats]) -> _Stats:
    """Readable text, link text, and whether a time or a title sits in the element, summed
    bottom-up over its subtree; ``memo`` keeps what nested runs share measured once."""
    order: list[HtmlElement] = []
    stack = [el]
    while stack:
        node = stack.pop()
        if isinstance(node.tag, str) and node not in memo:
            order.append(node)
            stack.extend(node)
    for node in reversed(order):
        memo[node] = _combine(node, memo)
    return memo[el]


def _combine(node: HtmlElement, memo: dict[HtmlElement, _Stats]) -> _Stats:
    """One element's stats from its children's: noise holds no text or title (an update's own
    ``<header>`` may hold its title), but a time set in an aside is still the update's."""
    own = _Stats(len((node.text or "").strip()), 0, _time_like(node), _title_like(node))
    own.noisy = _noisy(node)
    for child in node:
        found = memo.get(child)
        own.text += len((child.tail or "").strip())
        if found is None:
            continue
        own.timed = own.timed or found.timed
        if found.noisy:
            own.headed = own.headed or (child.tag == "header" and found.headed)
            continue
        own.text += found.text
        own.linked += found.linked
        own.headed = own.headed or found.headed
    if node.tag == "a":
        own.linked = own.text
    return own


def _noisy(node: HtmlElement) -> bool:
    if node.tag == "time":
        return False  # a time marker: counted as a time, its text is not body text
    return (bool(node.attrib) or node.tag in noise.NOISE_TAGS) and noise.is_noise_element(node)


def _furniture(el: HtmlElement) -> bool:
    return el.tag in _FURNITURE or noise.is_noise_element(el)


def _hidden(el: HtmlElement) -> bool:
    return el.get("hidden") is not None or el.get("aria-hidden") == "true"


def _signature(el: HtmlElement) -> tuple[str, str]:
    """Tag and base class: "coventry coventry--time" and "coventry rendered" are one shape."""
    tokens = (el.get("class") or "").split()
    return tag_of(el), tokens[0] if tokens else ""


def _qualifies(run: list[_Member], *, classed: bool) -> bool:
    """Three or more update-like members, half the run at least, and times on some: a run of
    headed sections with no time anywhere is an article's or a shop's, not a live list."""
    like = [m for m in run if m.update_like and (classed or m.stats.timed)]
    timed = sum(m.stats.timed for m in like)
    return len(like) >= _MIN_MEMBERS and 2 * len(like) >= len(run) and timed >= 2


def _score(run: list[_Member]) -> int:
    return sum(m.text for m in run if m.update_like)


def _time_like(el: HtmlElement) -> bool:
    """A time of the element's own: a ``<time>``, a machine-readable date, a time attribute."""
    if tag_of(el) == "time" or el.get("datetime") or el.get("data-timestamp"):
        return True
    if el.get("itemprop") in ("datePublished", "dateModified"):
        return True
    return _attribute_time(el)[0] is not None


def _title_like(el: HtmlElement) -> bool:
    if tag_of(el) in _HEADINGS or el.get("itemprop") == "headline":
        return True
    label = (el.get("class") or "").lower()
    return any(hint in label for hint in _TITLE_HINTS)


def _attribute_time(el: HtmlElement) -> tuple[str | None, str | None]:
    """First-published and modified times in ``data-…time`` attributes (epoch or ISO)."""
    published = modified = None
    for name, value in el.attrib.items():
        if not name.startswith("data-") or not ("time" in name or "date" in name):
            continue
        when = iso(value)
        if when and any(hint in name for hint in ("modif", "updat", "edit")):
            modified = modified or when
        elif when:
            published = published or when
    return published, modified


def _headline(el: HtmlElement) -> HtmlElement | None:
    """The update's heading, or an element whose class names it a title."""
    found = element.find_headline(el)
    if found is not None:
        return found
    for node in el.iter():
        if node is el or not tag_of(node) or inside(node, el, _not_title):
            continue
        label = (node.get("class") or "").lower()
        if tag_of(node) in _HEADINGS or any(hint in label for hint in _TITLE_HINTS):
            return node
    return None


def _not_title(el: HtmlElement) -> bool:
    """Noise that never holds an update's title; an update's own ``<header>`` does."""
    return tag_of(el) != "header" and noise.is_noise_element(el)


def _block(el: HtmlElement, page_url: str) -> Block:
    fields = element.read(el, page_url, headline_el=_headline(el))
    published, modified = _attribute_time(el)
    meta = _meta_line(el)
    lines = fields.text.split("\n")
    fields = replace(
        fields,
        text="\n".join(line for line in lines if line != meta) if meta else fields.text,
        byline=fields.byline or (meta if meta and noise.looks_like_name(meta) else None),
        published=published or fields.published,
        modified=modified or fields.modified,
    )
    return fields.block(_native_id(el), "repeated")


def _meta_line(el: HtmlElement) -> str | None:
    """The few words set beside the update's ``<time>`` in one container ("20:36 Frances
    Watkins"): the update's metadata row, not its text."""
    stamp = next((n for n in el.iter("time")), None)
    row = stamp.getparent() if stamp is not None else None
    if row is None or row is el:
        return None
    words = text_of(row, lambda e: tag_of(e) == "time")
    return words if 0 < len(words.split()) <= 5 else None


def _native_id(el: HtmlElement) -> str | None:
    for name in _ID_ATTRIBUTES:
        if el.get(name):
            return ids.from_attribute(el.get(name))
    return ids.from_element_id(el.get("id"), prefixed_only=False)
