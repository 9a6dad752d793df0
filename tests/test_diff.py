"""The diff: block identity, edits, cosmetic edits, scrolling and removal."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.models import Block, DocState, Document
from monitor.poll.diff import DocDiff, diff_document

LONG = (
    "Officials said the talks would resume on Thursday in Geneva, with both delegations "
    "expected to bring new proposals on troop levels, inspections and the timetable for "
    "any withdrawal from the border region, according to two people familiar with the plans."
)


def page(*blocks: Block, doc_id: str = "https://example.test/live") -> Document:
    return Document(doc_id, doc_id, "Live: talks", tuple(blocks))


def blk(headline: str, text: str, id: str | None = None, published: str | None = None) -> Block:
    return Block(id=id, headline=headline, text=text, published=published, extractor="markup")


def numbered(i: int) -> Block:
    return blk(f"Update {i}", f"Body number {i} of the day.", id=str(i))


def run(*versions: Document) -> list[DocDiff]:
    state: DocState | None = None
    out = []
    for i, doc in enumerate(versions):
        diff = diff_document(state, doc, baseline=i == 0)
        state = diff.state
        out.append(diff)
    return out


def types(diff: DocDiff) -> list[tuple[str, str]]:
    out = []
    for change in diff.changes:
        block = change.block or change.before
        out.append((change.type, block.headline if block else ""))
    return out


def test_first_poll_is_a_baseline_and_an_unchanged_poll_alerts_nothing() -> None:
    a = blk("Talks resume", LONG, id="1")
    first, second = run(page(a), page(a))
    assert first.changes == ()
    assert second.changes == ()
    assert not second.changed


def test_new_document_after_baseline_is_item_new() -> None:
    diff = diff_document(None, page(blk("A", "text")), baseline=False)
    assert [c.type for c in diff.changes] == ["item.new"]


def test_new_block_on_top_of_a_newest_first_page() -> None:
    a, b = blk("Talks resume", LONG, id="1"), blk("Troops pull back", "Units returned.", id="2")
    _, second = run(page(a), page(b, a))
    assert types(second) == [("block.new", "Troops pull back")]


def test_identity_without_ids_survives_reordering() -> None:
    a, b = blk("Talks resume", LONG), blk("Markets fall", "Stocks dropped sharply on the news.")
    _, second = run(page(a, b), page(b, a))
    assert second.changes == ()


def test_small_edit_without_ids_is_an_edit_not_a_new_block() -> None:
    a = blk("Talks resume", LONG)
    edited = blk("Talks resume", LONG.replace("Thursday", "Friday"))
    first, second = run(page(a), page(edited))
    assert types(second) == [("block.edited", "Talks resume")]
    change = second.changes[0]
    assert change.block is not None and change.block.id == first.state.blocks[0].id
    assert "Friday" in change.words_added and "Thursday" in change.words_removed


def test_cosmetic_edit_alerts_nothing_but_is_remembered() -> None:
    a = blk("Talks resume", 'He said "no comment" - then left.', id="1")
    cosmetic = blk("Talks resume", "He said \u201cno comment\u201d \u2014 then left!", id="1")
    _, second = run(page(a), page(cosmetic))
    assert second.changes == ()


def test_byline_added_later_is_not_a_text_edit() -> None:
    a = blk("Talks resume", LONG, id="1")
    with_byline = Block("1", "Talks resume", LONG, byline="Jane Doe", extractor="markup")
    _, second = run(page(a), page(with_byline))
    assert second.changes == ()
    assert second.state.blocks[0].byline == "Jane Doe"


def test_block_scrolled_off_the_window_is_not_removed() -> None:
    blocks = [numbered(i) for i in range(5, 0, -1)]
    # Newest first; the oldest (id 1) scrolls off as a new one arrives on top.
    newer = blk("Update 6", "Body number 6 of the day.", id="6")
    _, second, third = run(page(*blocks), page(newer, *blocks[:-1]), page(newer, *blocks[:-1]))
    assert types(second) == [("block.new", "Update 6")]
    assert third.changes == ()
    assert "1" in {b.id for b in third.state.blocks}  # still remembered


def test_block_missing_inside_the_window_is_removed_on_the_second_poll() -> None:
    blocks = [numbered(i) for i in range(3, 0, -1)]
    without_middle = page(blocks[0], blocks[2])
    _, second, third, fourth = run(page(*blocks), without_middle, without_middle, without_middle)
    assert second.changes == ()
    assert types(third) == [("block.removed", "Update 2")]
    assert fourth.changes == ()


def test_tombstone_removes_at_once() -> None:
    a, b = blk("A", "first text here", id="a"), blk("B", "second text here", id="b")
    dead = Block("b", "", "", tombstone=True, extractor="amp")
    _, second = run(page(a, b), page(a, dead))
    assert types(second) == [("block.removed", "B")]


def test_new_blocks_come_out_oldest_first() -> None:
    a = blk("A", "first", id="a", published="2026-01-01T10:00:00Z")
    b = blk("B", "second", id="b", published="2026-01-01T11:00:00Z")
    c = blk("C", "third", id="c", published="2026-01-01T12:00:00Z")
    _, second = run(page(a), page(c, b, a))
    assert [ch.block.headline for ch in second.changes if ch.block] == ["B", "C"]


def test_same_change_found_twice_gives_the_same_state() -> None:
    """A commit that failed is retried against the old state: the diff must be identical."""
    a, b = blk("A", LONG), blk("B", "Another update entirely.")
    (first,) = run(page(a))
    again1 = diff_document(first.state, page(b, a))
    again2 = diff_document(first.state, page(b, a))
    assert again1 == again2


words = st.text(alphabet="abcdefghij ", min_size=20, max_size=80)


@settings(max_examples=50, deadline=None)
@given(st.lists(words, min_size=2, max_size=6, unique=True), st.randoms())
def test_shuffling_blocks_never_alerts(texts: list[str], rnd: object) -> None:
    blocks = [blk(f"Headline {i}", t) for i, t in enumerate(texts)]
    shuffled = blocks[:]
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    _, second = run(page(*blocks), page(*shuffled))
    assert second.changes == ()


sentences = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=9),
    min_size=8,
    max_size=40,
).map(" ".join)
COSMETIC = [
    lambda s: s.replace(" ", "  "),
    lambda s: s.upper(),
    lambda s: f"\u201c{s}\u201d",
    lambda s: s.replace(" ", " - ", 1),
    lambda s: s + ".",
    lambda s: s.replace(" ", "\u00a0"),
]


@settings(max_examples=60, deadline=None)
@given(
    sentences,
    st.lists(st.sampled_from(range(len(COSMETIC))), min_size=1, max_size=3),
    st.sampled_from(["", "Updated 5 min ago\n", "Posted 2 hours ago. ", "just now\n"]),
)
def test_cosmetic_edits_never_alert(text: str, edits: list[int], label: str) -> None:
    edited = text
    for i in edits:
        edited = COSMETIC[i](edited)
    edited = label + edited
    for block_id in ("native", None):
        before, after = blk("Headline", text, id=block_id), blk("Headline", edited, id=block_id)
        _, second = run(
            page(before, blk("Other", "Unrelated block text here.")),
            page(after, blk("Other", "Unrelated block text here.")),
        )
        assert second.changes == ()


@settings(max_examples=60, deadline=None)
@given(sentences, st.text(alphabet="klmnop ", min_size=3, max_size=30))
def test_block_id_is_stable_under_body_edits(text: str, extra: str) -> None:
    _first, second = run(
        page(blk("Talks", text, id="42")), page(blk("Talks", text + " " + extra, id="42"))
    )
    assert [b.id for b in second.state.blocks] == ["42"]
    assert all(c.type == "block.edited" for c in second.changes)
