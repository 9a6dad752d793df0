"""AMP live lists: ``amp-live-list [items] > *``, whose ids the AMP spec says never change.

``data-sort-time`` is the first-published time, ``data-update-time`` the last edit, and
``data-tombstone`` marks an update the publisher deleted.
"""

from __future__ import annotations

from dataclasses import replace

from lxml.html import HtmlElement

from monitor.models import Block
from monitor.poll.extract import element, ids
from monitor.poll.extract.dates import iso
from monitor.poll.extract.tree import tag_of


def extract(root: HtmlElement, page_url: str) -> list[Block]:
    """One block per live-list item, tombstones included."""
    blocks: list[Block] = []
    for live_list in root.iter("amp-live-list"):
        for container in live_list:
            if tag_of(container) and container.get("items") is not None:
                blocks.extend(_block(item, page_url) for item in container if tag_of(item))
    return blocks


def _block(item: HtmlElement, page_url: str) -> Block:
    fields = element.read(item, page_url)
    fields = replace(
        fields,
        published=iso(item.get("data-sort-time") or "") or fields.published,
        modified=iso(item.get("data-update-time") or "") or fields.modified,
    )
    raw_id = item.get("id")
    native = ids.from_element_id(raw_id, prefixed_only=False) or ids.from_attribute(raw_id)
    tombstone = item.get("data-tombstone") is not None
    return fields.block(native, "amp", tombstone=tombstone)
