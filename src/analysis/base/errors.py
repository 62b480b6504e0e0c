"""Errors that name the file, the row or line, what is wrong and how to fix it.

Usage::

    raise InputError(Problem("corpus/metadata.csv", "unknown municipality 'Gentofe'", line=3,
                             fix="use 'Gentofte'"))
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem with the input, printed as a single line.

    Parameters
    ----------
    path : str
        The file the problem is in, as the user named it.
    message : str
        What is wrong.
    line : int, optional
        Line (1-based, header is line 1) in a CSV, or line in a text file.
    fix : str, optional
        What to do about it.
    doc_id : str, optional
        The document the problem concerns, when known.
    """

    path: str
    message: str
    line: int | None = None
    fix: str | None = None
    doc_id: str | None = None

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path} line {self.line}"
        text = f"{where}: {self.message}"
        if self.fix:
            text += f"; {self.fix}"
        return text


class InputError(Exception):
    """One or more problems with the corpus, the config or the codebook."""

    def __init__(self, problems: Problem | list[Problem]):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(InputError):
    """A problem with the config file or the codebook."""


class OutputLocked(Exception):
    """Another run is writing to the same output folder (the message names the lock file)."""
