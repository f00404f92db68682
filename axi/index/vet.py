"""What an adapter hands the index is checked before it is stored.

Adapters read text nobody here wrote. Whatever a transcript put in a field, the row that is
stored has a string or None in every text column, numbers in the number columns, no lone
surrogates anywhere, bounded titles and folders, and an id that is safe to paste into a shell
(an unsafe one maps to a stable derived id, reported once when the file is read).
"""

from __future__ import annotations

from axi.harnesses.base import SearchText, SessionSummary
from axi.text import is_safe_id, safe_id, whole

TEXT_FIELDS = ("source", "dir", "title", "title_source", "model", "provider", "git_branch",
               "first_uuid")
CAPS = {"title": 2000, "dir": 4096, "model": 200, "provider": 200, "git_branch": 400,
        "first_uuid": 200, "title_source": 40}


def vet(summary: SessionSummary) -> list[str]:
    """Make `summary` storable in place; returns what is worth reporting."""
    notes = []
    raw_id = summary.id
    if not is_safe_id(raw_id):
        summary.id = safe_id(raw_id if isinstance(raw_id, str) else repr(raw_id))
        notes.append(f"session id {_quoted(raw_id)} is not a safe id; shown as {summary.id}")
    if summary.parent_id is not None:
        parent = summary.parent_id
        summary.parent_id = safe_id(parent if isinstance(parent, str) else repr(parent))
    for name in TEXT_FIELDS:
        value = getattr(summary, name)
        if value is not None:
            setattr(summary, name, _text(value, CAPS.get(name)))
    if summary.git_branch == "HEAD":  # git's word for "no branch": detached, or not a repo
        summary.git_branch = None
    for name in ("created", "last"):
        setattr(summary, name, _number(getattr(summary, name)))
    for name in ("ctx_tokens", "ctx_window"):
        value = getattr(summary, name)
        setattr(summary, name, value if _is_int(value) and value >= 0 else None)
    summary.turns = summary.turns if _is_int(summary.turns) and summary.turns >= 0 else 0
    summary.skipped_lines = summary.skipped_lines if _is_int(summary.skipped_lines) else 0
    summary.usage = _usage(summary.usage)
    return notes


def vet_texts(texts: list[SearchText]) -> list[SearchText]:
    for text in texts:
        value = text.text
        if type(value) is not str:
            text.text = whole(value) if isinstance(value, str) else ""
        elif not value.isascii():
            text.text = whole(value)
        ts = text.ts
        if type(ts) is not float or not -1e12 < ts < 1e12:  # NaN fails both comparisons
            text.ts = _number(ts)
        if type(text.cursor) is not int:
            text.cursor = text.cursor if _is_int(text.cursor) else 0
    return texts


def _text(value: object, cap: int | None) -> str | None:
    if not isinstance(value, str):
        return None
    value = whole(value)
    return value[:cap] if cap else value


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value == value and abs(value) < 1e12 else None  # NaN, overflow


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _usage(buckets: object) -> dict:
    if not isinstance(buckets, dict):
        return {}
    kept = {}
    for key, counts in buckets.items():
        if not isinstance(key, str) or not isinstance(counts, list) or len(counts) < 5:
            continue
        hour, _, model = key.partition("|")
        if not hour.lstrip("-").isdigit():
            continue
        numbers = [c if _is_int(c) and 0 <= c < 2**62 else 0 for c in counts[:4]]
        cost = counts[4] if isinstance(counts[4], (int, float)) and not isinstance(
            counts[4], bool) and counts[4] == counts[4] else None
        reasoning = counts[5] if len(counts) > 5 and _is_int(counts[5]) and (
            0 <= counts[5] <= numbers[1]) else None  # a part of output, never more
        kept[f"{hour}|{whole(model)[:200]}"] = [*numbers, cost, reasoning]
    return kept


def _quoted(value: object) -> str:
    text = whole(value) if isinstance(value, str) else repr(value)
    return repr(text[:60] + ("…" if len(text) > 60 else ""))
