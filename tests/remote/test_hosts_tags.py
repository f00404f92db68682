"""Tags across machines: `sessions tag host/id` tags a session the host's axi did not launch
(kept in the host's mailbox), and `sessions --host all --tag K=V` asks every host with the
same filter; `--group-by` groups this machine's sessions only and says so."""

from __future__ import annotations

import pytest
from hostkit import SH_TRANSPORT, add_host, make_remote, name_this_machine


@pytest.fixture
def box(axi, corpus_home, tmp_path):
    """This machine holds every recorded store; host `box` holds the claude and pi ones."""
    remote = make_remote(tmp_path / "box", ("claude", "pi"))
    add_host(axi, "box", SH_TRANSPORT, remote.axi, timeout=20)
    name_this_machine()
    return remote


def test_tags_on_a_host_and_the_filter_across_hosts(axi, box, snapshot):
    remote = axi("sessions", "tag", "box/01a20073", "--label", "team=web")
    assert remote.code == 0, remote.stdout
    assert remote.data["labels"] == {"team": "web"}
    assert (box.state / "mailbox.sqlite").exists()  # the host's own mailbox keeps it
    assert axi("sessions", "tag", "d1c9ea04", "--label", "team=web").code == 0
    merged = axi("sessions", "--all", "--host", "all", "--tag", "team=web")
    assert merged.code == 0, merged.stdout
    assert merged.data["same"]["tags"] == "team=web"  # every row has it: stated once
    rows = axi("sessions", "--all", "--host", "all", "--tag", "team=web",
               "--format", "json").data["sessions"]
    assert {(r["id"], r["tags"]) for r in rows} == {("d1c9ea04", "team=web"),
                                                    ("box/01a20073", "team=web")}
    grouped = axi("sessions", "--all", "--group-by", "tag:team")
    assert grouped.data["hosts"].startswith("this machine's sessions only")
    refused = axi("sessions", "--all", "--group-by", "tag:team", "--host", "box")
    assert (refused.code, refused.data["code"]) == (2, "USAGE")
    assert axi("sessions", "--all", "--group-by", "dir", "--host", "laptop").code == 0
    assert {"merged": merged.data, "grouped": grouped.data} == snapshot
