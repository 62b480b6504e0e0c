"""The real-text check set: build its label files, put its texts back, and score the methods on it.

The project keeps only labels, page addresses, first words, word counts and hashes
(``eval/realtext/``); the texts stay in a folder outside the repository.

    python tools/realtext.py build SRC          # SRC: paragraphs.jsonl + codes_*_A.csv, codes_*_B.csv
                                                #      (+ adjudication.csv) -> eval/realtext/
    python tools/realtext.py rebuild SRC DEST   # every file of SRC with texts -> DEST/texts.jsonl (checked by hash)
    python tools/realtext.py score TEXTS [--corpus corpus] [--config config.yaml] [--out DIR]
                                         [--half tuning|locked] [--record]

``build`` reads the collected paragraphs (JSON lines: id, url, title, register, municipality,
text) and the two coders' files (``codes_<part>_<coder>.csv``: id, one 0/1 column per theme,
note). Where the coders agree their code stands; where they differ, ``adjudication.csv`` (id,
theme, code), from a third coder who read only the disputed cases, decides.

``score`` fits every method on the train pool of the corpus (the development set's train split
and the corpus's own coding) exactly as a run does, scores it on the check set, and prints F1 per
theme, the macro averages and the share of no-theme paragraphs left uncoded.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from analysis.base.config import load_config  # noqa: E402
from analysis.themes.checkset import attach_texts, describe, load_check_set, misses, read_texts, score_check_set, text_hash  # noqa: E402,E501
from analysis.themes.lexicon import load_codebook  # noqa: E402

EVAL = ROOT / "eval" / "realtext"


def build(src: Path, keys: list[str]) -> None:
    rows = [json.loads(line) for line in (src / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    coders = []
    for path in sorted(src.glob("codes_*_*.csv")):
        coder = path.stem.rsplit("_", 1)[1]
        table = pd.read_csv(path, dtype={"id": str}, encoding="utf-8-sig")
        coders.append(table.assign(coder=coder)[["id", "coder", *keys]])
    coded = pd.concat(coders, ignore_index=True)
    ids = {r["id"] for r in rows}
    both = coded.groupby("id")["coder"].nunique()
    missing = sorted(ids - set(both[both == 2].index))
    if missing:
        sys.exit(f"error: {src}: {len(missing)} paragraph(s) lack two coders' codes ({', '.join(missing[:5])}); "
                 "code them, or drop them from paragraphs.jsonl")
    a = coded[coded["coder"] == "A"].set_index("id")[keys]
    b = coded[coded["coder"] == "B"].set_index("id").reindex(a.index)[keys]
    final = a.where(a == b)
    adjudicated = src / "adjudication.csv"
    if adjudicated.exists():
        for r in pd.read_csv(adjudicated, dtype={"id": str}, encoding="utf-8-sig").itertuples(index=False):
            if pd.isna(final.at[r.id, r.theme]):
                final.at[r.id, r.theme] = int(r.code)
    open_cases = int(final.isna().to_numpy().sum())
    if open_cases:
        sys.exit(f"error: {src}: {open_cases} disputed code(s) without a decision; add them to adjudication.csv "
                 "(id, theme, code)")
    EVAL.mkdir(parents=True, exist_ok=True)
    order = [r["id"] for r in rows]
    describe(rows, load_config(None)["seed"]).to_csv(EVAL / "paragraphs.csv", index=False, encoding="utf-8", lineterminator="\n")
    coded.sort_values(["id", "coder"]).to_csv(EVAL / "annotations_coders.csv", index=False, encoding="utf-8",
                                               lineterminator="\n")
    final.astype(int).reindex(order).reset_index().to_csv(EVAL / "annotations.csv", index=False, encoding="utf-8",
                                                            lineterminator="\n")
    print(f"{len(rows)} paragraphs from {len({r['url'] for r in rows})} pages; "
          f"{int((a != b).to_numpy().sum())} of {a.size} codes disputed -> {EVAL}")


def rebuild(src: Path, dest: Path, keys: list[str]) -> None:
    labels = load_check_set(EVAL, keys)
    wanted = dict(zip(labels["sha256"], labels["id"]))
    found = {}
    for path in sorted(src.rglob("*.jsonl")):
        try:
            texts = read_texts(path)
        except Exception:  # noqa: BLE001 - a file that is not the collector's format is skipped
            continue
        for text in texts.values():
            pid = wanted.get(text_hash(text))
            if pid is not None:
                found.setdefault(pid, text)
    dest.mkdir(parents=True, exist_ok=True)
    with open(dest / "texts.jsonl", "w", encoding="utf-8") as f:
        for pid in labels["id"]:
            if pid in found:
                f.write(json.dumps({"id": pid, "text": found[pid]}, ensure_ascii=False) + "\n")
    lost = labels[~labels["id"].isin(found)]
    print(f"{len(found)} of {len(labels)} texts -> {dest / 'texts.jsonl'}")
    for r in lost.itertuples(index=False):
        print(f"  missing {r.id}: {r.url} (begins {r.first_words!r})")


def score(texts: Path, corpus: Path, config: Path | None, out: Path | None, record: bool = False,
          half: str = "both") -> None:
    from analysis.base.paths import cache_dir
    from analysis.pipeline import run_pipeline
    from analysis.themes.measure import score_by_document, theme_features, training_data

    cfg = load_config(config)
    book = load_codebook(cfg["themes"]["codebook"])
    frame = attach_texts(load_check_set(EVAL, book.keys), texts)
    if half != "both":  # while growing the codebook only the tuning half is read; the locked half is scored once
        frame = frame[frame["half"] == half].reset_index(drop=True)
    work = out or Path("outputs")
    result = run_pipeline(corpus, work, config, progress=False)
    # the run's own per-document lexicon cache: the scores it has just made are read, not made again
    scores, *_ = score_by_document(result.segments, result.tokens, book, cfg["themes"]["lexicon_threshold"],
                                   result.stats.get("doc_keys"), cache_dir(work) / "lexicon")
    features = theme_features(result.segments, scores)
    train, _, _, _ = training_data(features, result.segments, cfg, book, corpus, cache_dir(work))
    table, checks, predictions = score_check_set(frame, cfg, book, train, cache_dir(work) / "checkset")
    print(f"check set: {len(frame)} paragraphs of real text from {frame['url'].nunique()} pages, "
          f"coded blind by two coders (never fitted on; the codebook may be grown by reading the tuning half, "
          f"whose figures are then in-sample); methods fitted on {len(train)} segments")
    for split, part in table.groupby("split", sort=False):
        print(f"\n{split} ({int(part['n_segments'].max())} paragraphs from {int(part['n_groups'].max())} pages):")
        print(part.pivot_table(index="theme", columns="method", values="f1", sort=False)
              .to_string(float_format=lambda v: f"{v:.2f}"))
    print(checks[["method", "check", "value", "n"]].to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    chosen = result.stats.get("theme_method")
    print(f"in use in a run of {corpus}: {chosen}")
    if record:
        from analysis.themes.checkset import SCORES, record_key

        if half != "both":
            sys.exit("error: --record scores both halves; leave out --half")

        key = record_key(book.fingerprint, result.stats["annotations_fingerprint"], cfg)
        recorded = table[table["method"].isin(["lexicon", "model", "combined"])].copy()
        recorded.insert(0, "key", key)
        recorded["n_folds"] = 0
        recorded.to_csv(EVAL / SCORES, index=False, encoding="utf-8", lineterminator="\n")
        print(f"recorded for key {key} in {EVAL / SCORES}")
    if out:
        table.to_csv(out / "checkset.csv", index=False, encoding="utf-8", lineterminator="\n")
        checks.to_csv(out / "checkset_checks.csv", index=False, encoding="utf-8", lineterminator="\n")
        pd.concat([misses(frame, p, book.keys).assign(method_name=m) for m, p in predictions.items()]).to_csv(
            out / "checkset_misses.csv", index=False, encoding="utf-8", lineterminator="\n")
        print(f"written to {out}/checkset.csv (and checkset_checks.csv, checkset_misses.csv)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("src", type=Path)
    r = sub.add_parser("rebuild")
    r.add_argument("src", type=Path)
    r.add_argument("dest", type=Path)
    s = sub.add_parser("score")
    s.add_argument("texts", type=Path)
    s.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    s.add_argument("--config", type=Path, default=None)
    s.add_argument("--out", type=Path, default=None)
    s.add_argument("--half", choices=["both", "tuning", "locked"], default="both",
                   help="score one half only: 'tuning' while growing the codebook (the locked half stays unread)")
    s.add_argument("--record", action="store_true",
                   help="write the figures to eval/realtext/scores.csv: runs with this codebook, hand coding and "
                        "settings then show them, and the reports judge the themes by them")
    args = parser.parse_args()
    keys = load_codebook(load_config(None)["themes"]["codebook"]).keys
    if args.command == "build":
        build(args.src, keys)
    elif args.command == "rebuild":
        rebuild(args.src, args.dest, keys)
    else:
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
        score(args.texts, args.corpus, args.config, args.out, args.record, args.half)


if __name__ == "__main__":
    main()
