"""The ``newsmon`` command: ``parser`` builds the command line, ``main`` runs one command by
importing only its module (``run``, ``subscribe``, ``keywords``, ``check``, ``sources``)."""

from __future__ import annotations

from monitor.cli.main import main

__all__ = ["main"]
