"""Where the temporary-install warning tells a person to `pipx install` from."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = "from axi.integrations.command import install_source; print(install_source())"


def installed_copy(site: Path, source: Path | None) -> None:
    """axi's package copied into `site` as pip lays out a non-editable install, with the
    PEP 610 record of the folder it came from."""
    import shutil

    package = Path(__file__).resolve().parents[2] / "axi"
    shutil.copytree(package, site / "axi", ignore=shutil.ignore_patterns("__pycache__"))
    info = site / "axi-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: axi\nVersion: 0.1.0\n")
    if source is not None:
        record = {"url": source.as_uri(), "dir_info": {}}
        (info / "direct_url.json").write_text(json.dumps(record))


def source_named(site: Path, cwd: Path) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_copy_installed_from_a_checkout_names_that_checkout(tmp_path):
    checkout = tmp_path / "my axi"
    checkout.mkdir()
    (checkout / "pyproject.toml").write_text("[project]\nname = 'axi'\n")
    installed_copy(tmp_path / "site", checkout)
    assert source_named(tmp_path / "site", tmp_path) == str(checkout)


def test_without_a_record_or_with_the_checkout_gone_it_names_the_package(tmp_path):
    installed_copy(tmp_path / "site", tmp_path / "gone")
    assert source_named(tmp_path / "site", tmp_path) == "axi"
