"""'Did you mean' hints for misspelt names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """A sentence listing the known names, with the closest match first if there is one.

    >>> did_you_mean("sweep", ["sweeps", "cleanliness"])
    "did you mean 'sweeps'? Known: cleanliness, sweeps"
    """
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{hint}Known: {', '.join(known) or '(none)'}"
