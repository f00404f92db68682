#!/usr/bin/env python3
"""Validate a generated corpus with an independent, naive reference parser.

    python bench/check_corpus.py ~/.cache/axi-bench/corpus-small

Checks that every JSONL line parses, every file belongs to a session in truth.jsonl, the
opencode DB opens and passes integrity_check, the per-session truths (id, cwd, model of the last
response, title, deduplicated tokens) can be recovered from the files, the traps are present,
and the total size is near the requested one. Exits 1 and lists problems if anything is off.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

try:
    from orjson import loads
except ImportError:  # pragma: no cover
    from json import loads

TOKEN_KEYS = ("input", "output", "cache_read", "cache_write")


class Checker:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.problems: list[str] = []
        self.lines = 0
        self.manifest = json.loads((home / "manifest.json").read_text())
        with open(home / "truth.jsonl") as fh:
            self.truths = [json.loads(line) for line in fh]

    def fail(self, msg: str) -> None:
        if len(self.problems) < 200:
            self.problems.append(msg)

    def read_jsonl(self, path: Path) -> list[dict]:
        out = []
        with open(path, "rb") as fh:
            for n, raw in enumerate(fh, 1):
                self.lines += 1
                if not raw.endswith(b"\n"):
                    self.fail(f"{path}:{n}: last line has no newline")
                try:
                    out.append(loads(raw))
                except ValueError as exc:
                    self.fail(f"{path}:{n}: bad JSON ({exc})")
        return out

    def expect(self, truth: dict, key: str, got) -> None:
        if truth.get(key) != got:
            want = truth.get(key)
            self.fail(
                f"{truth['harness']} {truth['id']}: {key} expected {want!r:.80} got {got!r:.80}"
            )

    def expect_tokens(self, truth: dict, got: dict, key: str = "tokens") -> None:
        want = {k: truth[key][k] for k in TOKEN_KEYS}
        got = {k: got[k] for k in TOKEN_KEYS}
        if want != got:
            self.fail(f"{truth['harness']} {truth['id']}: {key} expected {want} got {got}")

    # ---------------------------------------------------------------- claude
    def check_claude(self, truth: dict) -> None:
        lines = self.read_jsonl(Path(truth["path"]))
        if Path(truth["path"]).stem != truth["id"]:
            self.fail(f"claude {truth['id']}: file name does not match the session id")
        if {x.get("sessionId") for x in lines} != {truth["id"]}:
            self.fail(f"claude {truth['id']}: sessionId differs between lines")
        users = [
            x for x in lines if x.get("type") == "user" and isinstance(x["message"]["content"], str)
        ]
        assistants = [x for x in lines if x.get("type") == "assistant"]
        self.expect(truth, "title", users[0]["message"]["content"] if users else None)
        self.expect(truth, "model", assistants[-1]["message"]["model"] if assistants else None)
        self.expect(truth, "cwd", next((x["cwd"] for x in lines if "cwd" in x), None))
        self.expect_tokens(truth, claude_tokens(assistants))
        for sub in truth.get("subagents", []):
            sub_lines = self.read_jsonl(Path(sub["path"]))
            if not all(
                x.get("isSidechain") and x.get("sessionId") == truth["id"] for x in sub_lines
            ):
                self.fail(f"claude {truth['id']}: sub-agent lines not sidechain/parent sessionId")
            self.expect_tokens(
                sub | {"harness": "claude-sub", "id": sub["agent_id"]},
                claude_tokens([x for x in sub_lines if x.get("type") == "assistant"]),
            )
            if not Path(sub["path"]).with_suffix(".meta.json").exists():
                self.fail(f"claude {truth['id']}: missing {sub['path']} meta.json")

    def check_fork(self, truth: dict, by_id: dict[str, dict]) -> None:
        parent = by_id.get(truth["fork_of"])
        if not parent:
            self.fail(f"claude fork {truth['id']}: parent {truth['fork_of']} missing")
            return
        parent_ids = {x["uuid"] for x in self.read_jsonl(Path(parent["path"])) if "uuid" in x}
        fork_ids = {x["uuid"] for x in self.read_jsonl(Path(truth["path"])) if "uuid" in x}
        if not parent_ids <= fork_ids:
            self.fail(f"claude fork {truth['id']}: does not copy the parent's history")

    # ---------------------------------------------------------------- codex
    def check_codex(self, truth: dict) -> None:
        path = Path(truth["path"])
        lines = self.read_jsonl(path)
        if [x["ordinal"] for x in lines] != list(range(len(lines))):
            self.fail(f"codex {truth['id']}: ordinals are not 0..n-1")
        metas = [x for x in lines if x["type"] == "session_meta"]
        if (
            len(metas) != 1
            or metas[0]["payload"]["id"] != truth["id"]
            or not path.stem.endswith(truth["id"])
        ):
            self.fail(f"codex {truth['id']}: session_meta/id/file name mismatch")
        self.expect(truth, "cwd", metas[0]["payload"]["cwd"] if metas else None)
        contexts = [x["payload"]["model"] for x in lines if x["type"] == "turn_context"]
        self.expect(truth, "model", contexts[-1] if contexts else None)
        prompts = [
            x["payload"]["item"]["content"][0]["text"]
            for x in lines
            if x["payload"].get("type") == "item_completed"
            and x["payload"]["item"]["type"] == "UserMessage"
        ]
        self.expect(truth, "title", prompts[0] if prompts else None)
        counts = [
            x["payload"]["info"]["total_token_usage"]
            for x in lines
            if x["payload"].get("type") == "token_count"
        ]
        last = counts[-1]
        got = {
            "input": last["input_tokens"] - last["cached_input_tokens"],
            "output": last["output_tokens"],
            "cache_read": last["cached_input_tokens"],
            "cache_write": last["cache_write_input_tokens"],
        }
        self.expect_tokens(truth, got)
        if truth.get("model_switch") and len(set(contexts)) < 2:
            self.fail(f"codex {truth['id']}: model_switch without two models")

    # ---------------------------------------------------------------- pi
    def check_pi(self, truth: dict) -> None:
        lines = self.read_jsonl(Path(truth["path"]))
        head = lines[0]
        if (
            head.get("type") != "session"
            or head.get("version") != 3
            or head.get("id") != truth["id"]
        ):
            self.fail(f"pi {truth['id']}: bad header")
        self.expect(truth, "cwd", head.get("cwd"))
        names = [x["name"] for x in lines if x["type"] == "session_info"]
        msgs = [x["message"] for x in lines if x["type"] == "message"]
        first_user = next(m["content"][0]["text"] for m in msgs if m["role"] == "user")
        self.expect(truth, "title", names[-1] if names else first_user)
        assistants = [m for m in msgs if m["role"] == "assistant"]
        self.expect(truth, "model", assistants[-1]["model"])
        got = dict.fromkeys(TOKEN_KEYS, 0)
        for m in assistants:
            u = m["usage"]
            for key, src in zip(
                TOKEN_KEYS, ("input", "output", "cacheRead", "cacheWrite"), strict=True
            ):
                got[key] += u[src]
        self.expect_tokens(truth, got)
        if (
            truth.get("provider_switch")
            and len({m["provider"] + m["model"] for m in assistants}) < 2
        ):
            self.fail(f"pi {truth['id']}: provider_switch without two providers")

    # ---------------------------------------------------------------- opencode
    def check_opencode(self, truths: list[dict]) -> None:
        path = self.home / ".local" / "share" / "opencode" / "opencode.db"
        con = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            if con.execute("pragma integrity_check").fetchone()[0] != "ok":
                self.fail("opencode.db integrity_check failed")
            rows = {
                r[0]: r
                for r in con.execute(
                    "select id, directory, title, tokens_input, tokens_output, tokens_cache_read, "
                    "tokens_cache_write, model from session"
                )
            }
            if len(rows) != len(truths):
                self.fail(f"opencode: {len(rows)} sessions in DB, {len(truths)} in truth")
            for truth in truths:
                self.check_opencode_session(con, rows.get(truth["id"]), truth)
        finally:
            con.close()

    def check_opencode_session(self, con: sqlite3.Connection, row, truth: dict) -> None:
        if row is None:
            self.fail(f"opencode {truth['id']}: missing from DB")
            return
        self.expect(truth, "cwd", row[1])
        self.expect(truth, "title", row[2])
        got = dict.fromkeys(TOKEN_KEYS, 0)
        model = None
        for (data,) in con.execute(
            "select data from message where session_id=? order by time_created, id", (truth["id"],)
        ):
            msg = loads(data)
            if msg["role"] == "assistant":
                t = msg["tokens"]
                got["input"] += t["input"]
                got["output"] += t["output"]
                got["cache_read"] += t["cache"]["read"]
                got["cache_write"] += t["cache"]["write"]
                model = msg["modelID"]
        self.expect_tokens(truth, got)
        self.expect(truth, "model", model)
        if list(row[3:7]) != [got[k] for k in TOKEN_KEYS]:
            self.fail(f"opencode {truth['id']}: session aggregates differ from the message sums")
        first = con.execute(
            "select p.data from part p join message m on m.id=p.message_id where "
            "m.session_id=? order by m.time_created, p.id limit 1",
            (truth["id"],),
        ).fetchone()
        text = loads(first[0])["text"]
        if truth.get("quoted_prompt") and not (text.startswith('"') and text.endswith('"')):
            self.fail(f"opencode {truth['id']}: quoted prompt is not wrapped in quotes")

    # ---------------------------------------------------------------- whole corpus
    def check_files(self) -> None:
        known = {Path(t["path"]) for t in self.truths if t["harness"] != "opencode"}
        known |= {Path(s["path"]) for t in self.truths for s in t.get("subagents", [])}
        for root in (".claude/projects", ".codex/sessions", ".pi/agent/sessions"):
            for path in (self.home / root).rglob("*.jsonl"):
                if path not in known:
                    self.fail(f"{path}: not described by truth.jsonl")

    def check_size(self) -> None:
        gen = self.manifest["generator"]
        want = gen["size_gb"] * 1e9
        total = self.manifest["total_bytes"]
        if not 0.8 * want <= total <= 1.25 * want:
            self.fail(f"total {total / 1e6:.0f} MB is far from the requested {want / 1e6:.0f} MB")
        largest = self.manifest["largest"][0]["bytes"]
        if gen["size_gb"] >= 1 and largest < 90e6 * gen["size_gb"] / 1.5:
            self.fail(f"largest file is only {largest / 1e6:.0f} MB")
        counts = {h: e.get("sessions", 0) for h, e in self.manifest["harnesses"].items()}
        if sum(counts.values()) != gen["sessions"]:
            self.fail(f"session counts {counts} do not add up to {gen['sessions']}")
        for name, ids in self.manifest["traps"].items():
            if not ids and name != "opencode_placeholder_title":
                self.fail(f"trap {name} missing")
        if len(self.manifest["search"]["sessions"]) < 3:
            self.fail("search word is in fewer than 3 sessions")

    def run(self) -> int:
        by_id = {t["id"]: t for t in self.truths}
        for truth in self.truths:
            check = getattr(self, f"check_{truth['harness']}", None)
            if check and truth["harness"] != "opencode":
                check(truth)
            if truth.get("fork_of"):
                self.check_fork(truth, by_id)
        self.check_opencode([t for t in self.truths if t["harness"] == "opencode"])
        self.check_files()
        self.check_size()
        return self.report()

    def report(self) -> int:
        print(
            f"checked {len(self.truths)} sessions, {self.lines} JSONL lines, "
            f"{self.manifest['total_bytes'] / 1e6:.1f} MB",
            file=sys.stderr,
        )
        for msg in self.problems:
            print("PROBLEM:", msg, file=sys.stderr)
        print("OK" if not self.problems else f"{len(self.problems)} problem(s)", file=sys.stderr)
        return 1 if self.problems else 0


def claude_tokens(assistants: list[dict]) -> dict[str, int]:
    got = dict.fromkeys(TOKEN_KEYS, 0)
    seen = set()
    for line in assistants:
        msg = line["message"]
        if msg["id"] in seen:
            continue
        seen.add(msg["id"])
        u = msg["usage"]
        got["input"] += u["input_tokens"]
        got["output"] += u["output_tokens"]
        got["cache_read"] += u["cache_read_input_tokens"]
        got["cache_write"] += u["cache_creation_input_tokens"]
    return got


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    return Checker(Path(argv[0]).expanduser()).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
