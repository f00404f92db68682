"""The click-free path for the hottest verbs parses exactly what click parses, or nothing."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from axi.commands import fast
from axi.commands.tree import COMMANDS, root


def click_command(verb: str) -> click.Command:
    module, attr = COMMANDS[verb].split(":")
    return getattr(__import__(module, fromlist=[attr]), attr)


def kind_of(param: click.Option) -> object:
    if param.is_flag:
        return fast.FLAG
    if param.multiple:
        return fast.MANY
    if isinstance(param.type, click.Choice):
        return tuple(param.type.choices)
    return {"integer": int, "float": float, "text": str}[param.type.name]


@pytest.mark.parametrize("verb", sorted(fast.VERBS))
def test_table_is_the_click_command(verb):
    command, table = click_command(verb), fast.VERBS[verb]
    defaults = click_values(verb, [])  # what the command gets when an option is not given
    declared = {}
    for param in command.params:
        if isinstance(param, click.Argument):
            assert (param.name, param.nargs) == (table.words, -1)
        elif "--help" not in param.opts:
            for flag in param.opts:
                declared[flag] = (param.name, kind_of(param), defaults[param.name])
    assert declared == table.options
    module, name = table.target.split(":")
    assert callable(getattr(__import__(module, fromlist=[name]), name))


def click_values(verb: str, args: list[str]) -> dict:
    ctx = click_command(verb).make_context(verb, list(args), parent=click.Context(root))
    return ctx.params


VOCABULARY = ["--unread", "--wait", "--after", "--fields", "--limit", "--as", "--reply",
              "--file", "--ack", "--idem", "--limit=3", "--wait=0.5", "--ack=1", "--", "-",
              "-h", "--help", "-x", "--bogus", "5", "-5", "2.5", "nan", "", "@bob", "hello",
              "@carol", "to,thread", "a=b", "--as=bob", "--all", "--dir", "--harness",
              "--status", "--subagents", "--harness=codex", "claude", "needs-you", "bogus",
              "view", "--status=idle", "--attach", "--attach=a.txt", "--host", "local",
              "--tag", "team=web", "--tag=urgent", "--group-by", "tag:team", "--group-by=dir"]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(fast.VERBS)), st.lists(st.sampled_from(VOCABULARY), max_size=7))
def test_whatever_fast_parses_click_parses_alike(verb, args):
    values = fast.parse(fast.VERBS[verb], args)
    if values is None:
        return  # click's to answer
    assert values == click_values(verb, args)


@pytest.mark.parametrize("verb, args", [
    ("send", ["@bob", "hi", "--ack"]), ("send", ["--reply", "3", "done", "--", "--ack"]),
    ("send", ["@bob", "--file", "-"]), ("inbox", ["--limit=5", "--unread", "--as", "bob"]),
    ("inbox", []), ("send", ["@bob", "-", "x"]), ("sessions", ["--all", "--limit", "3"]),
    ("sessions", ["--harness=codex", "--status", "needs-you", "--dir", "/tmp"]),
    ("sessions", ["--all", "--tag", "team=web", "--tag=urgent", "--group-by", "tag:team"]),
])
def test_plain_lines_are_taken(verb, args):
    values = fast.parse(fast.VERBS[verb], args)
    assert values is not None and values == click_values(verb, args)


@pytest.mark.parametrize("verb, args", [
    ("send", ["-h"]), ("send", ["--help"]), ("inbox", ["--limit", "x"]), ("inbox", ["--wait"]),
    ("inbox", ["stray"]), ("send", ["@bob", "-5"]), ("send", ["--ack=yes", "@bob", "hi"]),
    ("sessions", ["view", "abc"]), ("sessions", ["--harness", "bogus"]),
    ("sessions", ["--status", "Idle"]),
])
def test_anything_else_goes_to_click(verb, args):
    assert fast.parse(fast.VERBS[verb], args) is None


def test_send_and_inbox_run_without_click(tmp_path):
    probe = ("import sys\nfrom axi.cli import run\nrun(['inbox', '--limit', '1'])\n"
             "print('CLICK', 'click' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    # no identity here: the answer is the NO_IDENTITY error, reached without click
    assert "NO_IDENTITY" in done.stdout, done.stdout + done.stderr
    assert "CLICK False" in done.stderr
