"""The background sweep: started, never waited for, by whoever finds the index due for one.

Light on purpose: a replayed dashboard (`axi.commands.replay`) starts the sweep the way a
refresh would, without opening the index."""

from __future__ import annotations

import os

from axi.quiet import suppress

SWEEPERS: list[int] = []  # pids a long-lived caller (the holder) reaps (`catalog.reap_sweepers`)


def sweep_in_background(*args: str) -> None:
    """Finish or refresh the index in a detached process (`--search`: only bring the
    full-text index up to date); this call does not wait for it."""
    from axi.paths import module_argv

    argv = module_argv("axi.index.sweep", *args)
    with suppress(OSError):
        if hasattr(os, "posix_spawn"):  # a few ms cheaper than importing subprocess
            quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
            SWEEPERS.append(os.posix_spawn(argv[0], argv, os.environ,
                                           file_actions=quiet, setsid=True))
            return
        import subprocess

        subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
