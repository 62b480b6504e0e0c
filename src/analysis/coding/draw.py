"""Drawing paragraphs to hand-code: a random part stratified by municipality and document type
(each paragraph's inclusion probability known, so that estimates from it hold for the corpus),
an optional learning part of the paragraphs the method is least sure of, the same paragraphs for
a second coder, and the disagreements for an adjudicator.

Usage::

    from analysis.coding.draw import draw_sample
    drawn = draw_sample(segments, register, coded, n=200, coders=["anna"], seed=20261122, date="2026-12-04")
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.base.errors import InputError, Problem
from analysis.compare.statistics import UNIT_SEPARATOR
from analysis.coding.register import (ADJUDICATION, FRAME_COLUMNS, LEARNING, RANDOM, SAMPLE_COLUMNS, WAVE_COLUMNS,
                                      Register)

ALLOCATIONS = ("proportional", "equal")
CODER_RE = re.compile(r"^[^\W_][\w.-]*$")


def stratum_of(municipality, doc_type):
    """The stratum of a paragraph: its municipality and document type ("Gentofte · politik"), named
    as the comparison names its units."""
    return pd.Series(municipality, dtype=object).astype(str).to_numpy() + UNIT_SEPARATOR + \
        pd.Series(doc_type, dtype=object).astype(str).to_numpy()


def check_coder(name: str) -> str:
    """A coder's name as the sheets and annotations store it (letters, digits, '.', '-', '_')."""
    name = (name or "").strip()
    if not CODER_RE.match(name):
        raise InputError(Problem("--coder", f"{name!r} is not a usable coder name",
                                 fix="use letters and digits, e.g. --coder anna (it names the sheet and the "
                                     "annotations)"))
    return name


def allocate(sizes: pd.Series, municipality_of: pd.Series, n: int, allocation: str) -> pd.Series:
    """Paragraphs each stratum is due (a real number, its expectation): ``proportional`` to its
    size (every paragraph the same chance), or ``equal`` shares per municipality (spread over its
    document types by size; a municipality with fewer paragraphs gives the rest to the others)."""
    total = int(sizes.sum())
    if n >= total:
        return sizes.astype(float)
    if allocation == "proportional":
        return sizes * (n / total)
    by_muni = sizes.groupby(municipality_of.reindex(sizes.index)).sum().astype(float)
    share = pd.Series(0.0, index=by_muni.index)
    left, open_ = float(n), list(by_muni.index)
    while open_ and left > 1e-9:  # water-filling: equal shares, capped by what a municipality has
        each = left / len(open_)
        full = [m for m in open_ if by_muni[m] - share[m] <= each]
        if not full:
            share[open_] += each
            break
        for m in full:
            left -= by_muni[m] - share[m]
            share[m] = by_muni[m]
        open_ = [m for m in open_ if m not in full]
    muni = municipality_of.reindex(sizes.index)
    return sizes * (muni.map(share) / muni.map(by_muni))


def round_systematic(expected: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Whole numbers with these expectations that sum to their (rounded) total: systematic
    rounding from one random start, so every stratum's count is its expectation rounded down or
    up and E[count] equals the expectation exactly."""
    cumulative = np.concatenate([[0.0], np.cumsum(expected.to_numpy())])
    start = rng.random()
    points = np.floor(cumulative - start + 1.0)  # how many of start, start+1, ... lie below
    counts = np.diff(points).astype(int)
    return pd.Series(np.minimum(counts, np.ceil(expected.to_numpy()).astype(int)), index=expected.index)


@dataclass
class Drawn:
    """What :func:`draw_sample` drew: new register rows, new wave rows, the documents of the
    wave's frame, and per sheet (in the order given to the coder) its coder and paragraphs.
    ``covered`` counts the paragraphs of the random part that were coded or on a sheet already
    (registered without a sheet)."""

    sample: pd.DataFrame
    waves: pd.DataFrame
    sheets: dict[str, tuple[str, pd.DataFrame]] = field(default_factory=dict)
    frames: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FRAME_COLUMNS))
    covered: int = 0


def sheet_ids(coders: list[str], date: str, taken: set[str]) -> list[str]:
    """``<coder>-<date>`` per coder, with -2, -3, ... when that name is taken."""
    out = []
    for coder in coders:
        base, n = f"{coder}-{date}", 1
        name = base
        while name in taken:
            n += 1
            name = f"{base}-{n}"
        taken.add(name)
        out.append(name)
    return out


def draw_sample(segments: pd.DataFrame, register: Register, coded: set[str], *, n: int, coders: list[str],
                seed: int, date: str, allocation: str = "proportional", learning: int = 0, overlap: int = 0,
                priority: pd.Series | None = None, taken_sheets: set[str] | None = None) -> Drawn:
    """Draw a new wave and deal it out to the coders' sheets.

    Parameters
    ----------
    segments : DataFrame
        The run's segments (segment_id, fingerprint, doc_id, municipality, doc_type).
    register : Register
        What was drawn before: those paragraphs, and paragraphs already hand-coded (``coded``,
        fingerprints), are not drawn again.
    n : int
        Paragraphs of the random part (stratified by municipality and document type).
    coders : list of str
        One sheet per coder. With several, ``overlap`` paragraphs of the random part go to every
        one of them (for agreement) and the rest are dealt out in turn.
    learning : int
        Paragraphs of the learning part: the highest ``priority`` (the method least sure), kept
        apart from the random part and never used for the unbiased figures.
    overlap : int
        With one coder: paragraphs of the random part already drawn for other coders, to code
        again (for agreement). With several: the paragraphs all of them code.
    seed : int
        The config's seed; each wave draws from its own stream of it.
    """
    if allocation not in ALLOCATIONS:
        raise InputError(Problem("--allocation", f"unknown allocation {allocation!r}",
                                 fix=f"use one of {', '.join(ALLOCATIONS)}"))
    if not coders:
        raise InputError(Problem("--coder", "no coder named", fix="name who codes: --coder anna"))
    wave = register.next_wave
    # a stream per wave and per draw (a draw of only a learning part makes no wave of its own)
    rng = np.random.default_rng([seed, wave, len(register.sample)])
    drawn_before = register.sample
    in_random = set(drawn_before.loc[drawn_before["part"] == RANDOM, "fingerprint"])
    on_sheets = set(drawn_before.loc[drawn_before["sheet"] != "", "fingerprint"])
    unique = segments.drop_duplicates("fingerprint")
    unique = unique.assign(stratum=stratum_of(unique["municipality"], unique["doc_type"])).reset_index(drop=True)
    # the random part draws from every paragraph not yet in it (coded or not: see analysis.coding.register)
    frame = unique[~unique["fingerprint"].isin(in_random)].reset_index(drop=True)
    sizes = frame.groupby("stratum", sort=True).size()
    municipality_of = frame.groupby("stratum", sort=True)["municipality"].first()
    picked, waves = [], pd.DataFrame(columns=WAVE_COLUMNS)
    frames = pd.DataFrame(columns=FRAME_COLUMNS)
    if n > 0 and len(frame):
        expected = allocate(sizes, municipality_of, n, allocation)
        counts = round_systematic(expected, rng)
        for stratum, k in counts.items():
            if k > 0:
                rows = np.flatnonzero(frame["stratum"].to_numpy() == stratum)
                picked.extend(rng.choice(rows, size=int(k), replace=False).tolist())
        waves = pd.DataFrame({"wave": wave, "stratum": sizes.index, "frame": sizes.to_numpy(),
                              "expected": expected.round(6).to_numpy(),
                              "p": np.minimum(expected.to_numpy() / sizes.to_numpy(), 1.0).round(8),
                              "allocation": allocation, "seed": seed})[WAVE_COLUMNS]
        frames = pd.DataFrame({"wave": wave, "doc_id": sorted(frame["doc_id"].unique())})
    random_rows = frame.iloc[sorted(picked)].assign(part=RANDOM, wave=wave)
    covered = random_rows["fingerprint"].isin(set(coded) | on_sheets).to_numpy()
    known = random_rows[covered]  # coded, or on a sheet already: in the random part without a new sheet
    random_rows = random_rows[~covered]
    learning_rows = frame.iloc[:0].assign(part=LEARNING, wave=wave)
    if learning > 0:
        taken = set(drawn_before["fingerprint"]) | set(coded) | set(frame["fingerprint"].iloc[picked])
        rest = unique[~unique["fingerprint"].isin(taken)]
        score = (priority.reindex(rest["segment_id"]).fillna(0.0).to_numpy() if priority is not None
                 else np.zeros(len(rest)))
        order = np.lexsort((rng.random(len(rest)), -score))
        learning_rows = rest.iloc[np.sort(order[:learning])].assign(part=LEARNING, wave=wave)
    new = pd.concat([random_rows, learning_rows], ignore_index=True)
    sheets = sheet_ids(coders, date, set(drawn_before["sheet"]) | set(taken_sheets or ()))
    dealt: dict[str, list[pd.DataFrame]] = {s: [] for s in sheets}
    if len(coders) > 1:
        order = rng.permutation(len(random_rows))
        shared = random_rows.iloc[np.sort(order[:overlap])]
        for s in sheets:
            dealt[s].append(shared)
        rest = pd.concat([random_rows.iloc[np.sort(order[overlap:])], learning_rows], ignore_index=True)
        for i, s in enumerate(sheets):
            dealt[s].append(rest.iloc[i::len(sheets)])
    else:
        dealt[sheets[0]].append(new)
        if overlap > 0:
            dealt[sheets[0]].append(_again(register, coders[0], overlap, rng, segments))
    out_rows, out_sheets = [known.assign(sheet="", coder="")], {}
    for s, coder in zip(sheets, coders):
        rows = pd.concat(dealt[s], ignore_index=True)
        if rows.empty:
            continue
        rows = rows.iloc[rng.permutation(len(rows))].reset_index(drop=True)  # no blocks by municipality
        out_sheets[s] = (coder, rows)
        out_rows.append(rows.assign(sheet=s, coder=coder))
    sample = pd.concat(out_rows, ignore_index=True)
    return Drawn(sample[SAMPLE_COLUMNS].reset_index(drop=True), waves, out_sheets, frames, int(covered.sum()))


def _again(register: Register, coder: str, k: int, rng: np.random.Generator, segments: pd.DataFrame) -> pd.DataFrame:
    """``k`` paragraphs of the random part drawn before for other coders (those with one coder
    first), for ``coder`` to code too; paragraphs no longer in the corpus are passed over."""
    s = register.sample
    random_part = s[(s["part"] == RANDOM) & (s["sheet"] != "") & s["fingerprint"].isin(segments["fingerprint"])]
    mine = set(random_part.loc[random_part["coder"] == coder, "fingerprint"])
    others = random_part[~random_part["fingerprint"].isin(mine)]
    n_coders = others.groupby("fingerprint")["coder"].nunique()
    candidates = others.drop_duplicates("fingerprint").assign(n=lambda f: f["fingerprint"].map(n_coders))
    order = np.lexsort((rng.random(len(candidates)), candidates["n"].to_numpy()))
    chosen = candidates.iloc[np.sort(order[:k])]
    # the paragraph as the corpus has it now (its id moves when a paragraph is put in before it)
    current = segments.drop_duplicates("fingerprint").set_index("fingerprint")["segment_id"]
    chosen = chosen.assign(segment_id=chosen["fingerprint"].map(current))
    return chosen[[c for c in SAMPLE_COLUMNS if c not in ("sheet", "coder")]].reset_index(drop=True)


def draw_adjudication(disagreeing: pd.DataFrame, register: Register, coder: str, date: str,
                      taken_sheets: set[str] | None = None) -> Drawn:
    """One sheet with every paragraph on which the coders disagree and that is not adjudicated
    yet (``disagreeing``: segment_id, fingerprint, doc_id, municipality, doc_type), for an
    adjudicator whose codes become the paragraph's codes."""
    done = set(register.sample.loc[register.sample["part"] == ADJUDICATION, "fingerprint"])
    rows = disagreeing[~disagreeing["fingerprint"].isin(done)].drop_duplicates("fingerprint").reset_index(drop=True)
    rows = rows.assign(stratum=stratum_of(rows["municipality"], rows["doc_type"]), part=ADJUDICATION,
                       wave=0)
    sheet = sheet_ids([coder], date, set(register.sample["sheet"]) | set(taken_sheets or ()))[0]
    sample = rows.assign(sheet=sheet, coder=coder)[SAMPLE_COLUMNS]
    return Drawn(sample, pd.DataFrame(columns=WAVE_COLUMNS), {sheet: (coder, rows)})
