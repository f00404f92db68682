"""The real agent CLIs for the end-to-end tests: installed from npm into a cache, pointed at the
loopback fake model (`fake_llm.py`) inside a throwaway HOME.

`AXI_E2E_NPM` names the npm cache folder (default ~/.cache/axi-e2e/npm); a CLI missing there is
installed at the pinned version below, so a warm cache needs no network at all. Only 127.0.0.1
is ever contacted by the CLIs themselves.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The command each package puts in node_modules/.bin, and the pinned version.
PACKAGES = {
    "claude": "@anthropic-ai/claude-code@2.1.197",
    "codex": "@openai/codex@0.169.0",
    "opencode": "opencode-ai@1.18.33",
    "skills": "skills@1.5.18",
    "pi": "@mariozechner/pi-coding-agent@0.73.1",
}
ANTHROPIC_KEY = "sk-ant-api03-fake-e2e-key-0123456789abcdef"
ENV_DROP = ("ANTHROPIC_", "OPENAI_", "CLAUDE", "CODEX", "XDG_", "AXI_", "PI_")


def npm_root() -> Path:
    return Path(os.environ.get("AXI_E2E_NPM", Path.home() / ".cache" / "axi-e2e" / "npm"))


def install(*bins: str) -> Path | None:
    """node_modules/.bin holding `bins`, installing the missing ones; None without npm."""
    if not shutil.which("npm"):
        return None
    root = npm_root()
    bin_dir = root / "node_modules" / ".bin"
    missing = [PACKAGES[b] for b in bins if not (bin_dir / b).exists()]
    if missing:
        root.mkdir(parents=True, exist_ok=True)
        if not (root / "package.json").exists():
            (root / "package.json").write_text('{"name": "axi-e2e", "private": true}\n')
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", *missing], cwd=root,
                       check=True, capture_output=True, timeout=900)
    return bin_dir


@contextlib.contextmanager
def fake_llm(log_dir: Path) -> Iterator[tuple[str, Path]]:
    """The fake model on a free loopback port: (base URL, its requests.jsonl)."""
    proc = subprocess.Popen([sys.executable, str(HERE / "fake_llm.py"), "--log-dir",
                             str(log_dir)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline().split()[1])
        yield f"http://127.0.0.1:{port}", log_dir / "requests.jsonl"
    finally:
        proc.kill()
        proc.wait(timeout=10)


def environment(home: Path, state: Path, url: str, bin_dir: Path) -> dict[str, str]:
    """This process's environment minus anything that could reach a real account, plus
    every CLI pointed at the fake model, telemetry and self-updates off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_DROP)}
    env.update({
        "HOME": str(home), "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        "AXI_HOME": str(state),
        "ANTHROPIC_BASE_URL": url, "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1", "DISABLE_AUTOUPDATER": "1",
        "DISABLE_TELEMETRY": "1", "DISABLE_ERROR_REPORTING": "1",
        "FAKELLM_API_KEY": "sk-fake",
        "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CACHE_HOME": str(home / ".cache"), "XDG_STATE_HOME": str(home / ".local/state"),
        "OPENCODE_DISABLE_MODELS_FETCH": "1", "OPENCODE_DISABLE_AUTOUPDATE": "1",
        "OPENCODE_DISABLE_LSP_DOWNLOAD": "1", "OPENCODE_DISABLE_SHARE": "1",
        "OPENCODE_DISABLE_DEFAULT_PLUGINS": "1",
        # pi downloads fd and ripgrep at start-up unless offline
        "PI_OFFLINE": "1", "PI_SKIP_VERSION_CHECK": "1", "PI_TELEMETRY": "0",
    })
    return env


def codex_config(url: str, header: str = "") -> str:
    return (f"{header}model = \"gpt-5-codex\"\nmodel_provider = \"fakellm\"\n"
            "approval_policy = \"never\"\nsandbox_mode = \"workspace-write\"\n\n"
            "[model_providers.fakellm]\nname = \"Fake\"\n"
            f"base_url = \"{url}/v1\"\nwire_api = \"responses\"\nenv_key = \"FAKELLM_API_KEY\"\n"
            "request_max_retries = 0\nstream_max_retries = 0\n")


def opencode_config(url: str) -> str:
    return json.dumps({
        "$schema": "https://opencode.ai/config.json", "autoupdate": False, "share": "disabled",
        "model": "fakellm/fake-model", "small_model": "fakellm/fake-model",
        "provider": {"fakellm": {
            "npm": "@ai-sdk/openai-compatible", "name": "Fake",
            "options": {"baseURL": f"{url}/v1", "apiKey": "sk-fake"},
            "models": {"fake-model": {"name": "Fake", "limit": {"context": 128000,
                                                                 "output": 8192}}}}}})


def pi_models(url: str) -> str:
    """pi's custom provider for the fake model (chat completions), as in the corpus."""
    return json.dumps({"providers": {"fakellm": {
        "baseUrl": f"{url}/v1", "api": "openai-completions", "apiKey": "sk-fake",
        "compat": {"supportsDeveloperRole": False, "supportsReasoningEffort": False},
        "models": [{"id": "fake-model", "name": "Fake", "reasoning": False, "input": ["text"],
                    "contextWindow": 128000, "maxTokens": 8192,
                    "cost": {"input": 1.0, "output": 2.0, "cacheRead": 0.1,
                             "cacheWrite": 1.25}}]}}})


def claude_first_run_done(home: Path) -> None:
    """`~/.claude.json` as Claude Code leaves it after its first interactive run, so the TUI
    opens at the prompt. Without it a fresh HOME shows, in this order: the onboarding (theme
    picker, whose connectivity check to api.anthropic.com exits 1 offline) unless
    `hasCompletedOnboarding`; the folder trust dialog unless `projects[<dir or a parent>]
    .hasTrustDialogAccepted` (axi writes that one at launch); "Detected a custom API key …
    use this API key?" (default No) unless the key's last 20 characters are in
    `customApiKeyResponses.approved`. `-p` shows none of them."""
    (home / ".claude.json").write_text(json.dumps({
        "hasCompletedOnboarding": True,
        "customApiKeyResponses": {"approved": [ANTHROPIC_KEY[-20:]], "rejected": []},
    }, indent=2) + "\n")
