"""parse(): prompt text -> ParsedPrompt (tokens, flags, image prompts, segments, target model)."""

from __future__ import annotations

from studio.prompt.rules import Rules, load_rules, normalize_model
from studio.prompt.tokens import (TEXT_CHAR, Flag, Issue, Segment, Token, body_tokens,
                                  flag_tokens, lex, segments_of)


class ParsedPrompt:
    """A parsed prompt. `tokens` and `text_segments` of the body are built on first use:
    linting needs them only for multi-prompt checks, so keystroke linting skips the work."""

    __slots__ = ("text", "model", "default_model", "model_flag", "flags", "image_url_tokens",
                 "issues", "body_start", "body_end", "_flag_tokens", "_body")

    def __init__(self, text: str, model: str, default_model: str, model_flag: Flag | None,
                 flags: tuple[Flag, ...], image_url_tokens: tuple[Token, ...],
                 issues: tuple[Issue, ...], body_start: int, body_end: int) -> None:
        self.text = text
        self.model = model  # canonical model id the prompt targets
        self.default_model = default_model
        self.model_flag = model_flag  # the `--v`/`--niji` flag that chose the model, if any
        self.flags = flags
        self.image_url_tokens = image_url_tokens
        self.issues = issues
        self.body_start = body_start
        self.body_end = body_end
        self._body: tuple[Token, ...] | None = None
        self._flag_tokens: tuple[Token, ...] | None = None

    def __repr__(self) -> str:
        return f"ParsedPrompt(model={self.model!r}, flags={len(self.flags)}, text={self.text[:40]!r})"

    def _body_tokens(self) -> tuple[Token, ...]:
        if self._body is None:
            self._body = tuple(body_tokens(self.text, self.body_start, self.body_end))
        return self._body

    @property
    def tokens(self) -> tuple[Token, ...]:
        """Every token in text order: image URLs, text, weights, flags, values, extras."""
        if self._flag_tokens is None:
            self._flag_tokens = tuple(flag_tokens(self.text, self.flags))
        return self.image_url_tokens + self._body_tokens() + self._flag_tokens

    @property
    def text_segments(self) -> tuple[Segment, ...]:
        """Multi-prompt segments (text plus the `::weight` written after it)."""
        return tuple(segments_of(self._body_tokens()))

    @property
    def image_urls(self) -> list[str]:
        return [t.text for t in self.image_url_tokens]

    @property
    def prompt_text(self) -> str:
        """The prompt body without image URLs and flags, segments joined by a space."""
        return " ".join(s.text for s in self.text_segments if s.text)

    def has_text(self) -> bool:
        """Whether the body holds any prompt text (not just image URLs and weights)."""
        if TEXT_CHAR.search(self.text, self.body_start, self.body_end):
            return True
        return any(s.text for s in self.text_segments)

    def find(self, name: str) -> list[Flag]:
        return [f for f in self.flags if f.name == name]

    def last(self, name: str) -> Flag | None:
        for f in reversed(self.flags):
            if f.name == name:
                return f
        return None


def model_of_flag(flag: Flag, rules: Rules) -> str | None:
    """The model a `--v`/`--version`/`--niji` flag selects, or None if it names none we support."""
    if flag.name == "v":
        return rules.version_values.get(flag.value or "\0")
    if flag.name == "niji":
        return rules.niji_values.get(flag.value if flag.value is not None else "")
    return None


def parse(text: str, default_model: str = "7", rules: Rules | None = None,
          presets: frozenset[str] | set[str] = frozenset()) -> ParsedPrompt:
    """Tokenize `text` and work out its model: the last valid `--v`/`--niji` wins, else the
    default (v7 per the docs, or whatever the caller passes, e.g. a settings choice).
    `presets`: names of the user's presets, read as preset flags (highlighting, the panel)."""
    rules = rules or load_rules()
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    default = normalize_model(default_model) or rules.default_model
    lexed = lex(text, rules, presets)
    model = default
    model_flag: Flag | None = None
    for f in lexed.flags:
        if f.name == "v" or f.name == "niji":
            m = model_of_flag(f, rules)
            if m is not None:
                model, model_flag = m, f
    return ParsedPrompt(text, model, default, model_flag, lexed.flags, lexed.image_urls,
                        lexed.issues, lexed.body_start, lexed.body_end)
