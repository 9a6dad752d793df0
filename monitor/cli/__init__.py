"""The ``newsmon`` command: ``main`` parses the command line (``main``); the sources and
status commands are in ``sources``."""

from __future__ import annotations

from monitor.cli.main import main

__all__ = ["main"]
