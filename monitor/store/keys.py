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
<p>:fwd:<group>:…     a forwarder group's held alerts and digests (``HeldKeys``, below)
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

    def held(self, group: str) -> HeldKeys:
        """The keys of a forwarder group's held alerts and digests."""
        return HeldKeys(f"{self.prefix}:fwd:{group}")

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


@dataclass(frozen=True, slots=True)
class HeldKeys:
    """A forwarder group's held alerts (per-story digests, quiet hours, throttle); none of
    these suffixes can be a stream entry id, so they never meet ``Keys.forwarded``.

    <g>:held:<bin>        list: held alerts ({"entry", "alert"} JSON), oldest first; a bin is
                          "story:<story id>", "quiet" or "throttle:<keyword>"
    <g>:due               sorted set: bin → when its digest is due (ms since the epoch)
    <g>:stories           sorted set: story id → when the group last sent of it (ms); a story
                          in it is no longer new to the group (kept 7 days)
    <g>:sent:<window>     hash: keyword → alerts sent in that throttle window (expires)
    <g>:digest:<id>       list: a digest being delivered (the bin, renamed when claimed)
    <g>:digests           hash: digest id → {"bin", "due", "created"} JSON
    <g>:sending           sorted set: digest id → its sender's last sign of life (ms)
    """

    base: str  # <p>:fwd:<group>

    @property
    def held_prefix(self) -> str:
        return f"{self.base}:held:"

    def bin(self, name: str) -> str:
        return f"{self.held_prefix}{name}"

    @property
    def due(self) -> str:
        return f"{self.base}:due"

    @property
    def stories(self) -> str:
        return f"{self.base}:stories"

    def sent(self, window: int) -> str:
        return f"{self.base}:sent:{window}"

    @property
    def digest_prefix(self) -> str:
        return f"{self.base}:digest:"

    def digest(self, digest_id: str) -> str:
        return f"{self.digest_prefix}{digest_id}"

    @property
    def digests(self) -> str:
        return f"{self.base}:digests"

    @property
    def sending(self) -> str:
        return f"{self.base}:sending"
