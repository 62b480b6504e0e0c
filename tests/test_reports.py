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
from analysis.themes import load_codebook
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
    from analysis.reports import default_jobs

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
    for text in ("Corpus fingerprint", meta["corpus_fingerprint"], "<th>Documents</th><td>5</td>",
                 "<th>Municipalities</th><td>5</td>", "Codebook version", meta["codebook_version"], "Git commit",
                 "nbconvert", "papermill", "spacy"):
        assert text in index, text
    for href in ("01-corpus.html", "02-themes.html", "03-compare.html", "profile-aalborg.html", "analysis.xlsx"):
        assert f"href='{href}'" in index


@pytest.mark.parametrize(
    "page, headings, min_figures",
    [
        ("01-corpus.html", ["Corpus overview", "Documents", "Words per municipality and document type"], 1),
        ("02-themes.html", ["Themes", "The codebook", "How well the themes are measured", "Choosing the method",
                            "Are the scores probabilities?", "Bottom-up clusters"], 4),
        ("03-compare.html", ["Comparing municipalities", "How far to trust the themes", "The documents compared",
                             "Theme profiles", "Differences the intervals support",
                             "Similarity and clustering of municipalities", "Distinctive words",
                             "Themes that go together", "Passages in context"], 5),
        ("profile-aalborg.html", ["Municipality profile", "Aalborg", "How far to trust the themes",
                                  "Themes against the other municipalities",
                                  "Distinctive words", "Key passages per theme"], 2),
    ],
)
def test_pages_have_their_headings_figures_and_no_code(report, page, headings, min_figures):
    out, _, _ = report
    text = (out / "reports" / "latest" / page).read_text(encoding="utf-8")
    found = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h[1-3][^>]*>(.*?)</h[1-3]>", text, re.S)]
    for heading in headings:
        assert heading in found, (heading, found)
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', text)) >= min_figures
    plain = visible_text(text)
    assert "views.prepare(" not in plain and "plots.setup_style" not in plain  # code hidden
    assert "hl-ipython3" not in text  # no highlighted code block


def test_the_comparison_names_the_documents_behind_the_shares(report):
    import html

    out, _, _ = report
    page = (out / "reports" / "latest" / "03-compare.html").read_text(encoding="utf-8")
    documents = pd.read_csv(out / "tables" / "documents.csv")
    documents = documents[documents["status"] == "ok"]
    assert len(documents) == 5
    start = page.index("The documents compared")
    section = page[start:page.index("Theme profiles", start)]
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
    assert "views.prepare(corpus, out, config, codebook, skip_bad=skip_bad)" in visible_text(page)


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
    assert "<th>Documents skipped (bad input)</th><td>1</td>" in index
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
    assert "over the size limit" in (run / "index.html").read_text(encoding="utf-8")


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
        browser.find_element("link text", "Municipality profile: Aalborg").click()
        assert browser.title and "Aalborg" in browser.page_source
    finally:
        browser.quit()


def test_reports_say_how_far_to_trust_each_theme(report):
    out, _, run = report
    for name in ("02-themes.html", "03-compare.html", "profile-aalborg.html"):
        text = visible_text((run / name).read_text(encoding="utf-8"))
        assert "How the themes were measured." in text, name
        assert "locked test set of 210 segments from 15 municipalities" in text, name
        assert "F1 on the locked test" in text and "95% interval" in text, name
    validation = pd.read_csv(out / "tables" / "validation.csv")
    test = validation[(validation["split"] == "test") & validation["theme"].isin(KEYS)]
    weak = test[test["f1"] < 0.8]["theme"].tolist()
    profile = visible_text((run / "profile-aalborg.html").read_text(encoding="utf-8"))
    labels = load_codebook().labels("da")
    for key in weak:  # named in the note as indicative only
        assert f"{labels[key]}" in profile.split("indicative only")[1], key
    assert ("indicative only" in profile) == bool(weak)
