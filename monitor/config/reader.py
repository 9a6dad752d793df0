"""Typed access to the tables of a config, and how its errors name the place.

A ``Reader`` wraps one TOML table with where it sits (``sources[2]``) and the file it came
from, so that every ConfigError says ``sources[2].interval: ... (config/monitor.toml)``. The
section parsers read values only through it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from monitor.errors import ConfigError

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}\Z")  # \Z: no trailing newline

T = TypeVar("T")


class Reader:
    """Typed access to one TOML table, with errors that name the file and the key."""

    def __init__(self, table: Mapping[str, Any], where: str, path: Path | None) -> None:
        self.table, self.where, self.path = table, where, path

    def fail(self, key: str | None, message: str) -> ConfigError:
        name = f"{self.where}.{key}" if key and self.where else (key or self.where)
        return ConfigError(message, path=str(self.path) if self.path else None, key=name)

    def only(self, *allowed: str) -> None:
        for key in self.table:
            if key not in allowed:
                known = ", ".join(allowed)
                raise self.fail(key, f"unknown key (known keys here: {known})")

    def get(self, key: str, kind: type[T], default: T) -> T:
        value = self.table.get(key, default)
        if kind is int and isinstance(value, bool):
            raise self.fail(key, "must be a whole number, not true/false")
        if not isinstance(value, kind):
            raise self.fail(key, f"must be {_kind_name(kind)}, not {_kind_name(type(value))}")
        return value

    def required(self, key: str) -> str:
        if key not in self.table:
            raise self.fail(key, "is required")
        value = self.get(key, str, "")
        if not value.strip():
            raise self.fail(key, "must not be empty")
        return value

    def convert(self, key: str, fn: Callable[[object], T], default: T) -> T:
        if key not in self.table:
            return default
        try:
            return fn(self.table[key])
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None


_KIND_NAMES: dict[type, str] = {
    str: "a string",
    int: "a whole number",
    bool: "true or false",
    float: "a number",
    dict: "a table",
    list: "a list",
}


def _kind_name(kind: type) -> str:
    return _KIND_NAMES.get(kind, kind.__name__)


def tables(items: list[Any], section: str, path: Path | None) -> list[Reader]:
    """A reader for each table of an array of tables (``[[sources]]``), named by its index."""
    readers = []
    for i, item in enumerate(items):
        where = f"{section}[{i}]"
        if not isinstance(item, dict):
            raise ConfigError("must be a table", path=str(path) if path else None, key=where)
        readers.append(Reader(item, where, path))
    return readers


def unique_name(r: Reader, seen: set[str], kind: str) -> str:
    """The table's ``name``, checked against NAME_PATTERN and the names already ``seen``."""
    name = r.required("name")
    if not NAME_PATTERN.match(name):
        raise r.fail("name", "must be letters, digits, '-', '_' or '.' (at most 80)")
    if name in seen:
        raise r.fail("name", f"duplicate {kind} name {name!r}")
    seen.add(name)
    return name


def strings(r: Reader, key: str) -> tuple[str, ...]:
    """A list of strings, none of them empty."""
    values = r.get(key, list, [])
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise r.fail(key, "must be a list of strings that are not empty")
    return tuple(values)
