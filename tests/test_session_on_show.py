"""The job on show: one value, and the rule for when an ending job takes its place."""

from __future__ import annotations

from studio.session.on_show import OnShow


def _on_show(qapp):
    shown: list[str] = []
    on_show = OnShow()
    on_show.changed.connect(shown.append)
    return on_show, shown


def test_a_prompt_job_is_shown_at_once_when_nothing_is_and_again_when_it_ends(qapp):
    on_show, shown = _on_show(qapp)
    on_show.started("a", from_prompt=True)
    assert on_show.key == "a" and shown == ["a"]
    on_show.started("b", from_prompt=True)
    assert on_show.key == "a"  # b's tiles would be empty: a stays until b ends
    assert on_show.finished("b", ok=True, still_running=[]) and on_show.key == "b"


def test_children_never_take_the_grid(qapp):
    on_show, shown = _on_show(qapp)
    on_show.started("a", from_prompt=True)
    on_show.finished("a", ok=True, still_running=[])
    on_show.started("child", from_prompt=False)
    assert not on_show.finished("child", ok=True, still_running=[]) and on_show.key == "a"


def test_a_picked_job_stays_until_a_new_prompt_job_starts(qapp):
    on_show, _ = _on_show(qapp)
    on_show.started("a", from_prompt=True)
    on_show.started("b", from_prompt=True)
    on_show.show("a", pinned=True)
    assert not on_show.finished("b", ok=True, still_running=[]) and on_show.key == "a"
    on_show.started("c", from_prompt=True)
    assert on_show.finished("c", ok=True, still_running=[]) and on_show.key == "c"


def test_a_failed_job_hands_the_following_on_to_the_newest_still_running(qapp):
    on_show, _ = _on_show(qapp)
    on_show.started("a", from_prompt=True)
    on_show.started("b", from_prompt=True)
    on_show.started("c", from_prompt=True)
    assert not on_show.finished("c", ok=False, still_running=["a", "b"])
    assert on_show.following("b")
    assert on_show.finished("b", ok=True, still_running=["a"]) and on_show.key == "b"


def test_while_the_view_is_busy_nothing_takes_its_place_and_following_stops(qapp):
    on_show, _ = _on_show(qapp)
    busy = [True]
    on_show.add_busy_check(lambda: busy[0])
    on_show.started("a", from_prompt=True)
    on_show.started("b", from_prompt=True)
    assert not on_show.finished("b", ok=True, still_running=[]) and on_show.key == "a"
    busy[0] = False
    assert not on_show.following("b")  # the artist was busy here: no late switch either


def test_forgetting_the_job_on_show_empties_it(qapp):
    on_show, shown = _on_show(qapp)
    on_show.started("a", from_prompt=True)
    on_show.forget("a")
    assert on_show.key is None and shown[-1] == ""


def test_a_failed_job_replaces_only_a_job_on_show_that_failed_too(qapp):
    on_show, _ = _on_show(qapp)
    on_show.started("a", from_prompt=True)
    on_show.started("b", from_prompt=True)
    assert not on_show.finished("b", ok=False, still_running=[], shown_failed=False) and on_show.key == "a"
    on_show.started("c", from_prompt=True)
    assert on_show.finished("c", ok=False, still_running=[], shown_failed=True) and on_show.key == "c"
