"""Theme methods that follow scikit-learn's estimator conventions, with calibrated probabilities.

Three methods measure the codebook's themes:

- ``lexicon`` (:class:`LexiconClassifier`): the codebook lexicon alone, passing mentions
  discounted by their structure. Learned: a score threshold per theme and a logistic (Platt)
  map from the lexicon score to a probability.
- ``model`` (:class:`ThemeModel` with ``use_lexicon=False``): one logistic regression per theme on
  character n-grams of the segment's content lemmas (robust to Danish compounds: "akutbolig",
  "boligløs" and "boligsocial" share "bolig") and the segment's structure (length, bullets,
  enumerations, example lists, target-group definitions).
- ``combined`` (:class:`ThemeModel` with ``use_lexicon=True``): the same, plus the lexicon's
  evidence for every theme, counted and passing apart.

A clear mention is never vetoed: with ``keep_clear=True`` (the lexicon and ``combined``), a
segment keeps a theme whose lexicon evidence outside passing-mention spans alone reaches the
lexicon's score of 0.5 (:func:`clear_mentions`), whatever the threshold or the model says. Only
a rule with a named reason (an exclusion of the codebook, a passing-mention structure) takes
such evidence away, and ``theme_exclusions`` names it.

Every method's ``predict_proba`` is a calibrated probability: the share of segments with that
score that carry the theme. For the models it is fitted on out-of-fold decision values of a
cross-validation grouped by ``groups`` (as scikit-learn's ``CalibratedClassifierCV`` with
``ensemble=False``); each theme's assignment threshold is chosen on the same out-of-fold
probabilities for the best F1.

All take a segments frame with ``lemmas``, ``n_tokens``, ``struct_*`` and, for the lexicon,
``score_<key>``, ``evidence_<key>``, ``passing_<key>`` and ``treated_<key>`` columns, and a 0/1 label matrix with one
column per theme.

Usage::

    from analysis.themes.classify import ThemeModel
    model = ThemeModel(themes=keys, random_state=cfg["seed"]).fit(X, Y, groups=municipalities)
    proba = model.predict_proba(X)
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from analysis.themes.lexicon import score_from_evidence
from analysis.themes.structure import STRUCTURE_FEATURES

THRESHOLD_GRID = np.round(np.arange(0.1, 0.91, 0.025), 3)
STRUCTURE_COLUMNS = [f"struct_{c}" for c in STRUCTURE_FEATURES]


def section_lemmas(sections: pd.Series) -> pd.Series:
    """Content lemmas of each segment's section heading (each distinct heading lemmatized once)."""
    from analysis.base.danish import is_stop
    from analysis.nlp.tokens import lemmatize_word

    def lemmas(section: str) -> str:
        words = (lemmatize_word(w) for w in re.findall(r"[^\W\d_]{2,}(?:-[^\W\d_]+)*", section))
        return " ".join(w for w in words if not is_stop(w))

    sections = sections.fillna("").astype(str)
    distinct = pd.unique(sections)
    return sections.map(dict(zip(distinct, map(lemmas, distinct))))


#: The lexicon's columns the methods read, besides section, lemmas and length.
FEATURE_PREFIXES = ("score_", "evidence_", "passing_", "treated_", "struct_")


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of ``frame`` that the theme methods read."""
    return ["section", "lemmas", "n_tokens", *[c for c in frame.columns if c.startswith(FEATURE_PREFIXES)]]


def clear_mentions(X: pd.DataFrame, themes) -> np.ndarray:
    """Segments x themes (0/1) whose lexicon evidence outside passing-mention spans
    (``treated_<key>``) alone gives a lexicon score of at least 0.5: a clear mention."""
    treated = X[[f"treated_{k}" for k in themes]].to_numpy(dtype=float)
    n_tokens = X["n_tokens"].to_numpy(dtype=float)
    clear = np.zeros(treated.shape, dtype=int)
    for j in range(treated.shape[1]):
        clear[:, j] = score_from_evidence(treated[:, j], n_tokens) >= 0.5 - 1e-9
    return clear


def _keep(proba: np.ndarray, assigned: np.ndarray, clear: np.ndarray, thresholds: np.ndarray):
    """Assignments with every clear mention kept; a kept theme's probability is at least its threshold."""
    kept = clear.astype(bool)
    return np.where(kept, np.maximum(proba, thresholds), proba), (assigned.astype(bool) | kept).astype(int)


def _labels(Y) -> np.ndarray:
    return np.asarray(Y, dtype=int)


def _f1(y_true: np.ndarray, y_pred: np.ndarray, weight: np.ndarray | None = None) -> float:
    w = np.ones(len(y_true)) if weight is None else weight
    tp = float((w * (y_true & y_pred)).sum())
    denom = float((w * y_true).sum() + (w * y_pred).sum())
    return 2 * tp / denom if denom else 0.0


def best_threshold(y: np.ndarray, proba: np.ndarray, grid=THRESHOLD_GRID, prefer: float = 0.5,
                   weight: np.ndarray | None = None) -> float:
    """The threshold of ``grid`` with the best (weighted) F1 (ties: the one closest to ``prefer``)."""
    return float(max(grid, key=lambda t: (round(_f1(y, (proba >= t - 1e-9).astype(int), weight), 6),
                                          -abs(t - prefer))))


class _Platt:
    """A logistic map from a score to a probability (Platt scaling), fitted on held-out scores."""

    def __init__(self, scores: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None):
        self.constant = None
        if y.min() == y.max():
            self.constant = float(y[0])
            return
        self.model = LogisticRegression(C=100.0, solver="lbfgs").fit(scores.reshape(-1, 1), y, sample_weight=weight)

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        if self.constant is not None:
            return np.full(len(scores), self.constant)
        return self.model.predict_proba(np.asarray(scores, dtype=float).reshape(-1, 1))[:, 1]


class LemmaCharNgrams(BaseEstimator):
    """Character n-grams of lemmas, as TF-IDF, computed once per distinct lemma.

    A segment's vector is its lemma counts times each lemma's n-gram indicator, so the cost of
    the character work grows with the vocabulary, not with the corpus.

    Parameters
    ----------
    ngram_range : tuple of int
        Lengths of the character n-grams (within a word, with word-boundary marks).
    min_df : int
        An n-gram must occur in at least this many training segments.
    """

    def __init__(self, ngram_range=(3, 5), min_df: int = 2):
        self.ngram_range = ngram_range
        self.min_df = min_df

    def _counts(self, lemmas: pd.Series) -> sparse.csr_matrix:
        words = CountVectorizer(token_pattern=r"[^ ]+", lowercase=False)
        try:
            per_segment = words.fit_transform(lemmas.fillna("").astype(str))
        except ValueError:  # no lemma at all
            return sparse.csr_matrix((len(lemmas), len(self.vocabulary_)))
        grams = CountVectorizer(analyzer="char_wb", ngram_range=self.ngram_range, lowercase=False,
                                vocabulary=self.vocabulary_, binary=True, dtype=np.float32)
        return (per_segment.astype(np.float32) @ grams.transform(words.get_feature_names_out())).tocsr()

    def fit(self, lemmas: pd.Series, y=None) -> "LemmaCharNgrams":
        grams = CountVectorizer(analyzer="char_wb", ngram_range=self.ngram_range, lowercase=False,
                                min_df=self.min_df, binary=True)
        grams.fit(lemmas.fillna("").astype(str))
        self.vocabulary_ = grams.vocabulary_
        self.tfidf_ = TfidfTransformer(sublinear_tf=True).fit(self._counts(lemmas))
        return self

    def transform(self, lemmas: pd.Series) -> sparse.csr_matrix:
        return self.tfidf_.transform(self._counts(lemmas)).tocsr()

    def get_feature_names_out(self) -> np.ndarray:
        names = np.empty(len(self.vocabulary_), dtype=object)
        for gram, j in self.vocabulary_.items():
            names[j] = gram
        return names


class LexiconClassifier(BaseEstimator, ClassifierMixin):
    """Assign a theme when the lexicon score reaches a threshold; probabilities by Platt scaling.

    Parameters
    ----------
    themes : list of str
        Theme keys, in the order of the label columns.
    threshold : float
        The threshold used when ``tune`` is False, and the fallback for a theme without positives.
    tune : bool
        Choose each theme's threshold on the training data (highest F1, ties to the threshold
        closest to ``threshold``).
    keep_clear : bool
        Keep every clear mention (:func:`clear_mentions`), whatever the tuned threshold.
    """

    def __init__(self, themes=None, threshold: float = 0.5, tune: bool = True, keep_clear: bool = False):
        self.themes = themes
        self.threshold = threshold
        self.tune = tune
        self.keep_clear = keep_clear

    def _scores(self, X: pd.DataFrame) -> np.ndarray:
        return X[[f"score_{k}" for k in self.themes]].to_numpy(dtype=float)

    def fit(self, X: pd.DataFrame, Y, groups=None, sample_weight=None) -> "LexiconClassifier":
        scores, Y = self._scores(X), _labels(Y)
        # With clear mentions kept, a threshold only decides the others: it is chosen so.
        deciding = np.where(clear_mentions(X, self.themes) == 1, 1.0, scores) if self.keep_clear else scores
        thresholds = np.full(len(self.themes), float(self.threshold))
        for j in range(len(self.themes)):
            if self.tune and Y[:, j].sum():
                thresholds[j] = best_threshold(Y[:, j], deciding[:, j], prefer=self.threshold, weight=sample_weight)
        self.thresholds_ = thresholds
        self.calibrators_ = [_Platt(scores[:, j], Y[:, j], sample_weight) for j in range(len(self.themes))]
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of each theme (one column per theme)."""
        scores = self._scores(X)
        return np.column_stack([cal(scores[:, j]) for j, cal in enumerate(self.calibrators_)])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.predict_both(X)[1]

    def predict_both(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities and assignments in one pass."""
        proba, assigned = self.predict_proba(X), (self._scores(X) >= self.thresholds_ - 1e-9).astype(int)
        if self.keep_clear:
            proba, assigned = _keep(proba, assigned, clear_mentions(X, self.themes), self.thresholds_)
        return proba, assigned


class ThemeModel(BaseEstimator, ClassifierMixin):
    """One logistic regression per theme on lemma character n-grams, structure and (optionally)
    the lexicon's evidence; calibrated probabilities and per-theme thresholds by grouped CV.

    Parameters
    ----------
    themes : list of str
        Theme keys, in the order of the label columns.
    use_lexicon : bool
        Add the lexicon's scores and evidence (counted and passing) for every theme.
    C : float
        Inverse regularisation strength of the logistic regressions.
    ngram_range : tuple of int
        Character n-gram lengths.
    min_df : int
        Minimum number of training segments an n-gram occurs in.
    lexicon_weight : float
        Scale of the lexicon and structure features.
    cv_folds : int
        Folds of the grouped cross-validation that calibrates and sets thresholds.
    random_state : int
        Seed of the solver (from the project's config seed).
    keep_clear : bool
        Keep every clear mention of the lexicon (:func:`clear_mentions`): the model may add a
        theme but not veto one the text states clearly.
    """

    def __init__(self, themes=None, use_lexicon: bool = True, C: float = 4.0, ngram_range=(3, 5), min_df: int = 2,
                 lexicon_weight: float = 1.0, cv_folds: int = 5, random_state: int = 0, keep_clear: bool = False):
        self.themes = themes
        self.use_lexicon = use_lexicon
        self.C = C
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.lexicon_weight = lexicon_weight
        self.cv_folds = cv_folds
        self.random_state = random_state
        self.keep_clear = keep_clear

    # ------------------------------------------------------------------ features

    def _dense_block(self, X: pd.DataFrame) -> np.ndarray:
        n = np.log1p(X["n_tokens"].to_numpy(dtype=float))[:, None]
        struct = X[STRUCTURE_COLUMNS].to_numpy(dtype=float)
        struct = np.column_stack([np.log1p(struct[:, :-2]), struct[:, -2:]])  # counts, then 0/1 and a share
        blocks = [n / 3.0, struct]
        if self.use_lexicon:
            keys = self.themes
            blocks += [X[[f"score_{k}" for k in keys]].to_numpy(dtype=float),
                       np.log1p(X[[f"evidence_{k}" for k in keys]].to_numpy(dtype=float)),
                       np.log1p(X[[f"passing_{k}" for k in keys]].to_numpy(dtype=float))]
        return np.hstack(blocks) * self.lexicon_weight

    def _words(self, X: pd.DataFrame) -> pd.Series:
        # The section heading helps decide (the codebook): its lemmas join the segment's.
        if "section" not in X:
            return X["lemmas"]
        return (X["lemmas"].fillna("").astype(str) + " " + section_lemmas(X["section"])).str.strip()

    def _features(self, X: pd.DataFrame, grams: LemmaCharNgrams) -> sparse.csr_matrix:
        return sparse.hstack([sparse.csr_matrix(self._dense_block(X)), grams.transform(self._words(X))]).tocsr()

    def _fit_core(self, X: pd.DataFrame, Y: np.ndarray, weight: np.ndarray | None = None):
        grams = LemmaCharNgrams(ngram_range=self.ngram_range, min_df=self.min_df).fit(self._words(X))
        features = self._features(X, grams)
        estimators = []
        for j in range(Y.shape[1]):
            y = Y[:, j]
            if y.min() == y.max():
                estimators.append(float(y[0]))  # one class only: a constant
                continue
            model = LogisticRegression(C=self.C, class_weight="balanced", solver="liblinear", max_iter=2000,
                                       random_state=self.random_state)
            estimators.append(model.fit(features, y, sample_weight=weight))
        return grams, estimators

    def _decision(self, X: pd.DataFrame, grams, estimators) -> np.ndarray:
        features = self._features(X, grams)
        return np.column_stack([np.full(features.shape[0], 10.0 if est else -10.0) if isinstance(est, float)
                                else est.decision_function(features) for est in estimators])

    # ------------------------------------------------------------------ estimator API

    def fit(self, X: pd.DataFrame, Y, groups=None, sample_weight=None) -> "ThemeModel":
        """Fit on segments ``X`` and labels ``Y``; ``groups`` (e.g. municipalities) keep the
        calibrating cross-validation honest: no group is on both sides of a fold.
        ``sample_weight`` weighs segments in the regressions, the calibration and the thresholds."""
        X = X.reset_index(drop=True)
        Y = _labels(Y)
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        groups = np.asarray(groups if groups is not None else np.arange(len(X)))
        n_splits = min(self.cv_folds, len(np.unique(groups)))
        oof = np.zeros(Y.shape, dtype=float)
        if n_splits >= 2:
            for train, test in GroupKFold(n_splits=n_splits).split(X, groups=groups):
                grams, estimators = self._fit_core(X.iloc[train], Y[train], None if w is None else w[train])
                oof[test] = self._decision(X.iloc[test], grams, estimators)
        self.grams_, self.estimators_ = self._fit_core(X, Y, w)
        if n_splits < 2:
            oof = self._decision(X, self.grams_, self.estimators_)
        self.calibrators_ = [_Platt(oof[:, j], Y[:, j], w) for j in range(Y.shape[1])]
        self.oof_proba_ = np.column_stack([cal(oof[:, j]) for j, cal in enumerate(self.calibrators_)])
        # With clear mentions kept, a threshold only decides the others: it is chosen so.
        deciding = (np.where(clear_mentions(X, self.themes) == 1, 1.0, self.oof_proba_) if self.keep_clear
                    else self.oof_proba_)
        self.thresholds_ = np.array([best_threshold(Y[:, j], deciding[:, j], weight=w) if Y[:, j].any()
                                     else 0.5 for j in range(Y.shape[1])])
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of each theme (one column per theme)."""
        decision = self._decision(X.reset_index(drop=True), self.grams_, self.estimators_)
        return np.column_stack([cal(decision[:, j]) for j, cal in enumerate(self.calibrators_)])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.predict_both(X)[1]

    def predict_both(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities and assignments in one pass (the features are built once)."""
        proba = self.predict_proba(X)
        assigned = (proba >= self.thresholds_ - 1e-9).astype(int)
        if self.keep_clear:
            proba, assigned = _keep(proba, assigned, clear_mentions(X, self.themes), self.thresholds_)
        return proba, assigned

    def feature_names(self) -> list[str]:
        """Names of the model's features, in column order (for explanation)."""
        names = ["length"] + [c.replace("struct_", "structure:") for c in STRUCTURE_COLUMNS]
        if self.use_lexicon:
            names += ([f"lexicon:score_{k}" for k in self.themes] + [f"lexicon:evidence_{k}" for k in self.themes]
                      + [f"lexicon:passing_{k}" for k in self.themes])
        return names + [f"chars:{g}" for g in self.grams_.get_feature_names_out()]

    def top_features(self, theme: str, n: int = 10) -> list[tuple[str, float]]:
        """The features with the largest positive weights for one theme."""
        est = self.estimators_[list(self.themes).index(theme)]
        if isinstance(est, float):
            return []
        names = self.feature_names()
        coef = est.coef_[0]
        top = np.argsort(-coef, kind="stable")[:n]
        return [(names[i], round(float(coef[i]), 3)) for i in top if coef[i] > 0]
