"""What a host's hook event says about its session: working, idle, needs you or needs auth
(None: nothing).

Claude Code and Codex name the event in `hook_event_name`; OpenCode's plugin forwards its bus
event's `type` there (and a `session.status` event's `status`).

- `UserPromptSubmit`: a turn starts: working.
- `Stop`: the turn is over and the session waits for the next prompt: idle.
- `PermissionRequest` (Codex): an approval prompt is about to be shown: needs you.
- Claude's `Notification`, by `notification_type`:
  - `permission_prompt`: a tool waits for approval. Claude sends it only once the prompt has
    gone 6 s without user activity, so a person answering at the terminal never shows as
    needed. Needs you.
  - `elicitation_dialog`: an MCP server waits for the user's input. Needs you.
  - `elicitation_complete`, `elicitation_response`: that input was given; the turn goes on:
    working.
  - `idle_prompt` ("Claude is waiting for your input", 60 s after a turn ended): the same
    news as `Stop`, so idle. Reading it as needs you would turn every finished session into
    one a minute later, and the word would stop meaning anything.
  - a type naming auth that is not a success or completion (`auth_required`, should one come):
    a login or OAuth flow waits: needs auth.
  - `auth_success` and other types added later: nothing.
  Older Claude Code sent no `notification_type`; its message text decides then (a login, a
  sign-in or OAuth: needs auth).
- OpenCode: `session.status` busy/retry: working, idle: idle; `session.idle`: idle;
  `permission.asked`, `question.asked`: needs you; their replies (and a rejected question):
  working.
"""

from __future__ import annotations

WORKING, IDLE, NEEDS_YOU, NEEDS_AUTH = "working", "idle", "needs you", "needs auth"
WORDS = (WORKING, IDLE, NEEDS_YOU, NEEDS_AUTH)
AUTH_WORDS = ("log in", "login", "sign in", "sign-in", "oauth", "authenticat")

BY_EVENT = {"UserPromptSubmit": WORKING, "Stop": IDLE, "PermissionRequest": NEEDS_YOU}
BY_NOTIFICATION = {"permission_prompt": NEEDS_YOU, "elicitation_dialog": NEEDS_YOU,
                   "elicitation_complete": WORKING, "elicitation_response": WORKING,
                   "idle_prompt": IDLE}
BY_OPENCODE_EVENT = {"session.idle": IDLE, "permission.asked": NEEDS_YOU,
                     "question.asked": NEEDS_YOU, "permission.replied": WORKING,
                     "question.replied": WORKING, "question.rejected": WORKING}
BY_OPENCODE_STATUS = {"busy": WORKING, "retry": WORKING, "idle": IDLE}


def word(host: str, payload: dict) -> str | None:
    event = payload.get("hook_event_name")
    if not isinstance(event, str):
        return None
    if host == "opencode":
        if event == "session.status":
            return BY_OPENCODE_STATUS.get(_text(payload.get("status")))
        return BY_OPENCODE_EVENT.get(event)
    if event == "Notification":
        return notification(payload)
    return BY_EVENT.get(event)


def notification(payload: dict) -> str | None:
    kind = _text(payload.get("notification_type"))
    if kind:
        if "auth" in kind and not kind.endswith(("success", "complete", "completed")):
            return BY_NOTIFICATION.get(kind, NEEDS_AUTH)
        return BY_NOTIFICATION.get(kind)
    message = _text(payload.get("message")).lower()
    if any(w in message for w in AUTH_WORDS):
        return NEEDS_AUTH
    if "permission" in message:
        return NEEDS_YOU
    return IDLE if "waiting for your input" in message else None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
