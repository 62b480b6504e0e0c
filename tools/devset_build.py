"""Build the development set (corpus/dev/) from written segments and two blind codings.

How the shipped development set was made, and how a research group can grow it:

1. ``batches RAW OUT``: read the written segments (JSON lines, one object per segment with
   municipality, doc_type, year, title, section, text and the writer's kind, trap_kind,
   intended and passing) from ``RAW/*.jsonl``; write ``OUT/batch_<name>.csv`` for the coders
   with only what a coder may see (item_id, municipality, doc_type, title, section, text).
2. Two coders code every batch independently from ``docs/codebook.md`` alone, blind to the
   lexicon, to the writer's intent and to each other, into ``CODED/A_<name>.csv`` and
   ``CODED/B_<name>.csv`` (item_id, one 0/1 column per theme, note).
3. ``disagreements RAW CODED OUT``: write ``OUT/disagreements_<name>.csv`` for an adjudicator.
4. An adjudicator decides every disagreement from the codebook into
   ``ADJ/adjudicated_<name>.csv`` (item_id, theme, final, note).
5. ``assemble RAW CODED ADJ DEV``: write ``DEV/segments.csv`` (with the split by municipality),
   ``DEV/annotations.csv`` and ``DEV/annotations_coders.csv``, and print agreement per theme.
6. ``extend RAW CODED ADJ DEV``: the same for new segments, added to an existing ``DEV/``: its rows
   and splits stay as they are; a new municipality gets a split of its own (seeded, 30 % test),
   one already in ``DEV/`` keeps its split. Segments whose text is already there are refused.

Usage::

    python tools/devset_build.py batches /path/raw /path/coding
    python tools/devset_build.py assemble /path/raw /path/coded /path/adjudicated corpus/dev
    python tools/devset_build.py extend /path/raw2 /path/coded2 /path/adjudicated2 corpus/dev
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

import pandas as pd

from analysis.base.config import load_config
from analysis.corpus.metadata import resolve_municipality
from analysis.corpus.segment import fingerprint_text
from analysis.themes.devset import assign_split
from analysis.themes.validation import agreement

KEYS = ["bolig", "sundhed", "beskaeftigelse", "recovery", "faellesskab", "inddragelse", "forebyggelse",
        "koordinering"]
CORE = KEYS[:4]


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name.replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
                                       .replace("Æ", "Ae").replace("Ø", "Oe").replace("Å", "Aa"))
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.encode("ascii", "ignore").decode().lower()).strip("-")


_BULLET = re.compile(r"^\s*[-•*–]\s")


def _unwrapped(text: str) -> str:
    """The text with its whitespace tidied: a line that does not start a bullet continues the one
    before it (a writer's hard line wrap), bullets keep a line each ("- item")."""
    lines: list[str] = []
    for part in text.strip().splitlines():
        if not part.strip():
            continue
        if _BULLET.match(part):
            lines.append("- " + " ".join(_BULLET.sub("", part).split()))
        elif lines:
            lines[-1] += " " + " ".join(part.split())
        else:
            lines.append(" ".join(part.split()))
    return "\n".join(lines)


def read_raw(raw: Path) -> pd.DataFrame:
    """All written segments, with item ids ``<batch>-<nnn>`` as the writers gave them."""
    rows = []
    for path in sorted(raw.glob("*.jsonl")):
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            obj = json.loads(line)
            official = resolve_municipality(obj["municipality"])
            if official is None:
                sys.exit(f"{path}:{line_no}: unknown municipality {obj['municipality']!r}")
            text = _unwrapped(str(obj["text"]))
            rows.append({"item_id": obj["id"], "batch": path.stem, "municipality": official,
                         "doc_type": obj.get("doc_type", "andet"), "year": obj.get("year", ""),
                         "title": obj.get("title", ""), "section": obj.get("section", "") or "", "text": text,
                         "kind": obj.get("kind", ""), "trap_kind": obj.get("trap_kind", "") or "",
                         "intended": " ".join(obj.get("intended") or []), "passing": " ".join(obj.get("passing") or []),
                         "register": obj.get("register", "") or ""})
    return pd.DataFrame(rows)


def batches(raw: Path, out: Path) -> None:
    """Coding files with only what a coder may see."""
    table = read_raw(raw)
    out.mkdir(parents=True, exist_ok=True)
    for name, part in table.groupby("batch", sort=True):
        part[["item_id", "municipality", "doc_type", "title", "section", "text"]].to_csv(
            out / f"batch_{name}.csv", index=False, encoding="utf-8")
        print(f"{out / f'batch_{name}.csv'}: {len(part)} segments")


def _coded(coded: Path, coder: str, name: str) -> pd.DataFrame:
    table = pd.read_csv(coded / f"{coder}_{name}.csv", dtype={"item_id": str}, keep_default_na=False)
    for k in KEYS:
        table[k] = table[k].astype(int)
    return table.set_index("item_id")


def disagreements(raw: Path, coded: Path, out: Path) -> None:
    """For the adjudicator: each segment on which the coders differ, with both codings and notes."""
    table = read_raw(raw)
    out.mkdir(parents=True, exist_ok=True)
    for name, part in table.groupby("batch", sort=True):
        a, b = _coded(coded, "A", name), _coded(coded, "B", name)
        rows = []
        for r in part.itertuples(index=False):
            differ = [k for k in KEYS if a.at[r.item_id, k] != b.at[r.item_id, k]]
            if differ:
                rows.append({"item_id": r.item_id, "section": r.section, "text": r.text,
                             "themes_in_dispute": " ".join(differ),
                             "coder_1_codes": " ".join(k for k in KEYS if a.at[r.item_id, k]),
                             "coder_1_note": a.at[r.item_id, "note"],
                             "coder_2_codes": " ".join(k for k in KEYS if b.at[r.item_id, k]),
                             "coder_2_note": b.at[r.item_id, "note"]})
        pd.DataFrame(rows).to_csv(out / f"disagreements_{name}.csv", index=False, encoding="utf-8")
        print(f"{out / f'disagreements_{name}.csv'}: {len(rows)} segments")


COLUMNS = ["segment_id", "municipality", "doc_type", "year", "title", "section", "text", "split", "kind",
           "trap_kind", "passing", "register"]


def assemble(raw: Path, coded: Path, adjudicated: Path, dev: Path) -> None:
    """Write corpus/dev/ and print the coders' agreement per theme."""
    table = read_raw(raw)
    seed = load_config(None)["seed"]
    split = assign_split(table["municipality"], seed)
    n_by_muni = table.groupby("municipality").cumcount() + 1
    table["segment_id"] = [f"dev-{_slug(m)}:{n:03d}" for m, n in zip(table["municipality"], n_by_muni)]
    table["split"] = table["municipality"].map(split)
    table["fingerprint"] = table["text"].map(fingerprint_text)
    final, coders = _codes(table, coded, adjudicated)
    _write(dev, table, final, coders)


def extend(raw: Path, coded: Path, adjudicated: Path, dev: Path) -> None:
    """Add new segments to an existing corpus/dev/, keeping its rows and splits."""
    old = pd.read_csv(dev / "segments.csv", dtype=str, keep_default_na=False)
    old_final = pd.read_csv(dev / "annotations.csv", dtype=str, keep_default_na=False)
    old_coders = pd.read_csv(dev / "annotations_coders.csv", dtype=str, keep_default_na=False)
    table = read_raw(raw)
    table["fingerprint"] = table["text"].map(fingerprint_text)
    seen = set(old["text"].map(fingerprint_text))
    again = table[table["fingerprint"].isin(seen)]
    if len(again):
        sys.exit(f"{raw}: {len(again)} segment(s) already in {dev} (first: {again['item_id'].iat[0]}); drop them")
    known = old.groupby("municipality")["split"].first().to_dict()
    new = sorted(set(table["municipality"]) - set(known))
    split = {**assign_split(new, load_config(None)["seed"]), **known}
    table["split"] = table["municipality"].map(split)
    start = old.groupby("municipality").size().to_dict()
    n_by_muni = table.groupby("municipality").cumcount() + 1
    table["segment_id"] = [f"dev-{_slug(m)}:{start.get(m, 0) + n:03d}" for m, n in zip(table["municipality"], n_by_muni)]
    final, coders = _codes(table, coded, adjudicated)
    if "register" not in old:
        old["register"] = ""
    both = pd.concat([old, table[COLUMNS].astype(str)], ignore_index=True)
    _write(dev, both, pd.concat([old_final, pd.DataFrame(final).astype(str)], ignore_index=True),
           pd.concat([old_coders, pd.DataFrame(coders).astype(str)], ignore_index=True), added=table)


def _codes(table: pd.DataFrame, coded: Path, adjudicated: Path) -> tuple[list, list]:
    """The two coders' codes and the final codes (agreed, or adjudicated) of each segment."""
    coders, final = [], []
    for name, part in table.groupby("batch", sort=True):
        a, b = _coded(coded, "A", name), _coded(coded, "B", name)
        adj_path = adjudicated / f"adjudicated_{name}.csv"
        adj = pd.read_csv(adj_path, dtype={"item_id": str}, keep_default_na=False) if adj_path.exists() else \
            pd.DataFrame(columns=["item_id", "theme", "final", "note"])
        decided = {(r.item_id, r.theme): (int(r.final), r.note) for r in adj.itertuples(index=False)}
        for r in part.itertuples(index=False):
            base = {"segment_id": r.segment_id, "fingerprint": r.fingerprint}
            coders.append({**base, "coder": "A", **{k: a.at[r.item_id, k] for k in KEYS}, "note": a.at[r.item_id, "note"]})
            coders.append({**base, "coder": "B", **{k: b.at[r.item_id, k] for k in KEYS}, "note": b.at[r.item_id, "note"]})
            codes, notes = {}, []
            for k in KEYS:
                if a.at[r.item_id, k] == b.at[r.item_id, k]:
                    codes[k] = int(a.at[r.item_id, k])
                elif (r.item_id, k) in decided:
                    codes[k], note = decided[(r.item_id, k)]
                    notes.append(f"{k}: {note}")
                else:
                    sys.exit(f"{adj_path}: no decision for {r.item_id} theme {k}")
            final.append({**base, **codes, "coder": "A+B, adjudicated" if notes else "A+B",
                          "note": " | ".join(notes) if notes else str(a.at[r.item_id, "note"])})
    return final, coders


def _write(dev: Path, table: pd.DataFrame, final, coders, added: pd.DataFrame | None = None) -> None:
    dev.mkdir(parents=True, exist_ok=True)
    if "register" not in table:
        table["register"] = ""
    table[COLUMNS].to_csv(dev / "segments.csv", index=False, encoding="utf-8")
    pd.DataFrame(final)[["segment_id", "fingerprint", *KEYS, "coder", "note"]].to_csv(
        dev / "annotations.csv", index=False, encoding="utf-8")
    both = pd.DataFrame(coders)[["segment_id", "fingerprint", "coder", *KEYS, "note"]]
    both.to_csv(dev / "annotations_coders.csv", index=False, encoding="utf-8")
    scope = both if added is None else both[both["segment_id"].isin(added["segment_id"])]
    a = scope[scope["coder"] == "A"][KEYS].astype(int).to_numpy()
    b = scope[scope["coder"] == "B"][KEYS].astype(int).to_numpy()
    print(agreement(a, b, KEYS, CORE, method="A vs B")[["theme", "f1", "kappa", "support"]].to_string(index=False))
    shown = table if added is None else added
    counts = shown.groupby("split").agg(segments=("segment_id", "size"), municipalities=("municipality", "nunique"))
    print(counts.to_string())


if __name__ == "__main__":
    verb, *args = sys.argv[1:]
    {"batches": batches, "disagreements": disagreements, "assemble": assemble, "extend": extend}[verb](*map(Path, args))
