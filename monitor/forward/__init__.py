"""``newsmon forward``: alerts delivered to people and services, surviving outages.

``targets`` are where alerts go (a webhook, any Apprise URL) and how a message reads;
``service`` reads the stream through a consumer group and acknowledges an alert only once
every target took it.
"""

from __future__ import annotations

from monitor.forward.service import Forwarder, Route, forward
from monitor.forward.targets import AppriseTarget, DeliveryError, Target, Webhook, message

__all__ = [
    "AppriseTarget",
    "DeliveryError",
    "Forwarder",
    "Route",
    "Target",
    "Webhook",
    "forward",
    "message",
]
