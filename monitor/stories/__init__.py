"""Stories: the copies and write-ups of one event across sources, as one thread.

Pure logic (layer 1): a report's features, the similarity of a report to a story, and an
in-memory index of the stories in the window that decides which story a report joins. The same
index decides offline (``newsmon stories cluster``) and in the daemon, where it mirrors the
story log kept in Redis (``monitor/store``) so that every daemon decides the same way.
"""

from __future__ import annotations

from monitor.stories.index import Decision, Entry, StoryIndex, StoryRef, decode_entry, encode_entry
from monitor.stories.model import Report, StorySettings

__all__ = [
    "Decision",
    "Entry",
    "Report",
    "StoryIndex",
    "StoryRef",
    "StorySettings",
    "decode_entry",
    "encode_entry",
]
