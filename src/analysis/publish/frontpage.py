"""The front page of a report run (``index.html``): what the corpus shows, before any link.

It opens with the corpus in one sentence, the headline figure (every municipality's and
document type's theme shares with their intervals), the largest like-with-like differences the
intervals support in words, and two sentences on how the themes were measured and validated;
then the reports, the downloads and what produced the run. Every text comes from the message
catalogue in the run's language (:mod:`analysis.publish.i18n`); every value from the corpus is escaped.

Usage::

    from analysis.publish.frontpage import front_page_html
    page = front_page_html(results, run)      # run: reports.ReportRun
"""

from __future__ import annotations

import base64
import html
import io

import pandas as pd

from analysis.publish import i18n
from analysis.publish import views
from analysis.publish.i18n import t, t_html
from analysis.publish.provenance import DIRTY

#: At most this many differences are put in words on the front page.
N_DIFFERENCES = 5

PAGE_CSS = """
body {font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #222;
  line-height: 1.45}
h1 {font-size: 1.7rem; margin-bottom: 0.4rem} h2 {font-size: 1.25rem; margin-top: 2rem}
.lead {font-size: 1.1rem}
figure {margin: 1rem 0} figure img {max-width: 100%; height: auto; border: 1px solid #eee}
figcaption {color: #444; font-size: 0.92rem}
ol.findings li {margin: 0.45rem 0}
.weak {color: #8a4b00}
table {border-collapse: collapse} th, td {text-align: left; padding: 3px 10px; border-bottom: 1px solid #ddd}
th {background: #f5f5f5; font-weight: 600} .size {color: #666; font-size: 0.85em}
ul.reports li {margin: 0.3rem 0} ul.profiles {columns: 14rem; padding-left: 1.2rem}
.versions {color: #555; font-size: 0.85em}
"""


def _unit_words(unit: str) -> str:
    """'Frederiksberg · politik' -> 'Frederiksberg (politik)'."""
    name, _, doc_type = str(unit).partition(" · ")
    return f"{name} ({doc_type})" if doc_type else name


def corpus_sentence(results: views.Results) -> str:
    """The corpus in one sentence: documents, municipalities, types, years, paragraphs, words."""
    docs = results.documents[results.documents["status"] == "ok"]
    types = sorted(docs["doc_type"].unique())
    text = t("front.corpus_types" if len(types) > 1 else "front.corpus",
             documents=i18n.count(len(docs), "document"),
             municipalities=i18n.count(docs["municipality"].nunique(), "municipality"),
             types=i18n.join(types), years=views.years_text(docs["year"]),
             paragraphs=i18n.count(len(results.segments), "paragraph"),
             words=i18n.integer(int(results.segments["n_tokens"].sum())))
    skipped = int((results.documents["status"] != "ok").sum())
    return text + (" " + t("front.skipped", n=i18n.integer(skipped)) if skipped else "")


def largest_differences(results: views.Results, n: int = N_DIFFERENCES) -> pd.DataFrame:
    """The largest supported difference between documents of the same type in each theme, for
    the ``n`` themes where it is largest, each turned so that unit A has the larger share
    (difference and interval positive). One per theme: among 98 municipalities the largest
    differences would otherwise all be one outlier against its neighbours in one theme."""
    d = results.differences
    d = d[(d["supported"] == 1) & (d["same_doc_type"] == 1)].copy()
    flip = d["difference"] < 0
    swapped = d.copy()
    swapped.loc[flip, ["unit_a", "unit_b"]] = d.loc[flip, ["unit_b", "unit_a"]].to_numpy()
    swapped.loc[flip, ["share_a", "share_b"]] = d.loc[flip, ["share_b", "share_a"]].to_numpy()
    swapped.loc[flip, "difference"] = -d.loc[flip, "difference"]
    swapped.loc[flip, "ci_low"] = -d.loc[flip, "ci_high"]
    swapped.loc[flip, "ci_high"] = -d.loc[flip, "ci_low"]
    order = swapped.sort_values(["difference", "theme", "unit_a", "unit_b"], ascending=[False, True, True, True],
                                kind="stable")
    return order.drop_duplicates("theme").head(n).reset_index(drop=True)


def difference_sentences(results: views.Results, n: int = N_DIFFERENCES) -> list[str]:
    """The largest supported like-with-like differences in words (HTML, values escaped):
    "Inddragelse fylder mere hos Frederiksberg (politik) end hos Odsherred (politik): 24 % mod
    9 % af afsnittene, forskel 16 procentpoint, 95 %-interval 1 til 32." A theme measured below the
    validation limit says so."""
    quality = views.measurement_quality(results).set_index("key")
    confidence = results.meta["config"]["compare"]["confidence"]
    out = []
    for r in largest_differences(results, n).itertuples(index=False):
        text = t_html("front.difference", theme=results.labels.get(r.theme, r.theme), unit_a=_unit_words(r.unit_a),
                      unit_b=_unit_words(r.unit_b), share_a=i18n.pct(r.share_a), share_b=i18n.pct(r.share_b),
                      points=i18n.points(r.difference), interval=i18n.interval_name(confidence),
                      low=i18n.points(r.ci_low), high=i18n.points(r.ci_high))
        corrected = _corrected_pair(results, r.unit_a, r.unit_b, r.theme)
        if corrected:
            text += " " + t_html("front.difference_corrected", share_a=corrected[0], share_b=corrected[1])
        if quality.loc[r.theme, "status"] == views.INDICATIVE:
            f1 = quality.loc[r.theme, "f1"]
            text += (" <span class='weak'>" + t_html("front.difference_weak", f1=i18n.num(f1, 2) if f1 == f1 else "–")
                     + "</span>")
        out.append(text)
    return out


def _corrected_pair(results: views.Results, unit_a: str, unit_b: str, theme: str) -> tuple[str, str] | None:
    """The two units' shares corrected for the measured error, as text ("30 %", "kan ikke rettes"),
    or None without the corpus's own coding."""
    c = getattr(results, "corrected", None)
    if c is None or c.empty:
        return None
    found = c[c["theme"] == theme].set_index("unit")["corrected"]
    if unit_a not in found.index or unit_b not in found.index:
        return None
    return tuple(i18n.pct(found[u]) if found[u] == found[u] else t("own.not_correctable") for u in (unit_a, unit_b))


def method_sentences(results: views.Results, themes_href: str) -> str:
    """Two sentences (HTML) on how the themes were measured and validated, with a link to the
    themes report."""
    q = views.measurement_quality(results)
    q = q[q["key"].isin(results.keys)]
    method = i18n.value("method_long", results.meta.get("theme_method", "lexicon"))
    basis = views.basis_words(results)
    href = html.escape(themes_href, quote=True)
    n_themes = i18n.integer(len(results.keys))
    if not basis or q["f1"].isna().all():
        return t("front.method_untested", method=html.escape(method), href=href, n_themes=n_themes)
    low, high = q["f1"].min(), q["f1"].max()
    weak = q[q["status"] == views.INDICATIVE]["theme"].tolist()
    values = {"method": html.escape(method), "basis": html.escape(basis),
              "limit": i18n.num(views.indicative_limit(results), 2),
              "range": t("front.range", low=i18n.num(low, 2), high=i18n.num(high, 2)), "href": href,
              "n_themes": n_themes}
    if weak:
        return t("front.method", weak=html.escape(i18n.join(weak)), **values)
    return t("front.method_all_strong", **values)


def headline_png(results: views.Results) -> bytes:
    """The headline figure as PNG bytes (theme shares per municipality and type, intervals)."""
    import matplotlib.pyplot as plt

    from analysis.publish import plots

    plots.setup_style()
    fig = plots.plot_headline(results.profiles, results.keys, results.flagged_labels,
                              results.meta["config"]["compare"]["confidence"])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _report_links(run) -> tuple[list[str], list[str]]:
    """List items of the overview reports and of the profiles (name only), failures named."""
    overview, profiles = [], []
    for nb in run.notebooks:
        is_profile = nb.municipality is not None
        name = nb.municipality if is_profile else nb.title
        if nb.html is not None and nb.error is None:
            over = f" <strong>{html.escape(t('front.over_limit'))}</strong>" if nb.over_limit else ""
            size = f"<span class='size'>({i18n.num(nb.size_mb, 1)} MB{over})</span>"
            item = f"<li><a href='{html.escape(nb.html.name, quote=True)}'>{html.escape(name)}</a> {size}</li>"
        else:
            item = "<li>" + t_html("front.failed", title=name, error=nb.error or "",
                                   path=f"notebooks/{nb.notebook.name}") + "</li>"
        (profiles if is_profile else overview).append(item)
    return overview, profiles


def front_page_html(results: views.Results | None, run) -> str:
    """The whole ``index.html`` of a report run (see the module docstring). ``results`` None
    (no tables) leaves out the finding and keeps the links and the run's metadata."""
    m = run.meta
    lang = i18n.language()
    overview, profiles = _report_links(run)
    written = {nb.name: nb.html.name for nb in run.notebooks if nb.html is not None and nb.error is None}
    themes = written.get("02-themes", "#reports")  # a report that failed: point at the list that says so
    finding = ""
    if results is not None:
        png = base64.b64encode(headline_png(results)).decode("ascii")
        confidence = results.meta["config"]["compare"]["confidence"]
        sentences = difference_sentences(results)
        compare = written.get("03-compare", "#reports")
        findings = ("<ol class='findings'>" + "".join(f"<li>{s}</li>" for s in sentences) + "</ol>" if sentences
                    else f"<p>{html.escape(t('front.no_differences'))}</p>")
        finding = f"""
<p class="lead">{html.escape(corpus_sentence(results))}</p>
<h2>{html.escape(t('front.headline_heading'))}</h2>
<figure><img id="headline-figure" src="data:image/png;base64,{png}" alt="{html.escape(t('front.headline_alt'), quote=True)}">
<figcaption>{html.escape(t('front.headline_text', interval=i18n.interval_name(confidence)))}</figcaption></figure>
<h2>{html.escape(t('front.differences_heading'))}</h2>
<p>{html.escape(t('front.differences_intro', interval=i18n.interval_name(confidence)))}</p>
{findings}
<p>{t('front.all_differences', href=html.escape(compare, quote=True))}</p>
<h2>{html.escape(t('front.method_heading'))}</h2>
<p>{method_sentences(results, themes)}</p>
<p>{views.own_coding_html(results)}</p>"""
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in [
        (t("about.run"), run.run_id), (t("about.finished"), i18n.timestamp(m["finished"])),
        (t("about.corpus"), m["corpus"]), (t("about.fingerprint"), m["corpus_fingerprint"]),
        (t("about.documents"), i18n.integer(m["n_documents"] or 0)),
        (t("about.skipped"), i18n.integer(m.get("n_skipped", 0) or 0)),
        (t("about.municipalities"), i18n.integer(m["n_municipalities"])),
        (t("about.segments"), i18n.integer(m["n_segments"] or 0)),
        (t("about.codebook"), m["codebook_version"]),
        (t("about.method"), i18n.value("method", m["theme_method"] or "")),
        (t("about.language"), t(f"language.{lang}")),
        (t("about.commit"), m["git_commit"].replace(DIRTY, " " + t("front.dirty"))),
    ])
    versions = ", ".join(f"{html.escape(k)} {html.escape(v)}" for k, v in m["versions"].items())
    workbook = f"<p>{t('front.workbook')}</p>" if (run.folder / "analysis.xlsx").exists() else ""
    profile_list = (f"<h3>{html.escape(t('front.profiles'))}</h3><ul class='reports profiles'>{''.join(profiles)}</ul>"
                    if profiles else "")
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(t('front.title'))}</title>
<style>{PAGE_CSS}</style></head>
<body>
<h1>{html.escape(t('front.title'))}</h1>
{finding}
<h2 id="reports">{html.escape(t('front.reports_heading'))}</h2>
<p>{html.escape(t('front.reports_text'))}</p>
<ul class="reports">{''.join(overview)}</ul>
{profile_list}
<h2>{html.escape(t('front.downloads_heading'))}</h2>
{workbook}
<h2>{html.escape(t('front.about_heading'))}</h2>
<table>{rows}</table>
<p class="versions">{html.escape(t('front.software'))}: {versions}</p>
</body></html>
"""
