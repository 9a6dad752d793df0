"""The shared schedule on a real Redis: claims, fair shares, leases, fencing, renewal, seeding."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from typing import cast

import pytest

from monitor.config import SourceConfig, source_record
from monitor.daemon.claims import Claimer
from monitor.poll.outcome import PollResult
from monitor.poll.pipeline import Poller
from monitor.poll.policy import RETRY_AFTER_CAP, Outcome, Timing, next_due, plan
from monitor.sources import registry as sources
from monitor.store import Commit, Lease, Store
from monitor.store.core import HELD_CHUNK
from monitor.store.group import Grouped

NOW = 1_800_000_000_000  # ms: a fixed clock, far from any real lease


async def define(store: Store, count: int, due: int = NOW) -> list[str]:
    names = [f"s{i:03d}" for i in range(count)]
    defs = {n: source_record(SourceConfig(n, f"https://x.test/{n}"), "cli") for n in names}
    await store.schedule.put(defs, due)
    return names


async def claim(store: Store, daemon: str, now: int = NOW, limit: int = 1000) -> list[str]:
    claims = await store.schedule.claim_due(daemon, f"{daemon}:t{now}", now, 3000, limit, 10_000)
    return [c.lease.source for c in claims]


async def heartbeats(store: Store, *daemons: str) -> None:
    for daemon in daemons:  # a claim of nothing: the daemon only says it is alive
        await store.schedule.claim_due(daemon, f"{daemon}:0", NOW - 1, 3000, 0, 10_000)


async def test_due_sources_are_split_among_live_daemons_and_claimed_once(store: Store) -> None:
    """Each source has one owner among the live daemons (a hash of its name)."""
    names = await define(store, 30)
    await heartbeats(store, "a", "b")
    shares = [await claim(store, d) for d in "cab"]
    assert sorted(n for share in shares for n in share) == names
    assert all(len(share) >= 5 for share in shares), [len(s) for s in shares]
    assert await claim(store, "c") == []  # all claimed: nothing is due until leases expire


async def test_a_silent_daemon_s_sources_are_taken_once_they_are_overdue(store: Store) -> None:
    names = await define(store, 30)
    await heartbeats(store, "a", "b")  # alive, as far as anyone knows, but they never claim
    mine = await claim(store, "c", NOW)
    assert 0 < len(mine) < 30
    assert await claim(store, "c", NOW + 500) == []  # the others' are not overdue enough yet
    later = await claim(store, "c", NOW + 1500)
    assert sorted(mine + later) == names


async def test_an_expired_lease_frees_the_source_and_fences_the_late_commit(store: Store) -> None:
    await define(store, 1)
    (old,) = await store.schedule.claim_due("a", "a:1", NOW, 3000, 10, 10_000)
    assert await claim(store, "b", NOW + 2999) == []
    (new,) = await store.schedule.claim_due("b", "b:1", NOW + 3001, 3000, 10, 10_000)
    alert = {"source": "s000", "id": "x", "terms": []}
    late = Commit("s000", alerts=[alert], fields={"k": "late"}, lease=old.lease, next_due=NOW)
    assert await store.commit(late) is False
    assert await store.redis.xlen(store.keys.stream) == 0
    assert await store.redis.hget(store.keys.source_state("s000"), "k") is None
    ok = Commit("s000", alerts=[alert], fields={"k": "new"}, lease=new.lease, next_due=NOW + 9000)
    assert await store.commit(ok) is True
    assert await store.redis.xlen(store.keys.stream) == 1
    assert await store.redis.zscore(store.keys.schedule, "s000") == NOW + 9000
    assert not await store.redis.hexists(store.keys.leases, "s000")


async def test_renewal_keeps_a_long_poll_s_lease(store: Store) -> None:
    await define(store, 1)
    (held,) = await store.schedule.claim_due("a", "a:1", NOW, 3000, 10, 10_000)
    stale = Lease("s000", "someone-else", NOW)
    assert await store.schedule.renew([held.lease, stale], NOW + 60_000) == 1
    assert await claim(store, "b", NOW + 30_000) == []


async def test_run_once_claims_ahead_of_time_but_not_what_another_daemon_holds(
    store: Store,
) -> None:
    names = await define(store, 3, due=NOW + 3_600_000)
    (held,), _, _ = await store.schedule.claim_named(["s000"], "d:1", NOW, 3000)
    claims, busy, unknown = await store.schedule.claim_named([*names, "nope"], "o:1", NOW, 3000)
    assert sorted(c.lease.source for c in claims) == ["s001", "s002"]
    assert busy == ["s000"] and unknown == ["nope"]
    assert all(c.lease.due == NOW for c in claims)  # claimed early: the phase restarts now
    assert held.lease.source == "s000"


async def test_seeding_keeps_cli_sources_and_drops_config_ones_that_left_the_file(
    store: Store,
) -> None:
    a, b = SourceConfig("a", "https://x.test/a"), SourceConfig("b", "https://x.test/b")
    await sources.seed(store, [a, b])
    await sources.add(store, SourceConfig("c", "https://x.test/c"))
    await store.redis.zadd(store.keys.schedule, {"a": NOW + 10**9})
    changed, removed = await sources.seed(store, [SourceConfig("a", "https://x.test/a2")])
    assert (changed, removed) == (["a"], ["b"])
    listed = {item.name: item for item in await sources.listing(store)}
    assert sorted(listed) == ["a", "c"] and listed["c"].origin == "cli"
    assert listed["a"].source is not None and listed["a"].source.url == "https://x.test/a2"
    assert listed["a"].slot.due is not None and listed["a"].slot.due < NOW  # changed: due now


async def test_a_damaged_definition_is_listed_with_its_error(store: Store) -> None:
    await store.redis.hset(store.keys.definitions, "bad", json.dumps({"url": "ftp://x"}))
    (item,) = await sources.listing(store)
    assert item.source is None and item.error is not None and "url" in item.error


async def test_repair_puts_back_sources_the_schedule_lost(store: Store) -> None:
    await define(store, 3)
    await store.redis.delete(store.keys.schedule)
    assert await store.schedule.repair(NOW) == ["s000", "s001", "s002"]
    assert await store.schedule.repair(NOW) == []


async def test_a_disabled_source_is_never_claimed_repaired_or_rescheduled(store: Store) -> None:
    await define(store, 2)
    (polling,) = await store.schedule.claim_due("a", "a:1", NOW, 3000, 1, 10_000)
    name = polling.lease.source
    assert await sources.disable(store, name) is True
    assert await sources.disable(store, "nope") is False
    late = Commit(name, alerts=[], fields={"k": "late"}, lease=polling.lease, next_due=NOW)
    assert await store.commit(late) is False  # the poll in flight commits nothing
    assert await store.schedule.repair(NOW) == []
    record = source_record(SourceConfig(name, "https://x.test/changed"), "cli")
    assert await store.schedule.put({name: record}, NOW, due_now=True) == [name]
    assert await claim(store, "b", NOW + 60_000) == [n for n in ["s000", "s001"] if n != name]
    assert await store.redis.zscore(store.keys.schedule, name) is None
    listed = {item.name: item for item in await sources.listing(store)}
    assert listed[name].disabled and not listed[next(n for n in listed if n != name)].disabled
    assert await sources.enable(store, name) is True
    assert name in await claim(store, "b", sources.now_ms() + 1)


def test_next_due_is_fixed_rate_and_skips_missed_periods() -> None:
    timing = Timing(interval=60)
    assert next_due(NOW, NOW + 1500, timing) == NOW + 60_000
    assert next_due(NOW, NOW + 61_000, timing) == NOW + 120_000  # a late poll keeps the phase
    assert next_due(NOW, NOW + 3_600_500, timing) == NOW + 3_660_000  # no burst to catch up


def test_retry_after_pushes_the_next_poll_out_and_is_capped() -> None:
    timing = Timing(interval=60)
    assert plan(NOW, NOW, timing, Outcome(retry_after=3600)).due == NOW + 3_600_000
    assert plan(NOW, NOW, timing, Outcome(retry_after=5)).due == NOW + 60_000
    assert plan(NOW, NOW, timing, Outcome(retry_after=10**9)).due == NOW + RETRY_AFTER_CAP * 1000


def test_jitter_stays_within_a_quarter_of_the_interval() -> None:
    rng = random.Random(7)
    dues = [next_due(NOW, NOW, Timing(60, jitter=600), rng=rng) for _ in range(500)]
    assert min(dues) >= NOW + 45_000 and max(dues) <= NOW + 75_000
    assert max(dues) - min(dues) > 20_000


@pytest.mark.parametrize("callers", [1, 50, 2500])
async def test_calls_of_the_same_moment_share_one_flush(callers: int) -> None:
    groups: list[int] = []

    async def flush(items: Sequence[int]) -> list[int]:
        groups.append(len(items))
        await asyncio.sleep(0)
        return [i * 2 for i in items]

    grouped: Grouped[int, int] = Grouped(flush)
    results = await asyncio.gather(*(grouped(i) for i in range(callers)))
    assert results == [i * 2 for i in range(callers)]
    assert groups == [min(callers, 1000)] * (callers // 1000) + (
        [callers % 1000] if callers % 1000 else []
    )


async def test_a_failed_flush_fails_each_caller_of_its_group() -> None:
    async def flush(items: Sequence[int]) -> list[int]:
        raise OSError("gone")

    grouped: Grouped[int, int] = Grouped(flush)
    outcomes = await asyncio.gather(*(grouped(i) for i in range(3)), return_exceptions=True)
    assert all(isinstance(o, OSError) for o in outcomes)


class CountingPoller:
    """Stands in for the pipeline: each poll commits under its lease, and the most claims held
    at once (leases in Redis) is recorded."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.polled: list[str] = []
        self.most_leases = 0

    async def poll(self, source: SourceConfig, lease: Lease | None = None) -> PollResult:
        leases = await self.store.redis.hlen(self.store.keys.leases)
        self.most_leases = max(self.most_leases, leases)
        await asyncio.sleep(0.01)
        next_due = sources.now_ms() + 3_600_000
        await self.store.commit(Commit(source.name, fields={}, lease=lease, next_due=next_due))
        self.polled.append(source.name)
        return PollResult(source.name, "ok")


async def test_run_once_claims_a_window_at_a_time_and_waits_for_a_held_source(
    store: Store,
) -> None:
    """``run --once`` of more sources than a daemon's capacity holds at most that many claims
    at once, polls each source once, and polls one held by another daemon once it is free."""
    names = await define(store, 25, due=sources.now_ms() + 3_600_000)
    (other,), _, _ = await store.schedule.claim_named(["s007"], "d:1", sources.now_ms(), 60_000)
    poller = CountingPoller(store)
    claimer = Claimer(store, cast(Poller, poller), capacity=4)

    async def release_later() -> None:
        await asyncio.sleep(0.5)
        done = Commit("s007", fields={}, lease=other.lease, next_due=sources.now_ms())
        assert await store.commit(done)

    releasing = asyncio.create_task(release_later())
    report = await claimer.poll_named(names, patience=10)
    await releasing
    assert sorted(poller.polled) == names
    assert poller.polled[-1] == "s007"
    assert report.busy == [] and report.unknown == []
    assert 2 <= poller.most_leases <= 4 + 1  # this daemon's window, and the other's claim


async def test_held_reasons_reads_every_source_across_script_calls(store: Store) -> None:
    """Sources held back by their failure policy are found wherever they fall among the
    script's calls, with the reason of their next due time (backoff when none was given)."""
    names = [f"s{i:04d}" for i in range(2 * HELD_CHUNK + 500)]
    states = {
        names[0]: {"failures": "2", "next_reason": "retry_after"},
        names[HELD_CHUNK - 1]: {"failures": "1"},
        names[HELD_CHUNK]: {"gone": "1", "failures": "1", "next_reason": "gone"},
        names[-1]: {"failures": "3", "next_reason": "backoff"},
        names[5]: {"failures": "0"},  # answered again: not held
        names[6]: {"last_status": "ok"},
    }
    for name, fields in states.items():
        await store.redis.hset(store.keys.source_state(name), mapping=fields)
    assert await store.held_reasons(names) == {
        names[0]: "retry_after",
        names[HELD_CHUNK - 1]: "backoff",
        names[HELD_CHUNK]: "gone",
        names[-1]: "backoff",
    }
    assert await store.held_reasons([]) == {}
