"""Validation arithmetic, annotations, grouped cross-validation and the model cache."""

import numpy as np
import pandas as pd
import pytest

from analysis.base.cache import cached
from analysis.base.config import load_config
from analysis.base.errors import InputError
from analysis.themes.annotations import load_annotations, match_annotations
from analysis.themes.classify import STRUCTURE_COLUMNS, LexiconClassifier, ThemeModel
from analysis.themes.validation import Labelled, agreement, bootstrap_f1, cross_validate, evaluate, grouped_folds, reliability


def test_agreement_on_a_hand_made_example():
    y_true = [[1, 0], [1, 1], [0, 0], [0, 1]]
    y_pred = [[1, 0], [0, 1], [0, 1], [0, 1]]
    table = agreement(y_true, y_pred, ["a", "b"], core=["a"], method="m").set_index("theme")
    # theme a: tp 1, fp 0, fn 1, tn 2 -> P 1, R .5, F1 .667; p_o .75, p_e .5 -> kappa .5
    assert table.loc["a", ["precision", "recall", "f1", "kappa"]].tolist() == [1.0, 0.5, 0.6667, 0.5]
    # theme b: tp 2, fp 1, fn 0 -> P .667, R 1, F1 .8; p_o .75, p_e .5 -> kappa .5
    assert table.loc["b", ["precision", "recall", "f1", "kappa"]].tolist() == [0.6667, 1.0, 0.8, 0.5]
    assert table.loc["a", "support"] == 2 and table.loc["b", "predicted"] == 3
    assert table.loc["macro_core", "f1"] == 0.6667
    assert table.loc["macro_all", "f1"] == 0.7333
    assert table.loc["macro_all", "support"] == 4


def test_agreement_with_no_positives_anywhere_is_perfect_kappa_and_zero_f1():
    table = agreement([[0], [0]], [[0], [0]], ["a"], core=["a"]).set_index("theme")
    assert table.loc["a", "kappa"] == 1.0 and table.loc["a", "f1"] == 0.0


def test_grouped_folds_keep_each_document_in_one_fold():
    groups = np.array(["d1"] * 4 + ["d2"] * 3 + ["d3"] * 5 + ["d4"] * 2)
    folds = grouped_folds(groups, n_folds=5)
    assert len(np.unique(folds)) == 4  # never more folds than documents
    for doc in np.unique(groups):
        assert len(np.unique(folds[groups == doc])) == 1


KEYS = ["bolig", "sundhed"]


def _toy(n_groups=6, per_group=14, seed=0):
    """Segments of six municipalities: bolig in plain words, sundhed only in words the lexicon
    scores low (0.3), and traps that name sundhed in passing."""
    rng = np.random.default_rng(seed)
    rows, labels, traps, fps = [], [], [], []
    for g in range(n_groups):
        for i in range(per_group):
            y = [int(rng.random() < 0.4), int(rng.random() < 0.4)]
            trap = int(not y[1] and rng.random() < 0.3)
            words = ["akutbolig boligløs herberg" if y[0] else "møde",
                     "metadon abstinens skadestue" if y[1] else "budget", "plan"]
            rows.append({"municipality": f"m{g}", "lemmas": " ".join(words), "n_tokens": 12,
                         "score_bolig": 0.6 * y[0], "evidence_bolig": 1.5 * y[0], "passing_bolig": 0.0,
                         "treated_bolig": 1.5 * y[0],
                         "score_sundhed": 0.3 * y[1] + 0.1 * trap, "evidence_sundhed": 0.5 * y[1],
                         "passing_sundhed": 1.0 * trap, "treated_sundhed": 0.5 * y[1],
                         **{c: 0.0 for c in STRUCTURE_COLUMNS}, "struct_n_enumerations": float(trap)})
            labels.append(y)
            traps.append([0, trap])
            fps.append(f"f{g}-{i}")
    return pd.DataFrame(rows), np.array(labels), np.array(traps), np.array(fps)


def _labelled(X, Y, traps, fps, weights=None, source="development set"):
    n = len(Y)
    return Labelled(X.reset_index(drop=True), Y, X["municipality"].to_numpy(), traps, fps,
                    np.ones(n) if weights is None else weights, np.full(n, source, dtype=object))


def test_cross_validation_is_grouped_by_municipality():
    X, Y, traps, fps = _toy()
    groups = X["municipality"].to_numpy()
    cfg = load_config(None)
    cv = cross_validate(_labelled(X, Y, traps, fps), KEYS, KEYS, cfg)
    for fold in np.unique(cv.folds):
        test = cv.folds == fold
        assert not set(groups[test]) & set(groups[~test])  # no municipality on both sides
        model = ThemeModel(themes=KEYS, use_lexicon=False, C=cfg["themes"]["C"], random_state=cfg["seed"])
        model.fit(X[~test], Y[~test], groups=groups[~test])
        assert (cv.predictions["model"][test] == model.predict(X[test])).all()
        assert np.allclose(cv.probabilities["model"][test], model.predict_proba(X[test]))
    assert set(cv.table["method"]) == {"lexicon", "model", "combined"}
    assert cv.table["n_groups"].unique().tolist() == [6] and cv.table["n_folds"].unique().tolist() == [5]
    # sundhed's lexicon score (0.3) is below 0.5 but the words carry it: the models learn them, and
    # the lexicon learns its threshold; all three are perfect, and a tie goes to the simplest
    f1 = cv.table.set_index(["method", "theme"])["f1"]
    assert f1["model", "sundhed"] == 1.0 and f1["combined", "bolig"] == 1.0 and f1["lexicon", "sundhed"] == 1.0
    assert cv.chosen == "lexicon"


def test_model_is_deterministic_with_the_config_seed():
    X, Y, _, _ = _toy()
    groups = X["municipality"].to_numpy()
    seed = load_config(None)["seed"]
    a = ThemeModel(themes=KEYS, random_state=seed).fit(X, Y, groups=groups).predict_proba(X)
    b = ThemeModel(themes=KEYS, random_state=seed).fit(X, Y, groups=groups).predict_proba(X)
    assert a.tobytes() == b.tobytes()
    assert ((a >= 0) & (a <= 1)).all()


def test_probabilities_are_calibrated_on_held_out_scores():
    X, Y, _, _ = _toy(n_groups=8, per_group=20, seed=3)
    model = ThemeModel(themes=KEYS, random_state=0).fit(X, Y, groups=X["municipality"].to_numpy())
    proba = model.oof_proba_
    # held-out probabilities of positives are high and of negatives low, and they match the observed shares
    assert proba[Y == 1].mean() > 0.8 and proba[Y == 0].mean() < 0.2
    table = reliability(Y, proba, KEYS, "model", "cv train")
    pooled = table[table["theme"] == "all"]
    assert pooled["n"].sum() == Y.size
    assert (abs(pooled["mean_predicted"] - pooled["observed"]) * pooled["n"]).sum() / Y.size < 0.1


def test_lexicon_threshold_tuning_is_learned_in_fit():
    X, Y, _, _ = _toy()
    model = LexiconClassifier(themes=KEYS, tune=True).fit(X, Y)
    assert model.thresholds_[1] <= 0.3  # learned: sundhed's positives score 0.3
    assert (model.predict(X) == Y).all()
    proba = model.predict_proba(X)
    assert proba[Y[:, 0] == 1, 0].min() > proba[Y[:, 0] == 0, 0].max()


def test_evaluate_scores_the_locked_test_once_and_refuses_a_leak():
    X, Y, traps, fps = _toy()
    groups = X["municipality"].to_numpy()
    data = _labelled(X, Y, traps, fps)
    train, test = data.subset(groups != "m5"), data.subset(groups == "m5")
    cfg = load_config(None)
    cfg["compare"]["n_bootstrap"] = 50
    ev = evaluate(train, test, KEYS, KEYS, cfg)
    scored = ev.table[ev.table["split"] == "test"]
    assert scored["method"].unique().tolist() == [ev.chosen] and scored["n_segments"].max() == len(test)
    assert (scored["f1_low"] <= scored["f1"] + 1e-9).all() and (scored["f1"] <= scored["f1_high"] + 1e-9).all()
    checks = ev.checks.set_index(["split", "method", "check"])["value"]
    assert ("test", ev.chosen, "passing-mention traps coded") in checks.index
    leaked = train.fingerprints.copy()
    leaked[0] = test.fingerprints[0]  # one locked segment in the training data
    train.fingerprints = leaked
    with pytest.raises(RuntimeError, match="1 segment.s. of the locked test split are in the training data"):
        evaluate(train, test, KEYS, KEYS, cfg)


def test_sources_are_scored_apart_and_weigh_alike_in_the_choice():
    X, Y, traps, fps = _toy(n_groups=8)
    groups = X["municipality"].to_numpy()
    source = np.where(np.isin(groups, ["m6", "m7"]), "corpus", "development set")
    data = Labelled(X, Y, groups, traps, fps, np.ones(len(Y)), source)
    cv = cross_validate(data, KEYS, KEYS, load_config(None))
    splits = set(cv.table["split"])
    assert splits == {"cv train", "cv train: development set", "cv train: corpus"}
    corpus = cv.table[(cv.table["split"] == "cv train: corpus") & (cv.table["theme"] == "bolig")]
    assert corpus["n_segments"].unique().tolist() == [28] and corpus["n_groups"].unique().tolist() == [2]


def test_kind_weights_give_each_kind_its_share():
    from analysis.themes.devset import kind_weights

    kinds = pd.Series(["trap"] * 6 + ["clear"] * 2 + ["other"] * 2)
    w = kind_weights(kinds, {"trap": 0.25, "clear": 0.75})
    assert w[:6].sum() == pytest.approx(0.25 * 10) and w[6:8].sum() == pytest.approx(0.75 * 10)
    assert w[8:].tolist() == [1.0, 1.0]


def test_bootstrap_intervals_resample_municipalities():
    y_true = np.array([[1], [1], [0], [1], [0], [1]])
    y_pred = np.array([[1], [0], [0], [1], [0], [1]])
    groups = np.array(["a", "a", "b", "b", "c", "c"])
    one = bootstrap_f1(y_true, y_pred, groups, ["x"], ["x"], 200, 0.95, 1)
    two = bootstrap_f1(y_true, y_pred, groups, ["x"], ["x"], 200, 0.95, 1)
    assert one.equals(two)
    row = one.set_index("theme").loc["x"]
    assert 0 <= row["f1_low"] <= 0.857 <= row["f1_high"] <= 1


def test_annotations_errors_name_file_and_line(tmp_path):
    path = tmp_path / "annotations.csv"
    path.write_text("segment_id,fingerprint,bolig,sundhed\nd:001,aaa,1,0\nd:002,bbb,2,0\nd:003,aaa,0,0\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_annotations(path, ["bolig", "sundhed"], label="corpus/annotations.csv")
    messages = [str(p) for p in info.value.problems]
    assert messages == [
        "corpus/annotations.csv line 3: theme column(s) bolig not 0 or 1; code every theme as 0 or 1",
        "corpus/annotations.csv line 4: segment d:003 has the same text as line 2 but other codes; "
        "code the same text alike",
    ]
    path.write_text("segment_id,bolig\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1: missing column.s. fingerprint, sundhed"):
        load_annotations(path, ["bolig", "sundhed"], label="corpus/annotations.csv")


def test_annotations_follow_the_text_not_the_segment_id():
    annotations = pd.DataFrame({"segment_id": ["d:001", "d:002"], "fingerprint": ["f1", "f2"], "bolig": [1, 0]})
    segments = pd.DataFrame({"segment_id": ["d:001", "d:002", "d:003"], "doc_id": "d",
                             "fingerprint": ["f0", "f1", "f9"]})  # re-segmented: f1 is now d:002
    joined, unmatched = match_annotations(annotations, segments)
    assert joined[["segment_id", "bolig"]].values.tolist() == [["d:002", 1]]
    assert unmatched == 1


def test_model_cache_builds_once(tmp_path):
    calls = []

    def build():
        calls.append(1)
        return {"value": 42}

    assert cached(tmp_path, "k1", build) == ({"value": 42}, False)
    assert cached(tmp_path, "k1", build) == ({"value": 42}, True)
    assert cached(tmp_path, "k2", build) == ({"value": 42}, False)
    assert len(calls) == 2


def test_a_method_that_wins_only_on_synthetic_text_is_not_chosen():
    # Development set (synthetic): the words carry sundhed and the lexicon's score is noise, so
    # the models win there. Corpus (real text): the words say nothing and the lexicon states
    # sundhed clearly, so the lexicon wins there. The choice follows the real text.
    rng = np.random.default_rng(5)
    rows, labels = [], []
    for g in range(8):
        real = g >= 5
        for i in range(16):
            y = [int(rng.random() < 0.4), int(rng.random() < 0.5)]
            noise = float(rng.random() < 0.5)
            clear = y[1] if real else 0
            rows.append({"municipality": f"m{g}", "n_tokens": 12,
                         "lemmas": " ".join(["akutbolig" if y[0] else "møde",
                                             "plan" if real else ("metadon" if y[1] else "budget")]),
                         "score_bolig": 0.6 * y[0], "evidence_bolig": 1.5 * y[0], "passing_bolig": 0.0,
                         "treated_bolig": 1.5 * y[0],
                         "score_sundhed": 0.6 * clear if real else 0.6 * noise,
                         "evidence_sundhed": 1.5 * clear if real else 0.4 * noise, "passing_sundhed": 0.0,
                         "treated_sundhed": 1.5 * clear, **{c: 0.0 for c in STRUCTURE_COLUMNS}})
            labels.append(y)
    X, Y = pd.DataFrame(rows), np.array(labels)
    groups = X["municipality"].to_numpy()
    n = len(Y)
    source = np.where(np.isin(groups, ["m5", "m6", "m7"]), "corpus", "development set")
    cfg = load_config(None)
    mixed = cross_validate(Labelled(X, Y, groups, np.zeros((n, 2), dtype=int), np.array([f"f{i}" for i in range(n)]),
                                    np.ones(n), source), KEYS, KEYS, cfg)
    f1 = mixed.table[mixed.table["theme"] == "sundhed"].set_index(["split", "method"])["f1"]
    assert f1["cv train: development set", "model"] > f1["cv train: development set", "lexicon"] + 0.2
    assert f1["cv train: corpus", "lexicon"] == 1.0 and f1["cv train: corpus", "model"] < 0.8
    assert mixed.chosen == "lexicon"
    text = mixed.table.drop_duplicates("split").set_index("split")
    # without real text the synthetic set does not decide: the lexicon is used
    dev = source == "development set"
    synthetic = cross_validate(Labelled(X[dev].reset_index(drop=True), Y[dev], groups[dev],
                                        np.zeros((dev.sum(), 2), dtype=int), np.array([f"f{i}" for i in range(dev.sum())]),
                                        np.ones(dev.sum()), source[dev]), KEYS, KEYS, cfg)
    assert synthetic.chosen == "lexicon"
    f1 = synthetic.table[synthetic.table["theme"] == "sundhed"].set_index("method")["f1"]
    assert f1["model"] > f1["lexicon"] + 0.2  # though the model wins on it
    assert set(text.index) == {"cv train", "cv train: development set", "cv train: corpus"}


def test_every_figure_names_the_text_it_comes_from():
    from analysis.themes.validation import text_of

    sources = ["development set", "corpus"]
    assert text_of("cv train", "lexicon", sources) == "mixed"
    assert text_of("cv train", "lexicon", ["corpus"]) == "real"
    assert text_of("cv train: development set", "model", sources) == "synthetic"
    assert text_of("cv train: corpus", "model", sources) == "real"
    assert text_of("test", "combined", sources) == "synthetic"  # the locked test is development text
    assert text_of("intercoder", "intercoder, development set (A vs B)", []) == "synthetic"
    assert text_of("intercoder", "intercoder, corpus (A vs B)", []) == "real"
    X, Y, traps, fps = _toy(n_groups=8)
    groups = X["municipality"].to_numpy()
    source = np.where(np.isin(groups, ["m6", "m7"]), "corpus", "development set")
    data = Labelled(X, Y, groups, traps, fps, np.ones(len(Y)), source)
    cfg = load_config(None)
    cfg["compare"]["n_bootstrap"] = 50
    ev = evaluate(data, None, KEYS, KEYS, cfg)
    table = ev.table.set_index(["split", "method", "theme"]).sort_index()
    assert table.loc[("cv train: corpus", ev.chosen, "bolig"), "text"] == "real"
    assert table.loc[("cv train", ev.chosen, "bolig"), "text"] == "mixed"
    # the method in use on real text carries an interval (whole municipalities resampled)
    real = table.loc[("cv train: corpus", ev.chosen)]
    assert real["f1_low"].notna().all() and (real["f1_low"] <= real["f1"] + 1e-9).all()
    checks = set(ev.checks["split"])
    assert {"cv train: corpus", "cv train: development set"} <= checks  # no-theme check on real text apart


def test_a_clear_mention_is_never_vetoed():
    from analysis.themes.classify import clear_mentions

    # one clear word is a clear mention in 40 words; 160 words need two (the lexicon's own rule)
    X = pd.DataFrame({"treated_bolig": [1.0, 1.0, 2.0, 0.0], "treated_sundhed": [0.0, 0.0, 0.0, 0.8],
                      "n_tokens": [40, 160, 160, 10]})
    assert clear_mentions(X, KEYS).tolist() == [[1, 0], [0, 0], [1, 0], [0, 0]]
    train, Y, _, _ = _toy()
    groups = train["municipality"].to_numpy()
    # a segment whose words say nothing (the model scores it low) but whose text states bolig clearly
    row = train.iloc[[0]].copy()
    row[["lemmas", "score_bolig", "evidence_bolig", "treated_bolig"]] = ["budget plan", 0.6, 1.5, 1.5]
    row["n_tokens"] = 12
    plain = ThemeModel(themes=KEYS, use_lexicon=False, random_state=0).fit(train, Y, groups=groups)
    kept = ThemeModel(themes=KEYS, use_lexicon=False, random_state=0, keep_clear=True).fit(train, Y, groups=groups)
    assert plain.predict(row)[0, 0] == 0
    proba, assigned = kept.predict_both(row)
    assert assigned[0, 0] == 1 and proba[0, 0] >= kept.thresholds_[0]
    # the lexicon's tuned threshold cannot drop it either
    lexicon = LexiconClassifier(themes=KEYS, threshold=0.9, tune=False, keep_clear=True).fit(train, Y)
    assert lexicon.predict(row)[0, 0] == 1
    assert LexiconClassifier(themes=KEYS, threshold=0.9, tune=False).fit(train, Y).predict(row)[0, 0] == 0


def test_leaving_one_register_out_scores_each_register_by_fits_that_never_saw_it():
    X, Y, traps, fps = _toy(n_groups=6)
    registers = np.array(["policy", "minutes", "news"] * (len(Y) // 3), dtype=object)
    data = _labelled(X, Y, traps, fps)
    data.registers = registers
    cfg = load_config(None)
    cv = cross_validate(data, KEYS, KEYS, cfg)
    rows = cv.table[cv.table["split"].str.startswith("cv register")]
    assert sorted(set(rows["split"])) == ["cv register", "cv register: minutes", "cv register: news",
                                          "cv register: policy"]
    news = registers == "news"
    model = ThemeModel(themes=KEYS, use_lexicon=False, C=cfg["themes"]["C"], random_state=cfg["seed"])
    model.fit(X[~news], Y[~news], groups=X["municipality"].to_numpy()[~news])
    held_out = agreement(Y[news], model.predict(X[news]), KEYS, KEYS, method="model")
    got = rows[(rows["split"] == "cv register: news") & (rows["method"] == "model")].set_index("theme")["f1"]
    assert np.allclose(got.loc[KEYS].to_numpy(), held_out.set_index("theme").loc[KEYS, "f1"].to_numpy())
    assert rows.loc[rows["split"] == "cv register: news", "n_segments"].unique().tolist() == [int(news.sum())]
    # the register check chooses nothing, and one register alone gives none
    assert cv.chosen == "lexicon"
    data.registers = np.full(len(Y), "policy", dtype=object)
    assert not cross_validate(data, KEYS, KEYS, cfg).table["split"].str.startswith("cv register").any()


def test_the_check_sets_tuning_half_joins_the_choice_as_one_more_real_source():
    X, Y, traps, fps = _toy(n_groups=8)
    groups = X["municipality"].to_numpy()
    source = np.where(np.isin(groups, ["m6", "m7"]), "corpus", "development set")
    data = Labelled(X, Y, groups, traps, fps, np.ones(len(Y)), source)
    cfg = load_config(None)
    alone = cross_validate(data, KEYS, KEYS, cfg)
    assert alone.chosen == "lexicon"  # all three are perfect on the corpus: a tie goes to the simplest
    # a check set on which the model reads better tips the balance; one on which it reads worse does not
    assert cross_validate(data, KEYS, KEYS, cfg, also={"lexicon": 0.5, "model": 0.9, "combined": 0.6}).chosen == "model"
    assert cross_validate(data, KEYS, KEYS, cfg, also={"lexicon": 0.9, "model": 0.5, "combined": 0.6}).chosen == "lexicon"
    # with no real text in the pool the check set alone decides
    dev = source == "development set"
    synthetic = Labelled(X[dev].reset_index(drop=True), Y[dev], groups[dev], traps[dev], fps[dev],
                         np.ones(int(dev.sum())), source[dev])
    assert cross_validate(synthetic, KEYS, KEYS, cfg).chosen == "lexicon"
    assert cross_validate(synthetic, KEYS, KEYS, cfg, also={"lexicon": 0.5, "model": 0.7, "combined": 0.6}).chosen \
        == "model"
