"""The run's result type and the rule for runs that share an output folder.

Usage::

    from analysis.base.result import RunResult
    result = RunResult(documents, segments, tokens)
    result.extra["clusters"] = table  # every stage adds its tables here
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from analysis.base.errors import Problem

#: Seconds a run waits for another run writing to the same output folder.
WRITE_LOCK_TIMEOUT = 1800


@dataclass
class RunResult:
    """What a run produced: the tables (also written to ``OUT/tables``) and its figures."""

    documents: pd.DataFrame
    segments: pd.DataFrame
    tokens: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)  # more tables: CSV, Parquet and a sheet in analysis.xlsx
    parquet_only: dict = field(default_factory=dict)  # large working tables: Parquet only
    working: dict = field(default_factory=dict)  # values one stage hands to a later one (never written)
