"""Keyword matching throughput: MB/s at 10, 100, 1,000 and 10,000 rules, plus build time.

Run: ``.venv/bin/python bench/bench_match.py``. The text is about 1 MB of generated news-like
prose in ~5 KB items, matched one item at a time as the pipeline does. Rule sets mix invented
names (words, phrases, prefixes, OR/AND/NOT, some NEAR) with ~2% phrases drawn from the text,
so a realistic share of rules are candidates and some match. Prints figures; asserts nothing.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.query import KeywordSpec, Matcher


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


COMMON = _words(
    "the of and to in a is that for on was with he it as at by said from his an be has have are "
    "were not which this but had they its who after will would been their more year new first "
    "government president minister police people officials forces troops military attack war "
    "talks security country state city report reported told statement week day tuesday monday "
    "sanctions border election vote party leader crisis economy market prices bank oil gas deal "
    "agreement court judge law health hospital killed injured fire storm flood company shares"
)
SYLLABLES = _words("ka lo mi ne ra to vi sa de bu ko li ma no ri te ve su da ba gi pe fo lu")
NAME_SYLLABLES = _words("zu qe xo vry zat kru gno plex thoq wyx jub")


def pseudo_word(rng: random.Random, syllables: tuple[str, ...], parts: int) -> str:
    """A pronounceable made-up word."""
    return "".join(rng.choice(syllables) for _ in range(parts))


def vocabulary(rng: random.Random) -> list[str]:
    """Common news words plus a long tail of invented ones."""
    tail = {pseudo_word(rng, SYLLABLES, rng.randint(2, 4)) for _ in range(4000)}
    return [*COMMON, *sorted(tail)]


def sentence(rng: random.Random, words: list[str], weights: list[float]) -> str:
    """One sentence: Zipf-distributed words, sometimes a number, capitalised, punctuated."""
    chosen = rng.choices(words, weights, k=rng.randint(8, 25))
    if rng.random() < 0.3:
        chosen.insert(
            rng.randrange(len(chosen)), f"{rng.randint(2, 999)},{rng.randint(0, 999):03d}"
        )
    text = " ".join(chosen)
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", "?", "!"])


def make_items(rng: random.Random, total: int = 1_000_000, size: int = 5_000) -> list[str]:
    """About ``total`` characters of prose in items of about ``size``."""
    words = vocabulary(rng)
    weights = [1.0 / (rank + 1) for rank in range(len(words))]
    items: list[str] = []
    while sum(map(len, items)) < total:
        parts: list[str] = []
        while sum(map(len, parts)) < size:
            parts.append(sentence(rng, words, weights))
        items.append(" ".join(parts))
    return items


def name(rng: random.Random) -> str:
    """An invented proper name that never occurs in the text."""
    return pseudo_word(rng, NAME_SYLLABLES, rng.randint(2, 3)).capitalize()


def invented_query(rng: random.Random) -> str:
    """A query over invented names, in one of the shapes people write."""
    shape = rng.randrange(10)
    a, b, c = name(rng), name(rng), name(rng)
    return [
        a,
        f'"{a} {b}"',
        f'"{a} {b}"',
        f"{a} OR {b} OR {c}",
        f"{a} AND {b}",
        f"{a} {b}",
        f"{a.lower()[:5]}*",
        f"({a} OR {b}) NEAR/5 {c}",
        f"{a} NOT {b}",
        f'{a} ONEAR/3 "{b} {c}"',
    ][shape]


def text_query(rng: random.Random, items: list[str]) -> str:
    """1-3 consecutive words from the text, at least one of them not a stop/common word, as
    watch terms are (nobody watches "of the"); sometimes combined with an operator."""
    while True:
        words = [w.strip(".?!,").lower() for w in rng.choice(items).split()]
        start = rng.randrange(len(words) - 3)
        phrase = words[start : start + rng.randint(1, 3)]
        if any(w not in COMMON and not w[0].isdigit() for w in phrase):
            break
    quoted = '"' + " ".join(phrase) + '"'
    return rng.choice([quoted, quoted, f"{quoted} OR {name(rng)}", f"{quoted} NOT {name(rng)}"])


def rules(rng: random.Random, count: int, items: list[str]) -> list[KeywordSpec]:
    """``count`` keyword specs, about 2% of them drawn from the text."""
    from_text = max(1, round(count * 0.02))
    queries = [text_query(rng, items) for _ in range(from_text)]
    queries += [invented_query(rng) for _ in range(count - from_text)]
    return [KeywordSpec(f"k{i}", q) for i, q in enumerate(queries)]


def run(matcher: Matcher, items: list[str]) -> tuple[float, int]:
    """Seconds to match every item once, and the number of (item, keyword) hits."""
    start = time.perf_counter()
    hits = sum(len(matcher.match(item)) for item in items)
    return time.perf_counter() - start, hits


def main() -> None:
    """Print MB/s and build time per rule count."""
    rng = random.Random(4)
    items = make_items(rng)
    megabytes = sum(len(i.encode()) for i in items) / 1e6
    print(f"text: {megabytes:.2f} MB in {len(items)} items")
    print(f"{'rules':>7} {'build ms':>9} {'MB/s':>7} {'min-max MB/s':>14} {'hits/MB':>8}")
    for count in (10, 100, 1_000, 10_000):
        specs = rules(random.Random(count), count, items)
        start = time.perf_counter()
        matcher = Matcher(specs)
        build = (time.perf_counter() - start) * 1000
        run(matcher, items)  # warm the stem cache for this rule set's languages
        runs = [run(matcher, items) for _ in range(7)]
        rates = [megabytes / seconds for seconds, _ in runs]
        spread = f"{min(rates):.1f}-{max(rates):.1f}"
        median, hits = statistics.median(rates), runs[0][1] / megabytes
        print(f"{count:>7} {build:>9.1f} {median:>7.2f} {spread:>14} {hits:>8.0f}")


if __name__ == "__main__":
    main()
