"""The dashboard stays within its budget however many sessions (or mails) there are."""

from __future__ import annotations

import pytest
from support import decode_strict

from axi.dashboard import LIMIT, fit
from axi.output import encode


def board(sessions: int, mails: int = 0, title: str = "Refactor the parser and add tests",
          shown: int | None = None) -> dict:
    """Data shaped like `home_view`'s; `shown` rows of `sessions` (all by default, as a
    future home view with more rows, or a caller adding its own lists, might return)."""
    shown = sessions if shown is None else shown
    data: dict = {"bin": "~/.local/bin/axi",
                  "description": "Agent-first switchboard for coding-agent sessions",
                  "count": f"{shown} of {sessions} sessions in ~/work/app (3 elsewhere)",
                  "sessions": [{"id": f"{i:08x}", "harness": "claude", "status": "idle",
                                "age": f"{i}m", "title": f"{title} #{i}"}
                               for i in range(shown)]}
    if mails:
        data["mail"] = [{"id": f"m{i}", "from": "@reviewer", "subject": f"please look at #{i}"}
                        for i in range(mails)]
    data["help"] = ["`axi sessions view <id>` for one session", "`axi --help` for all commands"]
    return data


def test_small_dashboards_are_untouched():
    data = board(3)
    assert fit(data) == data


@pytest.mark.parametrize("sessions", [30, 200, 5000])
def test_many_sessions_fit_and_say_what_was_left_out(sessions):
    data = fit(board(sessions, title="x" * 58))
    text = encode(data)
    assert len(text) <= LIMIT
    decode_strict(text + "\n")
    left = sessions - len(data["sessions"])
    assert data["left_out"] == [f"{left} sessions (`axi sessions`)"]
    assert data["count"].startswith(f"{len(data['sessions'])} of {sessions} sessions")
    assert list(data)[-1] == "help"


def test_sessions_go_before_anything_else():
    data = fit(board(40, mails=30, title="y" * 58))
    assert len(encode(data)) <= LIMIT
    assert data["sessions"] == [] or len(data["mail"]) == 30
    assert data["left_out"][0].endswith("sessions (`axi sessions`)")
    if len(data["mail"]) < 30:
        assert data["left_out"][1] == f"{30 - len(data['mail'])} mail (`axi inbox`)"


def test_long_values_are_cut_last():
    data = board(1)
    data["description"] = "z" * 5000
    out = fit(data)
    assert len(encode(out)) <= LIMIT and out["description"].endswith("…")


def test_ten_sessions_and_five_mails_fit_in_400_tokens():
    import bpe_openai as bpe
    data = fit(board(10, mails=5, title="Add pagination to the sessions list and test it",
                     shown=8))  # home_view shows 8
    text = encode(data)
    assert len(text) <= LIMIT
    assert len(bpe.get_encoding("o200k_base").encode(text)) <= 400


def test_the_real_dashboard_fits(axi, corpus_home):
    from axi.commands.home import dashboard

    data = dashboard("/home/dev/work/projB")
    assert len(encode(data)) <= LIMIT
    assert data["count"].startswith("8 of 9 sessions")
