"""The language a page declares: ``<html lang>``, else a ``content-language`` meta tag, else
``og:locale``. Read from the head of the raw bytes, so the extractors need not carry it."""

from __future__ import annotations

import re

from monitor.query.language import declared

_HEAD_BYTES = 65_536  # the <html> tag and the <head> are in the first few KB of any page
_HTML_LANG = re.compile(rb"<html\b[^>]*?\s(?:xml:)?lang\s*=\s*[\"']?\s*([A-Za-z][\w-]{0,15})", re.I)
_META = re.compile(rb"<meta\b[^>]*>", re.I)
_CONTENT_LANGUAGE = re.compile(rb"http-equiv\s*=\s*[\"']?content-language", re.I)
_OG_LOCALE = re.compile(rb"property\s*=\s*[\"']?og:locale[\"'\s>]", re.I)
_CONTENT = re.compile(rb"\scontent\s*=\s*[\"']?\s*([A-Za-z][\w-]{0,15})", re.I)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def page_language(body: bytes) -> str | None:
    """The ISO 639-1 code the page declares, or None."""
    head = body[:_HEAD_BYTES]
    if head.startswith(_UTF16_BOMS):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    found = _HTML_LANG.search(head)
    if found and (code := declared(found.group(1).decode("ascii"))):
        return code
    return _meta_language(head, _CONTENT_LANGUAGE) or _meta_language(head, _OG_LOCALE)


def _meta_language(head: bytes, kind: re.Pattern[bytes]) -> str | None:
    for tag in _META.finditer(head):
        if kind.search(tag.group()) and (value := _CONTENT.search(tag.group())):
            return declared(value.group(1).decode("ascii"))
    return None
