"""Hand-coded annotations: read and check an annotations file, and match it to the current segments.

Annotations live in ``<corpus>/annotations.csv`` (and in the development set): ``segment_id``,
``fingerprint`` (of the segment's words, so annotations survive re-segmentation), one 0/1
column per theme, ``coder`` and ``note``. They are matched to the current segments by
fingerprint.

Usage::

    from analysis.themes.annotations import load_annotations, match_annotations
    codes = load_annotations(Path("corpus/annotations.csv"), codebook.keys)
    matched, n_unmatched = match_annotations(codes, result.segments)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.base.errors import InputError, Problem


def load_annotations(path: Path, keys: list[str], label: str | None = None) -> pd.DataFrame:
    """Read and check an annotations file.

    Raises
    ------
    InputError
        Naming the file and line for missing columns, values other than 0/1 and duplicates.
    """
    label = label or str(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(Problem(label, f"not a valid CSV ({str(exc).splitlines()[0]})",
                                 fix="save it as UTF-8 CSV")) from None
    missing = [c for c in ["segment_id", "fingerprint", *keys] if c not in table.columns]
    if missing:
        raise InputError(Problem(label, f"missing column(s) {', '.join(missing)}", line=1,
                                 fix="the header needs segment_id, fingerprint and one column per theme"))
    problems = []
    for i, row in enumerate(table.itertuples(index=False), start=2):
        bad = [k for k in keys if getattr(row, k) not in ("0", "1")]
        if bad:
            problems.append(Problem(label, f"theme column(s) {', '.join(bad)} not 0 or 1", line=i,
                                    fix="code every theme as 0 or 1"))
    # The same text may stand in several documents (a repeated footer, a repeated list of plans): it
    # is coded once and its codes apply wherever it stands; two rows that code it differently clash.
    first_line: dict[str, int] = {}
    for i, row in enumerate(table.itertuples(index=False), start=2):
        if row.fingerprint in first_line:
            j = first_line[row.fingerprint]
            if any(getattr(row, k) != table[k].iat[j - 2] for k in keys):
                problems.append(Problem(label, f"segment {row.segment_id} has the same text as line {j} "
                                        "but other codes", line=i, fix="code the same text alike"))
        else:
            first_line[row.fingerprint] = i
    if problems:
        raise InputError(problems)
    table = table.drop_duplicates("fingerprint", keep="first").reset_index(drop=True)
    for k in keys:
        table[k] = table[k].astype(int)
    return table


def match_annotations(annotations: pd.DataFrame, segments: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Join annotations to the current segments by fingerprint; return them and the unmatched count."""
    current = segments[["segment_id", "doc_id", "fingerprint"]]
    joined = current.merge(annotations.drop(columns=["segment_id"]), on="fingerprint", how="inner")
    unmatched = int((~annotations["fingerprint"].isin(current["fingerprint"])).sum())
    return joined, unmatched
