"""Sessions on other machines in the picker: each `[[host]]`'s rows beside this machine's, a
`host` column, and `m` cycling the machine shown (all, local, each host).

The rows a host last gave (`hostrows.cached`) are shown at once; the hosts are asked again in a
worker thread, on open and every HOSTS_EVERY seconds, so the table never waits on a network.
With no `[[host]]` in the config nothing under `axi.remote` is imported."""

from __future__ import annotations

from textual import work
from textual.worker import get_current_worker

from axi.picker.model import Session

HOSTS_EVERY = 30.0  # seconds between asks of the hosts (a failed host waits 60 s anyway)


class MachineActions:
    """Mixed into `PickApp` (which supplies `config`, `view`, `reshow`, `notify`...)."""

    def setup_machines(self, local: list[Session]) -> list[Session]:
        """The rows to open on: this machine's and every host's last-known ones."""
        self.hosts: list = []
        self.machine_name = ""
        self.remote_rows: list[Session] = []
        self.host_note = ""
        if self.config.get("host"):
            from axi.picker import hostrows

            self.hosts = hostrows.configured(self.config)
            self.machine_name = hostrows.machine(self.config)
            self.remote_rows = hostrows.cached(self.hosts)
        return self.with_hosts(local)

    def with_hosts(self, local: list[Session]) -> list[Session]:
        """This machine's rows (named after it when there are hosts), then the hosts' rows."""
        self.local_rows = local
        if self.hosts:
            for s in local:
                s.host = self.machine_name
                s.hay = s.haystack()
        return local + self.remote_rows

    def action_machine(self) -> None:
        if not self.hosts:
            self.notify("no [[host]] in config.toml: every row is this machine's "
                        "(`axi hosts add` adds one)", severity="warning")
            return
        options = [None, "local", *(h.name for h in self.hosts)]
        at = options.index(self.view.machine) if self.view.machine in options else 0
        self.view.machine = options[(at + 1) % len(options)]
        self.view.rebuild()
        self.reshow()

    def machine_part(self) -> str | None:
        """The state line's word on the machine shown (None: no hosts)."""
        if not self.hosts:
            return None
        shown = self.view.machine or "all"
        where = f"machine: local ({self.machine_name})" if shown == "local" \
            else f"machine: {shown}"
        return f"{where}  ·  {self.host_note}" if self.host_note else where

    @work(thread=True, exclusive=True, group="hosts")
    def refresh_hosts(self) -> None:
        """Ask every host for its rows (each within its own timeout), off the key thread."""
        if not self.hosts:
            return
        from axi.errors import AxiError
        from axi.picker import hostrows

        try:
            rows, notes = hostrows.asked(self.hosts)
        except (AxiError, OSError, ValueError) as exc:
            self.call_from_thread(self._hosts_note, f"hosts: {str(exc)[:80]}")
            return
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._hosts_swap, rows, notes)

    def _hosts_note(self, note: str) -> None:
        self.host_note = note
        self.update_bar()

    def _hosts_swap(self, rows: list[Session], notes: list[str]) -> None:
        self.remote_rows = rows
        self.host_note = "; ".join(notes)
        self.view.sessions = self.local_rows + rows
        self.view.rebuild()
        self.table.forget()
        self.recolumn()
        self.reshow()
