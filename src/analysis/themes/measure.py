"""Theme measurement for a run: the lexicon per document, the labelled data, the chosen method's
predictions per document, and the tables that explain them.

Usage::

    from analysis.themes.measure import measure_themes
    measure_themes(result, cfg, codebook, Path("corpus"), cache)  # adds score_/theme_ columns
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.base import parallel
from analysis.base.cache import MISSING, cached, hash_frame, load_entry, store_entry
from analysis.base.config import fingerprint
from analysis.base.paths import shared_cache_dir
from analysis.base.result import RunResult
from analysis.themes.devset import devset_path


def annotations_fingerprint(corpus: Path, dev_set: Path | None = None) -> str:
    """Return a hash of the hand coding: the corpus's annotations.csv and annotations_coders.csv,
    its sample register (``coding/sample.csv``, ``coding/waves.csv``) and the development set's
    files (``dev_set``), whichever exist."""
    h = hashlib.sha256()
    names = [Path(corpus) / "annotations.csv", Path(corpus) / "annotations_coders.csv"]
    if dev_set is not None:
        names += [Path(dev_set) / n for n in ("segments.csv", "annotations.csv", "annotations_coders.csv")]
    for path in names:
        h.update(path.name.encode() + (path.read_bytes() if path.is_file() else b"-"))
    # the sample register gives the coded paragraphs their weights (hashed only where it exists)
    for path in (Path(corpus) / "coding" / "sample.csv", Path(corpus) / "coding" / "waves.csv"):
        if path.is_file():
            h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:16]


def _feature_columns(frame: pd.DataFrame) -> list[str]:
    from analysis.themes.classify import feature_columns  # here: scikit-learn loads only when a method runs

    return feature_columns(frame)


def theme_features(segments: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """The segments with what the theme methods read: section, lemmas, length and the lexicon's
    score_/evidence_/passing_/struct_ columns (``scores`` as :func:`score_by_document` gives them)."""
    return pd.concat([segments[["segment_id", "doc_id", "municipality", "section", "lemmas", "n_tokens"]]
                      .reset_index(drop=True), scores.drop(columns=["segment_id"]).reset_index(drop=True)], axis=1)


def training_data(features: pd.DataFrame, segments: pd.DataFrame, cfg: dict, codebook, corpus: Path,
                  cache: Path | None) -> tuple:
    """The labelled data of the theme methods: the development set's train split plus the corpus's
    own hand coding (the train pool), and the development set's locked test split.

    Returns
    -------
    train, test : Labelled or None
    intercoder : DataFrame or None
        Agreement of the two coders of the development set and of the corpus's hand coding.
    stats : dict
    """
    from analysis.themes import validation as val
    from analysis.themes.annotations import load_annotations, match_annotations
    from analysis.themes.devset import devset_frame, kind_weights, load_devset, trap_pairs

    keys, core, t = codebook.keys, codebook.core_keys, cfg["themes"]
    parts, test, inter, stats = [], None, [], {}
    dev_dir = devset_path(cfg)
    dev = load_devset(dev_dir, keys)
    if dev is not None:
        shared = shared_cache_dir() if cache else None
        key = hashlib.sha256("|".join([hash_frame(dev), codebook.fingerprint, fingerprint(cfg["nlp"]),
                                        str(t["lexicon_threshold"])]).encode()).hexdigest()[:20]
        frame, _ = cached(shared / "devset" if shared else None, key,
                          lambda: devset_frame(dev, cfg, codebook, shared / "devset" if shared else None))
        cols = _feature_columns(frame)
        for split in ("train", "test"):
            part = frame[frame["split"] == split].reset_index(drop=True)
            data = val.Labelled(part[cols], part[keys].to_numpy(), part["municipality"].to_numpy(),
                                trap_pairs(part, keys), part["fingerprint"].to_numpy(),
                                kind_weights(part["kind"], t["kind_shares"]),
                                np.full(len(part), "development set", dtype=object),
                                part["register"].to_numpy(dtype=object))
            if split == "train":
                parts.append(data)
            elif len(part):
                test = data
        stats.update({"n_dev_train": int((frame["split"] == "train").sum()),
                      "n_dev_test": int((frame["split"] == "test").sum()),
                      "n_dev_municipalities": int(frame["municipality"].nunique())})
        inter.append(_intercoder(dev_dir / "annotations_coders.csv", keys, core, "development set",
                                 dev[["fingerprint", "municipality"]]))
    ann_path = corpus / "annotations.csv"
    if ann_path.exists():
        annotations = load_annotations(ann_path, keys, label=f"{str(corpus).rstrip('/')}/annotations.csv")
        matched, unmatched = match_annotations(annotations, segments)
        stats.update({"n_annotated": len(matched), "annotations_unmatched": unmatched})
        if len(matched):
            rows = features.set_index("segment_id").loc[matched["segment_id"]].reset_index()
            n = len(rows)
            parts.append(val.Labelled(rows[_feature_columns(rows)], matched[keys].to_numpy(),
                                      rows["municipality"].to_numpy(), np.zeros((n, len(keys)), dtype=int),
                                      matched["fingerprint"].to_numpy(), np.full(n, float(t["corpus_weight"])),
                                      np.full(n, "corpus", dtype=object), np.full(n, "corpus", dtype=object)))
            inter.append(_intercoder(corpus / "annotations_coders.csv", keys, core, "corpus",
                                     segments[["fingerprint", "municipality"]]))
    train = val.Labelled.concat(parts) if parts else None
    inter = [x for x in inter if x is not None]
    return train, test, (pd.concat(inter, ignore_index=True) if inter else None), stats


def _intercoder(path: Path, keys, core, label: str, units: pd.DataFrame) -> pd.DataFrame | None:
    from analysis.themes import validation as val

    if not path.exists():
        return None
    coders = pd.read_csv(path, dtype={"fingerprint": str}, encoding="utf-8-sig")
    table = val.intercoder_table(coders, keys, core)
    if table is None:
        return None
    table["method"] = f"intercoder, {label} ({table['method'].iat[0].split('(')[-1]}"
    table.insert(2, "split", "intercoder")
    table.insert(3, "n_groups", units[units["fingerprint"].isin(coders["fingerprint"])]["municipality"].nunique())
    table.insert(4, "n_folds", 0)
    table["chosen"] = 0
    table["text"] = val.text_of("intercoder", table["method"].iat[0], [])
    return table


def measure_themes(result: RunResult, cfg: dict, codebook, corpus: Path, cache: Path | None,
                   jobs: int | None = 1) -> None:
    """Add theme scores and assignments to the segments, and the tables that explain them.

    The lexicon always runs. The three methods (lexicon, model, combined) are cross-validated,
    grouped by municipality, on the development set's train split plus the corpus's own hand
    coding; the best by macro F1 (or the one the config names) is fitted on all of it, scored
    once on the locked test split, and measures the corpus: ``score_<key>`` is its calibrated
    probability, ``theme_<key>`` its assignment. Without labelled data the lexicon is used.
    """
    from analysis.themes import validation as val

    keys, core = codebook.keys, codebook.core_keys
    segments = result.segments
    threshold = cfg["themes"]["lexicon_threshold"]
    doc_keys = result.stats.get("doc_keys")
    keys_by_doc = lexicon_keys(segments, codebook, threshold, doc_keys) if doc_keys else None
    scores, matches, excluded, occurrences = score_by_document(
        segments, result.tokens, codebook, threshold, doc_keys, cache / "lexicon" if cache else None, jobs,
        keys_by_doc)
    features = theme_features(segments, scores)

    method, validation_table, stats, evaluation, key = "lexicon", None, {}, None, None
    proba = scores[[f"score_{k}" for k in keys]].to_numpy()
    assigned = scores[[f"theme_{k}" for k in keys]].to_numpy()
    train, test, intercoder, stats = training_data(features, segments, cfg, codebook, corpus, cache)
    if train is not None and len(train) >= val.MIN_ANNOTATED and len(np.unique(train.groups)) >= 2:
        from analysis.base.paths import CHECK_SET_DIR
        from analysis.themes.checkset import SPLIT_OF_HALF, TUNING, record_key, recorded_scores

        recorded = recorded_scores(CHECK_SET_DIR, record_key(codebook.fingerprint,
                                                             result.stats.get("annotations_fingerprint", ""), cfg))
        # the check set's tuning half is one more real-text source to choose by; the locked half never is
        also = None
        if recorded is not None:
            tuning = recorded[(recorded["split"] == SPLIT_OF_HALF[TUNING]) & (recorded["theme"] == "macro_all")]
            also = {m: float(f) for m, f in zip(tuning["method"], tuning["f1"])} or None
        key = val.training_key(train, test, codebook.fingerprint, cfg, also)
        evaluation, from_cache = cached(shared_cache_dir() / "models" if cache else None, key,
                                        lambda: val.evaluate(train, test, keys, core, cfg, also=also))
        stats["model_from_cache"] = from_cache
        validation_table = evaluation.table
        if intercoder is not None:
            validation_table = pd.concat([validation_table, intercoder], ignore_index=True)
        if recorded is not None:  # the check set's figures of this very fit (real text, never fitted on)
            recorded["chosen"] = (recorded["method"] == evaluation.chosen).astype(int)
            validation_table = pd.concat([validation_table, recorded], ignore_index=True)
            stats["check_set_figures"] = True
        result.extra["validation_checks"] = evaluation.checks
        result.extra["calibration"] = evaluation.calibration
        method = evaluation.chosen
        proba, assigned = predict_by_document(evaluation.model, key, features, keys_by_doc,
                                              cache / "predictions" if cache else None, jobs)
    for j, k in enumerate(keys):
        segments[f"score_{k}"] = np.round(proba[:, j], 4)
        segments[f"theme_{k}"] = assigned[:, j].astype(int)
    from analysis.themes.classify import clear_mentions

    clear = clear_mentions(features, keys)
    long = []
    for j, k in enumerate(keys):
        lexicon_theme, theme = scores[f"theme_{k}"].to_numpy(), segments[f"theme_{k}"].to_numpy()
        long.append(pd.DataFrame({
            "segment_id": segments["segment_id"], "theme": k,
            "lexicon_evidence": scores[f"evidence_{k}"], "lexicon_passing": scores[f"passing_{k}"],
            "lexicon_treated": scores[f"treated_{k}"], "lexicon_score": scores[f"score_{k}"],
            "lexicon_theme": lexicon_theme, "clear": clear[:, j],
            "score": segments[f"score_{k}"], "assigned": theme, "method": method,
            "removed_by": removal_reasons(lexicon_theme, theme, scores[f"treated_{k}"].to_numpy(), method)}))
    result.extra["theme_matches"] = matches
    result.parquet_only["theme_occurrences"] = occurrences
    result.extra["theme_exclusions"] = excluded
    result.extra["theme_scores"] = pd.concat(long, ignore_index=True)
    # what the corpus's own coding is scored by (analysis.coding.own.measure_own, the next stage)
    result.working.update({"evaluation": evaluation, "train": train, "training_key": key})
    if validation_table is not None:
        result.extra["validation"] = validation_table
    result.stats.update({"theme_method": method, "codebook": codebook.path, "codebook_version": codebook.version,
                         "codebook_fingerprint": codebook.fingerprint, **stats})


def removal_reasons(lexicon_theme: np.ndarray, assigned: np.ndarray, treated: np.ndarray,
                    method: str) -> np.ndarray:
    """Why the method in use left out a theme the lexicon assigns ("" where it did not): its
    evidence stands only in passing-mention spans or the heading, or it is not a clear mention
    and the method scores it below the theme's threshold. (A clear mention is never left out;
    matches that a rule of the codebook excluded are in ``theme_exclusions`` with the rule.)"""
    removed = (lexicon_theme == 1) & (assigned == 0)
    reason = np.where(treated > 0, f"not a clear mention; {method} scores it below the threshold",
                      "passing mention (its words stand only in passing-mention spans or the heading)")
    return np.where(removed, reason, "").astype(object)


#: Segments scored by the lexicon at once (bounds the memory of a long document).
LEXICON_SLICE = 3000


def lexicon_keys(segments: pd.DataFrame, codebook, threshold: float, doc_keys: dict[str, str]) -> dict[str, str]:
    """Per document, a key of what its lexicon results depend on: its token table's key
    (``doc_keys``), its segments and their section headings, the codebook and the threshold."""
    rows = pd.util.hash_pandas_object(segments[["segment_id", "section"]], index=False).to_numpy()
    per_doc = pd.Series(rows).groupby(segments["doc_id"].to_numpy(), sort=False).agg(lambda h: h.to_numpy().tobytes())
    stamp = f"{codebook.fingerprint}|{threshold}"
    return {d: hashlib.sha256(f"{doc_keys[d]}|{stamp}".encode() + per_doc[d]).hexdigest()[:24]
            for d in dict.fromkeys(segments["doc_id"])}


def document_groups(doc_ids: np.ndarray, lengths: np.ndarray, todo: list[str], jobs: int | None) -> list[list[str]]:
    """The documents ``todo`` in groups of whole documents in corpus order, of about equal text
    (``lengths``: characters per row, rows belonging to ``doc_ids``), one per process when there
    is enough text to spread (see :mod:`analysis.base.parallel`)."""
    weight = pd.Series(lengths).groupby(doc_ids, sort=False).sum().reindex(todo).to_numpy()
    n_groups = min(parallel.resolve_jobs(jobs), len(todo)) if weight.sum() >= parallel.PARALLEL_MIN_BYTES else 1
    cut = np.searchsorted(np.cumsum(weight), np.arange(1, n_groups) * weight.sum() / n_groups)
    return [g.tolist() for g in np.split(np.array(todo, dtype=object), cut) if len(g)]


def predict_by_document(model, model_key: str, features: pd.DataFrame, keys: dict[str, str] | None,
                        cache: Path | None, jobs: int | None = 1) -> tuple[np.ndarray, np.ndarray]:
    """The fitted method's probabilities and assignments for every segment, cached per document.

    A segment's prediction depends only on its own features, which a document's lexicon key
    (``keys``) determines, and on the method (``model_key``): a re-run predicts only the changed
    documents, in groups of documents over ``jobs`` processes when there are many.
    """
    columns = _feature_columns(features)
    if cache is None or not keys:
        return model.predict_both(features[columns])
    doc_ids = features["doc_id"].to_numpy()
    order = list(dict.fromkeys(doc_ids))
    entry = {d: hashlib.sha256(f"{model_key}|{keys[d]}".encode()).hexdigest()[:24] for d in order}
    found = {d: load_entry(cache, entry[d]) for d in order}
    todo = [d for d in order if found[d] is MISSING]
    if todo:
        def predict(group: list[str]) -> dict[str, tuple]:
            rows = np.flatnonzero(np.isin(doc_ids, group))
            # In slices of segments (each is predicted on its own): bounded memory for a long document.
            both = [model.predict_both(features.iloc[rows[a:a + LEXICON_SLICE]][columns])
                    for a in range(0, len(rows), LEXICON_SLICE)]
            proba, assigned = np.concatenate([p for p, _ in both]), np.concatenate([a for _, a in both])
            part = doc_ids[rows]
            done = {}
            for d in group:
                done[d] = (proba[part == d], assigned[part == d])
                store_entry(cache, entry[d], done[d])
            return done

        lengths = features["lemmas"].str.len().to_numpy()
        for done in parallel.map_documents(predict, document_groups(doc_ids, lengths, todo, jobs), jobs):
            found.update(done)
    return (np.concatenate([found[d][0] for d in order]), np.concatenate([found[d][1] for d in order]))


def score_by_document(segments: pd.DataFrame, tokens: pd.DataFrame, codebook, threshold: float,
                      doc_keys: dict[str, str] | None, cache: Path | None, jobs: int | None = 1,
                      keys: dict[str, str] | None = None) -> tuple[pd.DataFrame, ...]:
    """The lexicon's scores, matches, exclusions and occurrences, cached per document.

    The lexicon measures each segment on its own, so a document's results depend only on its
    segments, the codebook and the threshold: a re-run scores only the documents that changed
    (in one batch) and reads the others from ``cache``. The tables are in segment order, the
    same as one call of :func:`analysis.themes.lexicon.score_themes` on the whole corpus. Many documents
    to score are split into groups of whole documents, one per process (``jobs``). ``keys``: the
    documents' :func:`lexicon_keys`, when the caller has them already.
    """
    from analysis.themes.lexicon import score_themes

    def whole(segs, toks):
        # In slices of segments: memory stays bounded however long a document is. Each segment
        # is scored on its own, so the slices' tables are the whole's, in segment order.
        if len(segs) <= LEXICON_SLICE:
            return score_themes(segs, toks, codebook, threshold, occurrences=True)
        ids = segs["segment_id"].to_numpy()
        codes, values = pd.factorize(toks["segment_id"])  # integer codes: no Python string per token
        starts = np.r_[0, np.flatnonzero(codes[1:] != codes[:-1]) + 1] if len(codes) else np.zeros(0, dtype=int)
        first_of = dict(zip(np.asarray(values, dtype=object)[codes[starts]].tolist(), starts.tolist()))
        parts = []
        for a in range(0, len(segs), LEXICON_SLICE):
            b = min(a + LEXICON_SLICE, len(segs))
            lo = next((first_of[i] for i in ids[a:b].tolist() if i in first_of), len(toks))
            hi = next((first_of[i] for i in ids[b:].tolist() if i in first_of), len(toks))
            parts.append(score_themes(segs.iloc[a:b], toks.iloc[lo:hi], codebook, threshold, occurrences=True))
        joined = []
        for i in range(len(parts[0])):
            frames = [p[i] for p in parts if len(p[i])]
            joined.append(pd.concat(frames, ignore_index=True) if frames else parts[0][i])
        return tuple(joined)

    if cache is None or not doc_keys:
        return whole(segments, tokens)
    order = list(dict.fromkeys(segments["doc_id"]))
    keys = keys or lexicon_keys(segments, codebook, threshold, doc_keys)
    found = {d: load_entry(cache, keys[d]) for d in order}
    todo = [d for d in order if found[d] is MISSING]
    if todo:
        groups = document_groups(segments["doc_id"].to_numpy(), segments["text"].str.len().to_numpy(), todo, jobs)

        def score_group(group: list[str]) -> dict[str, tuple]:
            every = len(group) == len(order)  # then no copy of the token table (a long document's is large)
            segs = segments if every else segments[segments["doc_id"].isin(group)]
            doc_of = pd.Series(segs["doc_id"].to_numpy(), index=segs["segment_id"].to_numpy())
            tables = whole(segs, tokens if every else tokens[tokens["segment_id"].isin(doc_of.index)])
            parts = [dict(tuple(t.groupby(t["segment_id"].map(doc_of), sort=False))) for t in tables]
            scored = {}
            for d in group:
                scored[d] = tuple(p[d].reset_index(drop=True) if d in p else t.iloc[:0] for p, t in zip(parts, tables))
                store_entry(cache, keys[d], scored[d])
            return scored

        for scored in parallel.map_documents(score_group, groups, jobs):
            found.update(scored)
    out = []
    for i in range(4):
        frames = [found[d][i] for d in order]
        nonempty = [f for f in frames if len(f)]
        out.append(pd.concat(nonempty, ignore_index=True) if nonempty else frames[0].reset_index(drop=True))
    return tuple(out)
