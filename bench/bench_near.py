"""Proximity on hostile inputs (issue 21): seconds and peak memory per case.

Run: ``.venv/bin/python bench/bench_near.py [seconds]``. Each case runs in a child process
with a 3 GB address-space limit and a time limit (30 s unless given), so a case that explodes
is reported as killed instead of taking the machine with it. Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MEMORY = 3 << 30
PULLBACK = (
    '(troop* OR forces OR units) NEAR/6 ("pull back" OR pullback OR withdraw OR "return to bases")'
)
CHAIN3 = "a* NEAR/100 a* NEAR/100 a*"
CHAIN32 = " NEAR/100 ".join(["a*"] * 32)
CASES = {
    "3-chain NEAR/100 a*, 200 words": (CHAIN3, "a " * 200),
    "3-chain NEAR/100 a*, 400 words": (CHAIN3, "a " * 400),
    "32-chain NEAR/100 a*, 2,000 words": (CHAIN32, "a " * 2_000),
    "32-chain NEAR/100 a*, 500,000 words (1 MB)": (CHAIN32, "a " * 500_000),
    "troop-pullback, 3.2 MB of matching words": (PULLBACK, "troops return to bases " * 140_000),
}


def child(name: str) -> None:
    """Match one case and print its figures as JSON (run in a child process)."""
    from monitor.query import KeywordSpec, Matcher

    query, text = CASES[name]
    matcher = Matcher([KeywordSpec("k", query)])
    start = time.perf_counter()
    found = matcher.match(text)
    seconds = time.perf_counter() - start
    hits = found.get("k")
    limited = [limit.name for limit in getattr(found, "limited", ())]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"s": seconds, "mb": peak, "count": hits.count if hits else 0,
                      "limited": limited}))  # fmt: skip


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run(name: str, timeout: float) -> str:
    """One case in a child process: its figures, or how it was stopped."""
    command = [sys.executable, __file__, "--child", name]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=_limit_memory, check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"killed after {timeout:.0f} s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return f"failed: {last[:60]}"
    r = json.loads(done.stdout)
    limited = " limited" if r["limited"] else ""
    return f"{r['s']:8.3f} s {r['mb']:8.0f} MB peak  count {r['count']}{limited}"


def main() -> None:
    timeout = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    for name in CASES:
        print(f"{name:<45} {run(name, timeout)}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    else:
        main()
