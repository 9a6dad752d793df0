"""newsmon against urlwatch 2.29, as whole processes, side by side, in one run.

What a new user would compare: ``newsmon run --once`` and ``urlwatch`` on the same N local
sources (90% RSS feeds of 20 items, about 17 KB each, from bench_poll.py's generator; 10%
live-blog pages of update blocks), served over loopback by a server in its own process, in two
modes: ``etag`` (strong ETag and Last-Modified, 304 on a matching If-None-Match, nginx's rule
that an If-Modified-Since must equal Last-Modified) and ``none`` (no validators, always 200).

Each round gives both tools a fresh state and runs three cycles, the tools interleaved (which
goes first alternates by round): the first run; "10% changed" (the first tenth of the sources
gain one item or one block); "nothing changed". For each process it measures wall time, the
CPU time (user + sys) of the whole process tree (this process is a child subreaper, so every
descendant is reaped here and counted), the peak RSS of the largest process of the tree, and
the changes each tool reported (newsmon: new entries on its stream; urlwatch: the CHANGED and
NEW lines of its report). newsmon runs against a private redis-server (its CPU is printed
apart). Then a running daemon (``newsmon run``) polls the same sources, with 10% of them
changing in every cycle, and its CPU per full cycle is compared with urlwatch's CPU per run.

urlwatch is installed once into a virtualenv of its own under ~/.cache/newsmon-bench, never
into the project. Everything runs on 127.0.0.1 and everything started is stopped by PID::

    .venv/bin/python bench/bench_urlwatch.py [--sizes 100,1000,10000] [--modes etag,none]
        [--rounds 3] [--skip-daemon] [--json results.json]
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import email.utils
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.bench_poll import feed_xml, stop_process  # noqa: E402  (needs the repo root on the path)

HOST = "127.0.0.1"
URLWATCH = "2.29"
CACHE = Path.home() / ".cache" / "newsmon-bench"
NEWSMON = ROOT / ".venv" / "bin" / "newsmon"
PAGE_EVERY = 10  # one source in ten is a live page
CYCLES = ("first run", "10% changed", "nothing changed")


# The sources and their server --------------------------------------------------------------


def page_html(page: int, version: int) -> bytes:
    """A live page: ``version + 5`` update blocks, newest first."""
    blocks = "".join(
        f'<article id="post-{n}" class="live-post"><h2>Update {n} from desk {page}</h2>'
        f"<p>Officials in region {page} said talks went on as update {n} came in; ministers "
        f"discussed sanctions and the troops' positions along the border.</p></article>"
        for n in range(version + 5, 0, -1)
    )
    return (
        f"<!doctype html><html><head><title>Live: desk {page}</title></head><body><main>"
        f"<h1>Live: desk {page}</h1>{blocks}</main></body></html>"
    ).encode()


def is_page(i: int) -> bool:
    return i % PAGE_EVERY == PAGE_EVERY - 1


def source_path(i: int) -> str:
    return f"/p{i}.html" if is_page(i) else f"/f{i}.xml"


def write_source(directory: Path, i: int, version: int) -> None:
    """Write one source atomically (the server never sees half a file)."""
    data = page_html(i, version) if is_page(i) else feed_xml(i, version)
    tmp = directory / f".{i}.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, directory / source_path(i).lstrip("/"))


def serve(directory: Path, validators: bool, log: Path | None = None) -> None:
    """The source server (``--serve DIR MODE [LOG]``, its own process): prints its port, and
    with LOG appends one line per request: the time (epoch seconds) and the path."""
    from aiohttp import web

    counts = {"200": 0, "304": 0}
    log_file = open(log, "a", buffering=1) if log else None  # noqa: SIM115 (lives as long as the server)

    async def handle(request: web.Request) -> web.StreamResponse:
        if log_file is not None:
            log_file.write(f"{time.time():.3f} {request.path}\n")
        path = directory / request.match_info["name"]
        try:
            st = path.stat()
            body = path.read_bytes()
        except OSError:
            raise web.HTTPNotFound() from None
        kind = "text/html" if path.suffix == ".html" else "application/rss+xml"
        headers = {"Content-Type": kind}
        if validators:
            headers["ETag"] = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
            headers["Last-Modified"] = email.utils.formatdate(st.st_mtime, usegmt=True)
            if not_modified(request, headers["ETag"], headers["Last-Modified"]):
                counts["304"] += 1
                return web.Response(status=304, headers=headers)
        counts["200"] += 1
        return web.Response(body=body, headers=headers)

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response(counts)

    app = web.Application()
    app.router.add_get("/_stats", stats)
    app.router.add_get("/{name}", handle)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    print(sock.getsockname()[1], flush=True)
    web.run_app(app, sock=sock, print=None, access_log=None, handle_signals=True)


def not_modified(request: Any, etag: str, last_modified: str) -> bool:
    """nginx's default: every conditional header sent must match, and one must be sent."""
    inm, ims = request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since")
    if inm is None and ims is None:
        return False
    if inm is not None and etag not in {t.strip() for t in inm.split(",")}:
        return False
    return ims is None or ims == last_modified


# Processes: start, measure, stop -----------------------------------------------------------


@dataclass
class Usage:
    """One whole-process run."""

    wall: float
    cpu: float  # user + sys of the whole tree
    rss_mb: float  # peak RSS of the largest process in the tree
    rc: int


def become_subreaper() -> None:
    """Orphaned descendants (a forkserver, its workers) are re-parented here and reaped here,
    so their CPU time is counted (prctl PR_SET_CHILD_SUBREAPER)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(36, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def run_measured(cmd: Sequence[str], env: dict[str, str], keep: set[int]) -> tuple[Usage, str]:
    """Run ``cmd`` to its end and reap every descendant it left; ``keep``: our servers.
    Returns the usage and what it printed."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read() if proc.stdout else b""
    rc = -1
    while True:
        pid, status, ru = os.wait4(proc.pid, 0)
        if pid == proc.pid:
            rc = os.waitstatus_to_exitcode(status)
            break
    wall = time.perf_counter() - started
    cpu, rss = ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024
    for ru in reap_orphans(keep | {proc.pid}):
        cpu += ru.ru_utime + ru.ru_stime
        rss = max(rss, ru.ru_maxrss / 1024)
    proc.returncode = rc
    return Usage(wall, cpu, rss, rc), out.decode(errors="replace")


def reap_orphans(keep: set[int], timeout: float = 10.0) -> list[resource.struct_rusage]:
    """Wait for our other children (re-parented orphans) to exit, and reap them."""
    reaped, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        others = [p for p in children_of(os.getpid()) if p not in keep]
        if not others:
            break
        for pid in others:
            with contextlib.suppress(ChildProcessError):
                done, _status, ru = os.wait4(pid, os.WNOHANG)
                if done:
                    reaped.append(ru)
        time.sleep(0.05)
    return reaped


def children_of(parent: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == parent:
                    found.append(int(entry))
    return found


def tree_cpu(root: int) -> float:
    """CPU seconds of a live process and all its descendants, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            stack += children_of(pid)
    return total


stop = stop_process


@contextlib.contextmanager
def started(cmd: Sequence[str], **kwargs: Any) -> Iterator[subprocess.Popen[Any]]:
    proc = subprocess.Popen(cmd, **kwargs)
    try:
        yield proc
    finally:
        stop(proc)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    from monitor.store.embedded import redis_server_binary

    port = free_port()
    cmd = [redis_server_binary(), "--port", str(port), "--bind", HOST, "--save", "",
           "--appendonly", "no", "--dir", str(workdir), "--logfile", "redis.log"]  # fmt: skip
    with started(cmd, stdout=subprocess.DEVNULL) as proc:
        url = f"redis://{HOST}:{port}/0"
        wait_until(lambda: redis_ping(url), "redis-server")
        yield proc, url


def redis_ping(url: str) -> bool:
    import redis

    with contextlib.suppress(redis.RedisError):
        return bool(redis.Redis.from_url(url).ping())
    return False


def wait_until(ok: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# The two tools -----------------------------------------------------------------------------


def urlwatch_exe() -> Path:
    """urlwatch in a virtualenv of its own (installed on first use)."""
    venv = CACHE / f"urlwatch-{URLWATCH}"
    exe = venv / "bin" / "urlwatch"
    if not exe.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "pip"), "install", "-q", f"urlwatch=={URLWATCH}"]
        subprocess.run(pip, check=True)
    return exe


def user_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: Python writes and reads bytecode caches (a sandbox
    may set PYTHONDONTWRITEBYTECODE, which would make newsmon, installed in editable mode,
    compile its own source at every start while urlwatch's pip-compiled modules do not)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | extra


def compile_newsmon() -> None:
    """Byte-compile newsmon once, as a regular (non-editable) install does."""
    python = str(ROOT / ".venv" / "bin" / "python")
    subprocess.run([python, "-m", "compileall", "-q", str(ROOT / "monitor")], check=True,
                   env=user_env())  # fmt: skip


class Urlwatch:
    """One urlwatch state (cache, jobs, config) in a trial dir."""

    def __init__(self, trial: Path, urls: Sequence[str]) -> None:
        self.trial = trial
        trial.mkdir(parents=True)
        (trial / "urls.yaml").write_text("\n---\n".join(f"url: {u}" for u in urls) + "\n")
        (trial / "hooks.py").write_text("")
        report = {"stdout": {"enabled": True, "color": False}}
        config = {"display": {"new": True, "error": True, "unchanged": False}, "report": report}
        (trial / "urlwatch.yaml").write_text(json.dumps(config))  # JSON is YAML

    def command(self) -> list[str]:
        t = self.trial
        return [str(urlwatch_exe()), "--urls", str(t / "urls.yaml"), "--config",
                str(t / "urlwatch.yaml"), "--hooks", str(t / "hooks.py"),
                "--cache", str(t / "cache.db")]  # fmt: skip

    def run(self, keep: set[int]) -> tuple[Usage, int]:
        env = user_env(HOME=str(self.trial))
        usage, out = run_measured(self.command(), env, keep)
        changes = sum(1 for line in out.splitlines() if _is_change_line(line))
        return usage, changes


def _is_change_line(line: str) -> bool:
    # The report's summary lists each job once: "01. CHANGED: http://…" (NEW on a first run);
    # the details repeat them without the number.
    number, dot, rest = line.partition(". ")
    return bool(dot) and number.strip().isdigit() and rest.startswith(("CHANGED: ", "NEW: "))


class Newsmon:
    """One newsmon state (a key prefix on the private Redis) and its config file."""

    def __init__(self, trial: Path, urls: Sequence[str], redis_url: str, prefix: str) -> None:
        trial.mkdir(parents=True)
        self.redis_url, self.prefix = redis_url, prefix
        self.config = trial / "monitor.toml"
        kinds = ["page" if is_page(i) else "feed" for i in range(len(urls))]
        sources = "".join(
            f'[[sources]]\nname = "s{i}"\nurl = "{u}"\nkind = "{k}"\n'
            for i, (u, k) in enumerate(zip(urls, kinds, strict=True))
        )
        self.config.write_text(
            f'[redis]\nprefix = "{prefix}"\n\n[monitor]\ninterval = "5m"\n\n{sources}'
        )
        self.env = user_env(NEWSMON_REDIS_URL=redis_url)

    def stream_length(self) -> int:
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            return int(client.xlen(f"{self.prefix}:stream"))
        finally:
            client.close()

    def run(self, keep: set[int]) -> tuple[Usage, int]:
        before = self.stream_length()
        cmd = [str(NEWSMON), "run", "--once", "--config", str(self.config)]
        usage, _out = run_measured(cmd, self.env, keep)
        return usage, self.stream_length() - before


# One size and mode -------------------------------------------------------------------------


@dataclass
class Row:
    """One measured run of one tool in one cycle of one round."""

    size: int
    mode: str
    round: int
    cycle: str
    tool: str
    wall: float
    cpu: float
    rss_mb: float
    changes: int
    rc: int
    redis_cpu: float = 0.0


def bench_size(size: int, mode: str, rounds: int, tmp: Path, daemon: bool) -> list[Row]:
    www = tmp / f"www-{size}-{mode}"
    www.mkdir()
    for i in range(size):
        write_source(www, i, 0)
    serve_cmd = [sys.executable, __file__, "--serve", str(www), mode]
    with (
        started(serve_cmd, stdout=subprocess.PIPE, text=True) as server,
        redis_server(tmp) as (redis_proc, redis_url),
    ):
        assert server.stdout is not None
        port = int(server.stdout.readline())
        urls = [f"http://{HOST}:{port}{source_path(i)}" for i in range(size)]
        keep = {server.pid, redis_proc.pid}
        rows = []
        for r in range(rounds):
            rows += bench_round(size, mode, r, www, tmp, urls, redis_url, redis_proc.pid, keep)
        if daemon:
            rows.append(bench_daemon(size, mode, www, tmp, urls, redis_url, port, keep))
    return rows


def bench_round(
    size: int,
    mode: str,
    r: int,
    www: Path,
    tmp: Path,
    urls: list[str],
    redis_url: str,
    redis_pid: int,
    keep: set[int],
) -> list[Row]:
    for i in range(size):
        write_source(www, i, 0)
    uw = Urlwatch(tmp / f"uw-{size}-{mode}-{r}", urls)
    nm = Newsmon(tmp / f"nm-{size}-{mode}-{r}", urls, redis_url, f"b{size}{mode}{r}")
    rows = []
    for cycle in CYCLES:
        if cycle == "10% changed":
            for i in range(max(1, size // 10)):
                write_source(www, i, 1)
        order = [("newsmon", nm), ("urlwatch", uw)]
        for name, tool in order if r % 2 == 0 else order[::-1]:
            redis_before = proc_cpu(redis_pid)
            usage, changes = tool.run(keep)
            redis_cpu = proc_cpu(redis_pid) - redis_before if name == "newsmon" else 0.0
            rows.append(Row(size, mode, r, cycle, name, **asdict(usage) | {"changes": changes},
                            redis_cpu=redis_cpu))  # fmt: skip
            note(rows[-1])
    return rows


def bench_daemon(
    size: int,
    mode: str,
    www: Path,
    tmp: Path,
    urls: list[str],
    redis_url: str,
    port: int,
    keep: set[int],
    cycles: int = 3,
) -> Row:
    """A running daemon: CPU per full cycle, 10% of the sources changing every interval.

    After the daemon's baseline cycle, the bench changes a tenth of the sources once per
    interval, ``cycles`` times; the full cycles done meanwhile are counted at the server
    (requests ÷ sources) and the daemon tree's CPU over that window is divided by them.
    """
    interval = max(5, size // 250)  # seconds: room for a cycle on a loaded machine
    nm = Newsmon(tmp / f"daemon-{size}-{mode}", urls, redis_url, f"d{size}{mode}")
    text = nm.config.read_text().replace('interval = "5m"', f'interval = "{interval}s"\njitter = 0')
    nm.config.write_text(text)
    served = _served_counter(port)
    cmd = [str(NEWSMON), "run", "--config", str(nm.config)]
    tenth = max(1, size // 10)
    with started(cmd, env=nm.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
        versions = [0] * size
        for i in range(size):
            write_source(www, i, 0)  # the interleaved rounds left a tenth changed
        start = served()
        wait_until(lambda: served() >= start + size, "the daemon's baseline cycle", 600)
        cpu0, t0, n0, alerts0 = (
            tree_cpu(proc.pid),
            time.perf_counter(),
            served(),
            nm.stream_length(),
        )
        for k in range(cycles):
            for i in range(k * tenth, (k + 1) * tenth):
                versions[i % size] += 1  # one more item or block: one alert
                write_source(www, i % size, versions[i % size])
            time.sleep(interval)
        cpu, done = tree_cpu(proc.pid) - cpu0, (served() - n0) / size
        wall = time.perf_counter() - t0
        expected = alerts0 + tenth * cycles
        with contextlib.suppress(RuntimeError):
            wait_until(lambda: nm.stream_length() >= expected, "the daemon's alerts", 4 * interval)
        alerts = nm.stream_length() - alerts0
    row = Row(size, mode, 0, "daemon, per cycle", "newsmon run", wall / done, cpu / done, 0.0,
              alerts, 0 if alerts == tenth * cycles else 1)  # fmt: skip
    note(row)
    return row


def _served_counter(port: int) -> Callable[[], int]:
    import urllib.request

    def served() -> int:
        with urllib.request.urlopen(f"http://{HOST}:{port}/_stats") as resp:
            counts = json.load(resp)
        return int(counts["200"]) + int(counts["304"])

    return served


def note(row: Row) -> None:
    print(
        f"  {row.size:>6} {row.mode:<4} r{row.round} {row.cycle:<18} {row.tool:<12} "
        f"wall {row.wall:6.2f}s cpu {row.cpu:6.2f}s rss {row.rss_mb:5.0f}MB "
        f"changes {row.changes:>5} rc {row.rc}",
        file=sys.stderr,
        flush=True,
    )


# Tables ------------------------------------------------------------------------------------


def med(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.2f} [{min(values):.2f}–{max(values):.2f}]"


def print_tables(rows: list[Row]) -> None:
    for size, mode in dict.fromkeys((r.size, r.mode) for r in rows):
        print(f"\n### {size} sources, server mode `{mode}`\n")
        print("| cycle | newsmon wall s | urlwatch wall s | urlwatch ÷ newsmon wall | newsmon CPU s"
              " | urlwatch CPU s | urlwatch ÷ newsmon CPU | peak RSS MB (nm / uw) | changes"
              " (nm / uw) | redis CPU s |")  # fmt: skip
        print("|---" * 10 + "|")
        for cycle in CYCLES:
            print_cycle([r for r in rows if (r.size, r.mode, r.cycle) == (size, mode, cycle)])
        for d in (r for r in rows if (r.size, r.mode, r.tool) == (size, mode, "newsmon run")):
            uw_cpu = [r.cpu for r in rows if (r.size, r.mode, r.cycle, r.tool)
                      == (size, mode, "10% changed", "urlwatch")]  # fmt: skip
            ratio = statistics.median(uw_cpu) / d.cpu if uw_cpu and d.cpu else float("nan")
            alerts = "as expected" if d.rc == 0 else "NOT as expected"
            print(f"\nRunning daemon: {d.cpu:.3f} s CPU per full cycle ({d.wall:.1f} s each); "
                  f"{d.changes} alerts for 3 × 10% changed ({alerts}); urlwatch's CPU per "
                  f"10%-changed run ÷ this = {ratio:.1f} (target ≥ 20)")  # fmt: skip


def print_cycle(rows: list[Row]) -> None:
    nm = [r for r in rows if r.tool == "newsmon"]
    uw = [r for r in rows if r.tool == "urlwatch"]
    if not nm or not uw:
        return
    by_round = sorted(nm, key=lambda r: r.round), sorted(uw, key=lambda r: r.round)
    pairs = list(zip(*by_round, strict=True))
    wall = [u.wall / n.wall for n, u in pairs]
    cpu = [u.cpu / n.cpu for n, u in pairs]
    rss = f"{max(r.rss_mb for r in nm):.0f} / {max(r.rss_mb for r in uw):.0f}"
    changes = f"{_counts(nm)} / {_counts(uw)}"
    failed = " (some runs failed)" if any(r.rc for r in rows) else ""
    cells = [f"{rows[0].cycle}{failed}", med([r.wall for r in nm]), med([r.wall for r in uw]),
             f"**{med(wall)}**", med([r.cpu for r in nm]), med([r.cpu for r in uw]),
             f"**{med(cpu)}**", rss, changes, med([r.redis_cpu for r in nm])]  # fmt: skip
    print("| " + " | ".join(cells) + " |")


def _counts(rows: list[Row]) -> str:
    found = sorted({r.changes for r in rows})
    return "/".join(str(c) for c in found) if len(found) > 1 else str(found[0])


def calibrate() -> float:
    started_at = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - started_at


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.serve:
        log = Path(args.serve[2]) if len(args.serve) > 2 else None
        serve(Path(args.serve[0]), args.serve[1] == "etag", log)
        return
    # A SIGTERM unwinds like Ctrl-C, so every server started is stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    become_subreaper()
    urlwatch_exe()
    compile_newsmon()
    print(f"noise check: a 10M-iteration Python loop took {calibrate():.2f} s", flush=True)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="newsmon-vs-urlwatch-") as tmp:
        for size in args.sizes:
            for mode in args.modes:
                print(f"{size} sources, mode {mode} …", file=sys.stderr, flush=True)
                rows += bench_size(size, mode, args.rounds, Path(tmp), not args.skip_daemon)
    print(f"noise check at the end: {calibrate():.2f} s")
    print_tables(rows)
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in rows], indent=1))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=_ints, default=[100, 1000, 10000])
    parser.add_argument("--modes", type=lambda v: v.split(","), default=["etag", "none"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-daemon", action="store_true")
    parser.add_argument("--json", help="also write every measured run here")
    parser.add_argument("--serve", nargs="+", help=argparse.SUPPRESS)  # DIR MODE [LOG]
    return parser.parse_args(argv)


def _ints(value: str) -> list[int]:
    return [int(v) for v in value.split(",")]


if __name__ == "__main__":
    main()
