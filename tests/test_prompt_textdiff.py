"""changed_stretch: the one edit between two texts, found with C-speed slice compares."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from studio.prompt.textdiff import changed_stretch

TEXT = st.text(alphabet="ab -:🐱é", max_size=60)


@settings(max_examples=300, deadline=None)
@given(TEXT, TEXT)
def test_the_stretch_rebuilds_the_new_text_and_is_the_smallest(old, new):
    start, removed, inserted = changed_stretch(old, new)
    assert old[:start] + inserted + old[start + len(removed):] == new
    assert old[start:start + len(removed)] == removed
    if removed and inserted:
        assert removed[0] != inserted[0] and removed[-1] != inserted[-1]


def test_a_keystroke_in_a_long_prompt():
    old = "x" * 8000 + " --ar 3:2"
    new = "x" * 4000 + "y" + "x" * 4000 + " --ar 3:2"
    assert changed_stretch(old, new) == (4000, "", "y")
