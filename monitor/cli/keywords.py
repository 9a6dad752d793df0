"""``newsmon keywords list|add|remove|test``: the watched keywords in Redis, and trying one."""

from __future__ import annotations

import argparse
import json

from monitor.cli.common import config_of, report_removal
from monitor.config import check_keyword_name
from monitor.errors import ConfigError
from monitor.query import KeywordSpec, Matcher, compile_keyword, snippets
from monitor.store.backend import open_store


async def list_keywords(args: argparse.Namespace) -> int:
    """Print the watched keywords (``--json``: one object a line)."""
    async with open_store(config_of(args, missing_ok=True)) as store:
        specs = await store.keywords()
    if args.json:
        for s in specs:
            print(json.dumps({"name": s.name, "query": s.query, "language": s.language}))
    elif not specs:
        print("no keywords (add one with: newsmon keywords add NAME QUERY)")
    else:
        width = max(len(s.name) for s in specs)
        for s in specs:
            lang = "" if s.language == "auto" else f"  [{s.language}]"
            print(f"{s.name:<{width}}  {s.query}{lang}")
    return 0


async def add(args: argparse.Namespace) -> int:
    """Watch a keyword; an invalid name or query is refused before anything is stored."""
    spec = KeywordSpec(check_keyword_name(args.name), args.query, args.language)
    compile_keyword(spec)
    async with open_store(config_of(args, missing_ok=True)) as store:
        await store.put_keywords([spec], announce="add")
    print(f"watching {spec.name}: {spec.query}")
    return 0


async def remove(args: argparse.Namespace) -> int:
    """Stop watching a keyword (exit 1 when there is none of that name)."""
    async with open_store(config_of(args, missing_ok=True)) as store:
        removed = await store.remove_keyword(args.name)
    return report_removal("keyword", args.name, removed)


async def test(args: argparse.Namespace) -> int:
    """Show what a query matches in a text, a file or a URL, with snippets and the language
    each text was taken to be in (exit 1: nothing)."""
    matcher = Matcher([KeywordSpec("query", args.query, args.language)])
    found = 0
    for label, text, declared, title in await _texts(args):
        matches = matcher.match(text, declared=declared, title=title)
        taken = _taken(matches.lang, declared)
        if matches.limited:
            print(f"{label}: the query reached its work limit here (docs/queries.md, Limits)")
        hits = matches.get("query")
        if hits is None:
            if args.text is not None:
                print(f"{label}: no match {taken}")
            continue
        found += hits.count
        print(f"{label}: {hits.count} match{'es' if hits.count != 1 else ''} {taken}")
        for snippet in snippets(text, hits.spans):
            print(f"    {snippet}")
    if not found and args.text is None:
        print("no match")
    return 0 if found else 1


def _taken(lang: str | None, declared: str | None) -> str:
    """How a text's language is shown: "[in uk]", "[in uk; the page says ru]", "[language
    unknown]"."""
    if lang is None:
        return "[language unknown]"
    if declared and declared != lang:
        return f"[in {lang}; the page says {declared}]"
    return f"[in {lang}]"


async def _texts(args: argparse.Namespace) -> list[tuple[str, str, str | None, int]]:
    """The texts to try: label, text, declared language, characters of title."""
    from monitor.poll.alerts import block_text, title_of  # not for the fast commands: lxml

    if args.text is not None:
        return [("text", args.text, None, title_of(args.text))]
    if not (args.file or args.url):
        raise ConfigError("give the TEXT to match, or --file PATH, or --url URL")
    from monitor.cli.check import snapshot  # fetching and parsing, only when asked for
    from monitor.poll.diff import block_state

    parsed = await snapshot(config_of(args, missing_ok=True), str(args.file or args.url), "auto")
    return [
        (b.headline or doc.title or doc.id, block_text(state), b.lang, len(state.headline))
        for doc in parsed.documents
        for b in doc.blocks
        if (state := block_state(b, b.id or "")) is not None
    ]
