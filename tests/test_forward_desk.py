"""A desk's rules on ``newsmon forward`` (issue 16): per-story digests, quiet hours, a throttle
per keyword, tier 1 breaking through. Real forwarder processes on a real Redis and a real
webhook receiver; alerts carrying ``story`` and ``tier`` are put on the stream the way the
daemon commits them (one XADD, field ``alert``). Each forwarder gets its clock from
``NEWSMON_FORWARD_NOW``, so a test moves across quiet hours and throttle windows by starting
the next forwarder later, never by waiting."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
from collections import Counter
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import redis

from monitor.config import ConfigError, config_from_mapping, parse_throttle
from monitor.desk import DeskRules, QuietHours, keywords_of
from monitor.forward import Forwarder, Route, Webhook
from monitor.forward.digest import digest_message
from monitor.store import Store
from tests.receiver import Receiver
from tests.test_e2e import LogLines, Newsmon, stop_all, wait_for
from tests.test_forward import until

GROUP = "desk"


def make_alert(
    n: int, source: str, story: str | None = None, tier: int | None = None, term: str = "sanctions"
) -> dict[str, Any]:
    """An ``item.new`` alert as the daemon writes it, with the story and tier fields."""
    alert: dict[str, Any] = {
        "schema": 1,
        "id": f"alert-{n}",
        "type": "item.new",
        "source": source,
        "item": {"id": f"{source}-{n}", "url": f"https://{source}.example/{n}", "title": f"R{n}"},
        "block": None,
        "terms": [{"name": term, "before": 0, "after": 1, "snippets": [f"**{term}** {n}"]}],
        "detected_at": "2026-12-03T10:00:00.000Z",
    }
    if story is not None:
        alert["story"] = {"id": story, "first": False, "sources": 1, "first_source": source,
                          "first_seen": "2026-12-03T10:00:00Z"}  # fmt: skip
    if tier is not None:
        alert["tier"] = tier
    return alert


class Desk:
    """The test's side: its Redis, a config with one ``[[forward]]`` section, forwarders."""

    def __init__(self, tmp_path: Path, prefix: str, redis_url: str, cmd: list[str]) -> None:
        self.prefix, self.cmd, self.redis_url = prefix, cmd, redis_url
        self.redis = redis.Redis.from_url(redis_url, decode_responses=True)
        self.config = tmp_path / "monitor.toml"
        self.logs: list[LogLines] = []
        self.procs: list[subprocess.Popen[str]] = []
        # The group exists before any alert, so none is missed while a forwarder starts.
        self.redis.xgroup_create(f"{prefix}:stream", GROUP, "$", mkstream=True)

    def section(self, receiver: Receiver, rules: str, notify: str = "") -> None:
        self.config.write_text(
            f'[redis]\nprefix = "{self.prefix}"\n[[forward]]\nname = "{GROUP}"\n'
            f'webhook = "{receiver.url()}"\nnotify = [{notify}]\n{rules}\n'
        )

    def start(self, now: str, *extra: str) -> subprocess.Popen[str]:
        """A forwarder whose clock starts at ``now``, once it is forwarding."""
        env = {"NEWSMON_REDIS_URL": self.redis_url, "NEWSMON_FORWARD_NOW": now}
        proc = Newsmon(self.cmd, self.config, env).start("forward", "--claim-idle", "1s", *extra)
        self.procs.append(proc)
        self.logs.append(LogLines(proc))
        self.logs[-1].wait(lambda e: e.get("event") == "forwarding", "the forwarder to start")
        return proc

    def add(self, *alerts: dict[str, Any]) -> None:
        for alert in alerts:
            self.redis.xadd(f"{self.prefix}:stream", {"alert": json.dumps(alert)})

    def held(self, bin_name: str) -> list[str]:
        """The alert ids held in a bin."""
        raw = self.redis.lrange(f"{self.prefix}:fwd:{GROUP}:held:{bin_name}", 0, -1)
        return [json.loads(item)["alert"]["id"] for item in raw]

    def pending(self) -> int:
        return int(self.redis.xpending(f"{self.prefix}:stream", GROUP)["pending"])

    def kill(self, proc: subprocess.Popen[str]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    def describe(self) -> str:
        return f"left in Redis: {self.left_over()}\n" + "".join(log.text() for log in self.logs)

    def left_over(self) -> list[str]:
        """Keys of held alerts or digests still in Redis (none once all is delivered)."""
        found = self.redis.scan_iter(match=f"{self.prefix}:fwd:{GROUP}:*", count=1000)
        kept = (":stories", ":sent:")  # what the group remembers, not what it still owes
        return sorted(k for k in found if not any(part in k for part in kept))


@pytest.fixture
def desk(tmp_path: Path, prefix: str, redis_url: str, newsmon_cmd: list[str]) -> Any:
    made = Desk(tmp_path, prefix, redis_url, newsmon_cmd)
    yield made
    stop_all(made.procs)
    made.redis.close()


def singles(receiver: Receiver) -> list[str]:
    """The alerts the webhook took one by one."""
    return [d.body["id"] for d in receiver.to("/hook") if d.status == 200 and not _digest(d.body)]


def digests(receiver: Receiver) -> list[dict[str, Any]]:
    """The digests the webhook took."""
    return [d.body for d in receiver.to("/hook") if d.status == 200 and _digest(d.body)]


def _digest(body: dict[str, Any]) -> bool:
    return body.get("type") == "digest"


def everything(receiver: Receiver) -> Counter[str]:
    """Every alert id the receiver took, alone or inside a digest."""
    ids = Counter(singles(receiver))
    ids.update(a["id"] for d in digests(receiver) for a in d["alerts"])
    return ids


def test_per_story_sigkills_before_and_during_a_digest_lose_and_repeat_nothing(
    desk: Desk, receiver: Receiver
) -> None:
    """First reports go at once; the copies that join wait for the story's digest (30 min by
    default), through a SIGKILL after the first reports and one while a digest is retried."""
    desk.section(receiver, "per_story = true")
    first = desk.start("2026-12-03T10:00:00Z")
    desk.add(
        make_alert(1, "reuters", "s-1"), make_alert(2, "ap", "s-1"), make_alert(3, "dw", "s-1")
    )
    desk.add(make_alert(4, "bbc", "s-2"), make_alert(5, "cnn", "s-2"))
    wait_for(lambda: sorted(singles(receiver)) == ["alert-1", "alert-4"], "the first reports")
    wait_for(lambda: len(desk.held("story:s-1")) == 2 and desk.held("story:s-2") == ["alert-5"],
             "the joined copies held")  # fmt: skip
    assert desk.pending() == 0  # held is acknowledged: nothing waits in the stream
    desk.kill(first)
    desk.add(make_alert(6, "afp", "s-1"), make_alert(7, "nhk", "s-3"))
    receiver.fail_next(1000)  # the webhook goes down as the digests come due…
    second = desk.start("2026-12-03T10:31:00Z")
    wait_for(lambda: receiver.failed() >= 2, "a digest being retried")
    desk.kill(second)  # …and the forwarder dies retrying one
    receiver.fail_next(0)
    desk.start("2026-12-03T10:32:00Z")
    wait_for(lambda: sum(everything(receiver).values()) >= 7, "every alert delivered")
    wait_for(
        lambda: desk.left_over() == [], "nothing left held", detail=lambda: str(desk.left_over())
    )
    assert everything(receiver) == Counter(f"alert-{n}" for n in range(1, 8))  # each once
    assert sorted(singles(receiver)) == ["alert-1", "alert-4", "alert-7"]
    by_story = {d["story"]["id"]: [a["id"] for a in d["alerts"]] for d in digests(receiver)}
    assert by_story == {"s-1": ["alert-2", "alert-3", "alert-6"], "s-2": ["alert-5"]}
    assert {d["reason"] for d in digests(receiver)} == {"story"}
    assert all(d.headers["Idempotency-Key"] == d.body["id"] for d in receiver.ok())
    assert desk.pending() == 0


def test_quiet_hours_hold_through_restarts_and_end_in_one_digest_tier_1_breaks_through(
    desk: Desk, receiver: Receiver
) -> None:
    apprise = f'"json://127.0.0.1:{receiver.port}/apprise"'  # a second target of the section
    desk.section(receiver, 'quiet_hours = "22:00-07:00"\ntimezone = "Europe/Kyiv"', apprise)
    night = desk.start("2026-12-03T21:00:00Z")  # 23:00 in Kyiv
    desk.add(make_alert(1, "dw"), make_alert(2, "ap", tier=2), make_alert(3, "gov", tier=1))
    desk.add(make_alert(4, "blog", tier=3))
    wait_for(lambda: singles(receiver) == ["alert-3"], "the tier-1 alert at once")
    wait_for(lambda: desk.held("quiet") == ["alert-1", "alert-2", "alert-4"], "the rest held")
    desk.kill(night)
    early = desk.start("2026-12-04T03:00:00Z")  # 05:00 in Kyiv: still quiet
    desk.add(make_alert(5, "dw"))
    wait_for(lambda: len(desk.held("quiet")) == 4, "held after the restart too")
    stop_all([early])
    desk.start("2026-12-04T05:00:30Z")  # 07:00:30 in Kyiv
    wait_for(lambda: len(digests(receiver)) == 1, "the quiet hours' digest")
    [digest] = digests(receiver)
    assert digest["reason"] == "quiet_hours" and digest["count"] == 4
    assert [a["id"] for a in digest["alerts"]] == ["alert-1", "alert-2", "alert-4", "alert-5"]
    wait_for(lambda: desk.left_over() == [], "nothing left held")
    chat = [d.body for d in receiver.to("/apprise") if d.status == 200]
    assert [c["title"] for c in chat] == ["[gov] R3", "[quiet hours] 4 alerts held"]
    assert chat[1]["message"].splitlines()[0] == "- [dw] R1 https://dw.example/1"
    desk.add(make_alert(6, "dw"))  # after the quiet hours, alerts go at once again
    wait_for(lambda: singles(receiver) == ["alert-3", "alert-6"], "a daytime alert at once")
    assert set(everything(receiver).values()) == {1}


def test_throttle_counts_through_a_restart_and_sends_the_rest_when_the_hour_ends(
    desk: Desk, receiver: Receiver
) -> None:
    desk.section(receiver, "throttle = 2")
    first = desk.start("2026-12-03T10:00:00Z")
    desk.add(make_alert(1, "a"), make_alert(2, "b"), make_alert(3, "c"))
    desk.add(make_alert(4, "gov", tier=1), make_alert(5, "d", term="troops"))
    wait_for(lambda: len(singles(receiver)) == 4, "two sanctions alerts, tier 1, troops")
    wait_for(lambda: desk.held("throttle:sanctions") == ["alert-3"], "the third held")
    assert sorted(singles(receiver)) == ["alert-1", "alert-2", "alert-4", "alert-5"]
    desk.kill(first)
    later = desk.start("2026-12-03T10:40:00Z")  # the same hour: the count is in Redis
    desk.add(make_alert(6, "e"), make_alert(7, "gov", tier=1))
    wait_for(lambda: desk.held("throttle:sanctions") == ["alert-3", "alert-6"], "still throttled")
    wait_for(lambda: "alert-7" in singles(receiver), "tier 1 breaks through the throttle")
    stop_all([later])
    desk.start("2026-12-03T11:00:05Z")
    wait_for(lambda: len(digests(receiver)) == 1, "the throttle's digest")
    [digest] = digests(receiver)
    assert (digest["reason"], digest["keyword"]) == ("throttle", "sanctions")
    assert [a["id"] for a in digest["alerts"]] == ["alert-3", "alert-6"]
    desk.add(make_alert(8, "f"))  # a new hour: under the limit again
    wait_for(lambda: "alert-8" in singles(receiver), "the next hour's first alert at once")
    assert everything(receiver) == Counter(f"alert-{n}" for n in range(1, 9))


def test_forward_refuses_bad_rules_naming_file_and_key(
    tmp_path: Path, prefix: str, redis_url: str, newsmon_cmd: list[str]
) -> None:
    config = tmp_path / "monitor.toml"
    env = {"NEWSMON_REDIS_URL": redis_url}
    base = f'[redis]\nprefix = "{prefix}"\n[[forward]]\nname = "d"\nwebhook = "http://x.test/"\n'
    for rule, expected in [
        ('quiet_hours = "22-7"', 'forward[0].quiet_hours: must be "HH:MM-HH:MM"'),
        ('timezone = "Europe/Kiyv"', "forward[0].timezone: unknown time zone 'Europe/Kiyv'"),
        ("throttle = 0", "forward[0].throttle: must be a whole number"),
        ('story_digest = "soon"', "forward[0].story_digest: must be a duration"),
    ]:
        config.write_text(base + rule + "\n")
        done = Newsmon(newsmon_cmd, config, env).run("forward")
        assert done.returncode == 2 and expected in done.stderr and str(config) in done.stderr
    plain = tmp_path / "plain.toml"
    plain.write_text(f'[redis]\nprefix = "{prefix}"\n')
    for extra, expected in [
        (("--quiet-hours", "22:00-22:00"), "quiet_hours: must start and end at different"),
        (("--throttle", "5/1s"), 'throttle: the window must be between "1m" and "1d"'),
    ]:
        done = Newsmon(newsmon_cmd, plain, env).run(
            "forward", "--webhook", "http://x.test/", *extra
        )
        assert done.returncode == 2 and expected in done.stderr, done.stderr
    alone = Newsmon(newsmon_cmd, plain, env).run("forward", "--per-story")
    assert alone.returncode == 2 and "set per_story in the section" in alone.stderr
    clock = Newsmon(newsmon_cmd, plain, {**env, "NEWSMON_FORWARD_NOW": "tonight"})
    done = clock.run("forward", "--webhook", "http://x.test/")
    assert done.returncode == 2 and "NEWSMON_FORWARD_NOW" in done.stderr


def test_quiet_hours_past_midnight_end_at_the_local_morning() -> None:
    kyiv = ZoneInfo("Europe/Kyiv")
    quiet = QuietHours(time(22), time(7), kyiv)
    at = datetime(2026, 12, 3, 21, 30, tzinfo=UTC).timestamp()  # 23:30 in Kyiv
    assert quiet.end_of(at) == datetime(2026, 12, 4, 5, 0, tzinfo=UTC).timestamp()
    early = datetime(2026, 12, 4, 4, 59, tzinfo=UTC).timestamp()  # 06:59 in Kyiv
    assert quiet.end_of(early) == datetime(2026, 12, 4, 5, 0, tzinfo=UTC).timestamp()
    assert quiet.end_of(datetime(2026, 12, 4, 5, 0, tzinfo=UTC).timestamp()) is None
    assert quiet.end_of(datetime(2026, 12, 3, 19, 59, tzinfo=UTC).timestamp()) is None
    day = QuietHours(time(12), time(13, 30), ZoneInfo("UTC"))
    noon = datetime(2026, 7, 1, 12, 15, tzinfo=UTC).timestamp()
    assert day.end_of(noon) == datetime(2026, 7, 1, 13, 30, tzinfo=UTC).timestamp()


def test_config_rules_and_the_throttle_forms() -> None:
    section = {"name": "d", "webhook": "http://x.test/", "per_story": True,
               "story_digest": "10m", "quiet_hours": "23:00-06:30", "timezone": "Asia/Tokyo",
               "throttle": "3/15m"}  # fmt: skip
    rules = config_from_mapping({"forward": [section]}).forward[0].rules
    assert (rules.per_story, rules.story_digest) == (True, 600.0)
    assert rules.quiet is not None and rules.quiet.label() == "23:00-06:30 Asia/Tokyo"
    assert rules.throttle is not None and (rules.throttle.limit, rules.throttle.window) == (3, 900)
    assert parse_throttle(10).window == 3600 and parse_throttle("10").limit == 10
    plain = config_from_mapping({"forward": [{"name": "d", "webhook": "http://x/"}]})
    assert not plain.forward[0].rules.active  # no rules: every alert at once, as before
    with pytest.raises(ConfigError, match=re.escape("forward[0].timezone: must be an IANA")):
        config_from_mapping({"forward": [{"name": "d", "webhook": "http://x/", "timezone": 3}]})


def test_a_readable_digest_lists_the_held_alerts() -> None:
    alerts = [make_alert(n, src, "s-1") for n, src in [(2, "ap"), (3, "dw"), (6, "ap")]]
    payload = {"type": "digest", "reason": "story", "keyword": None, "alerts": alerts}
    title, body = digest_message(payload)
    assert title == "[story] R2: +3 alerts from ap, dw"
    assert body.splitlines()[0] == "- [ap] R2 https://ap.example/2"
    many = {"type": "digest", "reason": "quiet_hours", "alerts": [make_alert(1, "x")] * 31}
    title, body = digest_message(many)
    assert title == "[quiet hours] 31 alerts held" and body.endswith("… and 1 more")
    assert keywords_of({"terms": []}) == ["*"]


class Clock:
    """A clock the test moves by hand (the forwarder takes its clock as an argument)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_two_forwarders_of_one_group_send_a_story_first_report_once(
    store: Store, receiver: Receiver
) -> None:
    """Copies of one story reach two forwarders of one group at once: the hold-or-send script
    decides for both, so the story has one first report and one digest of the rest."""
    clock = Clock(datetime(2026, 12, 3, 10, tzinfo=UTC).timestamp())
    async with aiohttp.ClientSession() as session:
        forwarders = [
            Forwarder(store, Route(GROUP, [Webhook(receiver.url(), session)], lambda _: True,
                                   DeskRules(per_story=True)), name=name, clock=clock)
            for name in ("a", "b")
        ]  # fmt: skip
        await forwarders[0].consumer.join("$")
        tasks = [asyncio.create_task(f.run()) for f in forwarders]
        for n in range(1, 13):
            story = "s-1" if n <= 10 else "s-2"
            alert = json.dumps(make_alert(n, f"outlet{n}", story))
            await store.redis.xadd(store.keys.stream, {"alert": alert})
        held = [store.keys.held(GROUP).bin(f"story:s-{i}") for i in (1, 2)]

        async def counts() -> list[int]:
            return [await store.redis.llen(key) for key in held]

        await until(lambda: len(singles(receiver)) == 2, "the two first reports")
        while await counts() != [9, 1]:
            await asyncio.sleep(0.02)
        clock.now += 1801  # the default story digest is 30 minutes
        await until(lambda: len(digests(receiver)) == 2, "one digest per story")
        for forwarder in forwarders:
            forwarder.stop()
        await asyncio.gather(*tasks)
    sent = [int(alert_id.split("-")[1]) for alert_id in singles(receiver)]
    assert sorted(n <= 10 for n in sent) == [False, True]  # one first report of each story
    by_story = {d["story"]["id"]: d["count"] for d in digests(receiver)}
    assert by_story == {"s-1": 9, "s-2": 1}
    assert everything(receiver) == Counter(f"alert-{n}" for n in range(1, 13))
    assert sum(f.route.delivered for f in forwarders) == 12
