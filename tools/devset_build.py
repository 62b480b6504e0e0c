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

Usage::

    python tools/devset_build.py batches /path/raw /path/coding
    python tools/devset_build.py assemble /path/raw /path/coded /path/adjudicated corpus/dev
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
            text = "\n".join(" ".join(part.split()) if not part.lstrip().startswith("- ")
                             else "- " + " ".join(part.lstrip()[2:].split())
                             for part in str(obj["text"]).strip().splitlines() if part.strip())
            rows.append({"item_id": obj["id"], "batch": path.stem, "municipality": official,
                         "doc_type": obj.get("doc_type", "andet"), "year": obj.get("year", ""),
                         "title": obj.get("title", ""), "section": obj.get("section", "") or "", "text": text,
                         "kind": obj.get("kind", ""), "trap_kind": obj.get("trap_kind", "") or "",
                         "intended": " ".join(obj.get("intended") or []), "passing": " ".join(obj.get("passing") or [])})
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


def assemble(raw: Path, coded: Path, adjudicated: Path, dev: Path) -> None:
    """Write corpus/dev/ and print the coders' agreement per theme."""
    table = read_raw(raw)
    seed = load_config(None)["seed"]
    split = assign_split(table["municipality"], seed)
    n_by_muni = table.groupby("municipality").cumcount() + 1
    table["segment_id"] = [f"dev-{_slug(m)}:{n:03d}" for m, n in zip(table["municipality"], n_by_muni)]
    table["split"] = table["municipality"].map(split)
    table["fingerprint"] = table["text"].map(fingerprint_text)
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
    dev.mkdir(parents=True, exist_ok=True)
    columns = ["segment_id", "municipality", "doc_type", "year", "title", "section", "text", "split", "kind",
               "trap_kind", "passing"]
    table[columns].to_csv(dev / "segments.csv", index=False, encoding="utf-8")
    pd.DataFrame(final)[["segment_id", "fingerprint", *KEYS, "coder", "note"]].to_csv(
        dev / "annotations.csv", index=False, encoding="utf-8")
    both = pd.DataFrame(coders)[["segment_id", "fingerprint", "coder", *KEYS, "note"]]
    both.to_csv(dev / "annotations_coders.csv", index=False, encoding="utf-8")
    a = both[both["coder"] == "A"][KEYS].to_numpy()
    b = both[both["coder"] == "B"][KEYS].to_numpy()
    print(agreement(a, b, KEYS, CORE, method="A vs B")[["theme", "f1", "kappa", "support"]].to_string(index=False))
    counts = table.groupby("split").agg(segments=("segment_id", "size"), municipalities=("municipality", "nunique"))
    print(counts.to_string())


if __name__ == "__main__":
    verb, *args = sys.argv[1:]
    {"batches": batches, "disagreements": disagreements, "assemble": assemble}[verb](*map(Path, args))
