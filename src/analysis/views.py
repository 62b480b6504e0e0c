"""What the notebooks show: the run's tables loaded in one object, and HTML views of them in
which every piece of corpus text is escaped (a document's "<script>" shows as text, runs nothing).

Usage::

    from analysis import views
    results = views.prepare("../corpus", "../outputs")
    views.show_table(results.documents)
"""

from __future__ import annotations

import html
import json
import numbers
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.tables import read_table
from analysis.themes import Codebook, load_codebook

TABLE_CSS = """<style>
.udsatte-table {border-collapse: collapse; font-size: 0.9em; margin: 0.5em 0}
.udsatte-table th, .udsatte-table td {border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left !important;
  vertical-align: top}
.udsatte-table td.num {text-align: right !important; font-variant-numeric: tabular-nums}
.udsatte-table th {background: #f3f3f3}
.passage {border-left: 4px solid #0072B2; padding: 4px 10px; margin: 8px 0; background: #fafafa}
.passage .meta {color: #555; font-size: 0.85em}
mark {background: #F0E442; padding: 0 2px}
</style>"""


@dataclass
class Results:
    """The tables of one run, the codebook and the run's metadata."""

    out: Path
    codebook: Codebook
    meta: dict
    documents: pd.DataFrame
    segments: pd.DataFrame
    matches: pd.DataFrame
    occurrences: pd.DataFrame
    clusters: pd.DataFrame
    profiles: pd.DataFrame
    differences: pd.DataFrame
    similarity: pd.DataFrame
    keyness: pd.DataFrame
    theme_terms: pd.DataFrame
    cooccurrence: pd.DataFrame
    validation: pd.DataFrame | None
    checks: pd.DataFrame | None = None
    calibration: pd.DataFrame | None = None

    @property
    def keys(self) -> list[str]:
        return self.codebook.keys

    @property
    def labels(self) -> dict[str, str]:
        """Danish theme labels."""
        return self.codebook.labels("da")

    @property
    def flagged_labels(self) -> dict[str, str]:
        """Danish theme labels, marked "(indicative only)" where the locked test's F1 is below
        ``themes.indicative_below`` (0.80), for figures and tables built on the theme coding."""
        quality = measurement_quality(self)
        weak = set(quality.loc[quality["status"] == INDICATIVE, "key"])
        return {k: f"{v} ({INDICATIVE})" if k in weak else v for k, v in self.labels.items()}

    @property
    def municipalities(self) -> list[str]:
        return sorted(self.segments["municipality"].unique())

    def tokens(self) -> pd.DataFrame:
        """The token table (loaded on demand: it is the largest table)."""
        return read_table(self.out, "tokens")


def load_results(out: str | Path, codebook: str | Path | None = None) -> Results:
    """Load every table of a run in ``out``."""
    out = Path(out)
    meta = json.loads((out / "tables" / "run.json").read_text(encoding="utf-8"))
    book = load_codebook(codebook or meta.get("codebook"))
    optional = {}
    for name in ("validation", "validation_checks", "calibration"):
        try:
            optional[name] = read_table(out, name)
        except FileNotFoundError:
            optional[name] = None
    return Results(out, book, meta, read_table(out, "documents"), read_table(out, "segments"),
                   read_table(out, "theme_matches"), read_table(out, "theme_occurrences"), read_table(out, "clusters"),
                   read_table(out, "theme_profiles"), read_table(out, "theme_differences"),
                   read_table(out, "similarity"), read_table(out, "keyness"), read_table(out, "theme_terms"),
                   read_table(out, "cooccurrence"), optional["validation"], optional["validation_checks"],
                   optional["calibration"])


def prepare(corpus: str | Path, out: str | Path, config: str | Path | None = None,
            codebook: str | Path | None = None, skip_bad: bool = False) -> Results:
    """Bring the tables up to date (running the main job only if needed) and load them.

    ``skip_bad=True`` accepts a corpus with bad documents (they are left out and listed in
    the documents table); otherwise bad input raises an error that lists every problem.
    """
    from analysis.pipeline import ensure_tables

    ensure_tables(corpus, out, config, codebook, progress=False, skip_bad=skip_bad)
    return load_results(out, codebook)


def table_html(frame: pd.DataFrame, max_rows: int = 30, float_format: str = "{:.2f}",
               empty: str = "Nothing to show.") -> str:
    """An HTML table with every cell escaped (corpus text is data, never markup)."""
    if frame.empty:
        return f"{TABLE_CSS}<p><em>{html.escape(empty)}</em></p>"
    shown = frame.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    rows = []
    for values in shown.itertuples(index=False):
        cells = []
        for v in values:
            number = isinstance(v, numbers.Number) and not isinstance(v, bool)
            text = float_format.format(v) if isinstance(v, float) else ("" if v is None else str(v))
            cells.append(f"<td class='num'>{html.escape(text)}</td>" if number else f"<td>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = f"<p><em>{len(frame) - max_rows} more rows in the table file.</em></p>" if len(frame) > max_rows else ""
    return f"{TABLE_CSS}<table class='udsatte-table'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def show_table(frame: pd.DataFrame, max_rows: int = 30, empty: str = "Nothing to show."):
    """Display a table in a notebook (escaped HTML); ``empty`` is said when it has no rows."""
    from IPython.display import HTML

    return HTML(table_html(frame, max_rows, empty=empty))


def highlight(text: str, spans: list[tuple[int, int]]) -> str:
    """Escape a text and wrap the given character spans in <mark>."""
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


def passages_html(results: Results, municipality: str, theme: str, n: int = 3) -> str:
    """The municipality's segments that carry a theme most strongly, matched words highlighted."""
    segs = results.segments
    part = segs[(segs["municipality"] == municipality) & (segs[f"theme_{theme}"] == 1)]
    part = part.sort_values([f"score_{theme}", "segment_id"], ascending=[False, True]).head(n)
    if part.empty:
        return "<p><em>No segment of this municipality carries the theme.</em></p>"
    occ = results.occurrences
    blocks = []
    for r in part.itertuples(index=False):
        spans = occ[(occ["segment_id"] == r.segment_id) & (occ["theme"] == theme)][["start", "end"]]
        meta = f"{r.segment_id} · {r.doc_type} {r.year} · {r.section or '(no section)'} · score {getattr(r, 'score_' + theme):.2f}"
        blocks.append(f"<div class='passage'><div class='meta'>{html.escape(meta)}</div>"
                      f"<div>{highlight(r.text, list(spans.itertuples(index=False, name=None)))}</div></div>")
    return TABLE_CSS + "".join(blocks)


def show_passages(results: Results, municipality: str, theme: str, n: int = 3):
    """Display the key passages of a theme for a municipality in a notebook."""
    from IPython.display import HTML

    return HTML(passages_html(results, municipality, theme, n))


def show_kwic(results: Results, term: str | None = None, theme: str | None = None,
              municipality: str | None = None, limit: int = 25):
    """Display a concordance (keyword in context) of a word or a theme, escaped, matches marked."""
    from IPython.display import HTML

    from analysis.compare import kwic, kwic_html

    tokens = results.tokens() if term else None
    lines = kwic(results.segments, tokens, term=term, theme=theme, occurrences=results.occurrences,
                 municipality=municipality, limit=limit)
    return HTML(TABLE_CSS + kwic_html(lines))


def codebook_table(codebook: Codebook) -> pd.DataFrame:
    """The themes of the codebook: key, labels, core, definition, number of patterns."""
    return pd.DataFrame([{"key": t.key, "Danish label": t.label_da, "English label": t.label_en,
                          "core": "yes" if t.core else "", "patterns": len(t.patterns), "definition": t.definition}
                         for t in codebook.themes.values()])


def supported_differences(differences: pd.DataFrame, labels: dict[str, str],
                          same_type_only: bool = True) -> pd.DataFrame:
    """The pairs of units whose difference in a theme's share is supported by the intervals,
    themes by their Danish label (only pairs of the same document type unless told otherwise)."""
    d = differences[differences["supported"] == 1]
    if same_type_only:
        d = d[d["same_doc_type"] == 1]
    return d.assign(theme=d["theme"].map(labels)).reset_index(drop=True)


def heading(text: str, level: int = 1):
    """Display an escaped heading (for titles that come from parameters, such as a municipality)."""
    from IPython.display import HTML

    return HTML(f"<h{level}>{html.escape(str(text))}</h{level}>")


def check_municipality(results: Results, municipality: str) -> str:
    """Return the official name of a municipality that has documents here, or raise a clear error."""
    from analysis.corpus import resolve_municipality

    official = resolve_municipality(municipality) or municipality
    if official not in results.municipalities:
        raise ValueError(f"municipality '{municipality}' has no documents in this corpus; "
                         f"choose one of: {', '.join(results.municipalities)}")
    return official


def corpus_summary(results: Results) -> pd.DataFrame:
    """Counts of the corpus: documents, municipalities, document types, segments, words, skipped."""
    docs, segs = results.documents, results.segments
    ok = docs[docs["status"] == "ok"]
    return pd.DataFrame([
        ("documents analysed", len(ok)), ("documents skipped", len(docs) - len(ok)),
        ("municipalities", ok["municipality"].nunique()),
        ("document types", ", ".join(sorted(ok["doc_type"].unique()))),
        ("years", f"{ok['year'].min()}–{ok['year'].max()}" if len(ok) else ""),
        ("segments", len(segs)), ("words (tokens)", int(segs["n_tokens"].sum())),
        ("segments per document (median)", float(ok["n_segments"].median()) if len(ok) else 0.0),
    ], columns=["measure", "value"])


def documents_compared(results: Results, doc_types: list[str] | None = None,
                       municipality: str | None = None) -> pd.DataFrame:
    """The documents behind the shares, per municipality: title, type, year and paragraphs
    (segments), so that a reader knows what a share is a share of. Only analysed documents of the
    compared types (``doc_types``; all when empty); one municipality's with ``municipality``."""
    docs = results.documents[results.documents["status"] == "ok"]
    if doc_types:
        docs = docs[docs["doc_type"].isin(doc_types)]
    if municipality is not None:
        docs = docs[docs["municipality"] == municipality]
    table = docs.sort_values(["municipality", "doc_type", "year", "title"], kind="stable")
    return table[["municipality", "title", "doc_type", "year", "n_segments"]].rename(
        columns={"doc_type": "type", "n_segments": "paragraphs"}).reset_index(drop=True)


def run_summary(results: Results) -> pd.DataFrame:
    """What produced these tables: corpus fingerprint, codebook, theme method, pipeline."""
    m = results.meta
    return pd.DataFrame([
        ("tables made", m.get("finished")), ("corpus fingerprint", m.get("corpus_fingerprint")),
        ("codebook version", m.get("codebook_version")), ("theme method", m.get("theme_method")),
        ("hand-coded segments of this corpus", m.get("n_annotated", 0)),
        ("development set: train / locked test segments", f"{m.get('n_dev_train', 0)} / {m.get('n_dev_test', 0)}"),
        ("spaCy pipeline", m.get("pipeline")),
        ("clusters (k)", m.get("clusters_k")), ("cluster criterion", m.get("clusters_criterion")),
    ], columns=["item", "value"])


def top_terms(results: Results, n: int = 8) -> pd.DataFrame:
    """The words that most often carry each theme across the corpus (counted matches)."""
    m = results.matches[results.matches["where"] == "text"]
    counts = m.groupby(["theme", "surface"])["count"].sum().reset_index()
    rows = []
    for key in results.keys:
        part = counts[counts["theme"] == key].sort_values(["count", "surface"], ascending=[False, True]).head(n)
        rows.append({"theme": results.labels[key],
                     "words (count)": ", ".join(f"{r.surface} ({r.count})" for r in part.itertuples())})
    return pd.DataFrame(rows)


def profile_passages_html(results: Results, municipality: str, n: int = 2) -> str:
    """Key passages of every theme for one municipality, under a heading per theme."""
    parts = []
    for key in results.keys:
        parts.append(f"<h3>{html.escape(results.labels[key])}</h3>")
        parts.append(passages_html(results, municipality, key, n))
    return "".join(parts)


def show_profile_passages(results: Results, municipality: str, n: int = 2):
    """Display the key passages per theme of one municipality."""
    from IPython.display import HTML

    return HTML(profile_passages_html(results, municipality, n))


def municipality_differences(results: Results, municipality: str) -> pd.DataFrame:
    """Supported differences that involve one municipality (any document type), for its profile."""
    d = results.differences
    mine = d[d["unit_a"].str.startswith(municipality + " ·") | d["unit_b"].str.startswith(municipality + " ·")]
    return supported_differences(mine, results.labels, same_type_only=False)


def theme_terms_for(results: Results, municipality: str) -> pd.DataFrame:
    """The codebook words that carry each theme in one municipality, themes by their Danish label."""
    t = results.theme_terms[results.theme_terms["municipality"] == municipality]
    words = t.groupby("theme", sort=False).apply(
        lambda g: ", ".join(f"{w} ({c})" for w, c in zip(g["word"], g["count"])), include_groups=False)
    return pd.DataFrame({"theme": [results.labels[k] for k in results.keys if k in words.index],
                         "words (count)": [words[k] for k in results.keys if k in words.index]})


INDICATIVE = "indicative only"
VALIDATED = "validated"
METHOD_NAMES = {"lexicon": "the codebook lexicon (passing mentions discounted by their structure)",
                "model": "a logistic regression on character n-grams of lemmas and the segment's structure",
                "combined": "a logistic regression on character n-grams of lemmas, the segment's structure and "
                            "the codebook lexicon's evidence"}


def measurement_quality(results: Results) -> pd.DataFrame:
    """Per theme, how well the method in use measures it: F1 on the locked test split with its
    interval, and ``status`` "indicative only" when that F1 is below ``themes.indicative_below``
    (or when there is no test figure at all).

    Returns
    -------
    DataFrame
        key, theme (Danish label), method, f1, f1_low, f1_high, precision, recall, support,
        status; the two macro rows at the end.
    """
    cfg = results.meta.get("config", {}).get("themes", {})
    limit = float(cfg.get("indicative_below", 0.8))
    method = results.meta.get("theme_method", "lexicon")
    v = results.validation
    test = v[(v["split"] == "test") & (v["method"] == method)] if v is not None and "split" in v else pd.DataFrame()
    by = test.set_index("theme") if len(test) else pd.DataFrame()
    rows = []
    names = {**results.labels, "macro_core": "Macro, core four", "macro_all": "Macro, all eight"}
    for key in [*results.keys, "macro_core", "macro_all"]:
        r = by.loc[key] if key in by.index else None
        f1 = float(r["f1"]) if r is not None else float("nan")
        rows.append({"key": key, "theme": names[key], "method": method, "f1": f1,
                     "f1_low": float(r["f1_low"]) if r is not None else float("nan"),
                     "f1_high": float(r["f1_high"]) if r is not None else float("nan"),
                     "precision": float(r["precision"]) if r is not None else float("nan"),
                     "recall": float(r["recall"]) if r is not None else float("nan"),
                     "support": int(r["support"]) if r is not None else 0,
                     "status": VALIDATED if r is not None and f1 >= limit else INDICATIVE})
    return pd.DataFrame(rows)


def measurement_table(results: Results) -> pd.DataFrame:
    """:func:`measurement_quality` for display: F1 with its interval as text."""
    q = measurement_quality(results)
    level = results.meta.get("config", {}).get("compare", {}).get("confidence", 0.95)
    interval = [f"{lo:.2f}–{hi:.2f}" if lo == lo else "" for lo, hi in zip(q["f1_low"], q["f1_high"])]
    return pd.DataFrame({"theme": q["theme"], "F1 on the locked test": q["f1"],
                         f"{level:.0%} interval": interval, "precision": q["precision"], "recall": q["recall"],
                         "segments with the theme": q["support"], "status": q["status"]})


def measurement_note_html(results: Results) -> str:
    """Two sentences on how the themes were measured and how far to trust them, then the
    per-theme table: every report built on the theme coding shows it."""
    q = measurement_quality(results)
    method = results.meta.get("theme_method", "lexicon")
    weak = q[(q["status"] == INDICATIVE) & q["key"].isin(results.keys)]["theme"].tolist()
    v = results.validation
    test = v[v["split"] == "test"] if v is not None and "split" in v else pd.DataFrame()
    if len(test):
        n_seg, n_mun = int(test["n_segments"].max()), int(test["n_groups"].max())
        where = (f"Its agreement with careful hand coding was measured once on a locked test set of {n_seg} "
                 f"segments from {n_mun} municipalities that no part of the method was fitted or tuned on.")
    else:
        where = "It has not been checked against a locked test set, so every theme is indicative only."
    limit = float(results.meta.get("config", {}).get("themes", {}).get("indicative_below", 0.8))
    flag = (f" Themes with F1 below {limit:.2f} are marked <em>{INDICATIVE}</em>: {html.escape(', '.join(weak))}; "
            "read their shares and differences as rough." if weak else
            f" Every theme reached F1 {limit:.2f} or more.")
    text = (f"<p><strong>How the themes were measured.</strong> Each segment was coded by "
            f"{html.escape(METHOD_NAMES.get(method, method))}. {where}{flag} "
            "The measurement has an error rate: a share is the share of segments the method codes, "
            "not a count by a person.</p>")
    return TABLE_CSS + text + table_html(measurement_table(results), max_rows=20)


def show_measurement_note(results: Results):
    """Display :func:`measurement_note_html` in a notebook."""
    from IPython.display import HTML

    return HTML(measurement_note_html(results))


@dataclass
class Comparison:
    """The comparison tables for one selection of document types (see :func:`comparison`)."""

    doc_types: list[str] | None
    confidence: float
    profiles: pd.DataFrame
    differences: pd.DataFrame
    similarity: pd.DataFrame
    linkages: dict
    keyness: pd.DataFrame
    cooccurrence: pd.DataFrame


def comparison(results: Results, doc_types: list[str] | None = None) -> Comparison:
    """The comparison of municipalities with the run's settings (``compare`` in the config).

    Parameters
    ----------
    results : Results
    doc_types : list of str, optional
        Document types to compare. None keeps the run's selection (``compare.doc_types``) and
        its tables; ``[]`` means every type; another list computes the tables for it with the
        same bootstrap replicates, confidence level, seed and keyness settings.
    """
    from analysis import compare

    cfg = results.meta["config"]
    c = cfg["compare"]
    run_types = compare.check_doc_types(c["doc_types"])
    wanted = run_types if doc_types is None else compare.check_doc_types(doc_types)
    types = wanted or None
    similarity, linkages = compare.similarity(results.segments, results.keys, doc_types=types)
    if wanted == run_types:
        t = {"theme_profiles": results.profiles, "theme_differences": results.differences,
             "keyness": results.keyness, "cooccurrence": results.cooccurrence}
    else:
        t = compare.comparison_tables(results.segments, results.matches, results.keys, c, cfg["seed"], types)
    return Comparison(types, c["confidence"], t["theme_profiles"], t["theme_differences"], similarity, linkages,
                      t["keyness"], t["cooccurrence"])


def keyness_summary(keyness: pd.DataFrame, n: int = 6) -> pd.DataFrame:
    """One row per municipality: its ``n`` most distinctive lemmas with their log ratio."""
    rows = []
    for name, part in keyness.sort_values(["municipality", "rank"]).groupby("municipality", sort=True):
        rows.append({"municipality": name, "distinctive words (log ratio)": ", ".join(
            f"{r.lemma} ({r.log_ratio:+.1f})" for r in part.head(n).itertuples())})
    return pd.DataFrame(rows, columns=["municipality", "distinctive words (log ratio)"])
