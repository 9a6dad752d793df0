"""Near-identical copies: MinHash signatures of reports' terms and an LSH index over them.

A wire story re-run by many outlets shares nearly all its terms across copies; a MinHash
signature estimates that share (Jaccard) in 16 numbers, and locality-sensitive hashing of the
signature in 4 bands of 4 finds the reports that may share most of them without comparing to
each. rensa (Rust, from the package index) computes both in microseconds, where a Python
MinHash costs a tenth of a millisecond, and removes a report from its bands when its story
leaves the window.
"""

from __future__ import annotations

from collections.abc import Sequence

import rensa

NUM_PERM = 16
BANDS = (
    4  # of NUM_PERM // BANDS rows: a pair sharing 80% of its terms meets in a band 88% of the time
)
_SEED = 0x5EED


def signature(terms: Sequence[int]) -> rensa.RMinHash:
    """The MinHash signature of a set of hashed terms."""
    sig = rensa.RMinHash(num_perm=NUM_PERM, seed=_SEED)
    sig.update([term.to_bytes(4, "little") for term in terms])
    return sig


class CopyIndex:
    """Reports' signatures by key, and the LSH bands that find a report's likely copies."""

    def __init__(self) -> None:
        self._lsh = rensa.RMinHashLSH(threshold=0.5, num_perm=NUM_PERM, num_bands=BANDS)
        self._signatures: dict[int, rensa.RMinHash] = {}

    def __len__(self) -> int:
        return len(self._signatures)

    def add(self, key: int, sig: rensa.RMinHash) -> None:
        """Index a report's signature under ``key``."""
        self._lsh.insert(key, sig)
        self._signatures[key] = sig

    def remove(self, key: int) -> None:
        """Forget a report (no-op for an unknown key)."""
        if self._signatures.pop(key, None) is not None:
            self._lsh.remove(key)

    def copies(self, sig: rensa.RMinHash, at_least: float) -> list[tuple[float, int]]:
        """The keys whose estimated Jaccard with ``sig`` is ``at_least`` or more, best first."""
        found = []
        for key in self._lsh.query(sig):
            share = float(sig.jaccard(self._signatures[key]))
            if share >= at_least:
                found.append((share, int(key)))
        return sorted(found, reverse=True)
