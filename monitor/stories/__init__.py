"""Stories: the copies and write-ups of one event across sources, as one thread.

Pure logic (layer 1): a report's terms (``features``), near-identical copies by MinHash LSH
(``copies``), a story's centroid and the similarity of a report to it (``story``), and an
in-memory index of the stories in the window that decides which story a report joins
(``index``), with the story log's line format (``codec``). The same index decides offline
(``newsmon stories cluster``) and in the daemon, where it mirrors the story log kept in Redis
so that every daemon decides the same way. docs/stories.md explains the method.
"""

from __future__ import annotations

from monitor.stories.codec import decode_entry, encode_entry
from monitor.stories.features import Features
from monitor.stories.index import Decision, Entry, StoryIndex, StoryRef
from monitor.stories.model import Report, StorySettings

__all__ = [
    "Decision",
    "Entry",
    "Features",
    "Report",
    "StoryIndex",
    "StoryRef",
    "StorySettings",
    "decode_entry",
    "encode_entry",
]
