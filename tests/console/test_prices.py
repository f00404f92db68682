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
