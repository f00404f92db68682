"""Errors every command may raise; the output boundary turns them into TOON."""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


class AxiError(Exception):
    """A handled failure: printed as `error`, `code`, `help` with a non-zero exit."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, code: str = "ERROR", help: list[str] | None = None,
                 **extra: object):
        super().__init__(message)
        self.message = message
        self.code = code
        self.help = help or []
        self.extra = extra

    def payload(self) -> dict:
        data: dict = {"error": self.message, "code": self.code}
        data.update(self.extra)
        if self.help:
            data["help"] = self.help
        return data


class UsageFault(AxiError):
    """Bad flags, arguments or values: exit 2."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, help: list[str] | None = None, **extra: object):
        super().__init__(message, code="USAGE", help=help, **extra)


class NotFound(AxiError):
    def __init__(self, message: str, help: list[str] | None = None, **extra: object):
        super().__init__(message, code="NOT_FOUND", help=help, **extra)
