"""PromptState: one text, its lint, set_param rewriting one flag, and one undo stack for all."""

from __future__ import annotations

import pytest

from studio.session.prompt_state import PromptState, flag_support, model_choices


@pytest.fixture
def state(qapp):
    return PromptState()


def test_text_change_relints_and_signals(state):
    seen_text, seen_lint = [], []
    state.text_changed.connect(seen_text.append)
    state.lint_changed.connect(seen_lint.append)
    state.set_text("castle --v 8.1 --q 2", origin="program")
    assert seen_text == ["castle --v 8.1 --q 2"]
    assert len(seen_lint) == 1 and seen_lint[0] is state.lint()
    assert state.model() == "8.1"
    assert not state.lint().ok
    (error,) = state.lint().errors
    assert state.text()[error.span[0]:error.span[1]] == "--q 2"


def test_typing_is_linted_once_it_pauses_latest_text_wins(qtbot, state):
    seen_text, seen_lint = [], []
    state.text_changed.connect(seen_text.append)
    state.lint_changed.connect(seen_lint.append)
    for text in ("c", "ca", "cas", "castle --q 2 --v 8.1"):
        state.set_text(text)  # keystrokes: the view hears each text at once, no lint yet
    assert seen_text == ["c", "ca", "cas", "castle --q 2 --v 8.1"]
    assert seen_lint == [] and state.lint_pending()
    with qtbot.waitSignal(state.lint_changed, timeout=1000):
        pass
    assert len(seen_lint) == 1 and seen_lint[0].text == "castle --q 2 --v 8.1"  # coalesced
    assert not state.lint_pending()


def test_reading_the_lint_while_typing_never_gives_stale_spans(qtbot, state):
    state.set_text("castle --v 8.1 --q 2", origin="program")
    state.set_text("a castle --v 8.1 --q 2")  # typed in front: every span moved
    assert state.lint_pending()
    (error,) = state.lint().errors  # read at once: linted now, for this text
    assert state.text()[error.span[0]:error.span[1]] == "--q 2"
    assert not state.lint_pending()


def test_listeners_of_text_changed_read_a_fresh_lint(state):
    models = []
    state.text_changed.connect(lambda _t: models.append(state.lint().model))
    state.set_text("castle --niji 6")
    assert models == ["niji6"]


def test_set_param_rewrites_only_that_flag(state):
    state.set_text("castle  on a cliff::2 --ar 16:9   --s 250 --no people")
    state.set_param("stylize", 400)
    assert state.text() == "castle  on a cliff::2 --ar 16:9   --s 400 --no people"
    state.set_param("chaos", 20)
    assert state.text() == "castle  on a cliff::2 --ar 16:9   --s 400 --no people --c 20"
    state.set_param("aspect", None)
    assert state.text() == "castle  on a cliff::2   --s 400 --no people --c 20"
    assert state.params().stylize == 400 and state.params().chaos == 20


def test_undo_redo_cover_typing_and_panel_edits(state):
    state.set_text("c", origin="editor")
    state.set_text("ca", origin="editor")
    state.set_text("cat", origin="editor")  # one word: one undo step
    state.set_param("stylize", 300)
    state.set_text("cat --s 300 x", origin="editor")
    assert state.undo_stack.count() == 3
    state.undo_stack.undo()
    assert state.text() == "cat --s 300"
    assert state.change_origin() == "undo"
    state.undo_stack.undo()
    assert state.text() == "cat"
    state.undo_stack.undo()
    assert state.text() == ""
    state.undo_stack.redo()
    state.undo_stack.redo()
    assert state.text() == "cat --s 300"
    assert state.change_origin() == "redo"


def test_space_starts_a_new_typing_step(state):
    for text in ("a", "ab", "ab ", "ab c", "ab cd"):
        state.set_text(text, origin="editor")
    state.undo_stack.undo()
    assert state.text() == "ab "
    state.undo_stack.undo()
    assert state.text() == "ab"


def test_consecutive_slider_moves_merge_until_sealed(state):
    state.set_text("castle", origin="program")
    base = state.undo_stack.count()
    for value in (110, 150, 220, 300):
        state.set_param("stylize", value, merge=True)
    assert state.undo_stack.count() == base + 1
    state.seal_undo()
    state.set_param("stylize", 500, merge=True)
    assert state.undo_stack.count() == base + 2
    state.set_param("chaos", 5, merge=True)  # another parameter: its own step
    assert state.undo_stack.count() == base + 3
    state.undo_stack.undo()
    state.undo_stack.undo()
    assert state.text() == "castle --s 300"
    state.undo_stack.undo()
    assert state.text() == "castle"


def test_apply_fix_is_one_undo_step(state):
    state.set_text("castle --v 8.1 --q 2 --ar 1:1", origin="program")
    (error,) = state.lint().errors
    assert state.apply_fix(error)
    assert state.text() == "castle --v 8.1 --ar 1:1"
    assert state.lint().ok
    state.undo_stack.undo()
    assert state.text() == "castle --v 8.1 --q 2 --ar 1:1"


def test_apply_fixes_drops_several_flags_at_once(state):
    state.set_text("castle --v 8.1 --q 2 --no people --oref https://x.test/a.png", origin="program")
    rejected = [d for d in state.lint().diagnostics if d.code == "flag-rejected"]
    assert len(rejected) == 3
    assert state.apply_fixes(rejected)
    assert state.text() == "castle --v 8.1"
    assert state.lint().ok
    state.undo_stack.undo()
    assert "--oref" in state.text()


def test_default_model_applies_when_prompt_names_none(state):
    state.set_text("castle --q 2", origin="program")
    assert state.lint().ok
    state.set_default_model("v8.1")
    assert state.model() == "8.1"
    assert not state.lint().ok
    assert state.text_for_submit() == "castle --q 2 --v 8.1"
    state.set_text("castle --v 7 --q 2", origin="program")
    assert state.text_for_submit() == "castle --v 7 --q 2"


def test_server_error_marks_the_flag_until_the_text_changes(state):
    state.set_text("castle --v 7 --sw 100", origin="program")
    before = len(state.lint().errors)
    assert state.last_server_error("--sw", "Invalid parameter --sw")
    errors = state.lint().errors
    assert len(errors) == before + 1
    server = [d for d in errors if d.code == "server-rejected"][0]
    assert state.text()[server.span[0]:server.span[1]] == "--sw 100"
    assert "Invalid parameter --sw" in server.message
    state.set_text("castle --v 7", origin="editor")
    assert not [d for d in state.lint().diagnostics if d.code == "server-rejected"]


def test_server_error_for_a_missing_flag_still_reports(state):
    state.set_text("castle", origin="program")
    assert not state.last_server_error("q", "bad --q")
    assert not state.lint().ok


def test_references_are_added_and_removed_through_the_text(state):
    state.set_text("castle --ar 2:3", origin="program")
    state.add_reference("sref", "https://x.test/style.png")
    assert state.text() == "castle --ar 2:3 --sref https://x.test/style.png"
    state.add_reference("sref", "https://x.test/two.png")
    assert state.params().sref == ["https://x.test/style.png", "https://x.test/two.png"]
    state.add_reference("image", "https://x.test/img.png")
    assert state.text().startswith("https://x.test/img.png castle")
    assert state.params().image_urls == ["https://x.test/img.png"]
    state.add_reference("oref", "https://x.test/o1.png")
    state.add_reference("oref", "https://x.test/o2.png")
    assert state.params().oref == ["https://x.test/o2.png"]  # --oref takes one image
    state.remove_reference("image", 0)
    state.remove_reference("sref", 0)
    assert state.text() == "castle --ar 2:3 --sref https://x.test/two.png --oref https://x.test/o2.png"


def test_flag_support_comes_from_the_rule_tables(qapp):
    q81 = flag_support("8.1", "quality")
    assert not q81.usable and q81.severity == "error" and "quality tiers" in q81.reason
    q7 = flag_support("7", "--q")
    assert q7.usable and q7.values == (1, 2, 4) and q7.hint == "1 · 2 · 4"
    assert flag_support("6", "stylize").hint == "0–1000"
    assert flag_support("7", "draft").usable and not flag_support("8", "draft").usable
    assert [m for m, _ in model_choices()] == ["6", "6.1", "7", "8", "8.1", "niji6"]


def test_render_info_reports_hd(state):
    state.set_text("castle --v 8.1 --ar 1:1", origin="program")
    assert state.render_info() == (2048, 2048, True)
    state.set_text("castle --v 7 --ar 1:1", origin="program")
    assert state.render_info() == (1024, 1024, False)
    state.set_text("castle --v 8 --hd", origin="program")
    assert state.render_info()[2] is True
