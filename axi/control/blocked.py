"""What a held session is blocked on: a login or OAuth flow, or another prompt, if anything.

The holder asks here about the screen it holds and about what the session's state hooks
report, and writes the answer into its heartbeat (`live.beat`), where every reader finds it:
`auth` makes the status `needs auth`, `prompt` makes it `needs you`, and a followed session
gets a `waiting` event (reason `auth` or `prompt`).

- The screen: only output since the last input counts (what was typed answered the prompt
  before it), and only the bottom LINES lines of it, where a prompt that blocks stands. A
  login or OAuth prompt is recognised by AUTH, text the harnesses' own login screens and
  errors show (Claude Code 2.1, Codex 0.169, Gemini); any other prompt by the harness's
  `waiting_re` (config.toml), which is the fallback for sessions whose state hook is not
  installed: once a hook reported a state for the session, the hooks say when it is blocked.
- The hooks: `axi hook state` appends each state to `sessions.jsonl` (`index/journal.py`);
  the holder reads the lines added since it started. `needs auth` and `needs you` hold until
  the next state or the next input.
"""

from __future__ import annotations

import contextlib
import os
import re

AUTH, PROMPT = "auth", "prompt"
LINES = 20  # the bottom of the screen, in non-blank lines
WINDOW = 16 * 1024  # bytes of output looked at, at most
TEXT = 200  # characters of the blocking line kept
AUTH_RE = re.compile("|".join((
    r"Please run /login\b",  # Claude Code: logged out, an invalid key, an expired OAuth token
    r"\bSelect login method\b",  # Claude Code's first run
    r"\bUse the url below to sign in\b",  # Claude Code's OAuth flow
    r"\bPaste code here if prompted\b",
    r"^\W*(?:\d+\.\s*)?Sign in with (?:ChatGPT|Device Code|Google)\b",  # Codex, Gemini menus
    r"\bFinish signing in via your browser\b",
    r"\bPlease (?:try signing in|log out and sign in) again\b",  # Codex: a token it cannot use
    r"\bNot logged in\b[^\n]*\blog ?in\b",  # "Not logged in. Run `codex login` ..."
    r"\bOAuth (?:token|authori[sz]ation)\b[^\n]*\b(?:expired|revoked|invalid|required)\b",
    r"\b(?:open|visit) (?:this|the following) (?:url|link) to (?:authenticate|sign in|log in)\b",
)), re.IGNORECASE | re.MULTILINE)
# What makes a `waiting_re` match a login rather than another prompt.
AUTH_WORDS = re.compile(r"\b(?:log ?in|sign ?in|o?auth\w*|authenticat\w*|api key)\b",
                        re.IGNORECASE)
HOOK_WORDS = {"needs auth": (AUTH, "a login or OAuth flow (its state hook reported it)"),
              "needs you": (PROMPT, "a prompt such as a permission request (its state hook "
                                    "reported it)")}


def compiled(pattern: str | None) -> re.Pattern | None:
    """The launch's `waiting_re` (config load checked it; a spec saved by an older axi or
    edited since may still hold a bad one, which then matches nothing)."""
    if not pattern:
        return None
    try:
        return re.compile(pattern, re.MULTILINE)
    except re.error:
        return None


def on_screen(output: bytes, waiting: re.Pattern | None) -> tuple[str, str] | None:
    """(auth or prompt, the line that says so) for a prompt at the bottom of `output`."""
    from axi.control.screen import plain

    lines = [line for line in plain(output[-WINDOW:]).splitlines() if line.strip()]
    text = "\n".join(lines[-LINES:])
    found = AUTH_RE.search(text)
    if found:
        return AUTH, _line(text, found)
    found = waiting.search(text) if waiting is not None else None
    if found:
        line = _line(text, found)
        return (AUTH if AUTH_WORDS.search(found.group(0) or line) else PROMPT), line
    return None


def _line(text: str, found: re.Match) -> str:
    start = text.rfind("\n", 0, found.start()) + 1
    end = text.find("\n", found.end())
    line = text[start:end if end >= 0 else len(text)]
    return " ".join(line.strip(" │|╭╮╰╯─>›❯").split())[:TEXT]


class Journal:
    """The hooks' journal (`sessions.jsonl`), read from where it ended when the holder began."""

    def __init__(self) -> None:
        from axi.index.journal import path

        self.path = path()
        self.inode, self.offset = self._where()

    def _where(self) -> tuple[int | None, int]:
        try:
            st = os.stat(self.path)
        except OSError:
            return None, 0
        return st.st_ino, st.st_size

    def states(self, session: str) -> list[str]:
        """The state words reported for `session` since the last call, oldest first (a line
        still being written waits for the next call)."""
        from axi.harnesses.base import iter_lines

        inode, size = self._where()
        if inode is None:
            return []
        if inode != self.inode or size < self.offset:  # a new file: read it from the start
            self.inode, self.offset = inode, 0
        words = []
        needle = session.encode()
        for _start, line, end in iter_lines(self.path, self.offset):
            self.offset = end
            if line is None or needle not in line:
                continue
            import json

            with contextlib.suppress(ValueError, UnicodeDecodeError):
                entry = json.loads(line)
                if (isinstance(entry, dict) and entry.get("event") == "state"
                        and entry.get("id") == session and isinstance(entry.get("why"), str)):
                    words.append(entry["why"])
        return words


class Blocked:
    """One held session's block, as the holder's loop (the screen) and its watcher thread
    (the hooks) learn it; `now()` is what the heartbeat carries. Made before the harness
    starts, so the journal is read from before its first report."""

    def __init__(self, waiting_re: str | None) -> None:
        self.waiting = compiled(waiting_re)
        self.screen: tuple[str, str] | None = None
        self.hook: tuple[str, str] | None = None
        self.hooked = False  # a state hook reported for this session: it says when blocked
        self.journal = Journal()

    def now(self) -> tuple[str, str] | None:
        return self.hook or self.screen

    def answered(self) -> None:
        """Input arrived: whatever prompt was showing has had its answer."""
        self.screen = self.hook = None

    def look(self, output: bytes) -> None:
        """Judge the screen from the output since the last input."""
        self.screen = on_screen(output, None if self.hooked else self.waiting)

    def read_hooks(self, session: str | None) -> None:
        """Take in the states reported for `session`; until the harness's own id is known
        (adoption) the journal is left unread, so nothing said meanwhile is lost."""
        if not session:
            return
        for word in self.journal.states(session):
            if not self.hooked and self.screen and self.screen[0] == PROMPT:
                self.screen = None  # the hook, not `waiting_re`, says so from now on
            self.hooked = True
            self.hook = HOOK_WORDS.get(word)


_SEQUENCES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: arrows, focus, replies to queries
                        rb"|\x1bO[@-~]"  # SS3: arrows and function keys
                        rb"|\x1b[\]P^_][^\x07\x1b]*(?:\x07|\x1b\\)")  # OSC, DCS: replies


def answers(data: bytes) -> bool:
    """Whether input is a person's (or `sessions type`'s) answer: anything besides escape
    sequences, which an attached terminal also sends by itself (focus changes, replies to the
    harness's queries) or which move through a menu (arrow keys). A lone Esc answers: it
    dismisses a prompt."""
    return bool(_SEQUENCES.sub(b"", data))
