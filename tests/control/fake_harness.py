#!/usr/bin/env python3
"""A small stand-in for Claude Code, for driving the holder with a real long-lived program.

Command line like Claude Code's: `fake_harness.py [-p] --session-id ID [--resume ID]
[--model M] [--] [task]`. It writes a transcript in Claude Code's format under
`$CLAUDE_CONFIG_DIR` (or `~/.claude`)/projects/<folder>/<id>.jsonl, so axi's real Claude
adapter indexes it. Interactively it shows a `> ` prompt on its terminal and answers each
line after FAKE_TURN_SECONDS (default 0.3); Ctrl-C during a turn interrupts the turn only.

Prompts it understands: `sleep N` (a long turn), `spend N` (a reply using N output tokens),
`ask QUESTION` (runs `axi ask`), `tag OUTCOME` (runs `axi sessions tag --outcome`),
`axi ARGS...` (runs any axi command, as a coordinator would; the reply holds its JSON),
`login` (shows Claude Code's OAuth sign-in prompt and waits for the code), `confirm QUESTION`
(shows `QUESTION (y/n)` and waits for the answer), `exit` (exit 0), `crash` (exit 3). Anything
else is echoed back as `ok: <prompt>`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import uuid


class Interrupted(Exception):
    pass


def _on_sigint(_sig, _frame):
    raise Interrupted


class Transcript:
    def __init__(self, session_id: str, model: str):
        root = os.environ.get("CLAUDE_CONFIG_DIR") or os.path.expanduser("~/.claude")
        folder = re.sub(r"[^A-Za-z0-9]", "-", os.getcwd())
        os.makedirs(os.path.join(root, "projects", folder), exist_ok=True)
        self.path = os.path.join(root, "projects", folder, f"{session_id}.jsonl")
        self.session_id, self.model, self.parent = session_id, model, None

    def _write(self, rec: dict) -> None:
        rec.update({"parentUuid": self.parent, "isSidechain": False, "uuid": str(uuid.uuid4()),
                    "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                    "cwd": os.getcwd(), "sessionId": self.session_id, "version": "2.1.197",
                    "gitBranch": "main", "userType": "external"})
        self.parent = rec["uuid"]
        with open(self.path, "a") as fh:
            fh.write(json.dumps(rec) + "\n")

    def user(self, text: str) -> None:
        self._write({"type": "user", "message": {"role": "user", "content": text}})

    def assistant(self, text: str, output_tokens: int = 12) -> None:
        self._write({"type": "assistant", "requestId": "req_" + uuid.uuid4().hex[:12],
                     "message": {"id": "msg_" + uuid.uuid4().hex[:16], "type": "message",
                                 "role": "assistant", "model": self.model,
                                 "content": [{"type": "text", "text": text}],
                                 "stop_reason": "end_turn",
                                 "usage": {"input_tokens": 20, "output_tokens": output_tokens,
                                           "cache_read_input_tokens": 100,
                                           "cache_creation_input_tokens": 50}}})


def answer(prompt: str, transcript: Transcript) -> tuple[str, int]:
    words = prompt.split(maxsplit=1)
    head, rest = (words[0], words[1] if len(words) > 1 else "") if words else ("", "")
    if head == "sleep":
        time.sleep(float(rest or 1))
        return f"slept {rest}", 12
    if head == "spend":
        return f"spent {rest}", int(rest or 0)
    if head == "ask":
        got = subprocess.run([sys.executable, "-m", "axi", "ask", rest, "--format", "json"],
                             capture_output=True, text=True)
        data = json.loads(got.stdout or "{}")
        return f"answer: {data.get('answer', data.get('error'))}", 12
    if head == "tag":
        got = subprocess.run([sys.executable, "-m", "axi", "sessions", "tag", "--outcome", rest,
                              "--format", "json"],
                             capture_output=True, text=True)
        return f"tag {rest}: {got.stdout.strip()}", 12
    if head == "sh":  # a shell command line, as an agent's tool call runs it
        got = subprocess.run(["sh", "-c", rest], capture_output=True, text=True)
        return f"sh: {got.stdout.strip()}", 12
    if head == "login":  # what Claude Code 2.1 shows when its OAuth sign-in is needed
        print("Browser didn't open? Use the url below to sign in:\n\n"
              "https://claude.ai/oauth/authorize?code=true&client_id=fake&state=fake\n\n"
              "Paste code here if prompted > ", end="", flush=True)
        return f"signed in with code {read_prompt()}", 12
    if head == "confirm":
        print(f"{rest} (y/n) ", end="", flush=True)
        return f"confirmed: {read_prompt()}", 12
    if head == "axi":
        got = subprocess.run([sys.executable, "-m", "axi", *shlex.split(rest), "--format",
                              "json"], capture_output=True, text=True)
        return f"axi: {got.stdout.strip()}", 12
    time.sleep(float(os.environ.get("FAKE_TURN_SECONDS", "0.3")))
    return f"ok: {prompt}", 12


def turn(prompt: str, transcript: Transcript) -> None:
    transcript.user(prompt)
    try:
        reply, tokens = answer(prompt, transcript)
    except Interrupted:
        print("[interrupted]", flush=True)
        transcript.assistant("[Request interrupted by user]", 1)
        return
    transcript.assistant(reply, tokens)
    print(reply, flush=True)


def read_prompt() -> str | None:
    line = sys.stdin.readline()
    if not line:
        return None
    if "\x1b[200~" in line:  # a bracketed paste: read until its end marker
        while "\x1b[201~" not in line:
            more = sys.stdin.readline()
            if not more:
                break
            line += more
    return line.replace("\x1b[200~", "").replace("\x1b[201~", "").strip()


def main(argv: list[str]) -> int:
    headless, session_id, model, task = False, None, "claude-sonnet-4-5", None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "-p":
            headless = True
        elif arg in ("--session-id", "--resume"):
            session_id, i = argv[i + 1], i + 1
        elif arg == "--model":
            model, i = argv[i + 1], i + 1
        elif arg == "--":  # the end of the options, as axi's Claude templates pass it
            task = " ".join(argv[i + 1:]) or None
            break
        else:
            task = arg
        i += 1
    transcript = Transcript(session_id or str(uuid.uuid4()), model)
    signal.signal(signal.SIGINT, _on_sigint)
    if task:
        if task in ("exit", "crash") and headless:
            return 0 if task == "exit" else 3
        turn(task, transcript)
    if headless:
        return 0
    while True:
        print("> ", end="", flush=True)
        try:
            prompt = read_prompt()
        except Interrupted:
            print("^C", flush=True)
            continue
        if prompt is None:
            return 0
        if prompt == "exit":
            return 0
        if prompt == "crash":
            return 3
        if prompt:
            turn(prompt, transcript)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
