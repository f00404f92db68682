"""Starting a session: the launch spec, the fences checked at launch, and the holder spawn.

A session launched from inside a held session belongs to that session's run whatever its
environment says: the holder above it in the process tree (`enclosing`) names the run, the
parent and the depth, and the run's limits and launch policy are the ones recorded when it
started. Elsewhere (a script given AXI_RUN) the environment hands them down (AXI_SESSION_ID,
AXI_RUN, AXI_DEPTH, AXI_MAX_*). Either way a worker can never loosen what it was given.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time

from axi.control import config, live, records
from axi.control.records import merge_fences
from axi.errors import AxiError, UsageFault
from axi.paths import module_argv, state_dir

FENCE_KEYS = ("max_cost", "max_tokens", "max_workers", "max_depth", "timeout")
DEFAULT_MAX_DEPTH = 1
ENV_FENCES = {"max_cost": "AXI_MAX_COST", "max_tokens": "AXI_MAX_TOKENS",
              "max_workers": "AXI_MAX_WORKERS", "max_depth": "AXI_MAX_DEPTH",
              "timeout": "AXI_TIMEOUT"}


class Request:
    """What the caller asked for; saved whole so `restart` can start it again."""

    def __init__(self, harness: str, task: str | None = None, model: str | None = None,
                 directory: str | None = None, run: str | None = None, name: str | None = None,
                 headless: bool = False, unattended: bool = False, accept: str | None = None,
                 behavior: str | None = None, fences: dict | None = None,
                 resume: str | None = None, labels: dict | None = None,
                 close_on_done: bool = False, args: list[str] | None = None):
        self.harness, self.task, self.model = harness, task, model
        self.directory, self.run, self.name = directory, run, name
        self.headless, self.unattended, self.accept = headless, unattended, accept
        self.behavior, self.fences, self.resume = behavior, dict(fences or {}), resume
        self.labels = dict(labels or {})
        self.close_on_done = close_on_done  # watched only: end the harness once concluded
        self.args = list(args or [])  # the harness's own flags, put before the task

    def to_dict(self) -> dict:
        return dict(vars(self))

    @classmethod
    def from_dict(cls, data: dict) -> Request:
        return cls(**{k: v for k, v in data.items() if k in vars(cls(harness=""))})


def inherited() -> dict:
    """Run, parent, depth and limits handed down by the session this command runs in."""
    env = os.environ
    limits = {}
    for key, var in ENV_FENCES.items():
        if env.get(var):
            number = _env_number(var)
            limits[key] = number if key in ("max_cost", "timeout") else int(number)
    return {"parent": env.get("AXI_SESSION_ID") or None, "run": env.get("AXI_RUN") or None,
            "depth": int(_env_number("AXI_DEPTH")), "fences": limits}


def _env_number(var: str) -> float:
    """A limit handed down in the environment; a garbled one refuses the launch, never drops
    the limit."""
    text = os.environ.get(var) or "0"
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if not number >= 0 or number == float("inf"):
        raise AxiError(f"launch refused: {var}={text!r} is not a number", code="BAD_ENV",
                       help=[f"unset or fix {var}; axi sets it for sessions it launches"])
    return number


def start(req: Request, pinned: dict | None = None) -> dict:
    """Check, record and spawn a launch; returns its ids at once (the holder starts it).

    `pinned` overrides the parent, run and depth this process would hand down (a restart
    goes back where the first launch was)."""
    inside = _enclosing_run(req)
    cfg = config.load()
    if req.harness not in config.harness_names(cfg):
        raise UsageFault(f"unknown harness {req.harness!r}",
                         help=["valid harnesses: " + ", ".join(config.harness_names(cfg))])
    config.check_policy(cfg, req.harness, req.model)
    directory = os.path.realpath(os.path.expanduser(req.directory or os.getcwd()))
    if not os.path.isdir(directory):
        raise UsageFault(f"--dir {req.directory!r} is not a directory")
    conn = records.connect()
    up = {**handed_down(conn, inside), **(pinned or {})}
    asked = merge_fences(req.fences, up["fences"])
    depth = up["depth"] + 1
    run = req.run or up["run"] or records.run_id()
    _check_run_policy(conn, run, req)
    launch_id = records.new_id()
    shell = config.shell_words(cfg)
    argv, mints, prompt = build_argv(req, cfg, launch_id, shell)
    accept = req.accept  # a worker is judged by its own check, not by its run's goal
    root = launch_id if not (req.run or up["run"] or up["parent"]) else None
    # One transaction: the run's limits and policy (a script joining with `--run R` is bound
    # by R's too), the checks against them, and the launch record.
    with records.db.write(conn):
        fences = records.join_run(conn, run, root, req.task, asked,
                                  {"max_depth": DEFAULT_MAX_DEPTH})
        records.set_run_policy(conn, run, cfg.get("policy") or {})
        _check_depth(depth, fences["max_depth"])
        if fences.get("max_workers"):
            _check_workers(conn, run, fences["max_workers"])
        env = child_env(launch_id, run, up["parent"], depth, fences, accept, req.unattended)
        spec = {"request": req.to_dict(), "argv": argv, "prompt": prompt, "env": env,
                "dir": directory, "accept": accept, "unattended": req.unattended,
                "fences": fences, "shell": shell,
                "waiting_re": config.waiting_re(req.harness, cfg),
                "close_on_done": bool(req.close_on_done and not req.headless)}
        records.insert_launch(conn, {
            "id": launch_id, "session": req.resume or (None if mints else launch_id),
            "harness": req.harness, "mode": "headless" if req.headless else "watched",
            "run": run, "parent": up["parent"], "depth": depth, "name": req.name,
            "dir": directory, "task": req.task, "model": req.model, "spec": json.dumps(spec),
            "labels": json.dumps(req.labels), "created": time.time()})
    warning = None
    if not req.headless and config.pretrust(req.harness, cfg):
        from axi.control import trust

        warning = trust.before_launch(req.harness, directory)
    spawn_holder(launch_id)
    ids = {"id": launch_id, "run": run, "warning": warning}
    from axi.control import mux

    if mux.wanted(cfg) and not req.headless:
        window = mux.open_window(launch_id, req.name)
        if window:
            records.update(conn, launch_id, labels=json.dumps({**req.labels, "tmux": window}))
            ids["window"] = window
    return ids


def _enclosing_run(req: Request):
    """The held session this launch is made from, if any; its state dir becomes this
    process's, so the launch is recorded where its run is (AXI_HOME cannot move it out)."""
    from axi.control import enclosing

    inside = enclosing.find()
    if inside is None:
        return None
    if os.path.realpath(inside.state) != os.path.realpath(state_dir()):
        os.environ["AXI_HOME"] = inside.state
    run = inside.launch["run"]
    if req.run and req.run != run:
        raise AxiError(f"launch refused: this session is part of run {run}; it cannot start "
                       f"one in run {req.run}", code="FENCE_RUN",
                       help=[f"launch without --run (it joins {run})"])
    return inside.launch


def handed_down(conn, inside) -> dict:
    """Run, parent, depth and limits for a launch made here: from the enclosing held session
    when there is one (the tighter of its run's limits and the environment's), else from the
    environment."""
    env = inherited()
    if inside is None:
        return env
    run = records.get_run(conn, inside["run"])
    fences = json.loads(run["fences"]) if run else {}
    return {"parent": inside["id"], "run": inside["run"], "depth": inside["depth"],
            "fences": merge_fences(env["fences"], fences)}


def _check_run_policy(conn, run: str, req: Request) -> None:
    """The policy recorded when the run started binds every launch in it, whatever config
    this process reads now (its own is checked too); the first launch records its own."""
    recorded = records.run_policy(conn, run)
    if recorded:
        config.check_policy({"policy": recorded}, req.harness, req.model)


def _check_depth(depth: int, max_depth: int) -> None:
    if depth > max_depth:
        raise AxiError(f"launch refused: depth {depth} is over --max-depth {max_depth}",
                       code="FENCE_DEPTH", help=[
                           "do the work in this session, or ask the run's owner to relaunch "
                           "with a larger --max-depth"])


def _check_workers(conn, run: str, cap: int) -> None:
    running = [r for r in records.members(conn, run)
               if live.running(r)]
    if len(running) >= cap:
        raise AxiError(f"launch refused: run {run} already has {len(running)} live sessions "
                       f"(--max-workers {cap})", code="FENCE_WORKERS",
                       help=[f"`axi sessions wait {' '.join(r['id'][:8] for r in running)} "
                             "--any` waits for one to finish"])


def build_argv(req: Request, cfg: dict, launch_id: str, shell: list[str] | None = None
               ) -> tuple[list[str], bool, str | None]:
    """The harness command line, whether the harness mints its own session id, and the first
    prompt as sent (what adoption recognises the new session by).

    With a `shell` the command line goes through it (`bash -lc 'exec claude ...'`): a harness
    behind a tool manager is on the login shell's PATH, not necessarily on this one's."""
    tmpl = config.templates(req.harness, cfg)
    field = ("resume_input" if req.resume else "launch") + ("_headless" if req.headless else "")
    template = tmpl.get(field) or []
    if not template:
        raise AxiError(f"{req.harness} has no `{field}` command", code="NO_TEMPLATE",
                       help=[f"add `{field} = \"...\"` to its [[harness]] block in "
                             f"{config.config_path()}"])
    task = req.task
    behavior = _behavior_text(req.behavior)
    if behavior and not any("{behavior}" in w for w in template):
        task = f"{behavior}\n\n{task}" if task else behavior
    argv = config.fill(with_args(template, [ARGS_MARK] if req.args else []), {
        "newid": launch_id, "id": req.resume, "model": req.model, "task": task,
        "behavior": behavior, "dir": req.directory})
    argv = [w for word in argv for w in (req.args if word == ARGS_MARK else [word])]
    mints = not any("{newid}" in w for w in template)
    if shell:
        return through_shell(shell, argv), mints, task
    if shutil.which(argv[0]) is None:
        raise AxiError(f"{argv[0]} is not on PATH", code="NOT_INSTALLED", help=[
            f"install it, or set `{field}` in its [[harness]] block in {config.config_path()}",
            f'or set shell = "bash -lc" in {config.config_path()} when a login shell finds it'])
    return argv, mints, task


ARGS_MARK = "\0args\0"  # where `args` go, through `fill` (an empty {task} cannot drop them)


def with_args(template: list[str], args: list[str]) -> list[str]:
    """`args` (the harness's own flags) in the template, before the task: ahead of the word
    holding `{task}` and of the `--` or option in front of it (`claude ... ARGS -- {task}`,
    `opencode ... ARGS --prompt {task}`); at the end when the template has no task."""
    if not args:
        return template
    at = next((i for i, word in enumerate(template) if "{task}" in word), len(template))
    if 1 < at < len(template) and template[at - 1].startswith("-"):
        at -= 1
    return [*template[:at], *args, *template[at:]]


def through_shell(shell: list[str], argv: list[str]) -> list[str]:
    """`argv` run by `shell`: its words, then the command line quoted as one word. `exec`
    makes the harness take the shell's place, so it keeps the pid and process group the
    holder signals (an interactive `zsh -lic` would otherwise put it in a group of its own)."""
    import shlex

    if shutil.which(shell[0]) is None:
        raise AxiError(f"the shell {shell[0]} is not on PATH", code="NOT_INSTALLED", help=[
            f"fix `shell` in {config.config_path()}, such as shell = \"bash -lc\", or remove "
            "it to start harnesses directly"])
    return [*shell, "exec " + shlex.join(argv)]


def _behavior_text(behavior: str | None) -> str | None:
    if not behavior:
        return None
    path = os.path.expanduser(behavior)
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip()
    return behavior


def child_env(launch_id: str, run: str, parent: str | None, depth: int, fences: dict,
              accept: str | None, unattended: bool) -> dict[str, str]:
    env = {"AXI_SESSION_ID": launch_id, "AXI_RUN": run, "AXI_PARENT": parent or "",
           "AXI_DEPTH": str(depth), "AXI_HOME": state_dir(),
           "AXI_ACCEPT": accept or "", "AXI_UNATTENDED": "1" if unattended else ""}
    for key, var in ENV_FENCES.items():
        env[var] = "" if fences.get(key) is None else _env_text(fences[key])
    return env


def _env_text(value: float) -> str:
    # Not `:g`: it writes 2000000 as "2e+06" and rounds a cost limit to 6 digits.
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def spawn_holder(launch_id: str) -> None:
    """Start the holder detached (its own session), so it outlives this terminal. Its state
    dir is on its command line, where a launch made below it finds its run (`enclosing`)."""
    spawn_detached(["axi.control.holder", launch_id, state_dir()], launch_id)


def spawn_detached(module_args: list[str], log_name: str) -> None:
    """`python -m MODULE ARGS...` in its own session, stderr to logs/<log_name>.log."""
    logs = os.path.join(state_dir(), "logs")
    os.makedirs(logs, mode=0o700, exist_ok=True)
    log = os.path.join(logs, f"{log_name}.log")
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
               (os.POSIX_SPAWN_OPEN, 2, log,
                os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o600)]
    env = dict(os.environ)
    env.pop("AXI_NOW", None)
    os.posix_spawn(sys.executable, module_argv(*module_args), env,
                   file_actions=actions, setsid=True)
