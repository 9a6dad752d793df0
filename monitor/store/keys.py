"""Every Redis key and channel name, built from the prefix (all in this one place).

<p>:stream            stream, field ``alert``: the durable alert log (XADD, approximate MAXLEN)
<p>:alerts            channel: every alert
<p>:source:<name>     channel: the alerts of one source
<p>:term:<keyword>    channel: the alerts whose ``terms`` name that keyword
<p>:control           channel: announcements (keywords or sources changed)
<p>:keywords          hash: keyword name → {"query", "language"} JSON
<p>:sourcedefs        hash: source name → its definition JSON (url, kind, interval, …, origin)
<p>:schedule          sorted set: source name → when it is next due (ms since the epoch); a
                      claimed source's score is its lease's expiry
<p>:leases            hash: source name → the token of the daemon's claim that polls it now
<p>:daemons           sorted set: daemon id → its last heartbeat (ms since the epoch)
<p>:disabled          set: names of defined sources that are switched off (not in the schedule)
<p>:src:<name>        hash: a source's poll state (validators, body hash, item hashes, counters)
<p>:pending:<name>    string: a feed body recorded at a cheap baseline, parsed on first change
<p>:docs:<name>       hash: document id → committed DocState JSON
<p>:order:<name>      sorted set: document id → first-seen sequence (to forget the oldest)
<p>:recent:<name>     hash: hour (since the epoch) → alerts of the source in that hour (25 h)
<p>:sources           set: names of the sources ever polled
<p>:fwd:<group>:<id>  set: the targets a forwarder group delivered stream entry <id> to,
                      until the entry is acknowledged (so a redelivery skips them)
<p>:stories           stream, field ``e``: the story log, one entry per report (an item.new or
                      block.new) and the story it joined; trimmed by MINID to the window
<p>:storyfirsts       hash: source name → how many stories it was the first to report
<p>:storyturn         string: the token of the assigner whose turn it is to decide (PX)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Keys:
    """Every key and channel name, from the prefix."""

    prefix: str

    @property
    def stream(self) -> str:
        return f"{self.prefix}:stream"

    @property
    def alerts(self) -> str:
        return f"{self.prefix}:alerts"

    @property
    def control(self) -> str:
        return f"{self.prefix}:control"

    @property
    def keywords(self) -> str:
        return f"{self.prefix}:keywords"

    @property
    def sources(self) -> str:
        return f"{self.prefix}:sources"

    @property
    def definitions(self) -> str:
        return f"{self.prefix}:sourcedefs"

    @property
    def schedule(self) -> str:
        return f"{self.prefix}:schedule"

    @property
    def leases(self) -> str:
        return f"{self.prefix}:leases"

    @property
    def daemons(self) -> str:
        return f"{self.prefix}:daemons"

    @property
    def disabled(self) -> str:
        return f"{self.prefix}:disabled"

    @property
    def stories(self) -> str:
        return f"{self.prefix}:stories"

    @property
    def story_firsts(self) -> str:
        return f"{self.prefix}:storyfirsts"

    @property
    def story_turn(self) -> str:
        return f"{self.prefix}:storyturn"

    def source_channel(self, name: str) -> str:
        return f"{self.prefix}:source:{name}"

    def term_channel(self, name: str) -> str:
        return f"{self.prefix}:term:{name}"

    def source_state(self, name: str) -> str:
        return f"{self.prefix}:src:{name}"

    def pending(self, name: str) -> str:
        return f"{self.prefix}:pending:{name}"

    def docs(self, name: str) -> str:
        return f"{self.prefix}:docs:{name}"

    def order(self, name: str) -> str:
        return f"{self.prefix}:order:{name}"

    def forwarded(self, group: str, entry_id: str) -> str:
        return f"{self.prefix}:fwd:{group}:{entry_id}"

    def recent(self, name: str) -> str:
        return f"{self.prefix}:recent:{name}"

    def per_source(self, name: str) -> tuple[str, ...]:
        """The keys that hold one source's poll state and documents."""
        return (
            self.source_state(name),
            self.pending(name),
            self.docs(name),
            self.order(name),
            self.recent(name),
        )
