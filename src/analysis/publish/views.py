"""What the notebooks show: the run's tables loaded in one object, and HTML views of them in
which every piece of corpus text is escaped (a document's "<script>" shows as text, runs nothing).

Usage::

    from analysis import prepare, views
    results = prepare("../corpus", "../outputs")  # analysis.pipeline.prepare: fresh tables, loaded
    views.show_table(results.documents)
"""

from __future__ import annotations

import html
import json
import numbers
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.publish import i18n
from analysis.publish.i18n import t, t_html
from analysis.publish.table_files import read_table
from analysis.themes.lexicon import Codebook, load_codebook
from analysis.themes.validation import MIN_OWN, OWN_SPLIT

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
    corrected: pd.DataFrame | None = None  # theme_profiles_corrected (with the corpus's own coding)
    coding_agreement: pd.DataFrame | None = None

    @property
    def keys(self) -> list[str]:
        return self.codebook.keys

    @property
    def labels(self) -> dict[str, str]:
        """Theme labels in the reports' language (:mod:`analysis.publish.i18n`)."""
        return self.codebook.labels(i18n.language())

    @property
    def flagged_labels(self) -> dict[str, str]:
        """Theme labels with the method's F1 (on real text where there is any, see
        :func:`figure_basis`), marked "vejledende" (indicative only) where it is below
        ``themes.indicative_below`` (0.80) or comes from synthetic text alone: every figure and
        table built on the theme coding names its themes with these."""
        return flag_labels(self)

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
    for name in ("validation", "validation_checks", "calibration", "theme_profiles_corrected", "coding_agreement"):
        try:
            optional[name] = read_table(out, name)
        except FileNotFoundError:
            optional[name] = None
    return Results(out, book, meta, read_table(out, "documents"), read_table(out, "segments"),
                   read_table(out, "theme_matches"), read_table(out, "theme_occurrences"), read_table(out, "clusters"),
                   read_table(out, "theme_profiles"), read_table(out, "theme_differences"),
                   read_table(out, "similarity"), read_table(out, "keyness"), read_table(out, "theme_terms"),
                   read_table(out, "cooccurrence"), optional["validation"], optional["validation_checks"],
                   optional["calibration"], optional["theme_profiles_corrected"], optional["coding_agreement"])


#: Whole-number columns written without thousands grouping (years and codes, not counts).
PLAIN_NUMBERS = {"year", "kommunekode", "rank", "cluster", "part"}
#: Counts: whole numbers even when a missing value made pandas store the column as floats
#: (a skipped document has no paragraphs or year).
COUNTS = {"n_segments", "n_tokens", "segments", "size", "support", "n", "patterns", "freq", "freq_rest", "count",
          "n_documents"}


def _cell(v, column: str, decimals: int) -> tuple[str, bool]:
    """A cell's text in the reports' language, and whether it is a number."""
    if isinstance(v, bool) or not isinstance(v, numbers.Number):
        return ("" if v is None or (isinstance(v, float) and v != v) else str(v)), False
    if v != v:  # NaN: a missing number
        return "", True
    whole = column in PLAIN_NUMBERS or column in COUNTS
    if isinstance(v, numbers.Integral) or (whole and float(v).is_integer()):
        return (str(int(v)) if column in PLAIN_NUMBERS else i18n.integer(int(v))), True
    return i18n.num(v, decimals), True


def table_html(frame: pd.DataFrame, max_rows: int = 30, decimals: int = 2, empty: str | None = None) -> str:
    """An HTML table with every cell escaped (corpus text is data, never markup), columns shown
    by their label in the reports' language (``col.<name>`` in the catalogue) and numbers written
    as the language writes them (Danish: decimal comma, thousands point)."""
    if frame.empty:
        return f"{TABLE_CSS}<p><em>{html.escape(empty or t('fmt.nothing'))}</em></p>"
    shown = frame.head(max_rows)
    head = "".join(f"<th>{html.escape(i18n.column(c))}</th>" for c in shown.columns)
    rows = []
    for values in shown.itertuples(index=False):
        cells = []
        for column, v in zip(shown.columns, values):
            text, number = _cell(v, str(column), decimals)
            cells.append(f"<td class='num'>{html.escape(text)}</td>" if number else f"<td>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = (f"<p><em>{html.escape(t('fmt.more_rows', n=i18n.integer(len(frame) - max_rows)))}</em></p>"
            if len(frame) > max_rows else "")
    return f"{TABLE_CSS}<table class='udsatte-table'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def show_table(frame: pd.DataFrame, max_rows: int = 30, empty: str | None = None):
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
        return f"<p><em>{html.escape(t('empty.passages'))}</em></p>"
    occ = results.occurrences
    blocks = []
    for r in part.itertuples(index=False):
        spans = occ[(occ["segment_id"] == r.segment_id) & (occ["theme"] == theme)][["start", "end"]]
        score = t("fmt.score", score=i18n.num(getattr(r, "score_" + theme), 2))
        meta = f"{r.segment_id} · {r.doc_type} {r.year} · {r.section or t('fmt.no_section')} · {score}"
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

    from analysis.compare.statistics import kwic

    tokens = results.tokens() if term else None
    lines = kwic(results.segments, tokens, term=term, theme=theme, occurrences=results.occurrences,
                 municipality=municipality, limit=limit)
    return HTML(TABLE_CSS + kwic_html(lines))


def codebook_table(codebook: Codebook) -> pd.DataFrame:
    """The themes of the codebook: key, labels, core, definition, number of patterns."""
    return pd.DataFrame([{"key": th.key, "label_da": th.label_da, "label_en": th.label_en,
                          "core": i18n.value("core", "yes" if th.core else "no"), "patterns": len(th.patterns),
                          "definition": th.definition_in(i18n.language())}
                         for th in codebook.themes.values()])


def supported_differences(differences: pd.DataFrame, labels: dict[str, str], same_type_only: bool = True,
                          confidence: float = 0.95) -> pd.DataFrame:
    """The pairs of units whose difference in a theme's share is supported by the intervals,
    largest first, for display: themes by ``labels``, shares as percentages, the difference
    and its interval in percentage points (only pairs of the same document type unless told
    otherwise; then ``same_doc_type`` says which are)."""
    d = differences[differences["supported"] == 1]
    if same_type_only:
        d = d[d["same_doc_type"] == 1]
    d = d.reset_index(drop=True)
    d = d.loc[d["difference"].abs().sort_values(ascending=False, kind="stable").index]
    shown = pd.DataFrame({
        "theme": d["theme"].map(labels), "unit_a": d["unit_a"], "unit_b": d["unit_b"],
        "share_a": [i18n.pct(x) for x in d["share_a"]], "share_b": [i18n.pct(x) for x in d["share_b"]],
        "difference": [i18n.points(x) for x in d["difference"]],
        i18n.interval_name(confidence): [f"{i18n.points(lo)} {t('fmt.to')} {i18n.points(hi)}"
                                         for lo, hi in zip(d["ci_low"], d["ci_high"])],
    })
    if not same_type_only:
        shown["same_doc_type"] = [i18n.value("same", str(int(v))) for v in d["same_doc_type"]]
    return shown.reset_index(drop=True)


def heading(text: str, level: int = 1):
    """Display an escaped heading (for titles that come from parameters, such as a municipality)."""
    from IPython.display import HTML

    return HTML(f"<h{level}>{html.escape(str(text))}</h{level}>")


def check_municipality(results: Results, municipality: str) -> str:
    """Return the official name of a municipality that has documents here, or raise a clear error."""
    from analysis.corpus.metadata import resolve_municipality

    official = resolve_municipality(municipality) or municipality
    if official not in results.municipalities:
        raise ValueError(f"municipality '{municipality}' has no documents in this corpus; "
                         f"choose one of: {', '.join(results.municipalities)}")
    return official


def years_text(years) -> str:
    """'2020–2024', or '2023' when every document is of one year."""
    years = sorted(set(int(y) for y in years))
    if not years:
        return ""
    return str(years[0]) if years[0] == years[-1] else f"{years[0]}–{years[-1]}"


def corpus_summary(results: Results) -> pd.DataFrame:
    """Counts of the corpus: documents, municipalities, document types, segments, words, skipped."""
    docs, segs = results.documents, results.segments
    ok = docs[docs["status"] == "ok"]
    return pd.DataFrame([
        (t("measure.documents"), len(ok)), (t("measure.skipped"), len(docs) - len(ok)),
        (t("measure.municipalities"), ok["municipality"].nunique()),
        (t("measure.types"), ", ".join(sorted(ok["doc_type"].unique()))),
        (t("measure.years"), years_text(ok["year"])),
        (t("measure.segments"), len(segs)), (t("measure.words"), int(segs["n_tokens"].sum())),
        (t("measure.per_document"), float(ok["n_segments"].median()) if len(ok) else 0.0),
    ], columns=["measure", "value"])


def documents_table(results: Results, municipality: str | None = None) -> pd.DataFrame:
    """Every document with its metadata, paragraphs, words and status (the reason when skipped);
    one municipality's with ``municipality``."""
    docs = results.documents
    if municipality is not None:
        docs = docs[docs["municipality"] == municipality]
    columns = ["doc_id", "municipality", "kommunekode", "region", "doc_type", "year", "title", "n_segments",
               "n_tokens", "status"]
    if municipality is not None:
        columns = [c for c in columns if c not in ("municipality", "kommunekode", "region")]
    table = docs[columns].reset_index(drop=True)
    return table.assign(status=[i18n.value("status", s) for s in table["status"]])


def sections_table(results: Results) -> pd.DataFrame:
    """The headings that segments fall under, per document, with the number of segments in each."""
    return results.segments.groupby(["doc_id", "section"], sort=False).size().rename("segments").reset_index()


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
    return table[["municipality", "title", "doc_type", "year", "n_segments"]].reset_index(drop=True)


_CRITERIA = [  # how run.json words the choice of k -> the catalogue's words for it
    (r"best cosine silhouette for k in (?P<low>\d+)\.\.(?P<high>\d+)", "crit.silhouette"),
    (r"(?P<n>\d+) distinct segments, too few to choose k in (?P<low>\d+)\.\.(?P<high>\d+)", "crit.too_few"),
    (r"fixed in config", "crit.fixed"), (r"no shared vocabulary", "crit.no_vocabulary"),
    (r"every segment has the same words", "crit.same_words"),
    (r"; fitted on a sample of (?P<n>[\d,]+) of (?P<total>[\d,]+) segments", "crit.sample"),
]


def criterion_text(criterion: str | None) -> str:
    """The run's criterion for the number of clusters in the reports' language."""
    import re

    text = str(criterion or "")
    for pattern, key in _CRITERIA:
        text = re.sub(pattern, lambda m, key=key: t(key, **{k: i18n.integer(int(v.replace(",", "")))
                                                          for k, v in m.groupdict().items()}), text)
    return text


def run_summary(results: Results) -> pd.DataFrame:
    """What produced these tables: corpus fingerprint, codebook, theme method, pipeline."""
    m = results.meta
    return pd.DataFrame([
        (t("item.finished"), i18n.timestamp(m["finished"]) if m.get("finished") else ""),
        (t("item.fingerprint"), m.get("corpus_fingerprint")),
        (t("item.codebook"), m.get("codebook_version")),
        (t("item.method"), i18n.value("method", m.get("theme_method", "lexicon"))),
        (t("item.annotated"), m.get("n_annotated", 0)),
        (t("item.dev"), f"{i18n.integer(m.get('n_dev_train', 0))} / {i18n.integer(m.get('n_dev_test', 0))}"),
        (t("item.pipeline"), m.get("pipeline")),
        (t("item.clusters"), m.get("clusters_k")), (t("item.criterion"), criterion_text(m.get("clusters_criterion"))),
    ], columns=["item", "value"])


def top_terms(results: Results, n: int = 8) -> pd.DataFrame:
    """The words that most often carry each theme across the corpus (counted matches)."""
    m = results.matches[results.matches["where"] == "text"]
    counts = m.groupby(["theme", "surface"])["count"].sum().reset_index()
    rows = []
    labels = results.flagged_labels
    for key in results.keys:
        part = counts[counts["theme"] == key].sort_values(["count", "surface"], ascending=[False, True]).head(n)
        rows.append({"theme": labels[key],
                     "words_count": ", ".join(f"{r.surface} ({i18n.integer(r.count)})" for r in part.itertuples())})
    return pd.DataFrame(rows, columns=["theme", "words_count"])


def clusters_table(results: Results) -> pd.DataFrame:
    """The bottom-up clusters for display: method, size, top terms, closest theme, stability."""
    c, labels = results.clusters, results.flagged_labels
    return pd.DataFrame({
        "method": [i18n.value("method", m) for m in c["method"]], "cluster": c["cluster"], "size": c["size"],
        "top_terms": c["top_terms"], "top_theme": [labels.get(k, k) if isinstance(k, str) and k else
                                                   t("plot.no_theme") for k in c["top_theme"]],
        "theme_share": [i18n.pct(x) for x in c["theme_share"]], "stability_ari": c["stability_ari"],
        "representative_ids": c["representative_ids"]})


def checks_table(results: Results) -> pd.DataFrame | None:
    """The checks of the rule on passing mentions, for display (None when there is no hand coding)."""
    c = results.checks
    if c is None:
        return None
    return pd.DataFrame({"method": [i18n.value("method", m) for m in c["method"]],
                         "split": [i18n.value("split", x) for x in c["split"]],
                         "check": [i18n.value("check", x) for x in c["check"]],
                         "value": [i18n.pct(x) for x in c["value"]], "n": c["n"]})


def profile_passages_html(results: Results, municipality: str, n: int = 2) -> str:
    """Key passages of every theme for one municipality, under a heading per theme."""
    parts = []
    labels = results.flagged_labels
    for key in results.keys:
        parts.append(f"<h3>{html.escape(labels[key])}</h3>")
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
    return supported_differences(mine, results.flagged_labels, same_type_only=False,
                                 confidence=results.meta["config"]["compare"]["confidence"])


def theme_terms_for(results: Results, municipality: str) -> pd.DataFrame:
    """The codebook words that carry each theme in one municipality, themes by their label."""
    terms = results.theme_terms[results.theme_terms["municipality"] == municipality]
    words = terms.groupby("theme", sort=False).apply(
        lambda g: ", ".join(f"{w} ({i18n.integer(c)})" for w, c in zip(g["word"], g["count"])), include_groups=False)
    labels = results.flagged_labels
    return pd.DataFrame({"theme": [labels[k] for k in results.keys if k in words.index],
                         "words_count": [words[k] for k in results.keys if k in words.index]},
                        columns=["theme", "words_count"])


#: Values of ``measurement_quality``'s ``status``; reports show them in their language
#: ("vejledende" / "indicative only", "valideret" / "validated").
INDICATIVE = "indicative"
VALIDATED = "validated"


def figure_basis(results: Results) -> dict | None:
    """The figure the method in use is judged by, and what text it comes from: the corpus's own
    random sample (weighted, out of fold) when at least :data:`MIN_OWN` of its paragraphs are
    coded; else other real text (the check set's locked half, the corpus's other hand coding);
    else the development set's locked test split (synthetic text, written in the training text's
    voice).

    Returns None without validation figures, else a dict: ``text`` ("real" or "synthetic"),
    ``split`` (its rows in the validation table), ``source`` (the source's name), ``segments``
    and ``municipalities``.
    """
    v = results.validation
    if v is None or "split" not in v or v.empty:
        return None
    method = results.meta.get("theme_method", "lexicon")
    rows = v[(v["method"] == method) & (v["split"] != "intercoder")]
    text = rows["text"] if "text" in rows else pd.Series("synthetic", index=rows.index).where(
        rows["split"] == "test", "mixed")
    # the figure of the run: its chosen method where it is fitted as in the run (not the
    # leave-one-register-out check, whose fits never saw a whole register)
    real = rows[(text == "real") & (rows["split"] != "test") & ~rows["split"].str.startswith("cv register")]
    own = rows[rows["split"] == OWN_SPLIT]
    if len(own) and int(own["n_segments"].max()) >= MIN_OWN:  # this corpus's own random sample comes first
        return {"text": "real", "split": OWN_SPLIT, "source": OWN_SPLIT, "segments": int(own["n_segments"].max()),
                "municipalities": int(own["n_groups"].max())}
    real = real[real["split"] != OWN_SPLIT]
    if len(real):
        split = sorted(real["split"].unique(), key=lambda sp: (not sp.startswith("check"), sp))[0]
        part, kind = real[real["split"] == split], "real"
    elif (rows["split"] == "test").any():
        split, kind = "test", "synthetic"
        part = rows[rows["split"] == "test"]
    else:
        return None
    source = split.split(": ", 1)[1] if ": " in split else ("development set" if split == "test" else "train pool")
    return {"text": kind, "split": split, "source": source, "segments": int(part["n_segments"].max()),
            "municipalities": int(part["n_groups"].max())}


def measurement_quality(results: Results) -> pd.DataFrame:
    """Per theme, how well the method in use measures it, on the text of :func:`figure_basis`:
    F1 (with its interval where one was drawn), and ``status`` "indicative only" when that F1 is
    below ``themes.indicative_below``. A figure from synthetic text alone validates nothing:
    without real text every theme is indicative only.

    Returns
    -------
    DataFrame
        key, theme (label), method, text ("real" or "synthetic"), f1, f1_low, f1_high,
        precision, recall, support, status; the two macro rows at the end.
    """
    cfg = results.meta.get("config", {}).get("themes", {})
    limit = float(cfg.get("indicative_below", 0.8))
    method = results.meta.get("theme_method", "lexicon")
    basis = figure_basis(results)
    v = results.validation
    part = (v[(v["split"] == basis["split"]) & (v["method"] == method)] if basis is not None else pd.DataFrame())
    by = part.set_index("theme") if len(part) else pd.DataFrame()
    real = basis is not None and basis["text"] == "real"

    def value(r, column: str) -> float:
        return float(r[column]) if r is not None and column in r and r[column] == r[column] else float("nan")

    rows = []
    names = {**results.labels, "macro_core": t("value.macro.macro_core"), "macro_all": t("value.macro.macro_all")}
    for key in [*results.keys, "macro_core", "macro_all"]:
        r = by.loc[key] if key in by.index else None
        f1 = value(r, "f1")
        rows.append({"key": key, "theme": names[key], "method": method,
                     "text": basis["text"] if basis is not None else "", "f1": f1,
                     "f1_low": value(r, "f1_low"), "f1_high": value(r, "f1_high"),
                     "precision": value(r, "precision"), "recall": value(r, "recall"),
                     "support": int(r["support"]) if r is not None else 0,
                     "status": VALIDATED if real and r is not None and f1 >= limit else INDICATIVE})
    return pd.DataFrame(rows)


def basis_words(results: Results) -> str:
    """Where the figures come from, in words ("129 afsnit virkelig tekst (korpussets egen
    håndkodning, …) fra 4 kommuner, uden for stikprøven …"); "" without figures."""
    basis = figure_basis(results)
    if basis is None:
        return ""
    source = t(f"source.{basis['source']}") if i18n.has(f"source.{basis['source']}") else basis["source"]
    if basis["split"] == OWN_SPLIT:
        return t("basis.own", segments=i18n.integer(basis["segments"]),
                 municipalities=i18n.integer(basis["municipalities"]))
    kind = "check" if basis["split"] == "check set" else basis["text"]
    return t(f"basis.{kind}", segments=i18n.integer(basis["segments"]),
             municipalities=i18n.integer(basis["municipalities"]), source=source)


def flag_labels(results: Results) -> dict[str, str]:
    """Theme key -> label with the method's F1 (:func:`figure_basis`): "Bolig og hjemløshed (F1 0,86)",
    "Inddragelse (F1 0,67, vejledende)" below ``themes.indicative_below``, "(ikke valideret,
    vejledende)" without a test figure."""
    q = measurement_quality(results).set_index("key")
    labels = {}
    for key, label in results.labels.items():
        f1, status = q.loc[key, "f1"], q.loc[key, "status"]
        if f1 != f1:
            labels[key] = t("fmt.flag_untested", label=label)
        else:
            labels[key] = t("fmt.flag_weak" if status == INDICATIVE else "fmt.flag", label=label, f1=i18n.num(f1, 2))
    return labels


def indicative_limit(results: Results) -> float:
    return float(results.meta.get("config", {}).get("themes", {}).get("indicative_below", 0.8))


def measurement_table(results: Results) -> pd.DataFrame:
    """:func:`measurement_quality` for display: F1 with its interval as text, status in words."""
    q = measurement_quality(results)
    level = results.meta.get("config", {}).get("compare", {}).get("confidence", 0.95)
    interval = [f"{i18n.num(lo)}–{i18n.num(hi)}" if lo == lo else "" for lo, hi in zip(q["f1_low"], q["f1_high"])]
    return pd.DataFrame({"theme": q["theme"], "text": [i18n.value("text", x) if x else "" for x in q["text"]],
                         "f1": q["f1"], i18n.interval_name(level): interval,
                         "precision": q["precision"], "recall": q["recall"], "support": q["support"],
                         "status": [i18n.value("status", s) for s in q["status"]]})


def measurement_note_html(results: Results) -> str:
    """Two sentences on how the themes were measured and how far to trust them, then the
    per-theme table: every report built on the theme coding shows it."""
    q = measurement_quality(results)
    method = results.meta.get("theme_method", "lexicon")
    weak = q[(q["status"] == INDICATIVE) & q["key"].isin(results.keys)]["theme"].tolist()
    basis = basis_words(results)
    where = t("note.tested", basis=basis) if basis else t("note.untested")
    limit = i18n.num(indicative_limit(results), 2)
    flag = (t_html("note.weak", limit=limit, themes=i18n.join(weak)) if weak else t("note.strong", limit=limit))
    text = (f"<p><strong>{html.escape(t('note.heading'))}</strong> "
            f"{t_html('note.coded_by', method=i18n.value('method_long', method))} {html.escape(where)} {flag} "
            f"{html.escape(t('note.error_rate'))}</p>")
    return TABLE_CSS + text + f"<p>{own_coding_html(results)}</p>" + table_html(measurement_table(results),
                                                                               max_rows=20)


def own_coding_html(results: Results) -> str:
    """One or two sentences (HTML) on the corpus's own coding: how many paragraphs of its random
    sample are coded, by whom and how well the coders agree, and that the shares are also given
    corrected for the measured error; below :data:`MIN_OWN` coded paragraphs, that it is missing
    and how to start it."""
    meta = results.meta
    n = int(meta.get("own_random", 0) or 0)
    if n < MIN_OWN:
        text = t_html("own.missing", n=i18n.integer(n), min=i18n.integer(MIN_OWN))
        outside = int(meta.get("own_coded", 0) or 0) - n - int(meta.get("own_learning", 0) or 0)
        if outside > 0:  # hand coding from before the loop: it trains and is scored, but has no weights
            text += " " + t_html("own.outside", n=i18n.integer(outside))
        return text
    coders = [c for c in str(meta.get("own_coders") or "").split(", ") if c]
    alpha, shared = meta.get("own_alpha"), int(meta.get("own_agreement_paragraphs") or 0)
    agreement = (t("own.agreement", alpha=i18n.num(alpha, 2), n=i18n.integer(shared))
                 if alpha is not None and alpha == alpha and shared else t("own.one_coder"))
    text = t_html("own.present", n=i18n.integer(n), coders=i18n.join(coders) if coders else "–",
                  agreement=agreement)
    corrected = getattr(results, "corrected", None)
    if corrected is not None and len(corrected):
        text += " " + t_html("own.corrected")
    return text


def corrected_table(results: Results, municipality: str | None = None) -> pd.DataFrame:
    """Each unit's theme shares as measured and corrected for the method's measured error on the
    corpus's own sample, with the corrected share's interval (one municipality, or all); empty
    without the corpus's own coding."""
    c = results.corrected
    columns = ["unit", "theme", "share_segments", "corrected", "interval"]
    if c is None or c.empty:
        return pd.DataFrame(columns=columns)
    if municipality is not None:
        c = c[c["municipality"] == municipality]
    level = results.meta.get("config", {}).get("compare", {}).get("confidence", 0.95)
    labels = results.flagged_labels
    interval = [f"{i18n.pct(lo)}–{i18n.pct(hi)}" if lo == lo else t("own.no_interval")
                for lo, hi in zip(c["corrected_low"], c["corrected_high"])]
    table = pd.DataFrame({"unit": c["unit"].to_numpy(), "theme": c["theme"].map(labels).to_numpy(),
                          "share_segments": [i18n.pct(v) for v in c["share_segments"]],
                          "corrected": [i18n.pct(v) if v == v else t("own.not_correctable") for v in c["corrected"]],
                          "interval": interval})
    return table.rename(columns={"interval": i18n.interval_name(level)})


def show_corrected_shares(results: Results, municipality: str | None = None):
    """Display :func:`corrected_table` with a sentence on the correction (nothing without the
    corpus's own coding)."""
    from IPython.display import HTML

    table = corrected_table(results, municipality)
    if table.empty:
        return HTML("")
    return HTML(f"<p>{html.escape(t('own.corrected_intro'))}</p>" + table_html(table, max_rows=200))


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
    from analysis.compare import statistics as compare

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
        rows.append({"municipality": name, "distinctive": ", ".join(
            f"{r.lemma} ({'+' if r.log_ratio >= 0 else ''}{i18n.num(r.log_ratio, 1)})"
            for r in part.head(n).itertuples())})
    return pd.DataFrame(rows, columns=["municipality", "distinctive"])


def kwic_html(lines: pd.DataFrame) -> str:
    """Render a concordance as an HTML table, every piece of corpus text escaped, the match in <mark>."""
    if lines.empty:
        return f"<p><em>{html.escape(t('empty.kwic'))}</em></p>"
    body = []
    for r in lines.itertuples(index=False):
        body.append(
            "<tr><td class='kwic-id'>{sid}</td><td class='kwic-left' style='text-align:right'>{left}</td>"
            "<td class='kwic-match'><mark>{match}</mark></td><td class='kwic-right'>{right}</td></tr>".format(
                sid=html.escape(str(r.segment_id)), left=html.escape(r.left), match=html.escape(r.match),
                right=html.escape(r.right)))
    return (f"<table class='kwic'><thead><tr><th>{html.escape(t('kwic.segment'))}</th><th></th>"
            f"<th>{html.escape(t('kwic.match'))}</th><th></th></tr></thead>"
            "<tbody>" + "".join(body) + "</tbody></table>")
