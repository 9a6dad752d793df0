"""How fast ``newsmon`` commands start, as whole processes, against ``python3 -c 'import json'``.

Runs each command ``--rounds`` times, interleaved, against a private redis-server on loopback
(started and stopped here), and prints the median wall time of each with min–max, and its
ratio to the bare interpreter measured in the same rounds::

    .venv/bin/python bench/bench_cli.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.redisserver import RedisServer  # noqa: E402  (needs the repo root on the path)

BIN = Path(sys.executable).parent
COMMANDS = {
    "python3 -c 'import json'": [sys.executable, "-c", "import json"],
    # The floor of any command that talks to Redis: redis-py imports redis.asyncio and asyncio.
    "python3 -c 'import redis'": [sys.executable, "-c", "import redis"],
    "newsmon --help": [str(BIN / "newsmon"), "--help"],
    "newsmon keywords list": [str(BIN / "newsmon"), "keywords", "list"],
    "newsmon status": [str(BIN / "newsmon"), "status"],
    "newsmon sources list": [str(BIN / "newsmon"), "sources", "list"],
}


def timed(cmd: Sequence[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def measure(rounds: int, env: dict[str, str]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(rounds):
        for name, cmd in COMMANDS.items():
            times[name].append(timed(cmd, env))
    return times


def report(times: dict[str, list[float]]) -> None:
    base = times["python3 -c 'import json'"]
    print("| command | median ms [min–max] | ÷ python3 -c 'import json' (median [min–max]) |")
    print("|---|---|---|")
    for name, values in times.items():
        ratios = [v / b for v, b in zip(values, base, strict=True)]
        print(
            f"| `{name}` | {statistics.median(values) * 1000:.0f} "
            f"[{min(values) * 1000:.0f}–{max(values) * 1000:.0f}] | "
            f"{statistics.median(ratios):.2f} [{min(ratios):.2f}–{max(ratios):.2f}] |"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="newsmon-cli-") as tmp,
        RedisServer(Path(tmp)) as server,
    ):
        config = Path(tmp) / "monitor.toml"
        config.write_text('[redis]\nprefix = "clibench"\n', encoding="utf-8")
        env = {**os.environ, "NEWSMON_REDIS_URL": server.url, "NEWSMON_CONFIG": str(config)}
        for cmd in COMMANDS.values():
            timed(cmd, env)  # warm the page cache and the bytecode
        report(measure(args.rounds, env))


if __name__ == "__main__":
    main()
