"""A broken config.toml is a clean CONFIG_INVALID naming the file, the key and the type it
must have; it is never guessed at, skipped or rewritten."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from control_support import axi_toon

CASES = [
    (b"policy = 7\n", "policy", "a table (got an integer)"),
    (b'harness = "codex"\n', "harness", "an array of tables ([[harness]]) (got a string)"),
    (b'[policy]\nharness = "claude"\n', "policy.harness", "a list of strings (got a string)"),
    (b'[policy]\nmodels = { deny = [1] }\n', "policy.models.deny",
     "a list of strings (got an array)"),
    (b'[[harness]]\nname = "claude"\npretrust = "no"\n', "[[harness]] claude.pretrust",
     "true or false (got a string)"),
    (b'[[harness]]\nname = "x"\nlaunch = 3\n', "[[harness]] x.launch",
     "a string (shell words) or a list of strings (got an integer)"),
    (b'mux = 1\n', "mux", "a string (got an integer)"),
]


@pytest.mark.parametrize(("text", "key", "must"), CASES, ids=[c[1] for c in CASES])
def test_a_wrong_type_names_the_key_and_what_it_must_be(control_home, text, key, must):
    config = Path(os.environ["AXI_HOME"]) / "config.toml"
    config.write_bytes(text)
    code, data = axi_toon("sessions", "new", "claude", "x", cwd=control_home)
    assert code == 1 and data["code"] == "CONFIG_INVALID", data
    assert data["error"] == f"{config} has {key} of the wrong type: it must be {must}"
    assert data["help"] == [f"fix it in {config}; it was not changed"]
    assert config.read_bytes() == text


def test_invalid_utf8_names_the_byte_and_line(control_home):
    config = Path(os.environ["AXI_HOME"]) / "config.toml"
    config.write_bytes(b'mux = "tmux"\n# caf\xe9\n')
    code, data = axi_toon("sessions", "new", "claude", "x", cwd=control_home)
    assert code == 1 and data["code"] == "CONFIG_INVALID", data
    assert data["error"] == f"{config} is not UTF-8 (byte 18, line 2)"
    assert config.read_bytes() == b'mux = "tmux"\n# caf\xe9\n'


def test_an_unknown_key_and_a_bad_value_are_named(control_home):
    config = Path(os.environ["AXI_HOME"]) / "config.toml"
    config.write_text('[polcy]\nharness = ["claude"]\n')
    code, data = axi_toon("sessions", "new", "claude", "x", cwd=control_home)
    assert data["code"] == "CONFIG_INVALID" and "unknown key polcy" in data["error"]
    config.write_text('mux = "screen"\n')
    code, data = axi_toon("sessions", "new", "claude", "x", cwd=control_home)
    assert data["error"] == f"{config} mux must be one of tmux (got 'screen')"
    config.write_text("[[harness]]\nlaunch = 'x'\n")
    code, data = axi_toon("sessions", "new", "claude", "x", cwd=control_home)
    assert data["error"] == f"{config} [[harness]] #1 has no name (name must be a string)"


def test_policy_globs_ignore_case():
    from axi.control.config import check_policy
    from axi.errors import AxiError

    policy = {"policy": {"harness": ["Claude"], "models": {"deny": ["*OPUS*"]}}}
    check_policy(policy, "claude", "claude-sonnet-4-5")
    with pytest.raises(AxiError) as denied:
        check_policy(policy, "claude", "claude-opus-4-1")
    assert denied.value.code == "POLICY"
