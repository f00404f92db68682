"""The picker's keys table and `[keys]` rebinding, and the view's filters, sort and groups,
on the rows of the real index (no terminal needed)."""

from __future__ import annotations

import pytest

from axi.errors import AxiError
from axi.picker.keys import ACTIONS, PERSON, SHARED, TABLE, bindings


def test_every_action_has_a_key_and_no_key_serves_two_in_one_place():
    keys = bindings({})
    assert set(keys) == {a.name for a in ACTIONS}
    for scope in (TABLE, PERSON):
        names = [a.name for a in ACTIONS if a.scope == scope or
                 (scope == PERSON and a.name in SHARED)]
        flat = [k for name in names for k in keys[name]]
        assert len(flat) == len(set(flat)), scope


def test_keys_rebind_an_action_to_a_key_or_a_list():
    keys = bindings({"keys": {"kill": "X", "down": ["j", "ctrl+j"]}})
    assert keys["kill"] == ("X",) and keys["down"] == ("j", "ctrl+j")


@pytest.mark.parametrize(("table", "says"), [
    ({"explode": "z"}, "unknown action 'explode'"),
    ({"kill": "j"}, "'j' is bound to both"),
    ({"quit": "enter"}, "enter is fixed"),
    ({"quit": "escape"}, "escape is fixed"),
    ({"kill": 3}, "must be a key or a list of keys"),
    ({"kill": []}, "must be a key or a list of keys"),
    ({"compose": "A"}, "'A' is bound to both approve and compose"),
    ({"compose": "j"}, "'j' is bound to both down and compose"),
    ({"move": ","}, "write the comma key as `comma`"),
])
def test_a_bad_keys_table_is_a_clear_error(table, says):
    with pytest.raises(AxiError) as caught:
        bindings({"keys": table}, "/x/config.toml")
    assert caught.value.code == "KEYS_INVALID"
    assert says in str(caught.value)


def test_axi_pick_reports_bad_keys_as_toon_before_taking_the_terminal(home, axi, tmp_path):
    import os

    config = os.path.join(os.environ["AXI_HOME"], "config.toml")
    os.makedirs(os.path.dirname(config), exist_ok=True)
    with open(config, "w") as fh:
        fh.write('[keys]\nkill = "j"\n')
    result = axi("pick")
    assert result.code != 0
    assert result.data["code"] == "KEYS_INVALID"
    assert "'j' is bound to both down and kill" in result.data["error"]
    with open(config, "w") as fh:
        fh.write('columns = ["harness", "nope"]\n')
    result = axi("pick")
    assert result.code != 0 and result.data["code"] == "CONFIG_INVALID"
    assert "unknown column 'nope'" in result.data["error"]


def test_axi_pick_without_a_terminal_says_so(home, axi):
    result = axi("pick")
    assert result.code != 0 and result.data["code"] == "NO_TTY"


@pytest.fixture
def view(indexed):
    from axi.control.overlay import statuses
    from axi.index import store
    from axi.picker.model import load
    from axi.picker.view import View

    conn = store.connect()
    return View(load(conn, statuses), conn)


def titles(view) -> list[str]:
    from axi.picker.model import Session

    return [r.title for r in view.rows if isinstance(r, Session)]


def test_the_rows_are_the_catalogs_top_level_sessions_newest_first(view, axi):
    listed = axi("sessions", "--all", "--limit", "100", "--fields", "full_id,status",
                 "--format", "json").data
    rows = [r for r in view.rows]
    assert [r.id for r in rows] == [s["full_id"] for s in listed["sessions"]]
    assert [r.status for r in rows] == [s["status"] for s in listed["sessions"]]


def test_fuzzy_filter_narrows_as_you_type_and_widens_when_you_delete(view):
    everything = len(view.rows)
    view.set_query("cdx")
    assert view.rows and {r.harness for r in view.rows} == {"codex"}
    view.set_query("cdx prjA")
    assert {r.harness for r in view.rows} == {"codex"}
    assert all("proja" in r.dir.lower() for r in view.rows)
    view.set_query("")
    assert len(view.rows) == everything


def test_sort_by_a_column_and_reverse(view):
    view.sort_col = "harness"
    view.rebuild()
    names = [r.harness for r in view.rows]
    assert names == sorted(names)
    view.reverse = True
    view.rebuild()
    assert [r.harness for r in view.rows] == sorted(names, reverse=True)
    view.sort_col, view.reverse = "cost", False
    view.rebuild()
    costs = [r.cost(view.conn)[1] for r in view.rows]
    assert costs == sorted(costs, reverse=True)


def test_group_by_dir_puts_a_header_over_each_folder(view):
    from axi.picker.view import Header

    assert view.next_group() == "dir"
    headers = [r for r in view.rows if isinstance(r, Header)]
    assert len(headers) == len({r.dir for r in view.sessions})
    assert sum(h.count for h in headers) == len(view.sessions)
    assert view.next_group() == "run"
    assert view.next_group() == "flat"


def test_active_only_hides_ended_sessions(view):
    view.sessions[0].status = "ended"
    view.active_only = True
    view.rebuild()
    assert view.sessions[0] not in view.rows


def test_axi_pick_keys_prints_the_keys_in_force_as_toon(home, axi):
    import os

    config = os.path.join(os.environ["AXI_HOME"], "config.toml")
    os.makedirs(os.path.dirname(config), exist_ok=True)
    with open(config, "w") as fh:
        fh.write('[keys]\nkill = ["X", "ctrl+k"]\n')
    result = axi("pick", "--keys")
    assert result.code == 0
    rows = {r["action"]: r["keys"] for r in result.data["keys"]}
    assert rows["kill"] == "X ctrl+k" and rows["down"] == "j" and rows["filter"] == "i a"


def test_axi_pick_keys_snapshot(home, axi, snapshot):
    """Every action, its keys, where it acts (the table or the person's tab), what it does."""
    result = axi("pick", "--keys")
    assert result.code == 0
    assert result.stdout == snapshot
