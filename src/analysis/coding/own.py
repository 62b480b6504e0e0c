"""The corpus's own coding in a run: the coded sample with its weights, the agreement of its
coders, the method's accuracy on it (weighted, out of fold), a learning curve, and theme shares
corrected for the measured error.

Usage::

    from analysis.coding.own import coded_sample, own_validation
    sample = coded_sample(Path("corpus"), segments, matched, keys)
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.coding import estimate
from analysis.coding.agreement import _kappa_from_tables, _round, agreement_table, disagreements
from analysis.coding.draw import stratum_of
from analysis.coding.register import LEARNING, RANDOM, inclusion_probabilities, load_register

from analysis.themes.validation import MIN_OWN
from analysis.themes.validation import OWN_SPLIT as SPLIT
#: Sizes of the learning curve (paragraphs of the corpus's coding in training), while there are so many.
CURVE_SIZES = (50, 100, 200, 400, 800, 1600, 3200)


def coded_sample(corpus: Path, segments: pd.DataFrame, matched: pd.DataFrame | None, keys: list[str]
                 ) -> pd.DataFrame:
    """The corpus's hand-coded paragraphs with where they come from and their weight.

    Returns
    -------
    DataFrame
        One row per coded paragraph (by fingerprint) still in the corpus: fingerprint,
        segment_id, doc_id, municipality, stratum, part (``random``, ``learning``, or ``""`` for
        coding from outside the sample register), inclusion (its probability, random part only),
        weight (1 / inclusion, times drawn / coded in its stratum so that paragraphs drawn but not
        yet coded are stood for by the coded ones; 0 outside the random part) and its codes.
    """
    columns = ["fingerprint", "segment_id", "doc_id", "municipality", "stratum", "part", "inclusion", "weight", *keys]
    if matched is None or matched.empty:
        return pd.DataFrame(columns=columns)
    register = load_register(corpus)
    segs = segments.drop_duplicates("fingerprint")[["fingerprint", "segment_id", "doc_id", "municipality",
                                                     "doc_type"]]
    coded = matched.drop_duplicates("fingerprint")[["fingerprint", *keys]].merge(segs, on="fingerprint")
    drawn = register.sample
    random_draws = drawn[drawn["part"] == RANDOM].drop_duplicates("fingerprint")
    # the stratum and document a paragraph was drawn in (its probabilities are that stratum's)
    drawn_in = random_draws.set_index("fingerprint")[["stratum", "doc_id"]]
    learning_fp = set(drawn.loc[drawn["part"] == LEARNING, "fingerprint"]) - set(drawn_in.index)
    is_random = coded["fingerprint"].isin(drawn_in.index).to_numpy()
    coded["part"] = np.where(is_random, RANDOM, np.where(coded["fingerprint"].isin(learning_fp), LEARNING, ""))
    coded["stratum"] = np.where(is_random, coded["fingerprint"].map(drawn_in["stratum"]),
                                stratum_of(coded["municipality"], coded["doc_type"]))
    doc_of = np.where(is_random, coded["fingerprint"].map(drawn_in["doc_id"]), coded["doc_id"])
    coded["inclusion"] = np.where(is_random, inclusion_probabilities(register.waves, coded["stratum"], doc_of,
                                                                     register.frames), np.nan)
    # drawn for the random part and still in the corpus, per stratum drawn in, against those coded
    due = random_draws[random_draws["fingerprint"].isin(segs["fingerprint"])].groupby("stratum").size()
    done = coded[coded["part"] == RANDOM].groupby("stratum").size()
    response = (due / done).reindex(coded["stratum"]).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(coded["part"] == RANDOM, response / coded["inclusion"].to_numpy(), 0.0)
    coded["weight"] = np.where(np.isfinite(weight), weight, 0.0)
    return coded[columns].sort_values("segment_id", kind="stable").reset_index(drop=True)


def sample_predictions(sample: pd.DataFrame, keys: list[str], out_of_fold: dict | None,
                       segments: pd.DataFrame) -> np.ndarray:
    """The method's codes of the sample's paragraphs: out of fold where the corpus's coding
    trained the method (no paragraph coded by a fit that saw it), else the run's own codes."""
    assigned = segments.drop_duplicates("fingerprint").set_index("fingerprint")[[f"theme_{k}" for k in keys]]
    own = assigned.reindex(sample["fingerprint"]).to_numpy(dtype=int)
    if out_of_fold:
        fitted = [out_of_fold.get(f) for f in sample["fingerprint"]]
        own = np.array([f if f is not None else o for f, o in zip(fitted, own)], dtype=int).reshape(own.shape)
    return own


def own_validation(sample: pd.DataFrame, predicted: np.ndarray, keys: list[str], core: list[str], method: str,
                   cfg: dict, n_folds: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The method on the corpus's own random sample, each paragraph weighted by its inverse
    inclusion probability: validation-table rows (split ``corpus sample``), the confusion table,
    and the bootstrap replicates of sensitivity and specificity (for corrected shares)."""
    part = (sample["part"] == RANDOM).to_numpy()
    y, p, w = sample.loc[part, keys].to_numpy(dtype=int), predicted[part], sample.loc[part, "weight"].to_numpy()
    c = cfg["compare"]
    scores, replicates = estimate.weighted_scores(y, p, w, sample.loc[part, "doc_id"].to_numpy(), keys, core,
                                                  c["n_bootstrap"], c["confidence"], cfg["seed"])
    sums = estimate.confusion_sums(y, p, w)  # tp, fp, fn, tn per theme
    kappa = _kappa_from_tables(np.stack([sums[0], sums[2], sums[1], sums[3]], axis=1).reshape(-1, 2, 2))
    by_theme = dict(zip(keys, np.round(kappa, 4)))
    rows = scores.assign(method=method, split=SPLIT, n_groups=int(sample.loc[part, "municipality"].nunique()),
                         n_folds=n_folds, chosen=1, text="real", threshold=np.nan)
    rows["kappa"] = rows["theme"].map(by_theme)
    for macro, subset in (("macro_core", core), ("macro_all", keys)):
        rows.loc[rows["theme"] == macro, "kappa"] = round(float(np.nanmean([by_theme[k] for k in subset])), 4)
    rows = rows[["method", "theme", "split", "n_groups", "n_folds", "precision", "recall", "f1", "kappa", "support",
                 "predicted", "n_segments", "chosen", "text", "f1_low", "f1_high", "threshold", "sensitivity",
                 "specificity"]]
    return rows, estimate.confusion_table(y, p, w, keys), replicates


def agreement_tables(corpus: Path, keys: list[str], cfg: dict, final: pd.DataFrame | None
                     ) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Agreement of the corpus's coders (``annotations_coders.csv``) and their disagreements, each
    with how it stands in ``annotations.csv`` (``basis``: adjudicated, or the majority until then)."""
    path = Path(corpus) / "annotations_coders.csv"
    if not path.is_file():
        return None, None
    coders = pd.read_csv(path, dtype={"fingerprint": str, "segment_id": str, "coder": str},
                         keep_default_na=False, encoding="utf-8-sig")
    if coders.empty or any(c not in coders for c in ["fingerprint", "coder", *keys]):
        return None, None  # nothing to compare (a coder's file without codes)
    if "sheet" in coders:  # an adjudicator's codes settle a disagreement; they are not a coder's
        register = load_register(corpus).sample
        judged = set(register.loc[register["part"] == "adjudication", "sheet"])
        coders = coders[~coders["sheet"].isin(judged)]
    for k in keys:
        coders[k] = pd.to_numeric(coders[k], errors="coerce")
    coders = coders.dropna(subset=keys)
    c = cfg["compare"]
    table = agreement_table(coders, keys, c["n_bootstrap"], c["confidence"], cfg["seed"])
    differ = disagreements(coders, keys)
    if final is not None and len(differ):
        basis = final.set_index("fingerprint")["basis"] if "basis" in final else pd.Series(dtype=str)
        differ["basis"] = differ["fingerprint"].map(basis).astype(object).fillna("").replace("", "adjudicated")
    else:
        differ["basis"] = pd.Series(dtype=str)
    return table, differ


def learning_curve(train, keys: list[str], core: list[str], cfg: dict, method: str, weights: dict[str, float],
                   sizes=CURVE_SIZES) -> pd.DataFrame:
    """F1 of ``method`` on the corpus's coded paragraphs by how many of them it was fitted on.

    The corpus's coded rows of the train pool are split into folds by municipality; each fold is
    coded by fits on the rest of the pool (the development set) plus ``n`` of the other folds'
    corpus rows, drawn with the seed, for n = 0, 50, 100, 200, ... and all. Scored on the random
    part, weighted as the sample is (``weights``: fingerprint -> weight), with F1 macro over all
    themes and over the core themes. It says whether coding more paragraphs pays.
    """
    from sklearn.base import clone

    from analysis.themes.validation import grouped_folds, make_methods

    corpus_rows = np.flatnonzero(train.source == "corpus")
    other = np.flatnonzero(train.source != "corpus")
    if len(corpus_rows) < MIN_OWN:
        return pd.DataFrame()
    folds = grouped_folds(train.groups[corpus_rows], cfg["themes"]["cv_folds"])
    fold_ids = np.unique(folds)
    available = min(int((folds != f).sum()) for f in fold_ids)
    steps = [0] if len(other) else []
    steps += [s for s in sizes if s < available] + [available]
    X = train.X.reset_index(drop=True)
    w = np.array([weights.get(str(f), 0.0) for f in train.fingerprints[corpus_rows]])
    y = train.Y[corpus_rows]
    rows = []
    base = make_methods(keys, cfg)[method]
    for size in steps:
        pred = np.zeros_like(y)
        for f in fold_ids:
            rest = corpus_rows[folds != f]
            rng = np.random.default_rng([cfg["seed"], size, int(f)])
            pick = rest[np.sort(rng.permutation(len(rest))[:size])] if size < len(rest) else rest
            fit = np.concatenate([other, pick])
            if len(np.unique(train.groups[fit])) < 2 or len(fit) < 20:
                pred[folds == f] = 0
                continue
            model = clone(base).fit(X.iloc[fit].reset_index(drop=True), train.Y[fit], groups=train.groups[fit],
                                    sample_weight=train.weights[fit])
            pred[folds == f] = model.predict_both(X.iloc[corpus_rows[folds == f]].reset_index(drop=True))[1]
        scored = w > 0
        table, _ = estimate.weighted_scores(y[scored], pred[scored], w[scored], train.groups[corpus_rows][scored], keys,
                                            core, n_boot=200, confidence=cfg["compare"]["confidence"], seed=cfg["seed"])
        macro = table.set_index("theme")
        rows.append({"method": method, "corpus_paragraphs": int(size), "scored": int(scored.sum()),
                     "f1_macro_all": macro.loc["macro_all", "f1"], "f1_low": macro.loc["macro_all", "f1_low"],
                     "f1_high": macro.loc["macro_all", "f1_high"], "f1_macro_core": macro.loc["macro_core", "f1"]})
    return pd.DataFrame(rows)


def curve_key(training_key: str, sample: pd.DataFrame) -> str:
    """What the learning curve depends on: the fit's key and the sample's weights."""
    blob = training_key + "|" + "|".join(f"{f}:{w:.8f}" for f, w in zip(sample["fingerprint"], sample["weight"]))
    return hashlib.sha256(blob.encode()).hexdigest()[:20] + "-curve"


def corrected_profiles(profiles: pd.DataFrame, replicates: dict, validation: pd.DataFrame, boot: dict,
                       keys: list[str], confidence: float) -> pd.DataFrame:
    """Each unit's theme shares beside the shares corrected for the method's measured error on
    the corpus's own sample (:func:`analysis.coding.estimate.rogan_gladen`), with intervals that
    carry the sampling error of the unit's paragraphs and of the coded sample.

    ``replicates`` are the profiles' bootstrap replicates per unit (as
    :func:`analysis.compare.statistics.comparison_tables` draws them); ``validation`` the
    ``corpus sample`` rows of the method in use; ``boot`` the replicates of its sensitivity and
    specificity (paired with the units' replicates one by one).
    """
    units = [u for u in profiles["unit"].drop_duplicates() if u in replicates]
    if not units:
        return pd.DataFrame(columns=["unit", "municipality", "doc_type", "theme", "share_segments", "corrected",
                                     "corrected_low", "corrected_high", "sensitivity", "specificity", "n_segments"])
    measured = validation.set_index("theme")
    se = np.array([measured.loc[k, "sensitivity"] for k in keys], dtype=float)
    sp = np.array([measured.loc[k, "specificity"] for k in keys], dtype=float)
    raw = np.stack([replicates[u]["share_segments"] for u in units])
    raw_boot = np.stack([replicates[u]["boot_segments"] for u in units], axis=1)
    n = min(len(raw_boot), len(boot["sensitivity"]))
    out = estimate.corrected_shares(raw, raw_boot[:n], se, sp, boot["sensitivity"][:n], boot["specificity"][:n],
                                    confidence)
    rows = []
    first = profiles.drop_duplicates("unit").set_index("unit")
    for i, u in enumerate(units):
        for j, k in enumerate(keys):
            rows.append({"unit": u, "municipality": first.loc[u, "municipality"], "doc_type": first.loc[u, "doc_type"],
                         "theme": k, "share_segments": round(float(raw[i, j]), 4),
                         "corrected": _round(out["corrected"][i, j]), "corrected_low": _round(out["low"][i, j]),
                         "corrected_high": _round(out["high"][i, j]), "sensitivity": _round(se[j]),
                         "specificity": _round(sp[j]),
                         "n_segments": int(first.loc[u, "n_segments"])})
    return pd.DataFrame(rows)


def measure_own(result, cfg: dict, codebook, corpus: Path, use_cache: bool = True) -> None:
    """The corpus's own coding in a run (the stage after
    :func:`analysis.themes.measure.measure_themes`, whose fit it scores).

    Adds the tables ``coding_agreement``, ``coding_disagreements``, ``coding_sample`` (the coded
    paragraphs with part and weight) and, with at least :data:`MIN_OWN` coded paragraphs of the
    random part, ``coding_confusion`` and ``learning_curve``, and the ``corpus sample`` rows of
    the validation table; the stats say how much is coded by whom. Leaves the sensitivity and
    specificity replicates for :func:`correct_shares`.
    """
    work = result.working
    evaluation, train, training_key = work.get("evaluation"), work.get("train"), work.get("training_key")
    method = result.stats.get("theme_method", "lexicon")
    validation = result.extra.get("validation")
    from analysis.themes.annotations import load_annotations, match_annotations

    keys, core = codebook.keys, codebook.core_keys
    corpus = Path(corpus)
    path = corpus / "annotations.csv"
    final = matched = None
    if path.is_file():
        final = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        matched, _ = match_annotations(load_annotations(path, keys, label=str(path)), result.segments)
    agreement, differ = agreement_tables(corpus, keys, cfg, final)
    if agreement is not None:
        result.extra["coding_agreement"] = agreement
        result.extra["coding_disagreements"] = differ
    sample = coded_sample(corpus, result.segments, matched, keys)
    result.extra["coding_sample"] = sample[["fingerprint", "segment_id", "doc_id", "municipality", "stratum", "part",
                                            "inclusion", "weight"]]
    random_part = sample[sample["part"] == RANDOM]
    all_row = agreement[agreement["theme"] == "all"] if agreement is not None else pd.DataFrame()
    result.stats.update({
        "own_coded": len(sample), "own_random": len(random_part),
        "own_learning": int((sample["part"] == LEARNING).sum()),
        "own_coders": all_row["coders"].iat[0] if len(all_row) else "",
        "own_agreement_paragraphs": int(all_row["n_paragraphs"].iat[0]) if len(all_row) else 0,
        "own_alpha": float(all_row["alpha"].iat[0]) if len(all_row) else None,
        "own_kappa": (float(all_row["kappa"].iat[0]) if len(all_row) and all_row["kappa"].iat[0] == all_row["kappa"]
                      .iat[0] else None),
        "own_min": MIN_OWN})
    if len(random_part) < MIN_OWN:
        return
    out_of_fold = getattr(evaluation, "out_of_fold", None) if evaluation is not None else None
    predicted = sample_predictions(sample, keys, out_of_fold, result.segments)
    cv = validation[validation["split"] == "cv train"] if validation is not None else pd.DataFrame()
    n_folds = int(cv["n_folds"].max()) if out_of_fold and len(cv) else 0
    rows, confusion, replicates = own_validation(sample, predicted, keys, core, method, cfg, n_folds)
    result.extra["coding_confusion"] = confusion
    result.working["own_replicates"] = replicates
    result.working["own_rows"] = rows
    if train is not None and training_key is not None and (train.source == "corpus").sum() >= MIN_OWN:
        from analysis.base.cache import cached
        from analysis.base.paths import shared_cache_dir

        weights = dict(zip(sample["fingerprint"], sample["weight"]))
        curve, _ = cached(shared_cache_dir() / "models" if use_cache else None, curve_key(training_key, sample),
                          lambda: learning_curve(train, keys, core, cfg, method, weights))
        result.extra["learning_curve"] = curve
    result.extra["validation"] = rows if validation is None else pd.concat([validation, rows], ignore_index=True)


def correct_shares(result, cfg: dict, codebook, cache: Path | None) -> None:
    """Add ``theme_profiles_corrected``: the profiles' shares corrected for the measured error (a
    stage after the comparison; only when :func:`measure_own` measured the method on the corpus's
    own sample)."""
    replicates = result.working.get("own_replicates")
    if replicates is None:
        return
    from analysis.compare import statistics as compare

    c = cfg["compare"]
    units = compare.add_unit(compare.filter_doc_types(result.segments, c["doc_types"] or None))
    reps = compare._replicates(units, codebook.keys, c["n_bootstrap"], cfg["seed"],
                               cache / "compare-units" if cache else None)
    rows = result.working["own_rows"]
    result.extra["theme_profiles_corrected"] = corrected_profiles(
        result.extra["theme_profiles"], reps, rows[rows["theme"].isin(codebook.keys)], replicates, codebook.keys,
        c["confidence"])


def own_summary(table: pd.DataFrame, stats: dict, extra: dict) -> list[str]:
    """Lines of ``validate`` on the corpus's own coding: how much is coded by whom, the coders'
    agreement, the method on the random part, the learning curve, what to adjudicate; or, below
    :data:`MIN_OWN`, that it is missing and how to start it."""
    f2 = lambda v: "–" if v != v else f"{v:.2f}"  # noqa: E731
    n_random = int(stats.get("own_random", 0))
    lines = []
    if n_random < MIN_OWN:
        lines.append(f"this corpus's own coding: {n_random} paragraphs of a random sample coded (the reports judge "
                     f"the method by it from {MIN_OWN}); start it with: python -m analysis sample --n 200 --coder NAME")
    else:
        lines.append(f"this corpus's own coding: {n_random} paragraphs of the random sample coded"
                     + (f", {stats['own_learning']} of the learning part (used in fitting only)"
                        if stats.get("own_learning") else "")
                     + (f"; coders {stats['own_coders']}" if stats.get("own_coders") else ""))
        rows = table[table["split"] == SPLIT]
        folds = int(rows["n_folds"].max()) if len(rows) else 0
        how = (f"out of fold ({folds} folds by municipality: no paragraph coded by a fit that saw it)" if folds
               else "the run's own codes (the method is not fitted on this corpus's coding)")
        lines.append(f"\nthe method in use ({rows['method'].iat[0]}) on the random sample, each paragraph weighted by "
                     f"its inverse inclusion probability, {how}; real text of this corpus:")
        show = rows[["theme", "precision", "recall", "specificity", "f1", "f1_low", "f1_high", "support"]]
        lines.append(show.to_string(index=False, float_format=f2))
        curve = extra.get("learning_curve")
        if curve is not None and len(curve):
            lines.append("\nlearning curve (macro F1 over all themes on the random sample, by how many of this "
                         "corpus's coded paragraphs the fit had):")
            lines.append(curve[["corpus_paragraphs", "f1_macro_all", "f1_low", "f1_high", "f1_macro_core"]]
                         .to_string(index=False, float_format=f2))
    agreement = extra.get("coding_agreement")
    if agreement is not None and len(agreement):
        lines.append(f"\nagreement of this corpus's coders ({agreement['coders'].iat[0]}) on the "
                     f"{int(agreement['n_paragraphs'].max())} paragraphs coded by more than one (intervals: "
                     "paragraphs resampled):")
        lines.append(agreement[["theme", "agreement", "kappa", "kappa_low", "kappa_high", "alpha", "alpha_low",
                                "alpha_high"]].to_string(index=False, float_format=f2))
    differ = extra.get("coding_disagreements")
    if differ is not None and len(differ):
        open_ = differ[differ["basis"] != "adjudicated"]
        if len(open_):
            lines.append(f"\n{open_['fingerprint'].nunique()} paragraphs with open disagreements (held by the "
                         "majority, a tie by the first coder): python -m analysis sample --adjudicate --coder NAME "
                         "makes a sheet of them")
    return lines
