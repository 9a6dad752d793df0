"""Alerts: terms with counts over the whole item, number changes, ids, the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from monitor.models import Block, BlockState, DocState, Document
from monitor.poll.alerts import block_text, build_alerts
from monitor.poll.diff import diff_document
from monitor.query import KeywordSpec, Matcher, TermHits

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "docs" / "alert.schema.json").read_text()
)
MATCHER = Matcher(
    [
        KeywordSpec("sanctions", "sanction*"),
        KeywordSpec("troops", "troops"),
    ]
)


def hits(block: BlockState) -> dict[str, TermHits]:
    return MATCHER.match(block_text(block))


def doc(*blocks: Block) -> Document:
    return Document("live-1", "https://example.test/live", "Live", blocks)


def alerts_between(old: Document, new: Document) -> list[dict[str, Any]]:
    first = diff_document(None, old, baseline=True)
    second = diff_document(first.state, new)
    found = build_alerts("src", first.state, second.changes, hits, "2026-11-24T10:00:00.000Z")
    for alert in found:
        jsonschema.validate(alert, SCHEMA)
    return found


A = Block("a", "Talks", "Sanctions were discussed at length by the ministers.")
B = Block("b", "Troops", "More than 130,000 troops are massed near the border.")


def test_new_block_terms_count_the_whole_item() -> None:
    new = Block("c", "More sanctions", "The EU adopted new sanctions on Tuesday.")
    (alert,) = alerts_between(doc(A), doc(new, A))
    assert alert["type"] == "block.new"
    (term,) = alert["terms"]
    assert (term["name"], term["before"], term["after"]) == ("sanctions", 1, 3)
    assert not term["appeared"]
    assert any("**sanctions**" in s for s in term["snippets"])


def test_edit_with_a_changed_number() -> None:
    edited = Block("b", "Troops", "More than 150,000 troops are massed near the border.")
    (alert,) = alerts_between(doc(A, B), doc(A, edited))
    assert alert["type"] == "block.edited"
    assert alert["edit"]["numbers_changed"] is True
    assert "150,000" in alert["edit"]["added"]
    (term,) = alert["terms"]
    assert term["name"] == "troops"
    assert term["numbers"] == [{"word": "troops", "before": ["130,000"], "after": ["150,000"]}]


def test_edit_taking_the_last_match_away_says_disappeared() -> None:
    edited = Block("a", "Talks", "Trade was discussed at length by the ministers.")
    (alert,) = alerts_between(doc(A), doc(edited))
    (term,) = alert["terms"]
    assert (term["before"], term["after"], term["disappeared"]) == (1, 0, True)


def test_unrelated_edit_does_not_carry_a_term() -> None:
    edited = Block("a", "Talks", "Sanctions were discussed at length by the foreign ministers.")
    (alert,) = alerts_between(doc(A), doc(edited))
    assert alert["terms"] == []


def test_removed_block_counts_down() -> None:
    dead = Block("a", "", "", tombstone=True)
    (alert,) = alerts_between(doc(A, B), doc(dead, B))
    assert alert["type"] == "block.removed"
    assert alert["block"]["headline"] == "Talks"
    assert alert["terms"][0]["after"] == 0


def test_item_new_has_no_block_and_the_text() -> None:
    diff = diff_document(None, doc(A, B))
    (alert,) = build_alerts("src", None, diff.changes, hits, "2026-11-24T10:00:00.000Z")
    jsonschema.validate(alert, SCHEMA)
    assert alert["block"] is None
    assert "Sanctions were discussed" in alert["item"]["text"]
    assert {t["name"] for t in alert["terms"]} == {"sanctions", "troops"}


def test_ids_are_deterministic_and_distinct() -> None:
    new = Block("c", "More sanctions", "The EU adopted new sanctions on Tuesday.")
    first = alerts_between(doc(A), doc(new, A))
    again = alerts_between(doc(A), doc(new, A))
    assert [a["id"] for a in first] == [a["id"] for a in again]
    other = alerts_between(doc(A), doc(Block("d", "Other", "Different text."), A))
    assert first[0]["id"] != other[0]["id"]


@pytest.mark.parametrize("bad", [{"schema": 2}, {"type": "page.changed"}, {"id": "short"}])
def test_schema_rejects_wrong_alerts(bad: dict[str, Any]) -> None:
    new = Block("c", "More sanctions", "The EU adopted new sanctions on Tuesday.")
    (alert,) = alerts_between(doc(A), doc(new, A))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**alert, **bad}, SCHEMA)


def test_states_round_trip_through_json() -> None:
    from monitor.store import decode_state, encode_state

    state = diff_document(None, doc(A, B)).state
    assert decode_state(encode_state(state)) == state
    assert isinstance(state, DocState)


def test_an_edit_says_where_in_the_text_words_were_added_and_removed() -> None:
    edited = Block("b", "Troops", "More than 150,000 troops are massed near the long border.")
    (alert,) = alerts_between(doc(B), doc(edited))
    text = alert["block"]["text"]
    marks = [(text[m["start"] : m["end"]], m["removed"]) for m in alert["edit"]["marks"]]
    assert marks == [("150,000", "130,000"), ("long", "")]
    removed = Block("b", "Troops", "More than 130,000 troops are near the border.")
    (alert,) = alerts_between(doc(B), doc(removed))
    (mark,) = alert["edit"]["marks"]
    assert mark["start"] == mark["end"] and mark["removed"] == "massed"


def test_one_passage_two_keywords_matched_is_one_snippet_with_both_marked() -> None:
    both = Block("c", "Border", "New sanctions and troops near the border.")
    (alert,) = alerts_between(doc(A), doc(both, A))
    assert [len(t["snippets"]) for t in alert["terms"]] == [1, 1]  # each term's own
    assert alert["snippets"] == ["Border ¶ New **sanctions** and **troops** near the border."]


def test_a_block_time_with_an_offset_is_given_in_utc_with_z() -> None:
    timed = Block("c", "Troops", "Troops move.", published="2026-12-03T10:12:45+01:00")
    (alert,) = alerts_between(doc(A), doc(timed, A))
    assert alert["block"]["published"] == "2026-12-03T09:12:45Z"
