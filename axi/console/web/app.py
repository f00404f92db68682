"""The routes of `axi serve`: the page, its JSON, the live activity stream, the person's acts.

GET  /                          the page (its script and style sheet carry the token)
GET  /static/app.js, app.css    the page's script and style sheet (package data)
GET  /api/overview              the person's name, the host, the time
GET  /api/sessions              sessions with status (as `axi sessions` and the picker)
GET  /api/agents                identities: state, origin code, unread, last activity
GET  /api/mail                  mail threads, newest first
GET  /api/mail/{thread}         one thread's messages
GET  /api/tasks, /api/runs      open tasks; runs, newest first
GET  /api/activity              the newest events and the cursor the stream resumes from
GET  /api/events?after=CURSOR   the activity stream, live (server-sent events; each event's
                                `id` is its cursor, so a reconnect resumes with no gap)
POST /api/agents/{name}/approve {"code": "3fa91c"}
POST /api/agents/{name}/revoke
POST /api/mail/send             {"to": ["bob"], "text": "...", "reply_to": 4}
POST /api/mail/read             {"ids": [4, 5]}
POST /api/sessions/{launch}/answer  {"text": "..."}   (`axi reply`)
POST /api/sessions/{launch}/kill                      (`axi sessions kill`)

Every request first passes `guard.Guard`. A handled failure answers with the CLI's error
shape (`error`, `code`, `help`); anything else is written to the diagnostic log by its type
and traceback alone, never with a message body or the token.
"""

from __future__ import annotations

import json
import time
from importlib import resources
from typing import NoReturn

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from axi.console.web import acts, data
from axi.console.web.guard import Guard
from axi.errors import AxiError, NotFound, UsageFault

MAX_BODY = 256 * 1024  # a message is at most 64 KiB of UTF-8; JSON escapes may grow it
KEEPALIVE = 15.0  # seconds of quiet before the stream sends a comment line
STATIC_TYPES = {"app.js": "text/javascript; charset=utf-8",
                "app.css": "text/css; charset=utf-8"}


def static_file(name: str) -> bytes:
    return resources.files("axi.console.web").joinpath("static", name).read_bytes()


def build(token: str, port: int, names: frozenset[str] | None, person: str, host: str):
    """The guarded ASGI app. `names`: the host names requests may give in `Host` (None: any)."""
    page = static_file("index.html").replace(b"__TOKEN__", token.encode())
    assets = {name: static_file(name) for name in STATIC_TYPES}

    async def index(request: Request) -> Response:
        return Response(page, media_type="text/html; charset=utf-8")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in assets:
            return json_error(NotFound(f"no file {name!r} here", help=["open /"]))
        return Response(assets[name], media_type=STATIC_TYPES[name])

    def reader(fn, *args):
        async def endpoint(request: Request) -> Response:
            return await respond(fn, *args)
        return endpoint

    async def thread(request: Request) -> Response:
        return await respond(data.thread, person, request.path_params["thread"])

    async def approve(request: Request, body: dict) -> Response:
        return await respond(acts.approve, request.path_params["name"], body.get("code"))

    async def revoke(request: Request, body: dict) -> Response:
        return await respond(acts.revoke, request.path_params["name"])

    async def send(request: Request, body: dict) -> Response:
        return await respond(acts.send, person, body.get("to"), body.get("text"),
                             body.get("reply_to"))

    async def read(request: Request, body: dict) -> Response:
        return await respond(acts.mark_read, person, body.get("ids"))

    async def answer(request: Request, body: dict) -> Response:
        return await respond(acts.answer, request.path_params["launch"], body.get("text"))

    async def kill(request: Request, body: dict) -> Response:
        return await respond(acts.kill, request.path_params["launch"])

    post = ["POST"]
    routes = [
        Route("/", index),
        Route("/static/{name}", static),
        Route("/api/overview", reader(data.overview, person, host)),
        Route("/api/sessions", reader(data.sessions)),
        Route("/api/agents", reader(data.agents, person)),
        Route("/api/mail", reader(data.threads, person)),
        Route("/api/mail/{thread:int}", thread),
        Route("/api/tasks", reader(data.tasks)),
        Route("/api/runs", reader(data.runs)),
        Route("/api/activity", reader(data.activity)),
        Route("/api/events", events),
        Route("/api/agents/{name}/approve", writer(approve), methods=post),
        Route("/api/agents/{name}/revoke", writer(revoke), methods=post),
        Route("/api/mail/send", writer(send), methods=post),
        Route("/api/mail/read", writer(read), methods=post),
        Route("/api/sessions/{launch}/answer", writer(answer), methods=post),
        Route("/api/sessions/{launch}/kill", writer(kill), methods=post),
    ]
    return Guard(Starlette(routes=routes), token, port, names)


def writer(handler):
    """A POST route: its JSON body read and checked first (a bad one is a clear error)."""
    async def endpoint(request: Request) -> Response:
        try:
            body = await body_of(request)
        except AxiError as err:
            return json_error(err)
        return await handler(request, body)
    return endpoint


async def respond(fn, *args) -> Response:
    """`fn(*args)` off the event loop (SQLite and child processes block), as JSON."""
    try:
        return Response(data.to_json(await run_in_threadpool(fn, *args)),
                        media_type="application/json")
    except AxiError as err:
        return json_error(err)
    except Exception as exc:  # noqa: BLE001 - the page gets a line, the log the traceback
        from axi.diaglog import note

        note("serve", f"{getattr(fn, '__name__', 'request')} failed", exc)
        return json_error(AxiError(f"unexpected {type(exc).__name__}", code="UNKNOWN",
                                   help=["this is a bug in axi; `axi log` has the traceback"]),
                          500)


def json_error(err: AxiError, status: int | None = None) -> Response:
    if status is None:
        status = 400 if isinstance(err, UsageFault) else 404 if isinstance(err, NotFound) \
            else 409
    return Response(data.to_json(err.payload()), status_code=status,
                    media_type="application/json")


async def body_of(request: Request) -> dict:
    """The JSON object a POST carries (the guard has checked its type), at most MAX_BODY."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise_body("the request is larger than 256 KiB")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise_body("the request is larger than 256 KiB")
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise_body("the body is not JSON")
    if not isinstance(body, dict):
        raise_body("the body is not a JSON object")
    return body


def raise_body(message: str) -> NoReturn:
    raise UsageFault(message, help=['send a JSON object, such as {"text": "yes"}'])


async def events(request: Request) -> Response:
    """The activity stream as server-sent events, from `after` (or Last-Event-ID) on."""
    from axi.console.activity import LAG, POLL, Cursor, Filters, Stream, parse_cursor

    start = request.headers.get("last-event-id") or request.query_params.get("after")
    try:
        if not start:
            after = Cursor(int((time.time() - LAG) * 1000))
        elif start.isdigit() and len(start) <= 16:
            after = Cursor(int(start))
        else:
            after = parse_cursor(start)
    except AxiError as err:
        return json_error(err)

    async def stream_events():
        stream = Stream(Filters())
        position, quiet = after, time.monotonic()
        try:
            yield "retry: 2000\n\n"
            while True:
                horizon = time.time() - LAG
                found = await run_in_threadpool(stream.collect, position, None, horizon)
                for ev in found:
                    record = data.to_json(ev.record()).decode()
                    yield f"id: {ev.cursor.word()}\nevent: activity\ndata: {record}\n\n"
                    position = ev.cursor
                stream.journal.forget_before(position.ms)
                if found:
                    quiet = time.monotonic()
                elif time.monotonic() - quiet > KEEPALIVE:
                    yield ": keep-alive\n\n"
                    quiet = time.monotonic()
                await anyio.sleep(POLL * 2)
        finally:
            stream.close()

    return StreamingResponse(stream_events(), media_type="text/event-stream",
                             headers={"x-accel-buffering": "no"})
