"""Keyword matching throughput: MB/s at 10, 100, 1,000 and 10,000 rules, plus build time,
with language detection off and on.

Run: ``.venv/bin/python bench/bench_match.py``. The text is about 1 MB of generated news-like
prose in ~5 KB items, matched one item at a time as the pipeline does. Rule sets mix invented
names (words, phrases, prefixes, OR/AND/NOT, some NEAR) with ~2% phrases drawn from the text,
so a realistic share of rules are candidates and some match; the rules are in "auto" (the
default), so each text is stemmed in the language it is taken to be in. "off" matches every
text as in no declared language (stemmed as English); "on" detects each text's language first,
once per text, as the daemon does before it caches a text's hits. The two match each item
in turn (in alternating order), so a load that comes and goes on a shared machine falls on
both alike; each of 7 rounds over the text gives a pair of rates, and the ratio is on/off of
each pair, min-max; "best" is the best round's rate on over the best round's off, the figure
least moved by other work on the machine. Prints figures; asserts nothing.
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


def paired(off: Matcher, on: Matcher, items: list[str]) -> tuple[float, float, int]:
    """Seconds each matcher spends on every item, matched by the two in turn, and the hits
    of ``on``."""
    spent = [0.0, 0.0]
    hits = 0
    for n, item in enumerate(items):
        for side in (0, 1) if n % 2 else (1, 0):
            start = time.perf_counter()
            found = (off, on)[side].match(item)
            spent[side] += time.perf_counter() - start
            hits += len(found) if side else 0
    return spent[0], spent[1], hits


def main() -> None:
    """Print MB/s off and on, the on/off ratio and build time per rule count."""
    rng = random.Random(4)
    items = make_items(rng)
    megabytes = sum(len(i.encode()) for i in items) / 1e6
    print(f"text: {megabytes:.2f} MB in {len(items)} items; language detection off and on")
    print(
        f"{'rules':>7} {'build ms':>9} {'off MB/s':>9} {'min-max':>10} {'on MB/s':>8}"
        f" {'min-max':>10} {'on/off':>7} {'min-max':>12} {'best':>6} {'hits/MB':>8}"
    )
    for count in (10, 100, 1_000, 10_000):
        specs = rules(random.Random(count), count, items)
        start = time.perf_counter()
        off = Matcher(specs, detect=False)
        build = (time.perf_counter() - start) * 1000
        on = Matcher(specs, detect=True)
        paired(off, on, items)  # warm the stem caches and the detector
        rounds = [paired(off, on, items) for _ in range(7)]
        off_rates = [megabytes / a for a, _, _ in rounds]
        on_rates = [megabytes / b for _, b, _ in rounds]
        ratios = [b / a for a, b in zip(off_rates, on_rates, strict=True)]
        hits = rounds[0][2] / megabytes
        median = statistics.median
        print(
            f"{count:>7} {build:>9.1f} {median(off_rates):>9.2f} {_spread(off_rates):>10}"
            f" {median(on_rates):>8.2f} {_spread(on_rates):>10}"
            f" {median(ratios):>7.3f} {_spread(ratios, 3):>12}"
            f" {max(on_rates) / max(off_rates):>6.3f} {hits:>8.0f}"
        )


def _spread(values: list[float], digits: int = 1) -> str:
    return f"{min(values):.{digits}f}-{max(values):.{digits}f}"


if __name__ == "__main__":
    main()
