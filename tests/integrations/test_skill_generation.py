"""The skill files are generated from the CLI's help and are up to date."""

from __future__ import annotations

import re
from pathlib import Path

from axi.commands import skill

ROOT = Path(__file__).resolve().parents[2]


def test_committed_skill_files_are_current():
    assert skill.main(["--check"]) == 0


def test_skill_has_the_frontmatter_the_skills_cli_needs():
    text = (ROOT / "skills" / "axi" / "SKILL.md").read_text()
    head = text.split("---")[1]
    assert re.search(r"^name: axi$", head, re.M)
    assert re.search(r"^description: \"Use when ", head, re.M)


def test_root_copy_is_not_an_installable_skill():
    """A root SKILL.md with name+description would make `skills add` copy the checkout."""
    text = (ROOT / "SKILL.md").read_text()
    assert not text.startswith("---")
    assert "skills/axi/SKILL.md" in text


def test_commands_come_from_the_cli_and_no_live_data():
    text = skill.render()
    for command in ("axi sessions view <id>", "axi setup hooks", "axi usage"):
        assert command in text
    assert "axi hook" not in text
    assert "/home/" not in text and "bin:" not in text


def test_check_fails_when_stale(tmp_path, monkeypatch):
    fake = tmp_path / "a" / "b" / "c.py"
    fake.parent.mkdir(parents=True)
    monkeypatch.setattr(skill, "__file__", str(fake))
    assert skill.main(["--check"]) == 1
    assert skill.main([]) == 0
    assert (tmp_path / "skills" / "axi" / "SKILL.md").read_text() == skill.render()
    assert skill.main(["--check"]) == 0
