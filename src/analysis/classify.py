"""Theme classifiers that follow scikit-learn's estimator conventions.

Two methods measure the codebook's themes:

- :class:`LexiconClassifier`: the codebook lexicon alone. Its one learned parameter is a score
  threshold per theme, chosen on the training data (so that cross-validation is honest about
  it too).
- :class:`ThemeClassifier`: a logistic regression per theme that learns from the hand coding on
  top of the lexicon: the lexicon's evidence for every theme, the matched codebook terms, and
  TF-IDF of the segment's content lemmas.

Both take a segments frame with ``lemmas``, ``terms`` (the matched codebook terms, space-joined)
and ``evidence_<key>`` / ``score_<key>`` columns, and a 0/1 label matrix with one column per theme.

Usage::

    from analysis.classify import ThemeClassifier
    model = ThemeClassifier(themes=keys, random_state=cfg["seed"]).fit(X, Y)
    proba = model.predict_proba(X)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression

THRESHOLD_GRID = np.round(np.arange(0.2, 0.85, 0.05), 2)


def _labels(Y) -> np.ndarray:
    return np.asarray(Y, dtype=int)


def _f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    tp = int((y_true & y_pred).sum())
    denom = int(y_true.sum() + y_pred.sum())
    return 2 * tp / denom if denom else 0.0


class LexiconClassifier(BaseEstimator, ClassifierMixin):
    """Assign a theme when the lexicon score reaches a threshold.

    Parameters
    ----------
    themes : list of str
        Theme keys, in the order of the label columns.
    threshold : float
        The threshold used when ``tune`` is False, and the fallback for a theme without positives.
    tune : bool
        Choose each theme's threshold on the training data (highest F1, ties to the threshold
        closest to ``threshold``).
    """

    def __init__(self, themes=None, threshold: float = 0.5, tune: bool = True):
        self.themes = themes
        self.threshold = threshold
        self.tune = tune

    def _scores(self, X: pd.DataFrame) -> np.ndarray:
        return X[[f"score_{k}" for k in self.themes]].to_numpy(dtype=float)

    def fit(self, X: pd.DataFrame, Y) -> "LexiconClassifier":
        scores, Y = self._scores(X), _labels(Y)
        thresholds = np.full(len(self.themes), float(self.threshold))
        if self.tune:
            for j in range(len(self.themes)):
                if Y[:, j].sum() == 0:
                    continue
                best = max(THRESHOLD_GRID, key=lambda t: (_f1(Y[:, j], (scores[:, j] >= t - 1e-9).astype(int)),
                                                          -abs(t - self.threshold)))
                thresholds[j] = best
        self.thresholds_ = thresholds
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """The lexicon scores (one column per theme)."""
        return self._scores(X)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self._scores(X) >= self.thresholds_ - 1e-9).astype(int)


class ThemeClassifier(BaseEstimator, ClassifierMixin):
    """One logistic regression per theme on lexicon evidence, matched terms and lemma TF-IDF.

    Parameters
    ----------
    themes : list of str
        Theme keys, in the order of the label columns.
    C : float
        Inverse regularisation strength of the logistic regressions.
    threshold : float
        Probability from which a theme is assigned.
    lexicon_weight : float
        Scale of the lexicon features relative to the TF-IDF block (the lexicon carries the
        codebook's knowledge; TF-IDF learns what it misses).
    min_df : int
        Minimum document frequency of a lemma in TF-IDF.
    random_state : int
        Seed of the solver (from the project's config seed).
    """

    def __init__(self, themes=None, C: float = 1.0, threshold: float = 0.5, lexicon_weight: float = 2.0,
                 min_df: int = 1, random_state: int = 0):
        self.themes = themes
        self.C = C
        self.threshold = threshold
        self.lexicon_weight = lexicon_weight
        self.min_df = min_df
        self.random_state = random_state

    def _lexicon_block(self, X: pd.DataFrame) -> sparse.csr_matrix:
        scores = X[[f"score_{k}" for k in self.themes]].to_numpy(dtype=float)
        evidence = np.log1p(X[[f"evidence_{k}" for k in self.themes]].to_numpy(dtype=float))
        return sparse.csr_matrix(np.hstack([scores, evidence]) * self.lexicon_weight)

    def _features(self, X: pd.DataFrame, fit: bool = False) -> sparse.csr_matrix:
        lemmas = X["lemmas"].fillna("").astype(str)
        terms = X["terms"].fillna("").astype(str)
        if fit:
            self.tfidf_ = TfidfVectorizer(token_pattern=r"[^ ]+", min_df=self.min_df, sublinear_tf=True)
            self.terms_ = CountVectorizer(token_pattern=r"[^ ]+", binary=True, min_df=1)
            lem = self.tfidf_.fit_transform(lemmas)
            try:
                ter = self.terms_.fit_transform(terms)
            except ValueError:  # no matched terms at all in the training data
                self.terms_ = None
                ter = sparse.csr_matrix((len(X), 0))
        else:
            lem = self.tfidf_.transform(lemmas)
            ter = self.terms_.transform(terms) if self.terms_ is not None else sparse.csr_matrix((len(X), 0))
        return sparse.hstack([self._lexicon_block(X), ter, lem]).tocsr()

    def fit(self, X: pd.DataFrame, Y) -> "ThemeClassifier":
        Y = _labels(Y)
        features = self._features(X, fit=True)
        self.estimators_ = []
        for j in range(len(self.themes)):
            y = Y[:, j]
            if y.min() == y.max():
                self.estimators_.append(float(y[0]))  # one class only: predict it as a constant
                continue
            model = LogisticRegression(C=self.C, class_weight="balanced", solver="liblinear", max_iter=1000,
                                       random_state=self.random_state)
            self.estimators_.append(model.fit(features, y))
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of each theme (one column per theme)."""
        features = self._features(X)
        columns = []
        for est in self.estimators_:
            if isinstance(est, float):
                columns.append(np.full(features.shape[0], est))
            else:
                columns.append(est.predict_proba(features)[:, 1])
        return np.column_stack(columns)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X) >= self.threshold).astype(int)

    def top_features(self, theme: str, n: int = 10) -> list[tuple[str, float]]:
        """The features with the largest positive weights for one theme (for explanation)."""
        est = self.estimators_[list(self.themes).index(theme)]
        if isinstance(est, float):
            return []
        names = ([f"lexicon:score_{k}" for k in self.themes] + [f"lexicon:evidence_{k}" for k in self.themes]
                 + ([f"term:{t}" for t in self.terms_.get_feature_names_out()] if self.terms_ is not None else [])
                 + [f"lemma:{t}" for t in self.tfidf_.get_feature_names_out()])
        coef = est.coef_[0]
        top = np.argsort(-coef, kind="stable")[:n]
        return [(names[i], round(float(coef[i]), 3)) for i in top if coef[i] > 0]
