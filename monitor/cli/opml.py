"""``newsmon sources import FILE.opml`` and ``sources export``: OPML, as feed readers trade it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from monitor.cli.common import config_of
from monitor.config import SourceConfig, source_from_table
from monitor.errors import ConfigError
from monitor.sources import opml
from monitor.sources import registry as sources
from monitor.store.backend import open_store


async def import_opml(args: argparse.Namespace) -> int:
    """Watch the feeds of an OPML file; every one is validated before anything is stored."""
    where = str(args.file)
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the file: {exc.strerror}", path=where) from None
    outlines = opml.read_opml(data, where)
    if not outlines:
        raise ConfigError("no feed in it (no <outline> with an xmlUrl)", path=where)
    async with open_store(config_of(args, missing_ok=True)) as store:
        listed = await sources.listing(store)
        known = {item.source.url: item.name for item in listed if item.source}
        fresh = list({o.url: o for o in outlines if o.url not in known}.values())
        names = opml.names_for(fresh, taken=[item.name for item in listed])
        pairs = _tracked(list(zip(fresh, names, strict=True)), f"importing {where}")
        new = [_from_outline(o, name, where, args.allow_files) for o, name in pairs]
        await sources.add_many(store, new, "opml")
    for source in new:
        print(f"watching {source.name}: {source.url}")
    already = len({o.url for o in outlines} - {o.url for o in fresh})
    print(f"imported {len(new)} source{'s' if len(new) != 1 else ''} from {where}"
          f"{f' ({already} already watched)' if already else ''}")  # fmt: skip
    return 0


def _tracked(pairs: list[tuple[opml.Outline, str]], what: str) -> list[tuple[opml.Outline, str]]:
    """The pairs, with a progress bar on a terminal while they are validated."""
    if not sys.stdout.isatty():
        return pairs
    from rich.progress import track  # rich, only for a person watching

    return list(track(pairs, description=what, transient=True))


def _from_outline(outline: opml.Outline, name: str, where: str, files: bool) -> SourceConfig:
    """The outline as a source; a local file only if --allow-files: an OPML file comes from
    elsewhere, and a feed reader's list never names /etc/passwd for a good reason."""
    table: dict[str, Any] = {"name": name, "url": outline.url, "kind": outline.kind}
    if outline.interval is not None:
        table["interval"] = outline.interval
    if outline.tier is not None:
        table["tier"] = outline.tier
    return source_from_table(table, outline.label, where, local=files)


async def export_opml(args: argparse.Namespace) -> int:
    """Print (or write to ``--output``) every stored source as OPML 2.0."""
    async with open_store(config_of(args, missing_ok=True)) as store:
        listed = await sources.listing(store)
    text = opml.write_opml(
        opml.Subscription(i.name, i.source.url, i.source.kind, i.source.interval, i.source.tier)
        for i in listed
        if i.source is not None
    )
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0
