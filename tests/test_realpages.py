"""Real publishers' live pages (tests/data/realpages): polled as an older snapshot, the page
itself, then an edited snapshot, each gives its new updates with their text, the edit, and
no spurious alert. bench/score_extraction.py prints the same per page."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from monitor.text import normalize
from tests.realpages import Case, load_cases, score

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_real_page_is_clean(case: Case) -> None:
    result = score(case)
    assert result.spurious == []
    assert (result.new_found, result.edits_found) == (result.new_expected, 1)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_derived_snapshots_differ_only_where_the_case_says(case: Case) -> None:
    """The derivation really takes the newest updates out and really adds the sentence."""
    page = case.page().decode("utf-8", "replace")
    older, edited = case.older().decode("utf-8"), case.edited().decode("utf-8")
    for update_id, phrase in case.newest.items():
        if not update_id.startswith("lead:"):  # an update known by its element id
            assert f'id="{update_id}"' in page and f'id="{update_id}"' not in older
        assert _text(older).count(phrase) < _text(page).count(phrase)
    assert case.sentence in edited and case.sentence not in page


def _text(page: str) -> str:
    """A page's text as blocks are compared: straight quotes, one space between words."""
    return normalize(" ".join(str(lxml_html.document_fromstring(page).text_content()).split()))
