"""`axi sessions search` queries as FTS5 MATCH expressions.

The syntax people type: words (all must appear, in any order), `OR` between two terms (either
one), and "a phrase" in double quotes (its words side by side, in order). Every term is passed
to FTS5 as a quoted string, so punctuation and hyphens (`main.rs`, `sub-agent`, `don't`) never
reach FTS5's own syntax: the tokenizer splits them into words that must stand side by side,
as they did in the text. Anything that cannot be read is a usage error naming the fix.
"""

from __future__ import annotations

import re

from axi.errors import UsageFault

SYNTAX_HELP = ('words must all appear; `OR` between words matches either; "a phrase" in '
               "double quotes matches its words in order")
_TOKEN = re.compile(r'"([^"]*)"|([^\s"]+)')
_WORDY = re.compile(r"\w")


def to_match(text: str) -> str:
    """The FTS5 MATCH expression for a query, or UsageFault saying what is wrong."""
    if text.count('"') % 2:
        raise _fault(f"unclosed double quote in {text!r}",
                     'close the phrase: "fix the parser"')
    parts: list[str] = []
    for phrase, word in _TOKEN.findall(text):
        if word == "OR":
            if not parts or parts[-1] == "OR":
                raise _fault(f"`OR` needs a term on each side in {text!r}",
                             "example: axi sessions search parser OR lexer")
            parts.append("OR")
            continue
        term = phrase if phrase or not word else word
        if not _WORDY.search(term):
            if phrase or not word:
                raise _fault(f"the phrase {term!r} has no words to search for",
                             'put words inside the quotes: "fix the parser"')
            continue  # bare punctuation such as `->` or `&&`: nothing to match on
        parts.append('"' + term.replace('"', '""') + '"')
    if parts and parts[-1] == "OR":
        raise _fault(f"`OR` needs a term on each side in {text!r}",
                     "example: axi sessions search parser OR lexer")
    if not parts:
        raise _fault(f"nothing searchable in {text!r} (no letters or digits)",
                     "example: axi sessions search parser")
    return " ".join(parts)


def _fault(message: str, example: str) -> UsageFault:
    return UsageFault(message, help=[SYNTAX_HELP, example])
