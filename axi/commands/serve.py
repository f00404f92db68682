"""`axi serve`: the person's local web page (sessions, agents, mail, tasks, runs, activity
live), served from 127.0.0.1 with a random token in the URL it prints.

Its page approves agents, so, like `axi agents approve`, it is a person's act: it starts only
at a terminal (stdin and stdout) with no agent harness's variables set, and the URL with the
token goes only to that terminal. Starlette and uvicorn load here alone (`axi/console/web`).
"""

from __future__ import annotations

import contextlib
import os

import click

from axi.commands.tree import AxiCommand
from axi.errors import AxiError


@click.command(cls=AxiCommand, examples=("axi serve", "axi serve --port 0",
                                         "axi serve --dry-run"))
@click.option("--port", type=int, default=8765, show_default=True,
              help="Port to listen on (0: a free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; one that other machines can reach needs --expose.")
@click.option("--expose", is_flag=True,
              help="Allow a --host other machines can reach: the token alone then guards the "
                   "page, sent in clear over HTTP.")
@click.option("--dry-run", is_flag=True,
              help="Check the address, the port and the web stack, then stop (no terminal "
                   "needed, no token made).")
def serve(port: int, host: str, expose: bool, dry_run: bool) -> dict | None:
    """The person's web page: sessions, agents, mail, live activity."""
    from axi.console.web import server

    versions = server.stack()
    address = server.check(host, port, expose)
    if dry_run:
        sock = server.bind(address)
        sock.close()
        where = address.url_host(port) if port else address.url_host(0).replace(":0", ":<free>")
        return {"would_serve": f"http://{where}/", "listening": reach(address, port),
                "port": "any free one" if port == 0 else "free", "stack": versions,
                "help": ["`axi serve` in your own terminal starts it and prints the URL with "
                         "its token"]}
    require_person()
    from axi.mailbox.identity import person_name

    person = person_name()
    sock = server.bind(address)
    try:
        bound = sock.getsockname()[1]
        from axi.console.web.app import build
        from axi.console.web.guard import new_token

        token = new_token()
        app = build(token, bound, address.names(), person, os.uname().nodename)
        from axi.console.web.acts import ensure_person

        ensure_person(person)
        from axi.output import emit, warn

        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends it quietly, even this early
            emit(started(address, bound, token, person))
            if not address.loopback:
                warn(f"serving on {address.host}, which other machines can reach: the token "
                     "is all that guards the page, and it travels in clear")
            server.run(sock, app)
    finally:
        sock.close()
    return None


def started(address, port: int, token: str, person: str) -> dict:
    """What `axi serve` prints once it listens (to the person's terminal only)."""
    data = {"url": f"http://{address.url_host(port)}/?token={token}",
            "listening": reach(address, port), "as": person}
    if not address.loopback:
        data["warning"] = ("other machines can reach this address: the token is all that "
                           "guards the page, and it travels in clear")
    data["help"] = ["open the URL in your browser: its token guards every request, and each "
                    "start makes a new one", "Ctrl-C stops it"]
    return data


def reach(address, port: int) -> str:
    where = f"{address.host}:{port}" if port else address.host
    return f"{where} (this machine only)" if address.loopback else \
        f"{where} (reachable from other machines)"


def require_person() -> None:
    """A person at their own terminal: stdin and stdout are terminals, no harness variable."""
    from axi.terminal import AGENT_ENV, person_at_terminal

    harness = [name for name in AGENT_ENV if os.environ.get(name)]
    if harness:
        raise AxiError(f"`axi serve` is a person's act and this shell is an agent's ({harness[0]} "
                       "is set)", code="NEEDS_OPERATOR", help=[
                           "a person runs `axi serve` in their own terminal and opens the URL "
                           "it prints", "agents cannot approve or revoke identities"])
    if not (os.isatty(0) and person_at_terminal()):
        raise AxiError("`axi serve` is an operator action (its page approves agents) and this "
                       "shell has no terminal", code="NEEDS_OPERATOR", help=[
                           "a person runs `axi serve` in their own terminal and opens the URL "
                           "it prints", "`axi serve --dry-run` checks the address and port "
                           "without a terminal"])
