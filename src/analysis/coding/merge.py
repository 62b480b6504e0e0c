"""Reading filled coding sheets into the corpus's annotations (``code-in``).

Every row is checked before anything is written: the sheet was drawn from this corpus, the
paragraph was drawn for that sheet, its check value (the fingerprint of its text) is as drawn
and the corpus still has that text, every theme is 0 or 1 (or the whole row empty: not coded
yet), the coder is the sheet's. Then the coders' codes are merged into
``annotations_coders.csv`` (one row per paragraph and coder; another coder's rows are never
touched, the same answer read twice changes nothing, a changed answer replaces the old one
and is reported) and each touched paragraph's codes into ``annotations.csv`` (what the methods
are fitted and judged on): an adjudicator's codes where there are any, else the coders'
(their majority; a tie goes to the coder who was read in first, until adjudicated). Rows that
``annotations.csv`` had before the coding loop (no ``basis``) are kept as they are unless an
adjudicator codes them.

Both files are written whole (a temporary file renamed into place) under the corpus's lock,
and the previous versions are kept in ``coding/backup/``.

Usage::

    from analysis.coding.merge import code_in
    done = code_in([Path("corpus/coding/anna-2026-12-04.xlsx")], Path("corpus"), segments, codebook)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.base.errors import InputError, Problem
from analysis.coding.register import (ADJUDICATION, corpus_lock, csv_bytes, load_register, write_atomically)
from analysis.coding.sheets import _headings, read_sheet

ONE_CODER, AGREED, MAJORITY, ADJUDICATED = ("one coder", "coders agree",
                                            "coders disagree: majority, a tie by the first coder read in",
                                            "adjudicated")


@dataclass
class CodedIn:
    """What :func:`code_in` did."""

    coded: int = 0            # rows with codes read
    uncoded: int = 0          # rows left empty (not coded yet)
    new: int = 0              # coder rows added
    unchanged: int = 0        # coder rows read again with the same codes
    changed: list[str] = field(default_factory=list)   # one line per replaced answer
    skipped: list[Problem] = field(default_factory=list)
    backups: list[Path] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


def parse_code(value) -> int | None | str:
    """A cell's code: 0, 1, None (empty), or the text as written when it is neither."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        if value != value:
            return None
        return int(value) if float(value) in (0.0, 1.0) else str(value)
    text = str(value).strip()
    if text == "":
        return None
    if text in ("0", "1", "0.0", "1.0", "0,0", "1,0"):
        return int(float(text.replace(",", ".")))
    return text


def check_rows(table: pd.DataFrame, label: str, register: pd.DataFrame, current: set[str], codebook
               ) -> tuple[pd.DataFrame, list[Problem]]:
    """Check a sheet's rows; return the coded rows (sheet, coder, fingerprint, themes, note) and
    the problems (one line each, naming the sheet's row)."""
    keys = codebook.keys
    heading = _headings(codebook, "da")
    problems: list[Problem] = []
    drawn = register.set_index(["sheet", "segment_id"])
    sheets = set(register["sheet"])
    named = set(table["sheet"]) - {""}
    if named and not named & sheets:
        return table.iloc[:0], [Problem(label, f"sheet {', '.join(sorted(named))} was not drawn from this corpus "
                                        "(it is not in coding/sample.csv)",
                                        fix="read it into the corpus it was drawn from (code-in --corpus FOLDER)")]
    seen: dict[tuple, int] = {}
    good = []
    for r in table.itertuples(index=False):
        row = r._asdict()
        line = row["row"]
        sheet, sid = row["sheet"], row["segment_id"]
        if not sheet or sheet not in sheets:
            problems.append(Problem(label, f"'{heading['sheet']}' is {sheet!r}, not a sheet of this corpus", line=line,
                                    fix="restore the column as the sheet was written"))
            continue
        if (sheet, sid) not in drawn.index:
            problems.append(Problem(label, f"paragraph {sid!r} was not drawn for sheet {sheet} (a row added or an id "
                                    "changed?)", line=line, fix="delete the row, or restore its id"))
            continue
        if (sheet, sid) in seen:
            problems.append(Problem(label, f"paragraph {sid} is in the sheet twice (also line {seen[sheet, sid]})",
                                    line=line, fix="delete one of the rows"))
            continue
        seen[sheet, sid] = line
        entry = drawn.loc[(sheet, sid)]
        if row["fingerprint"] != entry["fingerprint"]:
            problems.append(Problem(label, f"the '{heading['fingerprint']}' value of paragraph {sid} was changed",
                                    line=line, fix=f"restore it to {entry['fingerprint']}"))
            continue
        if row["coder"] != entry["coder"]:
            problems.append(Problem(label, f"'{heading['coder']}' is {row['coder']!r}, but sheet {sheet} was drawn "
                                    f"for {entry['coder']!r}", line=line,
                                    fix=f"restore it to {entry['coder']}; a second coder gets a sheet of their own "
                                        "(sample --coder NAME --overlap N)"))
            continue
        codes = {k: parse_code(row.get(k)) for k in keys}
        bad = [f"'{heading[k]}' is {v!r}" for k, v in codes.items() if isinstance(v, str)]
        if bad:
            problems.append(Problem(label, "; ".join(bad) + ", not 0 or 1", line=line,
                                    fix="write 1 when the paragraph is about the theme and 0 when not (leave the "
                                        "whole row empty if it is not coded yet)"))
            continue
        filled = [k for k, v in codes.items() if v is not None]
        base = {"sheet": sheet, "segment_id": sid, "fingerprint": entry["fingerprint"], "coder": entry["coder"],
                "part": entry["part"], "note": row["note"]}
        if not filled:
            good.append({**base, "coded": False, **{k: 0 for k in keys}})
            continue
        if len(filled) < len(keys):
            empty = [heading[k] for k in keys if codes[k] is None]
            problems.append(Problem(label, f"{len(filled)} of {len(keys)} themes coded ({', '.join(empty)} empty)",
                                    line=line, fix="code every theme 0 or 1, or leave the whole row empty"))
            continue
        if entry["fingerprint"] not in current:
            problems.append(Problem(label, f"paragraph {sid} has changed in the corpus since it was drawn (its text is "
                                    "no longer there)", line=line,
                                    fix="its codes would describe a text that is gone: leave the row empty, and draw "
                                        "new paragraphs with `sample`"))
            continue
        good.append({**base, "coded": True, **{k: int(codes[k]) for k in keys}})
    for sheet in sorted(named & sheets):
        wanted = register[register["sheet"] == sheet]
        present = {sid for (s, sid) in seen if s == sheet}
        gone = [sid for sid in wanted["segment_id"] if sid not in present]
        if gone:
            problems.append(Problem(label, f"{len(gone)} of the {len(wanted)} paragraphs drawn for sheet {sheet} are "
                                    f"not in it (first: {gone[0]})",
                                    fix="put the rows back (leave them empty if not coded yet), or read the rest "
                                        "with --skip-bad"))
    columns = ["sheet", "segment_id", "fingerprint", "coder", "part", "coded", "note", *keys]
    return pd.DataFrame(good, columns=columns), problems


def _read_csv(path: Path, columns: list[str]) -> tuple[pd.DataFrame, bool]:
    """An annotations file (empty with ``columns`` when absent) and whether it starts with a BOM."""
    if not path.is_file():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns}), True
    raw = path.read_bytes()
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for c in columns:
        if c not in table:
            table[c] = ""
    return table, raw.startswith(b"\xef\xbb\xbf")


def _bytes(table: pd.DataFrame, bom: bool) -> bytes:
    data = csv_bytes(table)
    return data if bom else data.removeprefix(b"\xef\xbb\xbf")


def merge_codes(rows: pd.DataFrame, coders: pd.DataFrame, final: pd.DataFrame, keys: list[str],
                current_ids: dict[str, str], adjudication_sheets: set[str]) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                                     CodedIn]:
    """Merge checked coded rows into the coders' table and the final annotations (both as
    strings, as read from disk); ``adjudication_sheets`` are the sheets drawn for an adjudicator.
    Return the new tables and what changed."""
    done = CodedIn()
    coders = coders.copy()
    coders["_role"] = np.where(coders["sheet"].isin(adjudication_sheets), ADJUDICATION, "")
    index = {(f, c, r): i for i, (f, c, r) in enumerate(zip(coders["fingerprint"], coders["coder"], coders["_role"]))}
    touched = []
    new_rows = []
    for r in rows[rows["coded"]].itertuples(index=False):
        done.coded += 1
        r = r._asdict()
        who = ADJUDICATION if r["part"] == ADJUDICATION else ""
        values = {"segment_id": current_ids.get(r["fingerprint"], r["segment_id"]), "fingerprint": r["fingerprint"],
                  "coder": r["coder"], **{k: str(r[k]) for k in keys}, "note": r["note"], "sheet": r["sheet"],
                  "_role": who}
        key = (r["fingerprint"], r["coder"], who)
        touched.append(r["fingerprint"])  # every paragraph read is derived again (a half-done read heals)
        if key in index and index[key] >= len(coders):  # the same paragraph twice in this read
            new_rows[index[key] - len(coders)] = values
            continue
        if key in index:
            i = index[key]
            old = coders.iloc[i]
            differ = [k for k in keys if str(old[k]) != values[k]]
            if not differ and str(old["note"]) == values["note"]:
                done.unchanged += 1
                continue
            if differ:
                done.changed.append(f"{values['segment_id']} ({r['coder']}): " + ", ".join(
                    f"{k} {old[k]} -> {values[k]}" for k in differ))
            for c, v in values.items():
                coders.iat[i, coders.columns.get_loc(c)] = v
        else:
            index[key] = len(coders) + len(new_rows)
            new_rows.append(values)
            done.new += 1
    done.uncoded = int((~rows["coded"]).sum())
    if new_rows:
        coders = pd.concat([coders, pd.DataFrame(new_rows)], ignore_index=True)
    final = final.copy()
    for fingerprint in dict.fromkeys(touched):
        derived = derive(coders[coders["fingerprint"] == fingerprint], keys)
        derived["segment_id"] = current_ids.get(fingerprint, derived["segment_id"])
        at = np.flatnonzero(final["fingerprint"].to_numpy() == fingerprint)
        if len(at):
            before = final.iloc[at[0]]
            if not str(before.get("basis", "")) and derived["basis"] != ADJUDICATED:
                continue  # coded before the coding loop: kept unless adjudicated
            for c, v in derived.items():
                final.iat[at[0], final.columns.get_loc(c)] = v
        else:
            final = pd.concat([final, pd.DataFrame([derived])], ignore_index=True)
    return coders.drop(columns=["_role"]), final, done


def derive(rows: pd.DataFrame, keys: list[str]) -> dict:
    """A paragraph's codes from its coders' rows (``_role`` marks an adjudicator's)."""
    judge = rows[rows["_role"] == ADJUDICATION]
    coding = rows[rows["_role"] != ADJUDICATION]
    names = list(dict.fromkeys(coding["coder"]))
    notes = "; ".join(f"{c}: {n}" for c, n in zip(rows["coder"], rows["note"]) if str(n).strip())
    if len(judge):
        codes = {k: str(judge[k].iat[-1]) for k in keys}
        basis, who = ADJUDICATED, "+".join(names) + f", adjudicated by {judge['coder'].iat[-1]}"
    else:
        values = coding[keys].astype(int).to_numpy()
        ones = values.sum(axis=0)
        majority = np.where(ones * 2 > len(values), 1, np.where(ones * 2 < len(values), 0, values[0]))
        codes = {k: str(int(v)) for k, v in zip(keys, majority)}
        basis = ONE_CODER if len(values) == 1 else AGREED if (values == values[0]).all() else MAJORITY
        who = "+".join(names)
    return {"segment_id": rows["segment_id"].iat[0], "fingerprint": rows["fingerprint"].iat[0], **codes,
            "coder": who, "note": notes, "basis": basis}


def code_in(paths: list[Path], corpus: Path, segments: pd.DataFrame, codebook, skip_bad: bool = False) -> CodedIn:
    """Check every row of every sheet, then merge the good ones into the corpus's annotations.

    Raises
    ------
    InputError
        Listing every problem, when there are problems and ``skip_bad`` is False (then nothing
        is written).
    """
    corpus = Path(corpus)
    keys = codebook.keys
    with corpus_lock(corpus):
        register = load_register(corpus)
        if register.sample.empty:
            raise InputError(Problem(str(corpus / "coding" / "sample.csv"), "this corpus has no sample register",
                                     fix="draw paragraphs with `python -m analysis sample` first (or give --corpus "
                                         "the corpus the sheet was drawn from)"))
        current = set(segments["fingerprint"])
        current_ids = dict(zip(segments["fingerprint"][::-1], segments["segment_id"][::-1]))  # first id wins
        parts, problems, read_from = [], [], {}
        for path in paths:
            try:
                table = read_sheet(Path(path), codebook)
            except InputError as exc:
                problems += exc.problems
                continue
            rows, found = check_rows(table, str(path), register.sample, current, codebook)
            problems += found
            twice = [s for s in dict.fromkeys(rows["sheet"]) if s in read_from]
            for sheet in twice:  # one sheet given twice (the .xlsx and a CSV saved from it, say)
                problems.append(Problem(str(path), f"sheet {sheet} is read in already from {read_from[sheet]}",
                                        fix="give each sheet once"))
            read_from.update({s: str(path) for s in rows["sheet"] if s not in read_from})
            parts.append(rows[~rows["sheet"].isin(twice)])
        if problems and not skip_bad:
            raise InputError(problems)
        rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        if rows.empty:
            raise InputError(problems or [Problem(", ".join(map(str, paths)), "no rows to read in",
                                                  fix="give filled coding sheets")])
        coder_columns = ["segment_id", "fingerprint", "coder", *keys, "note", "sheet"]
        final_columns = ["segment_id", "fingerprint", *keys, "coder", "note", "basis"]
        coders_path, final_path = corpus / "annotations_coders.csv", corpus / "annotations.csv"
        coders, coders_bom = _read_csv(coders_path, coder_columns)
        final, final_bom = _read_csv(final_path, final_columns)
        judged = set(register.sample.loc[register.sample["part"] == ADJUDICATION, "sheet"])
        coders, final, done = merge_codes(rows, coders, final, keys, current_ids, judged)
        done.skipped = problems
        files = {coders_path: _bytes(coders, coders_bom), final_path: _bytes(final, final_bom)}
        done.written, done.backups = write_atomically(files, corpus)
    return done
