"""Pointer files: the lines axi writes are read without tomllib; anything else is TOML."""

from __future__ import annotations

import pytest

from axi.errors import AxiError
from axi.mailbox.identity import read_pointer, write_pointer


@pytest.mark.parametrize("text, name", [
    ('name = "bob"\n', "bob"),
    ('# a comment\n\nname = "bob"\ntag = "t1"\n', "bob"),
    ("name = 'bob'\n", "bob"),                      # a literal string: TOML's reading
    ('name = "bob" # trailing comment\n', "bob"),
    ('name = "b\\u006fb"\n', "bob"),                # an escape: TOML's reading
    ('[extra]\nx = 1\n', None),
])
def test_names_read_as_toml_reads_them(tmp_path, text, name):
    path = tmp_path / "agent.toml"
    path.write_text(text, encoding="utf-8")
    if name is None:
        with pytest.raises(AxiError) as err:
            read_pointer(str(path))
        assert err.value.code == "POINTER_INVALID"
    else:
        assert read_pointer(str(path)) == name


@pytest.mark.parametrize("raw", [b'name = "bob', b'name = "\xff"\n', b'name = "a"\nname = "b"\n'])
def test_broken_pointer_is_a_clear_error(tmp_path, raw):
    path = tmp_path / "agent.toml"
    path.write_bytes(raw)
    with pytest.raises(AxiError) as err:
        read_pointer(str(path))
    assert err.value.code == "POINTER_INVALID"


def test_what_axi_writes_reads_back(tmp_path):
    path = write_pointer(str(tmp_path), "carol", tag="ci")
    assert read_pointer(path) == "carol"
