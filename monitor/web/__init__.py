"""The browser's window on the monitor: an alert wall, a keyword workbench, sources and health,
and the JSON API and live events they use, on aiohttp.web.

``app`` assembles the server (the daemon's metrics port, or ``newsmon web`` on its own);
``auth`` keeps strangers out (a token off loopback, same-origin writes); ``api`` is the JSON
API; ``events`` the live alerts (server-sent events, one reader per process); ``limits`` what a
client may hold of the port; ``pages`` the HTML (``templates``,
``static``); ``filters`` reads requests and words the errors.
"""

from __future__ import annotations

from monitor.web.app import build, serving
from monitor.web.auth import check_binding

__all__ = ["build", "check_binding", "serving"]
