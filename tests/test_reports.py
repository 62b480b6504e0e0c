"""The report command end to end: papermill notebooks -> self-contained HTML, index, latest, failures,
the lock, escaping of hostile corpus text, and a headless-Chromium check of what a colleague opens."""

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pandas as pd

from analysis.cli import app
from analysis.themes.lexicon import load_codebook
from conftest import FIXTURE_CORPUS, PROJECT

pytestmark = pytest.mark.slow

KEYS = ["bolig", "sundhed", "beskaeftigelse", "recovery", "faellesskab", "inddragelse", "forebyggelse",
        "koordinering"]


def invoke(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "out"
    code, stdout, stderr = invoke("report", "--corpus", FIXTURE_CORPUS, "--out", out, "-m", "Aalborg", "-q")
    assert code == 0, stdout + stderr
    run = (out / "reports" / "latest").resolve()
    return out, stdout, run


@pytest.fixture(scope="module")
def report_en(tmp_path_factory):
    """The same reports in English (report --language en)."""
    out = tmp_path_factory.mktemp("report-en") / "out"
    code, stdout, stderr = invoke("report", "--corpus", FIXTURE_CORPUS, "--out", out, "-m", "Aalborg", "-q",
                                  "--language", "en")
    assert code == 0, stdout + stderr
    return out, stdout, (out / "reports" / "latest").resolve()


def visible_text(page: str) -> str:
    """The page's text without tags (code is split into highlighting spans)."""
    return re.sub(r"<[^>]+>", "", page)


def html_files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.html"))}


def test_report_writes_every_notebook_as_html_and_points_latest(report):
    out, stdout, _ = report
    latest = out / "reports" / "latest"
    assert latest.is_symlink()
    run = latest.resolve()
    assert f"4 reports written; open {run / 'index.html'}" in stdout
    from analysis.publish.reports import default_jobs

    kernels = min(default_jobs(), 4)  # notebooks run at once, each in its own kernel (--jobs)
    assert re.search(rf"4 notebooks in [\d.]+ s on {kernels} kernels?; per notebook median [\d.]+ s, of which "
                     r"[\d.]+ s is the kernel's start", stdout)
    pages = html_files(run)
    assert set(pages) == {"index.html", "01-corpus.html", "02-themes.html", "03-compare.html", "profile-aalborg.html"}
    assert sorted(p.name for p in (run / "notebooks").glob("*.ipynb")) == [
        "01-corpus.ipynb", "02-themes.ipynb", "03-compare.ipynb", "profile-aalborg.ipynb"]
    assert (run / "analysis.xlsx").exists()
    for name, page in pages.items():
        assert (run / name).stat().st_size < 5_000_000, name
        assert "<script" not in page.lower(), f"{name} loads or runs scripts"
        assert not re.search(r"""(?:src|href)=["']https?://""", page), f"{name} needs the network"


def test_index_shows_run_metadata_and_links(report):
    out, _, _ = report
    index = (out / "reports" / "latest" / "index.html").read_text(encoding="utf-8")
    meta = json.loads((out / "tables" / "run.json").read_text(encoding="utf-8"))
    for text in ('<html lang="da">', "Korpussets fingeraftryk", meta["corpus_fingerprint"],
                 "<th>Dokumenter</th><td>5</td>", "<th>Kommuner</th><td>5</td>", "Kodebogens version",
                 meta["codebook_version"], "<th>Sprog</th><td>dansk</td>", "Git-commit", "nbconvert", "papermill",
                 "spacy"):
        assert text in index, text
    assert re.search(r"<th>Færdig</th><td>\d{1,2}\. (januar|februar|marts|april|maj|juni|juli|august|september|"
                     r"oktober|november|december) 20\d\d kl\. \d\d\.\d\d UTC</td>", index)
    for href in ("01-corpus.html", "02-themes.html", "03-compare.html", "profile-aalborg.html", "analysis.xlsx"):
        assert f"href='{href}'" in index
    for title in ("Korpusoversigt", "Temaer", "Sammenligning af kommuner", "Kommuneprofiler", "Aalborg"):
        assert f">{title}<" in index, title


HEADINGS = {
    "da": {
        "01-corpus.html": ["Korpusoversigt", "Korpusset i tal", "Dokumenter", "Ord pr. kommune og dokumenttype",
                           "Overskrifter", "Denne kørsel"],
        "02-themes.html": ["Temaer", "Kodebogen", "Hvor ofte hvert tema kodes", "Hvor godt temaerne måles",
                           "Valg af metode", "Er scorerne reelle sandsynligheder?", "Ordene bag temaerne",
                           "Datadrevne klynger"],
        "03-compare.html": ["Sammenligning af kommuner", "Hvor meget man kan stole på temaerne", "De sammenlignede dokumenter",
                            "Temaprofiler", "Forskelle, som intervallerne understøtter",
                            "Lighed og gruppering af kommuner", "Kendetegnende ord", "Temaer, der optræder sammen",
                            "Udsagn i sammenhæng"],
        "profile-aalborg.html": ["Kommuneprofil", "Aalborg", "Dokumenter", "Hvor meget man kan stole på temaerne",
                                 "Temaer sammenlignet med de andre kommuner", "Kendetegnende ord",
                                 "Centrale udsagn pr. tema"],
    },
    "en": {
        "01-corpus.html": ["Corpus overview", "Documents", "Words per municipality and document type"],
        "02-themes.html": ["Themes", "The codebook", "How well the themes are measured", "Choosing the method",
                           "Are the scores probabilities?", "Bottom-up clusters"],
        "03-compare.html": ["Comparing municipalities", "How far to trust the themes", "The documents compared",
                            "Theme profiles", "Differences the intervals support",
                            "Similarity and clustering of municipalities", "Distinctive words",
                            "Themes that go together", "Passages in context"],
        "profile-aalborg.html": ["Municipality profile", "Aalborg", "How far to trust the themes",
                                 "Themes against the other municipalities", "Distinctive words",
                                 "Key passages per theme"],
    },
}
FIGURES = {"01-corpus.html": 1, "02-themes.html": 4, "03-compare.html": 5, "profile-aalborg.html": 2}


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("page", list(FIGURES))
def test_pages_have_their_headings_figures_and_no_code(report, report_en, language, page):
    run = report[2] if language == "da" else report_en[2]
    headings, min_figures = HEADINGS[language][page], FIGURES[page]
    text = (run / page).read_text(encoding="utf-8")
    assert f'<html lang="{language}">' in text
    found = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h[1-3][^>]*>(.*?)</h[1-3]>", text, re.S)]
    for heading in headings:
        assert heading in found, (heading, found)
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', text)) >= min_figures
    plain = visible_text(text)
    assert "prepare(corpus" not in plain and "plots.setup_style" not in plain  # code hidden
    assert "hl-ipython3" not in text  # no highlighted code block


def test_the_comparison_names_the_documents_behind_the_shares(report):
    import html

    out, _, _ = report
    page = (out / "reports" / "latest" / "03-compare.html").read_text(encoding="utf-8")
    documents = pd.read_csv(out / "tables" / "documents.csv")
    documents = documents[documents["status"] == "ok"]
    assert len(documents) == 5
    start = page.index("De sammenlignede dokumenter")
    section = page[start:page.index("Temaprofiler", start)]
    for row in documents.itertuples():  # municipality, title, type, year and paragraphs of every document
        cells = [row.municipality, html.escape(row.title), row.doc_type, str(row.year), str(row.n_segments)]
        assert re.search(r"\s*".join(rf"<td[^>]*>{re.escape(c)}</td>" for c in cells), section), row


def test_hostile_corpus_text_is_shown_escaped(report):
    out, _, _ = report
    profile = (out / "reports" / "latest" / "profile-aalborg.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in profile
    assert "&lt;img src=x onerror=alert(1)&gt;" in profile
    assert "<img src=x" not in profile and "alert(1)</script>" not in profile


def test_with_code_shows_code_and_moves_latest(report, tmp_path):
    out, _, _ = report
    before = (out / "reports" / "latest").resolve()
    time.sleep(1.1)  # run ids are per second
    code, stdout, stderr = invoke("report", "--corpus", FIXTURE_CORPUS, "--out", out, "-m", "Vejle", "--with-code", "-q",
                                  "--jobs", "1")
    assert code == 0, stderr
    assert "4 notebooks in" in stdout and "on 1 kernel;" in stdout
    after = (out / "reports" / "latest").resolve()
    assert after != before and before.exists()
    page = (after / "01-corpus.html").read_text(encoding="utf-8")
    assert "results = prepare(corpus, out, config, codebook, skip_bad=skip_bad, language=language)" in visible_text(page)


def test_failing_notebook_keeps_latest_and_names_notebook_and_cell(report, tmp_path):
    out, _, _ = report
    before = (out / "reports" / "latest").resolve()
    notebooks = tmp_path / "notebooks"
    shutil.copytree(PROJECT / "notebooks", notebooks)
    book = json.loads((notebooks / "02-themes.ipynb").read_text(encoding="utf-8"))
    book["cells"].insert(3, {"cell_type": "code", "execution_count": None, "id": "broken", "metadata": {},
                             "outputs": [], "source": "raise RuntimeError('kodebogen mangler')"})
    (notebooks / "02-themes.ipynb").write_text(json.dumps(book), encoding="utf-8")
    time.sleep(1.1)
    code, _, stderr = invoke("report", "--corpus", FIXTURE_CORPUS, "--out", out, "-m", "Vejle", "--notebooks",
                             notebooks, "-q")
    assert code == 1
    line = next(ln for ln in stderr.splitlines() if ln.startswith("error: notebook"))
    assert re.match(r"error: notebook 02-themes\.ipynb: cell \d+ \(execution count \d+\) failed with RuntimeError: "
                    r"kodebogen mangler; the executed notebook is .*02-themes\.ipynb$", line), line
    assert (out / "reports" / "latest").resolve() == before
    runs = sorted(p for p in (out / "reports").iterdir() if p.is_dir() and not p.is_symlink())
    failed = runs[-1] / "notebooks" / "02-themes.ipynb"
    assert "papermill-error-cell" in failed.read_text(encoding="utf-8")  # papermill's marker of the failed cell
    assert not (runs[-1] / "02-themes.html").exists() and (runs[-1] / "01-corpus.html").exists()
    assert "still points at the last good run" in stderr


def test_second_run_while_locked_exits_with_a_clear_message(report):
    from filelock import FileLock

    out, _, _ = report
    with FileLock(str(out / "reports" / ".lock")):
        code, _, stderr = invoke("report", "--corpus", FIXTURE_CORPUS, "--out", out, "-q")
    assert code == 3
    assert "another report run is writing to this output folder; wait for it to finish, or pass --wait" in stderr


def test_an_unknown_language_is_bad_input_before_anything_runs(tmp_path):
    code, _, stderr = invoke("report", "--corpus", FIXTURE_CORPUS, "--out", tmp_path / "out", "--language", "fr")
    assert code == 2
    assert "error: --language: 'fr' is not a report language; use da or en" in stderr
    assert "nothing was written (previous outputs kept). Fix them and re-run." in stderr
    assert "--skip-bad" not in stderr  # skipping documents does not mend an option
    assert not (tmp_path / "out" / "tables").exists()


def test_unknown_municipality_is_bad_input(report):
    out, _, _ = report
    code, _, stderr = invoke("report", "--corpus", FIXTURE_CORPUS, "--out", out, "-m", "Gotham", "-q")
    assert code == 2
    assert "error: --municipality: 'Gotham' has no documents in this corpus; choose one of Aalborg, Aarhus" in stderr


def test_skip_bad_reports_on_the_good_documents_and_says_how_many_were_skipped(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    (corpus / "documents" / "tom.txt").write_bytes(b"  \n")
    with open(corpus / "metadata.csv", "a", encoding="utf-8") as f:
        f.write("tom,documents/tom.txt,Vejle,notat,2020,En tom fil,\n")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(PROJECT / "notebooks" / "01-corpus.ipynb", notebooks)
    out = tmp_path / "out"
    code, _, stderr = invoke("report", "--corpus", corpus, "--out", out, "--notebooks", notebooks, "-q")
    assert code == 2 and "re-run with --skip-bad to process the good documents" in stderr
    assert f"{corpus}/documents/tom.txt: document is empty or whitespace-only" in stderr
    code, stdout, stderr = invoke("report", "--corpus", corpus, "--out", out, "--notebooks", notebooks, "-q",
                                  "--skip-bad")
    assert code == 0, stdout + stderr
    run = (out / "reports" / "latest").resolve()
    index = (run / "index.html").read_text(encoding="utf-8")
    assert "<th>Dokumenter sprunget over (fejl i input)</th><td>1</td>" in index
    assert "Analysen bygger på 5 dokumenter" in index
    assert "Dokumenter sprunget over på grund af fejl: 1 (se korpusoversigten)." in index
    page = visible_text((run / "01-corpus.html").read_text(encoding="utf-8"))
    assert "document is empty or whitespace-only" in page
    assert json.loads((out / "tables" / "run.json").read_text(encoding="utf-8"))["skip_bad"] is True


def test_a_report_over_the_size_limit_is_warned_on_stderr_and_marked_in_the_index(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("reports:\n  max_html_mb: 0.05\n", encoding="utf-8")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(PROJECT / "notebooks" / "01-corpus.ipynb", notebooks)
    out = tmp_path / "out"
    code, stdout, stderr = invoke("report", "--corpus", FIXTURE_CORPUS, "--out", out, "--config", config,
                                  "--notebooks", notebooks, "-q")
    assert code == 0, stderr
    run = (out / "reports" / "latest").resolve()
    assert f"warning: {run / '01-corpus.html'}: " in stderr and "over reports.max_html_mb (0.05 MB)" in stderr
    assert "warning" not in stdout
    assert "over størrelsesgrænsen" in (run / "index.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the browser


def _chrome():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("headless Chromium and chromedriver are not installed (.ci/run installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--allow-file-access-from-files", "--window-size=1280,1600"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


@pytest.mark.browser
def test_reports_open_in_headless_chromium_without_errors(report):
    _, _, run = report  # the first run: later tests move `latest`
    browser = _chrome()
    try:
        for page, min_images in (("index.html", 0), ("profile-aalborg.html", 2), ("03-compare.html", 5)):
            assert (run / page).exists(), page
            browser.get((run / page).as_uri())
            browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")
            time.sleep(0.3)
            errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
            assert errors == [], (page, errors)
            sizes = browser.execute_script(
                "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight,"
                " i.getBoundingClientRect().width])")
            assert len(sizes) >= min_images, page
            assert all(done and w > 0 and h > 0 and shown > 0 for done, w, h, shown in sizes), (page, sizes)
            assert browser.execute_script("return window.__xss === undefined")
        browser.get((run / "index.html").as_uri())
        headline = browser.find_element("id", "headline-figure")  # the Danish front page's figure, loaded
        assert browser.execute_script("const i = arguments[0]; return i.complete && i.naturalWidth > 600 && "
                                      "i.getBoundingClientRect().height > 100", headline)
        assert headline.get_attribute("alt").startswith("Figur: andel af afsnittene med hvert tema")
        assert browser.execute_script("return document.documentElement.lang") == "da"
        browser.find_element("link text", "Aalborg").click()
        assert browser.title == "Kommuneprofil: Aalborg" and "Kommuneprofil" in browser.page_source
    finally:
        browser.quit()


def test_reports_say_how_far_to_trust_each_theme(report):
    out, _, run = report
    for name in ("02-themes.html", "03-compare.html", "profile-aalborg.html"):
        text = visible_text((run / name).read_text(encoding="utf-8"))
        assert "Sådan er temaerne målt." in text, name
        # the fixture corpus has no hand coding of its own: the synthetic locked test alone, named as such
        assert "et låst testsæt med 280 afsnit syntetisk udviklingstekst fra 28 kommuner" in text, name
        assert "på virkelig tekst er målingen ikke prøvet, så alle temaer er vejledende" in text, name
        assert "syntetisk tekst" in text and "95\u00a0%-interval" in text, name
    validation = pd.read_csv(out / "tables" / "validation.csv")
    method = json.loads((out / "tables" / "run.json").read_text(encoding="utf-8"))["theme_method"]
    test = validation[(validation["split"] == "test") & validation["theme"].isin(KEYS)
                      & (validation["method"] == method)].set_index("theme")
    assert set(validation.loc[validation["split"] == "test", "text"]) == {"synthetic"}
    weak = list(KEYS)  # a synthetic figure validates no theme
    profile = visible_text((run / "profile-aalborg.html").read_text(encoding="utf-8"))
    labels = load_codebook().labels("da")
    for key in weak:  # named in the note as vejledende
        assert f"{labels[key]}" in profile.split("markeret som vejledende:")[1], key
    for key in KEYS:  # every theme's heading in the figures and tables carries its F1 and the flag
        f1 = f"{test.loc[key, 'f1']:.2f}".replace(".", ",")
        flag = f"{labels[key]} (F1 {f1}, vejledende)"
        assert flag in profile, flag  # passages per theme (headings) and words per theme (table)
    index = visible_text((run / "index.html").read_text(encoding="utf-8"))
    assert "er markeret som vejledende (" in index and "se temarapporten" in index
    assert all(labels[k] in index.split("er markeret som vejledende (")[1].split(")")[0] for k in weak)


def _catalogue_texts():
    from analysis.publish.i18n import catalogue

    return catalogue()


@pytest.mark.parametrize("language", ["da", "en"])
def test_no_catalogue_key_and_no_text_of_the_other_language_in_the_reports(report, report_en, language):
    run = report[2] if language == "da" else report_en[2]
    other = "en" if language == "da" else "da"
    cat = _catalogue_texts()
    foreign = {v[other] for k, v in cat.items() if v[other] != v[language] and len(v[other]) >= 14
               and "{" not in v[other] and "\n" not in v[other] and "<" not in v[other]}
    for page in sorted(run.glob("*.html")):
        raw = page.read_text(encoding="utf-8")
        text = visible_text(raw)
        keys = [k for k in cat if re.search(rf"(?<![\w.]){re.escape(k)}(?![\w.])", text)]
        assert keys == [], (page.name, keys)
        leaked = sorted(f for f in foreign if f in text)
        assert leaked == [], (page.name, leaked)
        headers = [visible_text(h) for h in re.findall(r"<th>(.*?)</th>", raw)]
        assert not [h for h in headers if "_" in h], (page.name, headers)  # labels, not column names


def test_numbers_are_written_the_danish_way_in_danish_and_the_english_way_in_english(report, report_en):
    da = (report[2] / "02-themes.html").read_text(encoding="utf-8")
    en = (report_en[2] / "02-themes.html").read_text(encoding="utf-8")
    num = r"""<td class=["']num["']>"""  # nbconvert writes the attribute with double quotes
    assert re.search(num + r"0,\d\d</td>", da) and not re.search(num + r"0\.\d\d</td>", da)
    assert re.search(num + r"0\.\d\d</td>", en) and not re.search(num + r"0,\d\d</td>", en)
    assert re.search(r"<td>0,\d\d–[01],\d\d</td>", da) and re.search(r"<td>0\.\d\d–[01]\.\d\d</td>", en)
    assert "<td>vejledende</td>" in da and "<td>indicative only</td>" in en
    assert re.search(r"\d+\u00a0%", da) and not re.search(r"\d\u00a0%", en)
    compare_da = (report[2] / "03-compare.html").read_text(encoding="utf-8")
    compare_en = (report_en[2] / "03-compare.html").read_text(encoding="utf-8")
    for label in ("Kommune", "Titel", "Type", "År", "Afsnit", "Tema", "Tekst", "F1", "Præcision",
                  "95\u00a0%-interval", "Kendetegnende ord (log-ratio)"):
        assert f"<th>{label}</th>" in compare_da, label
    for label in ("Municipality", "Title", "Type", "Year", "Paragraphs", "Theme", "Text", "F1",
                  "Precision", "95% interval", "Distinctive words (log ratio)"):
        assert f"<th>{label}</th>" in compare_en, label
    index = (report_en[2] / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<th>Finished</th><td>\d{1,2} (January|February|March|April|May|June|July|August|September|"
                     r"October|November|December) 20\d\d, \d\d:\d\d UTC</td>", index)
    assert '<html lang="en">' in index and "The analysis rests on 5 documents of the types" in index


def test_the_front_page_states_the_corpus_the_figure_and_the_method_before_the_links(report):
    run = report[2]
    index = (run / "index.html").read_text(encoding="utf-8")
    text = visible_text(index)
    assert ("Analysen bygger på 5 dokumenter af typerne beretning, handleplan, notat, politik og strategi fra 5 "
            "kommuner (2016–2022), i alt 15 afsnit og 291 ord.") in text
    assert re.search(r'<img id="headline-figure" src="data:image/png;base64,[A-Za-z0-9+/=]{2000,}"', index)
    order = [index.index(s) for s in ("Analysen bygger på", "headline-figure", "De største forskelle",
                                      "Sådan er temaerne målt", "<h2 id=\"reports\">Rapporter</h2>", "<h2>Data</h2>",
                                      "<h2>Om denne kørsel</h2>")]
    assert order == sorted(order)
    assert "Kun dokumenter af samme type er sammenlignet" in text
    assert "href='02-themes.html'>temarapporten</a>" in index and "href='03-compare.html'>sammenligningen</a>" in index


def test_every_text_in_the_danish_figures_is_danish(report):
    """Titles, axes, ticks, legends and cell labels of every figure, drawn from the run's tables."""
    import matplotlib
    import matplotlib.pyplot as plt

    from analysis.publish import i18n
    from analysis.publish import plots
    from analysis.publish import views

    out, _, _ = report
    english = re.compile(r"\b(the|of|and|with|segments?|share|theme|words?|municipalit\w+|intercoder|train|"
                         r"cross-validated|test|probability|similarity|distance|clusters?)\b", re.I)
    with i18n.using("da"):
        results = views.load_results(out)
        comparison = views.comparison(results)
        flagged = results.flagged_labels
        figures = [
            plots.plot_documents(results.documents),
            plots.plot_theme_prevalence(results.segments, results.keys, flagged),
            plots.plot_validation(results.validation, results.keys, results.labels),
            plots.plot_reliability(results.calibration),
            plots.plot_clusters(results.clusters, flagged),
            plots.plot_theme_heatmap(comparison.profiles, results.keys, flagged, comparison.confidence),
            plots.plot_similarity(comparison.similarity),
            plots.plot_dendrogram(comparison.linkages["themes"]),
            plots.plot_keyness_grid(comparison.keyness),
            plots.plot_cooccurrence(comparison.cooccurrence, results.keys, flagged),
            plots.plot_profile(results.profiles, "Aalborg", results.keys, flagged),
            plots.plot_keyness(results.keyness, "Aalborg"),
            plots.plot_headline(results.profiles, results.keys, flagged),
        ]
        corpus_words = set(" ".join(results.segments["text"]).lower().split())
        for fig in figures:
            fig.canvas.draw()
            texts = [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()]
            assert texts
            for text in texts:
                hits = [w for w in english.findall(text) if w.lower() not in corpus_words]
                assert not hits, (fig.axes[0].get_title() if fig.axes else "", text)
                assert not re.search(r"\d\.\d{1,2}(?!\d)", text), text  # a decimal comma ("3.920" is a thousand)
            plt.close(fig)
