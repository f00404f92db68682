"""What flows through a read of transcripts: a `Job` (a file, and where to read it from) and
the `Parsed` result `axi.index.ingest` makes of it, which `axi.index.writes` stores."""

from __future__ import annotations

from axi.harnesses.base import SearchText, SessionSummary


class Job:
    """A file to read from byte `start` (with the parser `state` saved at that offset).

    `text_at` is where the file's stored search text ends; a job `for_texts` reads the file
    only for the search text from there to `size` (the offset its summary was read to)."""

    __slots__ = ("harness", "path", "size", "mtime_ns", "inode", "start", "state", "text_at",
                 "for_texts")

    def __init__(self, harness: str, path: str, size: int, mtime_ns: int, inode: int,
                 start: int, state: dict | None, text_at: int = 0, for_texts: bool = False):
        self.harness, self.path, self.size = harness, path, size
        self.mtime_ns, self.inode, self.start, self.state = mtime_ns, inode, start, state
        self.text_at, self.for_texts = text_at, for_texts

    def keeps_texts(self, bulk: bool) -> bool:
        """Whether reading this job gathers search text: not in a cold index (`bulk`: a second
        pass reads it), and only where the file's stored text reaches the job's start."""
        return self.for_texts or not bulk and (self.start == 0 or self.text_at == self.start)


class Parsed:
    def __init__(self, job: Job, offset: int, state: dict, summary: SessionSummary | None,
                 texts: list[SearchText], error: str | None = None, with_texts: bool = True):
        self.job, self.offset, self.state = job, offset, state
        self.summary, self.texts, self.error = summary, texts, error
        self.with_texts = with_texts

    def text_at(self) -> int:
        """Where the file's stored search text ends once this is stored."""
        if self.with_texts:
            return self.offset
        return self.job.text_at if self.job.start else 0
