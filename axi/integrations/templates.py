"""Templates `axi setup hooks` fills in; they live in the repository's `hooks/` folder
(installed as data under `<prefix>/share/axi/hooks` by a wheel)."""

from __future__ import annotations

import os
import sys


def template(name: str) -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    for folder in (os.path.join(here, "..", "..", "hooks"),
                   os.path.join(sys.prefix, "share", "axi", "hooks")):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as fh:
                return fh.read()
    raise FileNotFoundError(f"axi's hook template {name} is missing from this install")
