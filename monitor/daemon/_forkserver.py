"""Imported only by the parse pool's forkserver, as a preload: it dies with the daemon."""

from __future__ import annotations

from monitor.daemon.lifeline import die_with_parent

die_with_parent()
