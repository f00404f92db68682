"""The text rules, checked against the regular expressions they were first written with."""

from __future__ import annotations

import re
import shlex

from hypothesis import given
from hypothesis import strategies as st

from axi.text import REPLACEMENT, is_safe_id, shell_word, shown, whole

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
INVISIBLE = re.compile("[\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064"
                       "\u2066-\u2069\ufeff]")
SAFE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}\Z")

tricky = st.sampled_from(["\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\u200b", "\u200c",
                          "\u200d", "\u202e", "\u2066", "\ufeff", "\ud83d", "\ude00", "é",
                          "'", '"', " ", "$", "-", ".", "_", "a", "Z", "9", "@", "%", "日"])
texts = st.one_of(st.text(), st.lists(tricky, max_size=12).map("".join),
                  st.text(alphabet=st.characters(codec=None), max_size=30))


@given(texts)
def test_shown_drops_invisible_and_replaces_controls(text):
    expected = CONTROL.sub(REPLACEMENT, INVISIBLE.sub("", whole(text)))
    assert shown(text) == expected


@given(texts)
def test_whole_leaves_no_lone_surrogate(text):
    result = whole(text)
    result.encode("utf-8")  # raises on a lone surrogate
    if not any("\ud800" <= c <= "\udfff" for c in text):
        assert result == text


@given(texts)
def test_safe_id_rule(text):
    assert is_safe_id(text) == (SAFE_ID.match(text) is not None)


@given(texts)
def test_shell_word_is_what_shlex_quotes(text):
    assert shell_word(text) == shlex.quote(text)


def test_joined_surrogate_pair_is_kept():
    assert whole("\ud83d\ude00") == "😀"
    assert whole("a\ud83d") == "a\ufffd"


NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
names = st.one_of(st.text(max_size=40), st.text(alphabet="abz09_-A.é\n", max_size=40))


@given(names)
def test_an_agent_name_is_what_its_expression_says(name):
    from axi.mailbox.names import is_name

    assert is_name(name) == bool(NAME.fullmatch(name))


@given(names)
def test_a_login_name_is_made_a_name_as_its_expression_did(raw):
    from axi.mailbox.names import name_from_login

    expected = re.sub(r"[^a-z0-9_-]", "-", raw.lower())[:32]
    if not expected:
        expected = "person"
    elif not expected[0].isalpha():
        expected = ("p" + expected)[:32]
    assert name_from_login(raw) == expected


@given(st.binary(max_size=200))
def test_the_digest_is_sha256(data):
    import hashlib

    from axi.text import sha256_hex

    assert sha256_hex(data) == hashlib.sha256(data).hexdigest()
