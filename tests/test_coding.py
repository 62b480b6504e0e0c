"""The corpus's own coding loop: sample -> coding sheets -> code-in -> agreement, accuracy on the
corpus, error-corrected shares; the statistics against worked examples and simulated truth."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.base.errors import InputError
from analysis.coding import agreement as agr
from analysis.coding import estimate
from analysis.coding.draw import allocate, draw_sample, round_systematic
from analysis.coding.register import Register, inclusion_probabilities, load_register
from analysis.themes.lexicon import load_codebook

PROJECT = Path(__file__).resolve().parent.parent
BOOK = load_codebook()
KEYS = BOOK.keys
LABELS = BOOK.labels("da")
TRUTH = pd.read_csv(PROJECT / "corpus" / "annotations.csv", dtype=str).drop_duplicates("fingerprint") \
    .set_index("fingerprint")


# --------------------------------------------------------------------------- statistics


def test_cohen_kappa_matches_the_textbook_example():
    # 50 cases: both yes 20, A yes B no 5, A no B yes 10, both no 15 -> p_o 0.70, p_e 0.50, kappa 0.40
    a = [1] * 25 + [0] * 25
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    assert agr.cohen_kappa(a, b) == pytest.approx(0.40)
    assert np.isnan(agr.cohen_kappa([1, 1, 1], [1, 1, 1]))  # no variation: not defined


def test_alpha_bootstrap_counts_a_unit_drawn_twice_twice():
    # two units, the second (a disagreement) drawn twice: the same as the data with it repeated
    counts = np.array([[2.0, 0.0], [1.0, 1.0]])
    repeated = agr.krippendorff_alpha(np.array([[0, 0], [0, 1], [0, 1]]))
    assert agr._alpha_from_counts(counts, np.array([[1.0, 2.0]]))[0] == pytest.approx(repeated)
    assert repeated == pytest.approx(-0.25)


def test_krippendorff_alpha_matches_krippendorffs_worked_example():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers, 12 units, missing data
    n = np.nan
    data = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
                     [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
                     [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
                     [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n]]).T
    assert agr.krippendorff_alpha(data) == pytest.approx(0.743, abs=0.0005)


def test_agreement_table_gives_kappa_and_alpha_with_intervals_for_two_coders():
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 2, (60, 2))
    other = np.where(rng.random((60, 2)) < 0.15, 1 - truth, truth)
    rows = [{"fingerprint": f"f{i}", "segment_id": f"s{i}", "coder": c, "a": int(v[i, 0]), "b": int(v[i, 1])}
            for i in range(60) for c, v in (("anna", truth), ("bo", other))]
    table = agr.agreement_table(pd.DataFrame(rows), ["a", "b"], n_boot=300, seed=1).set_index("theme")
    assert table.loc["a", "kappa"] == pytest.approx(agr.cohen_kappa(truth[:, 0], other[:, 0]), abs=1e-4)
    assert table.loc["a", "coders"] == "anna, bo" and table.loc["a", "n_paragraphs"] == 60
    for k in ("a", "b", "all"):
        assert table.loc[k, "kappa_low"] <= table.loc[k, "kappa"] <= table.loc[k, "kappa_high"]
        assert table.loc[k, "alpha_low"] <= table.loc[k, "alpha"] <= table.loc[k, "alpha_high"]
    differ = agr.disagreements(pd.DataFrame(rows), ["a", "b"])
    assert len(differ) == int((truth != other).sum())
    assert set(differ["codes"].str.extract(r"anna (\d), bo (\d)").apply(lambda r: r[0] != r[1], axis=1)) == {True}


def test_weighted_scores_against_a_hand_computed_example():
    # weights 1, 3, 2, 4: tp = 1, fn = 3, fp = 2, tn = 4 -> precision 1/3, recall 1/4, F1 2/7, specificity 4/6
    y = np.array([[1], [1], [0], [0]])
    p = np.array([[1], [0], [1], [0]])
    table, _ = estimate.weighted_scores(y, p, [1, 3, 2, 4], ["d1", "d2", "d3", "d4"], ["x"], n_boot=50)
    row = table.set_index("theme").loc["x"]
    assert row["precision"] == pytest.approx(1 / 3, abs=1e-4)
    assert row["recall"] == pytest.approx(1 / 4, abs=1e-4)
    assert row["f1"] == pytest.approx(2 / 7, abs=1e-4)
    assert row["specificity"] == pytest.approx(4 / 6, abs=1e-4)
    assert row["est_true"] == 4 and row["est_predicted"] == 3


def test_rogan_gladen_by_hand():
    assert estimate.rogan_gladen(0.3, 0.8, 0.9) == pytest.approx(0.2 / 0.7)
    assert estimate.rogan_gladen(0.05, 0.8, 0.9) == 0.0  # below the false-positive floor: clipped
    assert np.isnan(estimate.rogan_gladen(0.3, 0.55, 0.6))  # Youden 0.15: not correctable


def test_corrected_share_covers_the_known_truth_at_the_stated_rate():
    """Simulated corpora with known true shares, a method of sensitivity 0.8 and specificity 0.9,
    and a random coded sample of 300: the 95 % intervals cover the truth about 95 % of the time."""
    rng = np.random.default_rng(5)
    units, docs, per_doc, n_boot = 10, 4, 40, 400
    hits = total = 0
    raw_hits = 0
    for rep in range(40):
        truth_share = rng.uniform(0.1, 0.6, units)
        unit = np.repeat(np.arange(units), docs * per_doc)
        doc = np.repeat(np.arange(units * docs), per_doc)
        truth = rng.random(len(unit)) < truth_share[unit]
        pred = np.where(truth, rng.random(len(unit)) < 0.8, rng.random(len(unit)) < 0.1)
        pick = rng.choice(len(unit), 300, replace=False)
        table, boot = estimate.weighted_scores(truth[pick, None].astype(int), pred[pick, None].astype(int),
                                               np.full(300, len(unit) / 300), doc[pick], ["t"], n_boot=n_boot, seed=rep)
        raw = np.array([pred[unit == u].mean() for u in range(units)])[:, None]
        raw_boot = np.zeros((n_boot, units, 1))
        for u in range(units):
            for d in range(u * docs, (u + 1) * docs):
                rows = np.flatnonzero(doc == d)
                raw_boot[:, u, 0] += pred[rows][rng.integers(0, len(rows), (n_boot, len(rows)))].sum(axis=1)
            raw_boot[:, u, 0] /= docs * per_doc
        out = estimate.corrected_shares(raw, raw_boot, table["sensitivity"].to_numpy()[:1],
                                        table["specificity"].to_numpy()[:1], boot["sensitivity"], boot["specificity"])
        hits += int(((out["low"][:, 0] <= truth_share) & (truth_share <= out["high"][:, 0])).sum())
        raw_lo, raw_hi = np.quantile(raw_boot, [0.025, 0.975], axis=0)
        raw_hits += int(((raw_lo[:, 0] <= truth_share) & (truth_share <= raw_hi[:, 0])).sum())
        total += units
    assert 0.90 <= hits / total <= 0.99
    assert raw_hits / total < 0.85  # the uncorrected intervals miss it far more often: the correction is needed


# --------------------------------------------------------------------------- sampling


def _frame(sizes: dict[tuple[str, str], int]) -> pd.DataFrame:
    rows = []
    for (muni, kind), n in sizes.items():
        for i in range(n):
            rows.append({"segment_id": f"{muni}-{kind}:{i:03d}", "fingerprint": f"{muni}{kind}{i:05d}",
                         "doc_id": f"{muni}-{kind}", "municipality": muni, "doc_type": kind})
    return pd.DataFrame(rows)


EMPTY = Register(pd.DataFrame(columns=["sheet", "coder", "part", "wave", "segment_id", "fingerprint", "doc_id",
                                       "municipality", "doc_type", "stratum"]),
                 pd.DataFrame(columns=["wave", "stratum", "frame", "expected", "p", "allocation", "seed"]))


def test_systematic_rounding_keeps_the_total_and_each_expectation():
    expected = pd.Series([2.4, 0.3, 5.3, 1.0, 3.0])
    counts = np.array([round_systematic(expected, np.random.default_rng(s)).to_numpy() for s in range(4000)])
    assert set(counts.sum(axis=1)) == {12}
    assert np.all(counts >= np.floor(expected.to_numpy())) and np.all(counts <= np.ceil(expected.to_numpy()))
    assert counts.mean(axis=0) == pytest.approx(expected.to_numpy(), abs=0.05)


def test_random_part_is_stratified_and_its_inclusion_probabilities_add_up():
    segs = _frame({("Aarhus", "politik"): 300, ("Aarhus", "referat"): 100, ("Vejle", "politik"): 60,
                   ("Odense", "politik"): 40})
    drawn = draw_sample(segs, EMPTY, set(), n=100, coders=["anna"], seed=7, date="2026-12-04")
    counts = drawn.sample.groupby("stratum").size()
    assert counts.sum() == 100
    assert counts["Aarhus · politik"] == 60 and counts["Aarhus · referat"] == 20
    assert counts["Vejle · politik"] == 12 and counts["Odense · politik"] == 8
    strata = segs["municipality"] + " · " + segs["doc_type"]
    pi = inclusion_probabilities(drawn.waves, strata)
    assert pi.sum() == pytest.approx(100) and np.allclose(pi, 0.2)
    again = draw_sample(segs, EMPTY, set(), n=100, coders=["anna"], seed=7, date="2026-12-04")
    assert again.sample["segment_id"].tolist() == drawn.sample["segment_id"].tolist()  # seeded


def test_a_second_wave_draws_new_paragraphs_and_the_probabilities_compound():
    segs = _frame({("Aarhus", "politik"): 200, ("Vejle", "politik"): 50})
    first = draw_sample(segs, EMPTY, set(), n=50, coders=["anna"], seed=7, date="d1", learning=20)
    assert first.sample["part"].value_counts().to_dict() == {"random": 50, "learning": 20}
    register = Register(first.sample, first.waves.astype({"wave": int, "p": float}), first.frames)
    coded = set(segs["fingerprint"].iloc[:60])  # coded outside the sample, and the learning part
    second = draw_sample(segs, register, coded, n=50, coders=["bo"], seed=7, date="d2")
    again = second.sample
    assert not set(again["fingerprint"]) & set(first.sample.loc[first.sample["part"] == "random", "fingerprint"])
    # drawn paragraphs that are coded or on a sheet already join the random part without a sheet
    on_sheet = set(first.sample["fingerprint"]) | coded
    assert (again.loc[again["fingerprint"].isin(on_sheet), "sheet"] == "").all()
    assert (again.loc[~again["fingerprint"].isin(on_sheet), "sheet"] == "bo-d2").all()
    assert second.covered == int(again["fingerprint"].isin(on_sheet).sum()) > 0
    both = pd.concat([first.waves, second.waves]).astype({"p": float})
    frames = pd.concat([first.frames, second.frames])
    pi = inclusion_probabilities(both, segs["municipality"] + " · " + segs["doc_type"], segs["doc_id"], frames)
    # every paragraph, coded or in the learning part or not, had the same chance: (50 + 50) / 250
    assert np.allclose(pi, 100 / 250)


def test_a_document_added_after_a_wave_has_only_the_later_waves_chance():
    segs = _frame({("Aarhus", "politik"): 100})
    first = draw_sample(segs, EMPTY, set(), n=20, coders=["anna"], seed=7, date="d1")
    grown = pd.concat([segs, _frame({("Aarhus", "politik"): 0}),
                       _frame({("Aarhus", "politik"): 50}).assign(doc_id="Aarhus-ny", segment_id=lambda f: "ny" + f[
                           "segment_id"], fingerprint=lambda f: "ny" + f["fingerprint"])], ignore_index=True)
    register = Register(first.sample, first.waves, first.frames)
    second = draw_sample(grown, register, set(), n=26, coders=["bo"], seed=7, date="d2")
    both, frames = pd.concat([first.waves, second.waves]), pd.concat([first.frames, second.frames])
    stratum = np.full(len(grown), "Aarhus · politik", dtype=object)
    pi = inclusion_probabilities(both, stratum, grown["doc_id"], frames)
    p1, p2 = 20 / 100, 26 / 130
    assert np.allclose(pi[grown["doc_id"] == "Aarhus-politik"], 1 - (1 - p1) * (1 - p2))
    assert np.allclose(pi[grown["doc_id"] == "Aarhus-ny"], p2)  # not in the first wave's frame


def test_equal_allocation_gives_every_municipality_the_same_number():
    segs = _frame({("Aarhus", "politik"): 500, ("Vejle", "politik"): 40, ("Odense", "politik"): 8})
    sizes = segs.groupby(segs["municipality"] + " · " + segs["doc_type"]).size()
    munis = pd.Series({s: s.split(" · ")[0] for s in sizes.index})
    expected = allocate(sizes, munis, 60, "equal")
    assert expected["Odense · politik"] == pytest.approx(8)  # all it has
    assert expected["Aarhus · politik"] == pytest.approx(26) and expected["Vejle · politik"] == pytest.approx(26)


def test_overlap_gives_coders_the_same_paragraphs():
    segs = _frame({("Aarhus", "politik"): 200, ("Vejle", "politik"): 100})
    drawn = draw_sample(segs, EMPTY, set(), n=100, coders=["anna", "bo"], overlap=30, seed=7, date="d")
    a = set(drawn.sample.loc[drawn.sample["coder"] == "anna", "fingerprint"])
    b = set(drawn.sample.loc[drawn.sample["coder"] == "bo", "fingerprint"])
    assert len(a & b) == 30 and len(a | b) == 100 and len(a) == len(b) == 65
    register = Register(drawn.sample, drawn.waves)
    later = draw_sample(segs, register, set(), n=0, coders=["cia"], overlap=20, seed=7, date="d")
    assert len(later.sample) == 20 and set(later.sample["fingerprint"]) <= a | b and later.waves.empty


# --------------------------------------------------------------------------- the loop on a corpus


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    """The shipped documents as a corpus with no hand coding, and a config without the
    development set (the corpus's own coding trains alone, so runs are quick)."""
    root = tmp_path_factory.mktemp("loop")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copytree(PROJECT / "corpus" / "documents", corpus / "documents")
    shutil.copy(PROJECT / "corpus" / "metadata.csv", corpus / "metadata.csv")
    config = root / "config.yaml"
    config.write_text(f"themes:\n  dev_set: {root / 'no-dev-set'}\ncompare:\n  n_bootstrap: 200\n", encoding="utf-8")
    return {"root": root, "corpus": corpus, "config": config, "out": root / "outputs"}


def fresh(loop, name: str) -> dict:
    """A copy of the loop corpus of its own (tests that write codes do not see each other's)."""
    corpus = loop["root"] / name
    shutil.copytree(loop["corpus"], corpus, ignore=shutil.ignore_patterns("coding", "annotations*"))
    return {**loop, "corpus": corpus, "out": loop["root"] / f"out-{name}"}


def fill(path: Path, flip_every: int = 0, theme: str = "sundhed", value=None, rows=None) -> None:
    """Code a sheet as the shipped hand coding codes its paragraphs (``flip_every``: change one
    theme of every n-th row; ``value``: write this instead in ``rows``)."""
    book = load_workbook(path)
    ws = book.worksheets[0]
    head = [c.value for c in ws[1]]
    check = head.index("Kontrol")
    columns = {k: head.index(LABELS[k]) for k in KEYS}
    for i, row in enumerate(ws.iter_rows(min_row=2), start=1):
        for k in KEYS:
            v = int(TRUTH.loc[row[check].value, k])
            if flip_every and i % flip_every == 0 and k == theme:
                v = 1 - v
            row[columns[k]].value = v
        if rows is not None and i in rows:
            row[columns[theme]].value = value
    book.save(path)


def sample(env, **options):
    from analysis.coding.loop import sample_for_coding

    options.setdefault("n", 100)
    options.setdefault("coders", ["anna"])
    from analysis.pipeline import ensure_tables

    return sample_for_coding(env["corpus"], env["out"], config=env["config"], date="2026-12-04",
                             make_tables=ensure_tables, **options)


def read(env, *paths, skip_bad=False):
    from analysis.coding.loop import read_in
    from analysis.pipeline import ensure_tables

    return read_in(list(paths), env["corpus"], env["out"], config=env["config"], skip_bad=skip_bad,
                   make_tables=ensure_tables)


def test_sheet_is_blind_danish_and_made_for_a_coder(loop):
    env = fresh(loop, "sheet")
    sheet = sample(env, n=40).sheets[0]
    assert sheet.path == env["corpus"] / "coding" / "anna-2026-12-04.xlsx" and sheet.n_random == 40
    book = load_workbook(sheet.path)
    assert book.sheetnames[:2] == ["Kodning", "Kodebog"]
    ws = book["Kodning"]
    head = [c.value for c in ws[1]]
    assert head == ["Tekst", "Afsnittet før", "Afsnittet efter", "Kommune", "Dokument", "Placering",
                    *[LABELS[k] for k in KEYS], "Note", "Afsnit-id", "Kontrol", "Ark", "Koder"]
    assert ws.max_row == 41 and ws.freeze_panes == "B2"
    # blind: nothing of the machine's coding, and every theme cell empty
    assert not any("score" in str(h).lower() or "theme_" in str(h) for h in head)
    for k in KEYS:
        assert all(ws.cell(row=r, column=head.index(LABELS[k]) + 1).value is None for r in range(2, 42))
    rules = [dv for dv in ws.data_validations.dataValidation]
    assert len(rules) == len(KEYS) and all(dv.type == "list" and dv.formula1 == '"0,1"' for dv in rules)
    assert ws.cell(row=2, column=1).alignment.wrap_text
    texts = " ".join(str(ws.cell(row=r, column=1).value) for r in range(2, 42))
    assert any(ch in texts for ch in "æøå") and "Ã" not in texts  # Danish survives, no mojibake
    codebook_text = " ".join(str(c.value) for row in book["Kodebog"].iter_rows() for c in row if c.value)
    assert BOOK.themes["bolig"].definition_da.split()[0] in codebook_text and "Sådan koder du" in codebook_text
    register = load_register(env["corpus"])
    assert len(register.sample) == 40 and set(register.sample["part"]) == {"random"}
    english = sample(env, n=10, coders=["bo"], language="en").sheets[0]
    assert [c.value for c in load_workbook(english.path)["Coding"][1]][:3] == ["Text", "Paragraph before",
                                                                             "Paragraph after"]


def test_round_trip_sample_fill_read_back_gives_the_codes(loop):
    env = fresh(loop, "round")
    sheet = sample(env, n=60, learning=10).sheets[0]
    fill(sheet.path)
    done = read(env, sheet.path)
    assert done.coded == 70 and done.new == 70 and not done.changed
    final = pd.read_csv(env["corpus"] / "annotations.csv", dtype=str).set_index("fingerprint")
    assert len(final) == 70 and set(final["basis"]) == {"one coder"} and set(final["coder"]) == {"anna"}
    for k in KEYS:
        assert (final[k] == TRUTH.loc[final.index, k]).all()
    before = {p: p.read_bytes() for p in (env["corpus"] / "annotations.csv", env["corpus"] / "annotations_coders.csv")}
    again = read(env, sheet.path)  # the same sheet twice changes nothing
    assert again.unchanged == 70 and again.new == 0 and not again.written
    assert all(p.read_bytes() == b for p, b in before.items())
    fill(sheet.path, flip_every=10)  # the coder changes seven answers
    changed = read(env, sheet.path)
    assert len(changed.changed) == 7 and all("sundhed" in line for line in changed.changed)
    assert list((env["corpus"] / "coding" / "backup").glob("annotations-*.csv"))


def test_second_coder_agreement_adjudication_and_the_reports(loop):
    from analysis.pipeline import ensure_tables, prepare
    from analysis.publish import views

    env = fresh(loop, "two")
    sheets = sample(env, n=110, coders=["anna", "bo"], overlap=30).sheets
    fill(sheets[0].path)
    fill(sheets[1].path, flip_every=7)
    done = read(env, *[s.path for s in sheets])
    assert done.coded == 140
    coders = pd.read_csv(env["corpus"] / "annotations_coders.csv", dtype=str)
    assert sorted(coders["coder"].value_counts().to_dict().items()) == [("anna", 70), ("bo", 70)]
    final = pd.read_csv(env["corpus"] / "annotations.csv", dtype=str)
    both = final["basis"].isin(["coders agree", "coders disagree: majority, a tie by the first coder read in"])
    assert len(final) == 110 and both.sum() == 30
    ensure_tables(env["corpus"], env["out"], env["config"], progress=False)
    results = prepare(env["corpus"], env["out"], env["config"])
    agreement = results.coding_agreement.set_index("theme")
    assert agreement.loc["sundhed", "n_paragraphs"] == 30 and agreement.loc["bolig", "kappa"] == 1.0
    assert agreement.loc["sundhed", "agreement"] < 1.0
    v = results.validation
    own = v[v["split"] == "corpus sample"]
    assert set(own["n_segments"]) == {110} and (own["text"] == "real").all()
    basis = views.figure_basis(results)
    assert basis["split"] == "corpus sample" and basis["segments"] == 110
    note = views.own_coding_html(results)
    assert "110 afsnit" in note and "anna og bo" in note and "Krippendorffs alfa" in note
    table = views.corrected_table(results, "Frederiksberg")
    assert len(table) == len(KEYS) and set(table.columns) >= {"unit", "corrected", "share_segments"}
    corrected = results.corrected
    assert ((corrected["corrected"] >= 0) & (corrected["corrected"] <= 1) | corrected["corrected"].isna()).all()
    assert (env["out"] / "tables" / "learning_curve.csv").exists()
    # the disagreements go to an adjudicator, whose codes settle them
    judge = sample(env, coders=["eva"], adjudicate=True).sheets[0]
    assert judge.n_adjudication == int((final["basis"] != "coders agree").sum() - (final["basis"] == "one coder").sum())
    fill(judge.path)
    read(env, judge.path)
    final = pd.read_csv(env["corpus"] / "annotations.csv", dtype=str)
    assert (final["basis"] == "adjudicated").sum() == judge.n_adjudication
    assert final.loc[final["basis"] == "adjudicated", "coder"].str.endswith("adjudicated by eva").all()


def test_below_fifty_the_reports_say_the_own_coding_is_missing(loop):
    from analysis.pipeline import prepare
    from analysis.publish import views

    env = fresh(loop, "few")
    sheet = sample(env, n=30).sheets[0]
    fill(sheet.path)
    read(env, sheet.path)
    results = prepare(env["corpus"], env["out"], env["config"])
    note = views.own_coding_html(results)
    assert "mangler" in note and "30 af mindst 50" in note and "python -m analysis sample" in note
    assert views.figure_basis(results) is None or views.figure_basis(results)["split"] != "corpus sample"
    assert views.corrected_table(results).empty


# --------------------------------------------------------------------------- bad sheets


def _snapshot(env) -> dict:
    return {p.name: p.read_bytes() for p in env["corpus"].glob("annotations*.csv")}


def _bad(env, path, expected: str, skip_bad=False):
    before = _snapshot(env)
    with pytest.raises(InputError) as caught:
        read(env, path, skip_bad=skip_bad)
    lines = [str(p) for p in caught.value.problems]
    assert any(expected in line for line in lines), lines
    assert all("\n" not in line and str(path.name) in line for line in lines)
    assert _snapshot(env) == before  # nothing written
    return lines


@pytest.fixture(scope="module")
def drawn(loop):
    env = fresh(loop, "bad")
    sheet = sample(env, n=40).sheets[0]
    fill(sheet.path)
    return env, sheet.path


def _edit(src: Path, dst: Path, edit) -> Path:
    shutil.copy(src, dst)
    book = load_workbook(dst)
    edit(book.worksheets[0])
    book.save(dst)
    return dst


def test_bad_values_partial_rows_and_renamed_columns(drawn):
    env, path = drawn
    head = [c.value for c in load_workbook(path).worksheets[0][1]]
    col = head.index(LABELS["bolig"]) + 1
    x = _edit(path, env["root"] / "x.xlsx", lambda ws: ws.cell(row=3, column=col, value="x"))
    assert "line 3" in _bad(env, x, "'Bolig og hjemløshed' is 'x', not 0 or 1")[0]
    ja = _edit(path, env["root"] / "ja.xlsx", lambda ws: ws.cell(row=4, column=col, value="ja"))
    _bad(env, ja, "'ja', not 0 or 1")
    part = _edit(path, env["root"] / "part.xlsx", lambda ws: setattr(ws.cell(row=5, column=col), "value", None))
    _bad(env, part, "7 of 8 themes coded (Bolig og hjemløshed empty)")
    renamed = _edit(path, env["root"] / "renamed.xlsx", lambda ws: ws.cell(row=1, column=col, value="Boligområdet"))
    _bad(env, renamed, "missing column(s) 'Bolig og hjemløshed' (found 'Boligområdet': renamed?)")


def test_rows_added_or_deleted_and_a_sheet_of_another_corpus(drawn, loop):
    env, path = drawn
    head = [c.value for c in load_workbook(path).worksheets[0][1]]
    sid = head.index("Afsnit-id") + 1

    def add(ws):
        ws.append([c.value for c in ws[2]])
        ws.cell(row=ws.max_row, column=sid, value="gentofte-2020-udsattepolitik:999")
    _bad(env, _edit(path, env["root"] / "added.xlsx", add), "was not drawn for sheet anna-2026-12-04")
    deleted = _edit(path, env["root"] / "deleted.xlsx", lambda ws: ws.delete_rows(3, 2))
    _bad(env, deleted, "2 of the 40 paragraphs drawn for sheet anna-2026-12-04 are not in it")
    done = read(env, deleted, skip_bad=True)  # --skip-bad reads the rest
    assert done.coded == 38 and len(done.skipped) == 1
    other = fresh(loop, "other")
    sample(other, n=5, coders=["zoe"])
    before = _snapshot(other)
    with pytest.raises(InputError) as caught:
        read(other, path)
    assert "was not drawn from this corpus" in str(caught.value.problems[0])
    assert _snapshot(other) == before


def test_a_paragraph_whose_text_changed_since_sampling(loop):
    env = fresh(loop, "moved")
    sheet = sample(env, n=126).sheets[0]
    fill(sheet.path)
    doc = env["corpus"] / "documents" / "roedovre-2015-notat-temaer.txt"
    text = doc.read_text(encoding="utf-8")
    first = [p for p in text.split("\n\n") if len(p.split()) > 15][0]
    doc.write_text(text.replace(first, first + " Tilføjet efter stikprøven."), encoding="utf-8")
    lines = _bad(env, sheet.path, "has changed in the corpus since it was drawn")
    assert len([line for line in lines if "changed in the corpus" in line]) == 1


def test_an_excel_csv_in_windows_1252_with_semicolons_is_read(drawn):
    env, path = drawn
    ws = load_workbook(path).worksheets[0]
    rows = [[("" if c.value is None else str(c.value)) for c in row] for row in ws.iter_rows()]
    csv_path = env["root"] / "anna.csv"
    body = "\r\n".join(";".join('"' + v.replace('"', '""') + '"' for v in r) for r in rows) + "\r\n"
    csv_path.write_bytes(body.encode("cp1252", errors="replace"))
    done = read(env, csv_path)
    assert done.coded == 40
    final = pd.read_csv(env["corpus"] / "annotations.csv", dtype=str).set_index("fingerprint")
    assert (final["bolig"] == TRUTH.loc[final.index, "bolig"]).all()


def test_a_sheet_given_twice_and_a_column_twice(drawn):
    env, path = drawn
    ws = load_workbook(path).worksheets[0]
    rows = [[("" if c.value is None else str(c.value)) for c in row] for row in ws.iter_rows()]
    copy = env["root"] / "same.csv"
    copy.write_text("\n".join(",".join('"' + v.replace('"', '""') + '"' for v in r) for r in rows), encoding="utf-8")
    before = _snapshot(env)
    with pytest.raises(InputError) as caught:
        read(env, path, copy)
    assert "same.csv: sheet anna-2026-12-04 is read in already from" in str(caught.value.problems[-1])
    assert _snapshot(env) == before
    head = [c.value for c in ws[1]]
    twice = _edit(path, env["root"] / "twice.xlsx",
                  lambda w: w.cell(row=1, column=head.index("Note") + 1, value=LABELS["bolig"]))
    _bad(env, twice, "two columns are headed 'Bolig og hjemløshed' (columns G and O)")


def test_a_half_done_read_is_healed_by_reading_again(loop):
    env = fresh(loop, "heal")
    sheet = sample(env, n=20).sheets[0].path
    fill(sheet)
    read(env, sheet)
    final = env["corpus"] / "annotations.csv"
    kept = final.read_bytes()
    final.write_text(final.read_text(encoding="utf-8-sig").splitlines()[0] + "\n", encoding="utf-8-sig")  # lost
    done = read(env, sheet)
    assert done.unchanged == 20 and final in done.written
    assert final.read_bytes() == kept


def test_a_second_coder_gets_the_paragraphs_as_the_corpus_has_them_now(loop):
    env = fresh(loop, "moved-ids")
    first = sample(env, n=30).sheets[0]
    drawn = load_register(env["corpus"]).sample
    doc = env["corpus"] / "documents" / "odsherred-2017-politik-socialt-udsatte.txt"
    doc.write_text("Et nyt første afsnit, som flytter alle de andre afsnit én plads.\n\n"
                   + doc.read_text(encoding="utf-8"), encoding="utf-8")
    second = sample(env, n=0, coders=["bo"], overlap=30).sheets[0]
    assert second.n_again == 30 and first.path != second.path
    register = load_register(env["corpus"]).sample
    bo = register[register["coder"] == "bo"].set_index("fingerprint")["segment_id"]
    old = drawn.set_index("fingerprint")["segment_id"]
    moved = [f for f in bo.index if old[f].startswith("odsherred")]
    assert moved and all(bo[f] != old[f] for f in moved)  # the id of the paragraph now, not when drawn
    fill(second.path)
    assert read(env, second.path).coded == 30


def test_an_empty_sheet_and_a_file_that_is_no_sheet(drawn):
    env, path = drawn
    empty = env["root"] / "empty.csv"
    empty.write_bytes(b"")
    _bad(env, empty, "the sheet is empty")
    headers_only = _edit(path, env["root"] / "headers.xlsx", lambda ws: ws.delete_rows(2, ws.max_row))
    _bad(env, headers_only, "the sheet has no rows")
    pdf = env["root"] / "sheet.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    _bad(env, pdf, "not a coding sheet (.pdf)")
    broken = env["root"] / "broken.xlsx"
    broken.write_bytes(b"not a zip")
    _bad(env, broken, "not a readable Excel workbook")
    import zipfile

    cut = env["root"] / "cut.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(cut, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item, data[:len(data) // 2] if item.filename == "xl/worksheets/sheet1.xml" else data)
    _bad(env, cut, "not a readable Excel workbook")


def test_cli_sample_and_code_in_speak_in_one_line_errors(cli, loop):
    env = fresh(loop, "cli")
    code, out, err = cli("sample", "--n", "20", "--coder", "anna bo", "--corpus", env["corpus"], "--out", env["out"],
                         "--config", env["config"])
    assert code == 2 and "'anna bo' is not a usable coder name" in err
    code, out, err = cli("sample", "--n", "20", "--coder", "anna", "--corpus", env["corpus"], "--out", env["out"],
                         "--config", env["config"])
    assert code == 0 and "20 paragraphs for anna (20 random)" in out and "code-in" in out
    sheet = next((env["corpus"] / "coding").glob("anna-*.xlsx"))
    fill(sheet)
    code, out, err = cli("code-in", sheet, "--corpus", env["corpus"], "--out", env["out"], "--config", env["config"])
    assert code == 0 and "20 coded rows read (20 new, 0 changed, 0 as before); 0 not coded yet" in out
    code, out, err = cli("code-in", env["root"] / "missing.xlsx", "--corpus", env["corpus"], "--out", env["out"],
                         "--config", env["config"])
    assert code == 2 and "missing.xlsx: no such file" in err and "nothing was read in" in err
