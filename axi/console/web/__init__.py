"""`axi serve`: the person's local web page over the same stores as the CLI and the picker.

Only `axi serve` (`axi/commands/serve.py`) imports this package, and with it Starlette and
uvicorn: bare `axi`, the hook and every other command stay as light as before.

- `server.py`: binds the socket (127.0.0.1 unless told otherwise), mints the token, runs uvicorn.
- `guard.py`: the token on every request, the Host and Origin checks, the response headers.
- `app.py`: the routes (JSON, the live activity stream as server-sent events, the page).
- `data.py`: what the page shows, read from the index, the control plane and the mailbox.
- `acts.py`: what the person does there (approve, revoke, mail, answer, kill).
- `static/`: the page itself, one HTML, one script, one style sheet; nothing from elsewhere.
"""
