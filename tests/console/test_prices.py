"""`axi prices`: the table in use, one model's prices, and the catalog's models without one."""

from __future__ import annotations


def test_prices_outputs(axi, corpus_home, snapshot):
    seen = {"table": axi("prices"), "model": axi("prices", "claude-sonnet-4-5"),
            "unknown": axi("prices", "zebra-9000")}
    assert seen["table"].code == 0 and seen["model"].code == 0
    assert seen["unknown"].code == 1 and seen["unknown"].data["code"] == "NOT_FOUND"
    assert {"model": "fake-model", "sessions": 9} in seen["table"].data["unpriced"]
    assert seen["model"].data["price"]["input"] == 3
    assert {n: {"exit": r.code, "stdout": r.data} for n, r in seen.items()} == snapshot


def test_an_old_table_says_so(axi, corpus_home, monkeypatch):
    monkeypatch.setenv("AXI_NOW", str(1795305600 + 90 * 86400))
    data = axi("prices", "gpt-5").data
    assert data["age_days"] == 90 and "90 days old" in data["warning"]
    doctor = {r["name"]: r for r in axi("doctor", "--no-run").data["checks"]}
    assert doctor["prices"]["state"] == "warn"


def _table(tmp_path, **changes):
    """A copy of the packaged table, with `changes` made; written to a file."""
    import json

    from axi import pricing

    with open(pricing._PATH, encoding="utf-8") as fh:
        data = json.load(fh)
    data.update(changes)
    for prov in data["providers"]:
        if prov["id"] == "anthropic":
            for row in prov["models"]:
                if row[0] == "claude-sonnet-4-5":
                    row[2] = [[None, 7, 21]]
    path = tmp_path / "new-prices.json"
    path.write_text(json.dumps(data))
    return path


def test_update_from_a_file_is_used_and_a_corrupt_one_changes_nothing(axi, corpus_home,
                                                                      tmp_path, snapshot):
    state = tmp_path / "state" / "prices.json"
    good = _table(tmp_path, generated="2026-11-20", version="9.9.9")
    done = axi("prices", "update", "--from", str(good))
    assert done.code == 0, done.stdout
    assert state.exists() and (state.stat().st_mode & 0o777) == 0o600
    assert done.data["version"] == "9.9.9" and "updated table" in done.data["table"]
    assert axi("prices", "claude-sonnet-4-5").data["price"]["input"] == 7
    assert "updated table" in axi("prices").data["table"]
    kept = state.read_bytes()

    bad_json = tmp_path / "torn.json"
    bad_json.write_text(good.read_text()[:5000])
    wrong = _table(tmp_path, format=2)
    refused = {name: axi("prices", "update", "--from", str(path)) for name, path in
               {"torn": bad_json, "wrong_format": wrong,
                "missing": tmp_path / "nowhere.json"}.items()}
    for result in refused.values():
        assert result.code == 1
    assert refused["torn"].data["code"] == "BAD_PRICES"
    assert refused["wrong_format"].data["code"] == "BAD_PRICES"
    assert state.read_bytes() == kept  # nothing changed
    assert axi("prices", "claude-sonnet-4-5").data["price"]["input"] == 7
    assert [p.name for p in state.parent.iterdir() if p.name.endswith(".tmp")] == []

    state.write_text("{not json")  # a state-dir table spoilt by hand: the packaged one is used
    assert axi("prices", "claude-sonnet-4-5").data["price"]["input"] == 3
    state.unlink()
    out = {"updated": done.data, **{n: r.data for n, r in refused.items()}}
    text = __import__("json").dumps(out).replace(str(tmp_path), "<tmp>")
    assert __import__("json").loads(text) == snapshot


def test_update_without_the_package_names_both_ways(axi, home, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "genai_prices", None)  # not installed
    monkeypatch.setitem(sys.modules, "genai_prices.data", None)
    result = axi("prices", "update")
    assert result.code == 1 and result.data["code"] == "NO_SOURCE"
    assert any("pip install -U genai-prices" in h for h in result.data["help"])
    assert any("--from" in h for h in result.data["help"])


def test_the_package_builds_the_packaged_table(tmp_path):
    """`axi prices update` and scripts/refresh_prices.py build the same table."""
    import json

    import pytest

    pytest.importorskip("genai_prices")
    from axi import pricing
    from axi.console import pricebuild, pricetable

    with open(pricing._PATH, encoding="utf-8") as fh:
        packaged = json.load(fh)
    built = json.loads(json.dumps(pricebuild.build(packaged["generated"])))
    assert pricetable.validate(built) == []
    if built["version"] == packaged["version"]:
        assert built == packaged


def test_old_prices_are_noted_once_where_costs_are_estimated(axi, corpus_home, monkeypatch,
                                                             tmp_path):
    good = _table(tmp_path, generated="2026-01-01")
    assert axi("prices", "update", "--from", str(good)).code == 0
    usage = axi("usage", "--by", "model", "--days", "0").data
    assert "days old (2026-01-01)" in usage["prices"]
    assert "days old" not in str(usage["rows"])
    costs = axi("sessions", "--all", "--fields", "cost").data
    assert "days old (2026-01-01)" in costs["prices"]
    assert list(costs)[-1] != "prices"
    plain = axi("sessions", "--all").data
    assert "prices" not in plain
    (tmp_path / "state" / "prices.json").unlink()
    assert "days old" not in axi("usage", "--by", "model", "--days", "0").data["prices"]
