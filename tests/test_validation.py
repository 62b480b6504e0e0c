"""Validation arithmetic, annotations, grouped cross-validation and the model cache."""

import numpy as np
import pandas as pd
import pytest

from analysis.classify import LexiconClassifier, ThemeClassifier
from analysis.config import load_config
from analysis.errors import InputError
from analysis.cache import cached
from analysis.validation import agreement, cross_validate, grouped_folds, load_annotations, match_annotations


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


def _toy(n_docs=4, per_doc=12, seed=0):
    rng = np.random.default_rng(seed)
    rows, labels = [], []
    words = {"bolig": "bolig akutbolig herberg", "sundhed": "psykiatri misbrug læge"}
    for d in range(n_docs):
        for i in range(per_doc):
            y = [int(rng.random() < 0.4), int(rng.random() < 0.4)]
            lemmas = " ".join([words["bolig"] if y[0] else "møde", words["sundhed"] if y[1] else "budget", "plan"])
            rows.append({"doc_id": f"d{d}", "lemmas": lemmas, "terms": "",
                         "score_bolig": 0.6 * y[0], "evidence_bolig": 1.5 * y[0],
                         "score_sundhed": 0.3 * y[1], "evidence_sundhed": 0.5 * y[1]})
            labels.append(y)
    return pd.DataFrame(rows), np.array(labels)


def test_cross_validation_is_grouped_by_document():
    X, Y = _toy()
    cfg = load_config(None)
    cv = cross_validate(X, Y, X["doc_id"].to_numpy(), ["bolig", "sundhed"], ["bolig", "sundhed"], cfg)
    for doc in X["doc_id"].unique():
        test = (X["doc_id"] == doc).to_numpy()
        model = ThemeClassifier(themes=["bolig", "sundhed"], random_state=cfg["seed"]).fit(X[~test], Y[~test])
        assert (cv.predictions["classifier"][test] == model.predict(X[test])).all()
    lexicon = LexiconClassifier(themes=["bolig", "sundhed"], tune=False).fit(X, Y)
    assert (cv.predictions["lexicon"] == lexicon.predict(X)).all()
    assert set(cv.table["method"]) == {"lexicon", "classifier"}
    assert cv.table["n_documents"].unique().tolist() == [4]
    # sundhed's lexicon score (0.3) is below the 0.5 threshold: the classifier learns from the words
    f1 = cv.table.set_index(["method", "theme"])["f1"]
    assert f1["lexicon", "sundhed"] == 0.0 and f1["classifier", "sundhed"] == 1.0
    assert cv.chosen == "classifier"


def test_lexicon_threshold_tuning_is_learned_in_fit():
    X, Y = _toy()
    model = LexiconClassifier(themes=["bolig", "sundhed"], tune=True).fit(X, Y)
    assert model.thresholds_[1] <= 0.3  # learned: sundhed's positives score 0.3
    assert (model.predict(X) == Y).all()


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
