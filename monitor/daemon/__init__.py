"""The runtime: daemons sharing one schedule in Redis (``service``), their claims and leases
(``claims``), live keywords (``keywords``) and parse workers (``workers``)."""

from __future__ import annotations

from monitor.daemon.service import Daemon, run
from monitor.daemon.workers import make_executor

__all__ = ["Daemon", "make_executor", "run"]
