"""Deterministic filler text: project names, prompts, shell commands and their outputs.

Tool outputs are slices of pre-built pools (code, test logs, diffs, grep hits, listings) so that
multi-megabyte transcripts cost a string slice per tool call, not per-character generation.
"""

from __future__ import annotations

import random


def _words(spaced: str) -> tuple[str, ...]:
    return tuple(spaced.split())


WORDS = _words(
    "account adapter agent alert api archive asset audit auth backup batch billing blob "
    "bucket buffer build cache cart catalog channel checkout client cluster codec config "
    "consumer context cursor dashboard decoder digest dispatch document domain draft driver "
    "email engine entity event export feature feed fetch filter flag form gateway graph "
    "handler header health history hook image import index inventory invoice job journal "
    "kernel key ledger limit loader lock log mailer manifest mapper market media merge "
    "message metric migration model monitor node notify offset order outbox packet page "
    "parser patch payment peer pipeline plan plugin policy pool portal price profile project "
    "proxy query queue quota rate reader record refund registry release report request "
    "resolver retry route rule runner schema scheduler scope search secret segment sender "
    "session shard signal snapshot source span stage state storage stream sync table task "
    "tenant token topic trace tracker transform upload user vault version view webhook worker "
    "writer"
)

ADJ = _words(
    "async basic cached cold default dirty empty fast global hot inner invalid lazy legacy "
    "local main nested null optional partial pending primary raw remote shared slow stale "
    "strict temp unsafe unused"
)

LANGS = ("python", "typescript", "rust", "go")
EXT = {"python": "py", "typescript": "ts", "rust": "rs", "go": "go"}
UNICODE_BITS = ("✓", "✗", "—", "→", "é", "…", "µs", "·")


def ident(rng: random.Random, parts: int = 2, sep: str = "_") -> str:
    return sep.join(rng.choice(WORDS) for _ in range(parts))


def camel(rng: random.Random, parts: int = 2) -> str:
    words = [rng.choice(WORDS) for _ in range(parts)]
    return words[0] + "".join(w.title() for w in words[1:])


def src_path(rng: random.Random, lang: str) -> str:
    top = {"python": "src", "typescript": "src", "rust": "src", "go": "internal"}[lang]
    depth = rng.randint(0, 2)
    dirs = [rng.choice(WORDS) for _ in range(depth)]
    name = ident(rng, rng.randint(1, 2), "_" if lang != "typescript" else "-")
    return "/".join([top, *dirs, f"{name}.{EXT[lang]}"])


def test_path(rng: random.Random, lang: str) -> str:
    name = ident(rng, rng.randint(1, 2))
    return {
        "python": f"tests/test_{name}.py",
        "typescript": f"src/{name.replace('_', '-')}.test.ts",
        "rust": f"tests/{name}.rs",
        "go": f"internal/{rng.choice(WORDS)}/{name}_test.go",
    }[lang]


# --------------------------------------------------------------------------------------------
# pools


def _code_line(rng: random.Random, lang: str, indent: int) -> str:
    pad = "    " * indent
    a, b, c = ident(rng), ident(rng, 1), camel(rng)
    choices = {
        "python": (
            f"def {a}(self, {b}: {c.title()} | None = None) -> dict[str, int]:",
            f"{pad}if {b} is None:",
            f"{pad}return self._{a}({b}, strict={rng.choice(['True', 'False'])})",
            f'{pad}raise ValueError(f"{a.replace("_", " ")}: {{{b}!r}}")',
            f"{pad}for {b} in sorted(self.{a}.values(), key=lambda x: x.{ident(rng, 1)}):",
            f"{pad}{a} = {c}({b}, timeout={rng.randint(1, 120)})",
            f'{pad}logger.debug("{a} %s -> %d", {b}, len({a}))',
            f"{pad}# TODO: {rng.choice(ADJ)} {b} handling is {rng.choice(ADJ)} here",
        ),
        "typescript": (
            f"export async function {c}({b}: {c.title()}Options): Promise<{c.title()}> {{",
            f"{pad}const {c} = await this.{b}.get({b}Id);",
            f"{pad}if (!{c}) throw new Error(`{a.replace('_', ' ')} missing: ${{{b}Id}}`);",
            f"{pad}return {{ ...{b}, {ident(rng, 1)}: {rng.randint(0, 999)} }};",
            f"{pad}{b}.forEach(({ident(rng, 1)}) => {c}.push({ident(rng, 1)}));",
            f"import {{ {c} }} from './{a.replace('_', '-')}';",
            f"{pad}// {rng.choice(ADJ)} path: keep in sync with {c}",
        ),
        "rust": (
            f"pub fn {a}(&self, {b}: &{c.title()}) -> Result<{c.title()}, Error> {{",
            f"{pad}let {b} = self.{a}.get(&{ident(rng, 1)}).ok_or(Error::Missing)?;",
            f'{pad}tracing::debug!({b} = ?{b}, "{a.replace("_", " ")}");',
            f"{pad}match {b} {{ Some(x) => x.{ident(rng, 1)}(), None => return Ok(None) }}",
            f"{pad}Ok({c.title()} {{ {ident(rng, 1)}: {rng.randint(0, 99)}, ..Default::default() }})",  # noqa: E501
            f"use crate::{a}::{{{c.title()}, {ident(rng, 1).title()}}};",
        ),
        "go": (
            f"func (s *{c.title()}) {c.title()}(ctx context.Context, {b} string) error {{",
            f"{pad}if err := s.{b}.{c.title()}(ctx); err != nil {{",
            f'{pad}return fmt.Errorf("{a.replace("_", " ")}: %w", err)',
            f"{pad}{b}, ok := s.{a}[{b}Key]",
            f"{pad}defer s.mu.Unlock()",
            f'{pad}log.Printf("{a} %d items", len({b}))',
        ),
    }[lang]
    return rng.choice(choices)


def _code_pool(rng: random.Random, lang: str, nbytes: int) -> str:
    out: list[str] = []
    size = indent = 0
    while size < nbytes:
        if rng.random() < 0.08:
            line = ""
            indent = 0
        else:
            indent = max(0, min(4, indent + rng.choice((-1, 0, 0, 1))))
            line = _code_line(rng, lang, indent)
        out.append(line)
        size += len(line) + 1
    return "\n".join(out) + "\n"


def _testlog_pool(rng: random.Random, nbytes: int) -> str:
    out: list[str] = []
    size = 0
    while size < nbytes:
        mod = test_path(rng, "python")
        roll = rng.random()
        if roll < 0.7:
            dots = "".join(rng.choice("....................Fs") for _ in range(rng.randint(5, 60)))
            line = f"{mod} {dots}  [{rng.randint(1, 100):3d}%]"
        elif roll < 0.85:
            line = (
                f"FAILED {mod}::test_{ident(rng)} - AssertionError: assert "
                f"{rng.randint(0, 500)} == {rng.randint(0, 500)}"
            )
        elif roll < 0.95:
            line = (
                f'  File "/usr/lib/python3.11/{ident(rng, 1)}.py", line {rng.randint(1, 900)}, '
                f"in {ident(rng)}"
            )
        else:
            mark = rng.choice(UNICODE_BITS)
            line = (
                f"{mark} {rng.randint(1, 400)} passed, {rng.randint(0, 5)} failed in "
                f"{rng.uniform(0.1, 90):.2f}s"
            )
        out.append(line)
        size += len(line) + 1
    return "\n".join(out) + "\n"


def _diff_pool(rng: random.Random, nbytes: int) -> str:
    out: list[str] = []
    size = 0
    while size < nbytes:
        lang = rng.choice(LANGS)
        path = src_path(rng, lang)
        start = rng.randint(1, 800)
        hunk = [
            f"diff --git a/{path} b/{path}",
            f"index {rng.getrandbits(28):07x}..{rng.getrandbits(28):07x} 100644",
            f"--- a/{path}",
            f"+++ b/{path}",
            f"@@ -{start},{rng.randint(3, 30)} +{start},{rng.randint(3, 30)} @@",
        ]
        for _ in range(rng.randint(4, 30)):
            hunk.append(rng.choice(" +-  ") + _code_line(rng, lang, rng.randint(0, 3)))
        out.extend(hunk)
        size += sum(len(x) + 1 for x in hunk)
    return "\n".join(out) + "\n"


def _grep_pool(rng: random.Random, nbytes: int) -> str:
    out: list[str] = []
    size = 0
    while size < nbytes:
        lang = rng.choice(LANGS)
        line = f"{src_path(rng, lang)}:{rng.randint(1, 2000)}:{_code_line(rng, lang, 1)}"
        out.append(line)
        size += len(line) + 1
    return "\n".join(out) + "\n"


def _ls_pool(rng: random.Random, nbytes: int) -> str:
    out: list[str] = []
    size = 0
    months = ("Sep", "Oct", "Nov")
    while size < nbytes:
        kind = rng.random() < 0.2
        perm = "drwxr-xr-x" if kind else "-rw-r--r--"
        name = ident(rng, rng.randint(1, 2), "-") + (
            "" if kind else f".{rng.choice(list(EXT.values()))}"
        )
        line = (
            f"{perm} {rng.randint(1, 9):2d} dev dev {rng.randint(0, 90000):6d} "
            f"{rng.choice(months)} {rng.randint(1, 28):2d} {rng.randint(0, 23):02d}:"
            f"{rng.randint(0, 59):02d} {name}"
        )
        out.append(line)
        size += len(line) + 1
    return "\n".join(out) + "\n"


def _buildlog_pool(rng: random.Random, nbytes: int) -> str:
    out: list[str] = []
    size = 0
    while size < nbytes:
        roll = rng.random()
        if roll < 0.5:
            version = f"v0.{rng.randint(1, 40)}.{rng.randint(0, 9)}"
            line = f"   Compiling {ident(rng, 1, '-')}-{ident(rng, 1)} {version}"
        elif roll < 0.8:
            path = src_path(rng, rng.choice(LANGS))
            line = (
                f"warning: unused variable `{ident(rng, 1)}` --> {path}:{rng.randint(1, 900)}:"
                f"{rng.randint(1, 80)}"
            )
        else:
            line = (
                f"[{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}] "
                f"{rng.choice(('INFO', 'WARN', 'DEBUG', 'ERROR'))} {ident(rng, 2, '.')}: "
                f"{rng.choice(ADJ)} {ident(rng, 1)} took {rng.randint(1, 9000)}ms"
            )
        out.append(line)
        size += len(line) + 1
    return "\n".join(out) + "\n"


class TextPools:
    """A few hundred KB of each kind of text, built once per process from a fixed seed."""

    KINDS = ("code", "testlog", "diff", "grep", "ls", "buildlog")

    def __init__(self, seed: int, per_kind: int = 600_000) -> None:
        rng = random.Random(f"pools/{seed}")
        self.pools = {f"code:{lang}": _code_pool(rng, lang, per_kind) for lang in LANGS}
        self.pools["testlog"] = _testlog_pool(rng, per_kind)
        self.pools["diff"] = _diff_pool(rng, per_kind)
        self.pools["grep"] = _grep_pool(rng, per_kind)
        self.pools["ls"] = _ls_pool(rng, per_kind // 4)
        self.pools["buildlog"] = _buildlog_pool(rng, per_kind)

    def slice(self, rng: random.Random, kind: str, nbytes: int) -> str:
        pool = self.pools[kind]
        parts: list[str] = []
        need = nbytes
        while need > 0:
            start = pool.find("\n", rng.randrange(len(pool))) + 1
            end = pool.find("\n", min(len(pool) - 1, start + need))
            end = len(pool) if end < 0 else end + 1
            if end <= start:
                continue
            parts.append(pool[start:end])
            need -= end - start
        return "".join(parts)


# --------------------------------------------------------------------------------------------
# commands and prompts


def shell_command(rng: random.Random, lang: str) -> tuple[str, str, str]:
    """(command, description, pool kind)"""
    path = src_path(rng, lang)
    roll = rng.random()
    if roll < 0.30:
        return f"cat {path}", f"Read {path}", f"code:{lang}"
    if roll < 0.42:
        a = rng.randint(1, 400)
        return (
            f"sed -n '{a},{a + rng.randint(40, 300)}p' {path}",
            "Show part of file",
            f"code:{lang}",
        )
    if roll < 0.58:
        return f'rg -n "{camel(rng)}" {path.split("/")[0]}', "Search the code", "grep"
    if roll < 0.72:
        runner = {
            "python": "pytest -q",
            "typescript": "npm test --",
            "rust": "cargo test",
            "go": "go test",
        }
        return f"{runner[lang]} {test_path(rng, lang)}", "Run the tests", "testlog"
    if roll < 0.84:
        return (
            rng.choice(("git diff", "git diff --stat HEAD~1", "git show HEAD")),
            "Show diff",
            "diff",
        )
    if roll < 0.92:
        build = {
            "python": "ruff check .",
            "typescript": "npm run build",
            "rust": "cargo build",
            "go": "go build ./...",
        }
        return build[lang], "Build the project", "buildlog"
    return f"ls -la {'/'.join(path.split('/')[:-1])}", "List files", "ls"


FIRST_PROMPTS = (
    "Fix the failing test in {test}",
    "Why does {fn} return None when the {w} is {adj}?",
    "Refactor {path} so that the {w} handling lives in one place",
    "Add a --{flag} flag to the {w} command and document it",
    "Review the current diff for bugs, especially around {w} {w2}",
    "Write tests for {fn} in {path}",
    "Explain how {path} handles {adj} {w}s",
    "The build fails with `{err}` — can you fix it?",
    "Rename {fn} to {fn2} everywhere and update the docs",
    "Bump {dep} to {ver} and fix whatever breaks",
    "Investigate why CI is slow on the {w} job",
    "Implement pagination for the {w} list endpoint",
    "Make {fn} safe to call from several threads",
    "There is a memory leak in the {w} {w2}; find it",
    "Port {path} from callbacks to async/await",
    "Add structured logging to the {w} pipeline",
    "Clean up the {adj} {w} code in {path}",
    "Can you profile {fn}? It got slower after the last release",
)
FOLLOW_UPS = (
    "continue",
    "yes, go ahead",
    "run the tests again",
    "looks good, commit this",
    "that broke {test}, please fix",
    "also handle the {adj} {w} case",
    "can you make it shorter?",
    "no, keep the old behaviour for {fn}",
    "what about {path}?",
    "ok. now update the changelog",
    "try a different approach for the {w} part",
    "why did you change {fn}?",
)
ERRORS = (
    "TypeError: cannot read properties of undefined (reading '{w}')",
    "error[E0308]: mismatched types in {fn}",
    "ModuleNotFoundError: No module named '{w}'",
    "undefined: {fn2}",
    "AssertionError: expected {n} got {n2}",
)


def _fill(rng: random.Random, template: str, lang: str) -> str:
    return template.format(
        test=test_path(rng, lang),
        fn=ident(rng),
        fn2=camel(rng),
        path=src_path(rng, lang),
        w=rng.choice(WORDS),
        w2=rng.choice(WORDS),
        adj=rng.choice(ADJ),
        flag=ident(rng, 2, "-"),
        err=rng.choice(ERRORS).format(
            w=rng.choice(WORDS),
            fn=ident(rng),
            fn2=camel(rng),
            n=rng.randint(0, 99),
            n2=rng.randint(0, 99),
        ),
        dep=ident(rng, 1, "-"),
        ver=f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
    )


def first_prompt(rng: random.Random, lang: str, pools: TextPools) -> str:
    text = _fill(rng, rng.choice(FIRST_PROMPTS), lang)
    if rng.random() < 0.08:  # a pasted log or stack trace
        text += (
            "\n\n```\n"
            + pools.slice(rng, rng.choice(("testlog", "buildlog")), rng.randint(800, 6000))
            + "```"
        )
    return text


def follow_up(rng: random.Random, lang: str) -> str:
    return _fill(rng, rng.choice(FOLLOW_UPS), lang)


PHRASES = (
    "I'll start by looking at the relevant files.",
    "Let me check how this is wired up.",
    "The failure comes from the {w} being {adj} before the {w2} is loaded.",
    "I'll run the tests to confirm.",
    "That narrows it down to {fn}.",
    "Now let me update the callers.",
    "The {w} cache is never invalidated when the {w2} changes.",
    "I found the issue: {fn} swallows the error from {fn2}.",
    "Let me search for other uses of {fn2}.",
)


def assistant_text(rng: random.Random, lang: str, sentences: int) -> str:
    return " ".join(_fill(rng, rng.choice(PHRASES), lang) for _ in range(sentences))


def final_answer(rng: random.Random, lang: str) -> str:
    head = _fill(rng, rng.choice(PHRASES), lang)
    bullets = "\n".join(
        f"- `{src_path(rng, lang)}`: {_fill(rng, rng.choice(PHRASES), lang)}"
        for _ in range(rng.randint(1, 6))
    )
    return f"{head}\n\nChanges:\n{bullets}\n\nAll tests pass."


def thinking_text(rng: random.Random, lang: str) -> str:
    return " ".join(_fill(rng, rng.choice(PHRASES), lang) for _ in range(rng.randint(2, 25)))


def title_from(prompt: str) -> str:
    words = prompt.split("\n", 1)[0].replace("`", "").split()
    return " ".join(words[:7]).rstrip(".,:;?")[:60]
