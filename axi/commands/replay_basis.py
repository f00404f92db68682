"""What one answer was made from (the dashboard, gathered while `axi.commands.home` makes it;
a plain session list, while `session_list` does), so that `axi.commands.replay` can print it
again while none of that has moved.

Every file is stamped before it is read (the mailbox before its lines are counted, the journal
before the refresh copies it): a write that lands in between makes the stamp older than the
answer, never newer, so the worst it costs is one more answer made the usual way. The index is
stamped by its refresh, after its own writes and before it lets go of the scan lock, which
every writer of sessions holds (`Freshness.stamps`).
"""

from __future__ import annotations

import os
import sys

from axi.commands import replay
from axi.paths import stat_stamp
from axi.shown import Age

KEPT_AT_LEAST = 2.0  # seconds an answer must hold to be worth saving


class Basis:
    """`key`: the answer's (`replay.dashboard_key`, `replay.list_key`); `here`: the folder
    whose identity pointers the answer reads (the dashboard's mail), if any."""

    def __init__(self, key: tuple, started: float, here: str | None = None):
        self.key, self.here, self.started = key, here, started
        self.stamps: list[tuple[str, str, str]] = []
        self.until = float("inf")
        self.ids: list[str] | None = None
        self.swept_at = 0.0
        self.refused = False
        self.ages: list[Age] = []  # ages shown inside a line of text (the remote hosts')
        self._stamp_files()

    def refuse(self) -> None:
        """The answer rests on something no stamp can watch: it is not saved."""
        self.refused = True

    def expires(self, when: float) -> None:
        self.until = min(self.until, when)

    def _watch(self, path: str, kind: str = replay.FILE) -> None:
        self.stamps.append((path, kind, replay.take(path, kind)))

    def _stamp_files(self) -> None:
        from axi import dirmap
        from axi.index.journal import path as journal_path
        from axi.mailbox.names import pointer_paths
        from axi.paths import config_path, state_dir

        state = state_dir()
        mailbox = os.path.join(state, "mailbox.sqlite")  # read, never written, by a dashboard
        self._watch(mailbox)
        self._watch(mailbox + "-wal", replay.WAL)
        for path in (journal_path(), config_path(), dirmap.path()):
            self._watch(path)
        hosts = os.path.join(state, "hosts")
        self._watch(hosts)
        try:
            lines = sorted(n for n in os.listdir(hosts) if n.endswith(".line"))
        except OSError:
            lines = []
        for name in lines:
            self._watch(os.path.join(hosts, name))
        tag = os.environ.get("AXI_AGENT_TAG", "")
        for _folder, pointer in pointer_paths(self.here, tag) if self.here else ():
            self._watch(pointer)

    def refreshed(self, conn, fresh) -> None:
        """The index as its refresh left it: replayable only after a quick refresh that
        found nothing amiss, and resting on every file and folder that refresh stat'ed."""
        from axi.index.store import get_meta

        if (fresh.note() or fresh.warnings or fresh.skipped_lines or fresh.seen is None
                or fresh.stamps is None):  # a refresh's warnings are about what it read
            self.refuse()
            return
        db, db_stamp, wal, wal_stamp, merged = fresh.stamps
        self.stamps += [(db, replay.FILE, db_stamp),
                        (wal, replay.WAL_MERGED if merged else replay.WAL, wal_stamp)]
        self.stamps += [(path, replay.FILE, stat_stamp(st)) for path, st in fresh.seen]
        try:
            self.swept_at = float(get_meta(conn, "swept_at") or 0)
        except ValueError:
            self.refuse()

    def listed(self, conn, rows: list, where: str, args: list, here_total: int,
               hook: bool = False) -> None:
        """The rows shown: their statuses hold until a window opened by their last write or
        their hooks' last word closes. For a `hook`, the folder's session ids, for the next
        hook to check that the session it starts is not one of them (reading them costs a
        row read each: bare `axi` leaves them out, and a hook does not replay its answer)."""
        from axi.index.events import lifecycles
        from axi.index.status import changes_at

        lives = lifecycles(conn, rows) if rows else {}
        for row in rows:
            for when in changes_at(row, lives.get((row["harness"], row["id"]))):
                if when > self.started:
                    self.expires(when)
        if hook and here_total <= replay.IDS_MAX:
            self.ids = [r[0] for r in conn.execute(
                f"SELECT id FROM sessions WHERE is_subagent = 0 AND {where}", args)]

    def folders(self, rows: list) -> None:
        """The rows' folders as a list shows them: moved (the folder map, stamped) or gone."""
        from axi.dirmap import effective

        for folder in {r["dir"] for r in rows if r["dir"]}:
            for path in {folder, effective(folder)[0] or folder}:
                self._watch(path, replay.FOLDER_THERE)

    def overlay(self, statuses):
        """`statuses` (the control plane's word), refusing the answer when it has one."""
        def asked(rows: list) -> dict:
            found = statuses(rows)
            if found:
                self.refuse()
            return found

        return asked

    def save(self, data: dict) -> None:
        """Keep the fitted dashboard `data`, unless something it shows cannot be watched."""
        if self.refused:
            return
        from axi.output import encode
        from axi.views import age_holds_until

        for age in [*_ages(data), *self.ages]:
            self.expires(age_holds_until(age.raw, self.started))
        if self.until < self.started + KEPT_AT_LEAST:
            return  # an age in seconds on it (an agent's own busy session): not worth keeping
        for module in list(sys.modules.values()):  # axi itself: an upgrade, an edit
            name = getattr(module, "__name__", "")
            if (name == "axi" or name.startswith("axi.")) and getattr(module, "__file__", None):
                self._watch(module.__file__)
        replay.save(self.key, encode(data, "toon"), self.stamps, self.until, self.ids,
                    self.swept_at)


def _ages(value: object):
    if isinstance(value, Age):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _ages(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _ages(item)

