"""The keys that act on sessions: open (resume or attach), resume with flags, new (with or
without flags), kill, reply, type, tag, move windows, marks, diff. Each asks what it must (a
confirmation, a line of text, a choice) in a pop-up, then runs the `axi` command in a worker
thread, so the screen never waits on it."""

from __future__ import annotations

from textual import work

from axi.picker import actions
from axi.picker.model import Session
from axi.picker.screens import Choose, Confirm, Page, Prompt


class SessionActions:
    """Mixed into `PickApp` (which supplies `table`, `view`, `reshow`, `notify`...)."""

    # ---- marks -----------------------------------------------------------------------------

    def action_mark(self) -> None:
        s = self.table.session()
        if s is None:
            return
        self.table.marked ^= {s.key}
        self.table.move(1)
        self.reshow()

    def action_visual(self) -> None:
        if self.visual_from is None:
            self.visual_from = self.table.cursor
            self._extend_visual()
        else:
            self.visual_from = None  # `v` again keeps the marks
        self.reshow()

    def _extend_visual(self) -> None:
        low, high = sorted((self.visual_from, self.table.cursor))
        self.table.marked = {r.key for r in self.view.rows[low:high + 1]
                             if isinstance(r, Session)}
        self.table.refresh()
        self.update_bar()

    # ---- open, resume, new -----------------------------------------------------------------

    def action_open(self) -> None:
        if self.mode is not None:  # typed ahead of the line taking focus: it ends the line
            self._query.action_done(True)
            return
        if self.visual_from is not None:
            self.visual_from = None
            self.reshow()
            return
        s = self.table.session()
        if s is not None:
            self.hand_over(actions.open_argv(s))

    def action_resume(self) -> None:
        """`e`: resume without flags (as Enter: a session axi holds live is attached)."""
        s = self.table.session()
        if s is not None:
            self.hand_over(actions.open_argv(s))

    def action_resume_flags(self) -> None:
        """`E`: resume with the harness's `[[harness]] args` after its resume command."""
        s = self.table.session()
        if s is None:
            return
        if s.attachable:
            self.notify("it is running under axi, with the flags it was launched with: "
                        "enter attaches", severity="warning")
            return
        flags = actions.harness_args(self.config, s.harness)
        if not flags and not s.remote:
            self.notify(f"{s.harness} has no args: set args = \"...\" in its [[harness]] "
                        "block in config.toml", severity="warning")
            return
        try:
            argv, folder = actions.resume_with(s, flags)
        except actions.ActionError as exc:
            self.notify(str(exc), severity="error")
            return
        self.hand_over(argv, folder)

    def hand_over(self, argv: list[str], folder: str | None = None) -> None:
        """Give the terminal to `argv` (run in `folder`): with --return come back after it,
        else leave."""
        if not self.return_after:
            self.exit(("run", argv, folder))
            return
        with self.suspend():
            code = actions.run_child(argv, folder)
        if code not in (0, None):
            self.notify(f"{' '.join(argv[-3:])} exited with {code}", severity="warning")
        self.refresh_index()

    def action_new(self) -> None:
        self._new(flags=False)

    def action_new_flags(self) -> None:
        self._new(flags=True)

    def _new(self, flags: bool) -> None:
        """A new session in the row's folder: pick the harness (default `default_harness`);
        with `flags`, each harness's `[[harness]] args` go after its launch command."""
        from axi.control.config import harness_names

        s = self.table.session()
        try:
            actions.local_only([s] if s else [], "start a session beside")
        except actions.ActionError as exc:
            self.notify(str(exc), severity="warning")
            return
        folder = (s.row["dir"] if s else None) or "~"
        names = harness_names(self.config)
        args = {n: actions.harness_args(self.config, n) for n in names}
        labels = [f"{n}  {' '.join(args[n]) or '(no args set)'}" for n in names] if flags \
            else names
        default = self.config.get("default_harness") or (s.harness if s else None)

        def chosen(harness: str | None) -> None:
            if not harness:
                return
            if flags and not args[harness]:
                self.notify(f"{harness} has no args: set args = \"...\" in its [[harness]] "
                            "block in config.toml", severity="warning")
                return
            self._start(harness, folder, args[harness] if flags else [])

        title = f"New session in {actions.s_dir(folder)}" + (" with args" if flags else "")
        self.push_screen(Choose(f"{title}: which harness?", names, labels, default), chosen)

    @work(thread=True, group="act")
    def _start(self, harness: str, folder: str, flags: list[str]) -> None:
        try:
            launch = actions.start(harness, folder, flags)
        except actions.ActionError as exc:
            self.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.call_from_thread(self.notify, f"launched {harness} {launch[:8]}")
        self.call_from_thread(self.hand_over, actions.axi_argv("sessions", "attach", launch))

    # ---- kill, reply, type -----------------------------------------------------------------

    def action_kill(self) -> None:
        chosen = self.table.selection()
        if not chosen:
            return
        what = (f"{chosen[0].harness} {chosen[0].id[:8]} ({chosen[0].title[:40]})"
                if len(chosen) == 1 else f"{len(chosen)} marked sessions")

        def answer(yes: bool | None) -> None:
            if yes:
                self._act(actions.kill, chosen)

        self.push_screen(Confirm(f"Kill {what}?"), answer)

    def action_reply(self) -> None:
        s = self.table.session()
        if s is None or s.status != "needs you":
            self.notify("this session is not waiting on you", severity="warning")
            return
        if s.question:
            self.push_screen(Prompt(f"{s.id[:8]} asks:\n{s.question}", "your answer"),
                             lambda text: text and self._act(actions.reply, s, text))
        elif s.attachable:
            self.push_screen(Confirm("It waits on a prompt on its screen (such as a permission "
                                     "request). Attach to answer it?"),
                             lambda yes: yes and self.action_open())
        else:
            self.notify("it waits on a prompt in the terminal it runs in", severity="warning")

    def action_type(self) -> None:
        s = self.table.session()
        if s is None or not s.attachable:
            self.notify("typing needs a session axi holds live", severity="warning")
            return
        self.push_screen(Prompt(f"Type into {s.id[:8]} (enter submits it)", "a prompt"),
                         lambda text: text and self._act(actions.type_into, s, text))

    # ---- tag, move, diff -------------------------------------------------------------------

    def action_tag(self) -> None:
        chosen = self.table.selection()
        if not chosen:
            return
        now = " ".join(k if v is True else f"{k}={v}" for k, v in chosen[0].tags.items()) or "none"

        def edits(text: str | None) -> None:
            if text and text.strip():
                self._act(actions.tag, chosen, text.split())

        self.push_screen(Prompt(f"Tag {len(chosen)} session(s)  (now: {now})",
                                "key=value  -key removes  a bare word is a flag"), edits)

    def action_move(self) -> None:
        """`M`: the selection's tmux windows into a tmux session named at the prompt."""
        from axi.picker import windows

        chosen = self.table.selection()
        if not chosen:
            return
        held = sum(windows.window_of(s) is not None for s in chosen)

        def into(name: str | None) -> None:
            if name and name.strip():
                self._act(windows.move, chosen, name.strip())

        self.push_screen(Prompt(f"Move the tmux windows of {len(chosen)} session(s) "
                                f"({held} have one) into which tmux session?",
                                "a tmux session name (made when missing)"), into)

    def action_diff(self) -> None:
        s = self.table.session()
        if s is not None:
            self._diff(s)

    @work(thread=True, group="act")
    def _diff(self, s: Session) -> None:
        body = actions.diff_text(s)
        self.call_from_thread(self.push_screen, Page(f"Changes in {s.dir} since "
                                                     f"{s.id[:8]} started", body))

    @work(thread=True, group="act")
    def _act(self, func, *args) -> None:
        try:
            message = func(*args)
        except actions.ActionError as exc:
            self.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.call_from_thread(self._acted, message)

    def _acted(self, message: str) -> None:
        self.notify(message)
        self.table.marked.clear()
        self.recolumn()
        self.table.forget()
        self.view.rebuild()
        self.reshow()
        if self.live:
            self.refresh_index()
