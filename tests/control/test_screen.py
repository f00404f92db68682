"""The terminal tail kept for a session that ended: readable text from what a real TUI wrote."""

from __future__ import annotations

from axi.control.screen import plain

# The end of Claude Code 2.1.197's output when its onboarding check cannot connect (a pty):
# lines end \r\r\n, words are placed with column moves, exit resets charset and cursor.
CLAUDE_OFFLINE = (
    b"\x1b7\x1b[r\x1b8\x1b[?25h\x1b[?25l\x1b[?2004h\x1b[31mWelcome\x1b[9Gto\x1b[12GClaude"
    b"\x1b[19GCode\x1b[24G\x1b[37mv2.1.197\x1b[39m\r\r\n\r\r\n"
    b"\x1b[2GFailed\x1b[9Gto\x1b[12Gconnect\x1b[20Gto\x1b[23Gapi.anthropic.com:"
    b"\x1b[42GENOTFOUND\x1b[39m\r\r\n\r\r\n"
    b"\x1b[2G\x1b[97mhttps://anthropic.com/supported-countries\x1b[39m\r\r\n"
    b"\x1b[?25h\x1b[?1006l\x1b(B\x0f\x1b[>4m\x1b[<u\x1b[?1004l\x1b7\x1b[r\x1b8\x1b[?25h"
)


def test_real_tui_output_keeps_its_words_and_spaces():
    assert plain(CLAUDE_OFFLINE).splitlines() == [
        "Welcome to Claude Code v2.1.197", "",
        " Failed to connect to api.anthropic.com: ENOTFOUND", "",
        " https://anthropic.com/supported-countries"]


def test_carriage_return_overdraws_keep_the_last_draw():
    assert plain(b"10%\r50%\r100%\r\ndone\n") == "100%\ndone"


def test_osc_titles_and_two_byte_escapes_leave_nothing():
    assert plain(b"\x1b]0;title\x07a\x1b=b\x1bMc\x1b)0d") == "abcd"


def test_claude_redraws_a_line_then_moves_down():
    """Claude Code 2.1.197 answer: the line ends with \\r and a move down, not a newline."""
    raw = (b"\x1b[6A\x1b[97m\xe2\x97\x8f\x1b[3G\x1b[39mok from the fake\x1b[20Gmodel:\x1b[27Gsay"
           b"\x1b[31Ghi\r\x1b[2B\x1b[37m\xe2\x9c\xbb\x1b[39m \x1b[37mCrunched for 0s\x1b[39m"
           b"\x1b[K\r\x1b[1B\x1b[K\r")
    assert plain(raw).splitlines() == ["\u25cf ok from the fake model: say hi",
                                       "\u273b Crunched for 0s"]


def test_codex_places_words_by_row_and_column():
    """Codex 0.169.0: every word at an absolute row;col, a new row means a new line."""
    raw = (b"\x1b[17;1H\x1b[2m\xe2\x80\xa2 \x1b[22mok\x1b[17;6Hfrom\x1b[17;11Hthe\x1b[17;15Hfake"
           b"\x1b[17;20Hmodel:\x1b[17;27Hsay\x1b[17;31Hhi\x1b[34;1H \x1b[39m\x1b[37;3Hnext")
    assert plain(raw).splitlines() == ["\u2022 ok from the fake model: say hi", "", "next"]
