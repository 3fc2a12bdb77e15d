"""Which language a conversation is in, from the evidence: pure logic.

Each piece of evidence adds weight to a language; the conversation's language
is the heaviest one, and it changes only when another language leads by a
margin. A message of fewer than `MIN_WORDS` words (or a low-confidence one)
carries no weight at all: "ok", "gracias!" or "👍" never flip a conversation.
An override (an agent's choice, or the customer's in the widget) locks the
language: evidence still accumulates but no longer changes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

# Weights: how much one piece of evidence says about the language to answer in.
PRIOR_WEIGHTS: dict[str, float] = {
    "phone": 1.0,  # the country of a phone number (or the contact's country)
    "accept_language": 1.5,  # the browser's first language
    "contact": 2.5,  # the language the contact has (widget choice, CRM)
}
MESSAGE_WEIGHT = 2.0  # times the detector's confidence, per message long enough
MIN_WORDS = 3
MIN_CONFIDENCE = 0.5
# A challenger must lead by this much: two long messages beat a contact's
# language, one long message beats a phone country.
SWITCH_MARGIN = 0.5
# No language collects more than this (about three long messages): a long
# conversation in one language can still change when the customer does, and
# a language at the cap gains nothing from one more message in it, which lets
# the message path skip the work (scores only grow, so "at the cap" stays true).
SCORE_CAP = 6.0

SOURCES = ("none", *PRIOR_WEIGHTS, "messages", "override")


@dataclass(frozen=True)
class LanguageBelief:
    language: str | None = None
    source: str = "none"
    locked: bool = False
    scores: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"language": self.language, "source": self.source, "locked": self.locked, "scores": dict(self.scores)}


def message_counts(words: int, confidence: float) -> bool:
    """Whether a message is long and clear enough to say anything."""
    return words >= MIN_WORDS and confidence >= MIN_CONFIDENCE


def _decide(belief: LanguageBelief, scores: dict[str, float], source: str) -> LanguageBelief:
    if belief.locked or not scores:
        return replace(belief, scores=scores)
    leader = max(sorted(scores), key=lambda code: scores[code])
    current = belief.language
    if current is None or current not in scores:
        return replace(belief, language=leader, source=source, scores=scores)
    if leader != current and scores[leader] > scores[current] + SWITCH_MARGIN:
        return replace(belief, language=leader, source=source, scores=scores)
    return replace(belief, scores=scores)


def add_prior(belief: LanguageBelief, kind: str, language: str | None) -> LanguageBelief:
    """Evidence known before or beside the messages (contact, browser, phone)."""
    if kind not in PRIOR_WEIGHTS:
        raise ValueError(f"unknown evidence kind {kind!r}")
    if not language:
        return belief
    scores = dict(belief.scores)
    scores[language] = min(SCORE_CAP, scores.get(language, 0.0) + PRIOR_WEIGHTS[kind])
    return _decide(belief, scores, kind)


def add_message(belief: LanguageBelief, language: str | None, confidence: float, words: int) -> LanguageBelief:
    """One incoming message's detection."""
    if not language or not message_counts(words, confidence):
        return belief
    scores = dict(belief.scores)
    scores[language] = min(SCORE_CAP, round(scores.get(language, 0.0) + MESSAGE_WEIGHT * confidence, 4))
    return _decide(belief, scores, "messages")


def at_cap(belief: LanguageBelief, language: str | None) -> bool:
    return language is not None and belief.scores.get(language, 0.0) >= SCORE_CAP


def override(belief: LanguageBelief, language: str | None) -> LanguageBelief:
    """An explicit choice; None (or "") unlocks and lets evidence decide again."""
    if not language:
        unlocked = replace(belief, locked=False, source="none", language=None)
        return _decide(unlocked, dict(belief.scores), "messages")
    return replace(belief, language=language, source="override", locked=True)
