"""newsmon's exceptions, one tree.

    NewsmonError
    ├── ConfigError      a config file or value is wrong (names the file and the key)
    ├── UsageError       a command's arguments are wrong (a path that does not exist)
    ├── QueryError       a keyword query does not parse (names the column)
    ├── FetchError       a source could not be fetched (network, status, size)
    ├── ParseError       fetched bytes are not a feed or page we can read
    └── StoreError       Redis refused or was unreachable

Adapters translate third-party errors at their boundary (``raise FetchError(...) from exc``);
only the pipeline catches per source, so one bad source never stops the daemon.
"""

from __future__ import annotations


class NewsmonError(Exception):
    """Base of every error newsmon raises on purpose."""


class ConfigError(NewsmonError):
    """A config file, key or value is wrong; the message names the file and the key."""

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        self.path = path
        self.key = key
        self.reason = message
        where = ""
        if key:
            where = f"{key}: "
        suffix = f" ({path})" if path else ""
        super().__init__(f"{where}{message}{suffix}")


class UsageError(NewsmonError):
    """A command's arguments are wrong in a way argparse cannot see; the CLI exits 2."""


class QueryError(NewsmonError):
    """A keyword query does not parse; ``column`` is 1-based into ``query``."""

    def __init__(self, message: str, *, query: str = "", column: int = 0) -> None:
        self.reason = message
        self.query = query
        self.column = column
        if query and column:
            pointer = " " * (column - 1) + "^"
            text = f"{message} at column {column}\n  {query}\n  {pointer}"
        else:
            text = message
        super().__init__(text)


class FetchError(NewsmonError):
    """A source could not be fetched."""


class ParseError(NewsmonError):
    """Fetched bytes could not be read as a feed or a page."""


class StoreError(NewsmonError):
    """Redis refused a command or could not be reached."""
