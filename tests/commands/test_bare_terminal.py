"""Bare `axi` typed by a person at a terminal: the home view names the picker, and `[ui] bare =
"pick"` opens it; an agent's shell (a harness variable set, or no terminal) gets TOON alone."""

from __future__ import annotations

import os
import sys

import pexpect

from axi.terminal import AGENT_ENV


def spawn(home, extra: dict | None = None) -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if k not in AGENT_ENV}
    env.pop("COLUMNS", None), env.pop("LINES", None)
    env.update(TERM="xterm-256color", **(extra or {}))
    return pexpect.spawn(sys.executable, ["-m", "axi"], cwd=str(home), env=env,
                         encoding="utf-8", timeout=60, dimensions=(40, 120))


def write_config(text: str) -> None:
    state = os.environ["AXI_HOME"]
    os.makedirs(state, exist_ok=True)
    with open(os.path.join(state, "config.toml"), "w", encoding="utf-8") as fh:
        fh.write(text)


def test_a_person_is_told_of_the_picker(corpus_home):
    child = spawn(corpus_home)
    child.expect(pexpect.EOF)
    assert "`axi pick` opens the picker" in child.before


def test_an_agent_shell_is_not(corpus_home):
    child = spawn(corpus_home, {"CLAUDECODE": "1"})
    child.expect(pexpect.EOF)
    assert "axi pick" not in child.before and "description:" in child.before


def test_without_a_terminal_nothing_changes(axi, corpus_home):
    data = axi().data
    assert not any("axi pick" in hint for hint in data["help"])


def test_ui_bare_pick_opens_the_picker(corpus_home):
    write_config('[ui]\nbare = "pick"\n')
    child = spawn(corpus_home)
    child.expect("HARNESS", timeout=60)  # the table's header: the picker took the screen
    child.expect("keys", timeout=30)  # the key row, drawn last: it takes keys now
    child.send("q")
    child.expect(pexpect.EOF, timeout=30)
    child.close()
    assert child.exitstatus == 0


def test_a_broken_config_leaves_the_home_view(corpus_home):
    write_config("[ui\nbare = pick\n")
    child = spawn(corpus_home)
    child.expect(pexpect.EOF)
    assert "description:" in child.before


def test_json_is_never_replaced_by_the_picker(corpus_home):
    write_config('[ui]\nbare = "pick"\n')
    env = {k: v for k, v in os.environ.items() if k not in AGENT_ENV}
    child = pexpect.spawn(sys.executable, ["-m", "axi", "--format", "json"], cwd=str(corpus_home),
                          env=env, encoding="utf-8", timeout=60)
    child.expect(pexpect.EOF)
    assert '"description"' in child.before
