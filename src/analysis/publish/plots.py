"""Figures for the notebooks and reports: readable in a browser, titles, axes and legends in the
reports' language (:mod:`analysis.publish.i18n`, numbers with a decimal comma in Danish),
colour-blind-safe colours (Okabe-Ito for categories, cividis for scales), no overlapping labels.

Every function returns a matplotlib Figure and draws from a table that the run writes to
``OUT/tables`` (named in each docstring), so the numbers behind a figure are always available.

Usage::

    from analysis.publish import plots
    fig = plots.plot_theme_heatmap(profiles, keys, labels)
"""

from __future__ import annotations

import re
import textwrap

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import dendrogram

from analysis.publish import i18n
from analysis.publish.i18n import t

#: Okabe & Ito's palette, distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
SEQUENTIAL = "cividis"
FIG_DPI = 100
#: Above this many rows a matrix figure drops the numbers in its cells and shrinks its rows,
#: so that a comparison of all 98 municipalities stays readable and small (the numbers are in
#: the tables).
MANY_UNITS = 24


def setup_style() -> None:
    """Set matplotlib defaults used by every figure (call once per notebook)."""
    plt.rcParams.update({
        "figure.dpi": FIG_DPI, "savefig.dpi": FIG_DPI, "font.size": 10, "axes.titlesize": 12,
        "axes.titleweight": "bold", "axes.spines.top": False, "axes.spines.right": False,
        "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO), "figure.constrained_layout.use": True,
    })


def percent_axis(axis, decimals: int = 0) -> None:
    """Tick labels of a 0-1 share as percentages in the reports' language ('24 %' / '24%')."""
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: i18n.pct(x, decimals)))


def number_axis(axis, decimals: int = 1) -> None:
    """Tick labels with the language's decimal mark ('0,8' / '0.8')."""
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: i18n.num(x, decimals)))


def wrap(label: str, width: int = 22) -> str:
    """Wrap a long label onto several lines (each of its own lines separately)."""
    return "\n".join("\n".join(textwrap.wrap(line, width)) or line for line in str(label).split("\n"))


def _flag_apart(label: str) -> str:
    """A theme label's flag, "(F1 0,86)" or "(F1 0,67, vejledende)", on a line of its own."""
    cut = label.rfind(" (F1") if " (F1" in label else label.rfind(" (")
    return label[:cut] + "\n" + label[cut + 1:] if label.endswith(")") and cut > 0 else label


def _labels(keys, labels: dict | None, width: int = 22) -> list[str]:
    return [wrap(_flag_apart((labels or {}).get(k, k)), width) for k in keys]


def plot_documents(documents: pd.DataFrame) -> plt.Figure:
    """Documents and words per municipality, coloured by document type (table: documents)."""
    ok = documents[documents["status"] == "ok"]
    counts = ok.pivot_table(index="municipality", columns="doc_type", values="n_tokens", aggfunc="sum", fill_value=0)
    counts = counts.loc[counts.sum(axis=1).sort_values().index]
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(counts) + 1.6))
    left = np.zeros(len(counts))
    for i, col in enumerate(counts.columns):
        ax.barh(counts.index, counts[col], left=left, color=OKABE_ITO[i % len(OKABE_ITO)], label=col)
        left += counts[col].to_numpy()
    ax.set_xlabel(t("plot.words"))
    ax.set_ylabel(t("plot.municipality"))
    number_axis(ax.xaxis, 0)
    ax.set_title(t("plot.documents_title"))
    ax.legend(title=t("plot.doc_type"), loc="lower right", frameon=False)
    return fig


def plot_theme_prevalence(segments: pd.DataFrame, keys: list[str], labels: dict | None = None) -> plt.Figure:
    """Share of all segments coded with each theme (table: segments)."""
    shares = [segments[f"theme_{k}"].mean() for k in keys]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(keys) + 1.4))
    y = np.arange(len(keys))[::-1]
    ax.barh(y, shares, color=OKABE_ITO[0])
    ax.set_yticks(y, _labels(keys, labels, 32))
    for yi, share in zip(y, shares):
        ax.text(share + 0.005, yi, i18n.pct(share), va="center")
    ax.set_xlim(0, max(shares + [0.1]) * 1.2)
    percent_axis(ax.xaxis)
    ax.set_xlabel(t("plot.share_segments"))
    ax.set_title(t("plot.prevalence_title"))
    return fig


def coder_label(method: str) -> str:
    """The validation table's name of a pair of coders ("intercoder, corpus (A vs B)") in the
    reports' language."""
    found = re.fullmatch(r"intercoder, (development set|corpus) \((.+) vs (.+)\)", str(method))
    if not found:
        return i18n.value("method", method)
    where = "plot.coders_dev" if found.group(1) == "development set" else "plot.coders_corpus"
    return t(where, a=found.group(2), b=found.group(3))


def _source_name(source: str) -> str:
    key = f"source_short.{source}"
    return t(key) if i18n.has(key) else source


def plot_validation(validation: pd.DataFrame, keys: list[str], labels: dict | None = None,
                    limit: float = 0.8) -> plt.Figure:
    """F1 per theme: every method cross-validated on the train pool (bars), the method in use on
    real text out of fold (orange diamonds) and on the locked test split of synthetic text (black
    points), each with its interval, and the coders' agreement (table: validation)."""
    if validation is None or validation.empty:
        return _nothing(t("plot.no_hand_coding"))
    rows = keys + ["macro_core", "macro_all"]
    names = _labels(keys, labels, 18) + [wrap(t("value.macro.macro_core"), 18), wrap(t("value.macro.macro_all"), 18)]
    cv = validation[validation["split"] == "cv train"]
    methods = list(dict.fromkeys(cv["method"]))
    fig, ax = plt.subplots(figsize=(11, 4.8))
    width = 0.8 / max(len(methods), 1)
    x = np.arange(len(rows))
    for i, method in enumerate(methods):
        f1 = cv[cv["method"] == method].set_index("theme").reindex(rows)["f1"]
        ax.bar(x + (i - (len(methods) - 1) / 2) * width, f1, width, label=t("plot.cv_method", method=i18n.value("method", method)),
               color=OKABE_ITO[i], alpha=0.85)
    test = validation[validation["split"] == "test"].set_index("theme").reindex(rows)
    if test["f1"].notna().any():
        err = np.vstack([test["f1"] - test["f1_low"], test["f1_high"] - test["f1"]])
        ax.errorbar(x, test["f1"], yerr=np.clip(err, 0, None), fmt="o", color="black", capsize=3,
                    label=t("plot.test_method", method=i18n.value("method", test["method"].dropna().iat[0])))
    if "text" in validation:  # the method in use on real text, out of fold: what the reports judge it by
        real = validation[(validation["text"] == "real") & (validation["chosen"] == 1)
                          & (validation["split"].str.startswith("cv train: ") | (validation["split"] == "check set"))]
        for split, part in real.groupby("split", sort=False):
            part = part.set_index("theme").reindex(rows)
            err = np.vstack([part["f1"] - part["f1_low"], part["f1_high"] - part["f1"]])
            ax.errorbar(x + 0.12, part["f1"], yerr=np.clip(np.nan_to_num(err), 0, None), fmt="D", color="#D55E00",
                        capsize=3, label=t("plot.real_method", method=i18n.value("method", part["method"].dropna().iat[0]),
                                           source=_source_name(split.removeprefix("cv train: "))))
    inter = validation[validation["split"] == "intercoder"]
    for i, (method, part) in enumerate(inter.groupby("method", sort=False)):
        f1 = part.set_index("theme").reindex(rows)["f1"]
        ax.plot(x, f1, linestyle="none", marker="_", markersize=14, color=OKABE_ITO[5 + i % 2],
                label=coder_label(method))
    ax.axhline(limit, color="#555555", linestyle="--", linewidth=1, label=t("plot.limit_line", limit=i18n.num(limit, 2)))
    ax.set_xticks(x, names, rotation=45, ha="right")
    ax.set_ylim(0, 1.05)
    number_axis(ax.yaxis)
    ax.set_ylabel(t("plot.f1_axis"))
    ax.set_title(t("plot.validation_title"))
    ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return fig


def plot_reliability(calibration: pd.DataFrame | None) -> plt.Figure:
    """Reliability diagram: predicted probability against the observed share of segments with
    the theme (all themes pooled), cross-validated on train and on the locked test (table: calibration)."""
    if calibration is None or calibration.empty:
        return _nothing(t("plot.no_calibration"))
    part = calibration[calibration["theme"] == "all"]
    fig, ax = plt.subplots(figsize=(5.6, 5))
    ax.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1, label=t("plot.perfect"))
    for i, (split, g) in enumerate(part.groupby("split", sort=False)):
        ax.plot(g["mean_predicted"], g["observed"], marker="o", color=OKABE_ITO[i],
                label=t("plot.pairs", split=i18n.value("split", split), n=i18n.integer(int(g["n"].sum()))))
        for r in g.itertuples():
            ax.annotate(f"{r.n}", (r.mean_predicted, r.observed), fontsize=7, xytext=(3, -9),
                        textcoords="offset points", color=OKABE_ITO[i])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    number_axis(ax.xaxis)
    number_axis(ax.yaxis)
    ax.set_xlabel(t("plot.predicted"))
    ax.set_ylabel(t("plot.observed"))
    ax.set_title(t("plot.reliability_title", method=i18n.value("method", part["method"].iat[0])))
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    return fig


def plot_clusters(clusters: pd.DataFrame, labels: dict | None = None, method: str = "kmeans") -> plt.Figure:
    """Cluster sizes with their top terms and closest theme (table: clusters)."""
    part = clusters[clusters["method"] == method].sort_values("size")
    fig, ax = plt.subplots(figsize=(10, 0.55 * len(part) + 1.4))
    names = [wrap(f"{r.cluster}: {', '.join(str(r.top_terms).split(', ')[:4])}", 48) for r in part.itertuples()]
    ax.barh(names, part["size"], color=OKABE_ITO[2])
    for i, r in enumerate(part.itertuples()):
        theme = (labels or {}).get(r.top_theme, r.top_theme) if r.top_theme else t("plot.no_theme")
        ax.text(r.size + 0.3, i, f"{theme} ({i18n.pct(r.theme_share)})", va="center", fontsize=8)
    ax.set_xlim(0, part["size"].max() * 1.6 if len(part) else 1)
    ax.set_xlabel(t("plot.paragraphs"))
    ax.set_title(t("plot.clusters_title", method=i18n.value("method", method)))
    return fig


def plot_theme_heatmap(profiles: pd.DataFrame, keys: list[str], labels: dict | None = None,
                       confidence: float = 0.95) -> plt.Figure:
    """Municipality x theme share of segments, each cell with its interval (table: theme_profiles).

    With more than :data:`MANY_UNITS` rows the cells show colour only (the intervals are in
    the table).
    """
    units = sorted(profiles["unit"].unique())
    if not units:
        return _nothing(t("plot.no_segments"))
    many = len(units) > MANY_UNITS
    share = profiles.pivot(index="unit", columns="theme", values="share_segments").reindex(index=units, columns=keys)
    lo = profiles.pivot(index="unit", columns="theme", values="segments_ci_low").reindex(index=units, columns=keys)
    hi = profiles.pivot(index="unit", columns="theme", values="segments_ci_high").reindex(index=units, columns=keys)
    fig, ax = plt.subplots(figsize=(1.25 * len(keys) + 3.5, (0.2 if many else 0.8) * len(units) + 2.4))
    image = ax.imshow(share.to_numpy(dtype=float), cmap=SEQUENTIAL, vmin=0, vmax=max(0.5, float(np.nanmax(share))),
                      aspect="auto")
    for i in range(0 if many else len(units)):
        for j in range(len(keys)):
            value = share.iat[i, j]
            colour = "white" if value < 0.3 else "black"
            ax.text(j, i, f"{i18n.pct(value)}\n[{i18n.pct(lo.iat[i, j])}–{i18n.pct(hi.iat[i, j])}]", ha="center",
                    va="center",
                    fontsize=8, color=colour)
    ax.set_xticks(range(len(keys)), _labels(keys, labels, 14), rotation=45, ha="right")
    ax.set_yticks(range(len(units)), [u if many else wrap(u, 28) for u in units], fontsize=7 if many else None)
    ax.set_title(t("plot.heatmap_title", interval=i18n.interval_name(confidence)) if not many else
                 t("plot.heatmap_title_many", n=len(units)))
    bar = fig.colorbar(image, ax=ax, label=t("plot.share_segments"), shrink=0.8)
    percent_axis(bar.ax.yaxis)
    return fig


def plot_dendrogram(linkage_result, title: str | None = None) -> plt.Figure:
    """Hierarchical clustering (average linkage on cosine distance) of units (table: similarity);
    ``title`` defaults to "clustered by theme profile" in the reports' language."""
    title = title or t("plot.dendrogram_themes")
    if linkage_result is None:
        return _nothing(t("plot.too_few"))
    units, matrix = linkage_result
    many = len(units) > MANY_UNITS
    fig, ax = plt.subplots(figsize=(8, (0.18 if many else 0.6) * len(units) + 1.8))
    dendrogram(matrix, labels=[u if many else wrap(u, 30) for u in units], orientation="right", ax=ax,
               color_threshold=0, above_threshold_color=OKABE_ITO[0], leaf_font_size=7 if many else 10)
    ax.set_xlabel(t("plot.cosine_distance"))
    number_axis(ax.xaxis)
    ax.set_title(title)
    return fig


def plot_similarity(similarity: pd.DataFrame, column: str = "cosine_themes", title: str | None = None) -> plt.Figure:
    """Unit x unit cosine similarity (table: similarity)."""
    title = title or t("plot.similarity_title")
    if similarity.empty:
        return _nothing(t("plot.no_segments"))
    matrix = similarity.pivot(index="unit_a", columns="unit_b", values=column)
    many = len(matrix) > MANY_UNITS
    cell = 0.13 if many else 0.85
    fig, ax = plt.subplots(figsize=(cell * len(matrix) + 4.5, cell * len(matrix) + 3.2))
    image = ax.imshow(matrix.to_numpy(dtype=float), cmap=SEQUENTIAL, vmin=0, vmax=1)
    for i in range(0 if many else len(matrix)):
        for j in range(len(matrix)):
            value = matrix.iat[i, j]
            ax.text(j, i, i18n.num(value, 2), ha="center", va="center", fontsize=8,
                    color="white" if value < 0.5 else "black")
    names = list(matrix.index) if many else [wrap(u, 20) for u in matrix.index]
    ax.set_xticks(range(len(matrix)), names, rotation=90 if many else 45, ha="center" if many else "right",
                  fontsize=5 if many else None)
    ax.set_yticks(range(len(matrix)), names, fontsize=5 if many else None)
    ax.set_title(title)
    bar = fig.colorbar(image, ax=ax, shrink=0.8, label=t("plot.cosine_similarity"))
    number_axis(bar.ax.yaxis)
    return fig


def plot_keyness(keyness: pd.DataFrame, municipality: str, n: int = 15) -> plt.Figure:
    """The most distinctive lemmas of one municipality (G2, with the log ratio) (table: keyness)."""
    part = keyness[keyness["municipality"] == municipality].sort_values("g2").tail(n)
    if part.empty:
        return _nothing(t("plot.no_keyness"))
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(part) + 1.6))
    ax.barh(part["lemma"], part["g2"], color=OKABE_ITO[1])
    for i, r in enumerate(part.itertuples()):
        ax.text(r.g2 + 0.2, i, f"LR {'+' if r.log_ratio >= 0 else ''}{i18n.num(r.log_ratio, 1)}", va="center",
                fontsize=8)
    ax.set_xlim(0, part["g2"].max() * 1.25)
    number_axis(ax.xaxis, 0)
    ax.set_xlabel(t("plot.g2_axis"))
    ax.set_title(t("plot.keyness_title", municipality=municipality))
    return fig


def plot_keyness_grid(keyness: pd.DataFrame, municipalities: list[str] | None = None, n: int = 8,
                      max_panels: int = 12, ncols: int = 3) -> plt.Figure:
    """Small multiples of the most distinctive lemmas, one panel per municipality (table: keyness).

    At most ``max_panels`` municipalities are drawn (the first by name unless ``municipalities``
    names them); the title says how many there are in all. Each municipality's profile report
    has its own, larger figure.
    """
    names = sorted(keyness["municipality"].unique()) if municipalities is None else list(municipalities)
    if not names:
        return _nothing(t("plot.no_keyness"))
    shown = names[:max_panels]
    nrows = -(-len(shown) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 0.24 * n * nrows + 1.2 * nrows + 0.6), squeeze=False)
    for ax, name in zip(axes.flat, shown):
        part = keyness[keyness["municipality"] == name].sort_values("g2").tail(n)
        ax.barh(part["lemma"], part["g2"], color=OKABE_ITO[1])
        ax.set_title(wrap(name, 30), fontsize=10)
        ax.tick_params(axis="y", labelsize=8)
        ax.set_xlabel("G²", fontsize=8)
        number_axis(ax.xaxis, 0)
    for ax in list(axes.flat)[len(shown):]:
        ax.set_axis_off()
    more = t("plot.keyness_grid_more", shown=len(shown), total=len(names)) if len(names) > len(shown) else ""
    fig.suptitle(t("plot.keyness_grid_title") + more, fontweight="bold")
    return fig


def _nothing(message: str) -> plt.Figure:
    """A small figure that says why there is nothing to draw."""
    fig, ax = plt.subplots(figsize=(8, 1.5))
    ax.text(0.5, 0.5, message, ha="center", va="center")
    ax.set_axis_off()
    return fig


def plot_cooccurrence(cooccurrence: pd.DataFrame, keys: list[str], labels: dict | None = None) -> plt.Figure:
    """Which themes appear together in segments: Jaccard index and counts (table: cooccurrence)."""
    jac = cooccurrence.pivot(index="theme_a", columns="theme_b", values="jaccard").reindex(index=keys, columns=keys)
    n = cooccurrence.pivot(index="theme_a", columns="theme_b", values="segments").reindex(index=keys, columns=keys)
    off = jac.to_numpy(dtype=float).copy()
    np.fill_diagonal(off, np.nan)
    fig, ax = plt.subplots(figsize=(9, 7.5))
    image = ax.imshow(off, cmap=SEQUENTIAL, vmin=0, vmax=max(0.3, float(np.nanmax(off)) if np.isfinite(off).any() else 0.3))
    for i in range(len(keys)):
        for j in range(len(keys)):
            text = f"n={i18n.integer(n.iat[i, j])}" if i == j else f"{i18n.num(jac.iat[i, j], 2)}\n({i18n.integer(n.iat[i, j])})"
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="black" if i == j or jac.iat[i, j] > 0.15 else "white")
    names = _labels(keys, labels, 16)
    ax.set_xticks(range(len(keys)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(keys)), names)
    ax.set_title(t("plot.cooccurrence_title"))
    bar = fig.colorbar(image, ax=ax, shrink=0.8, label=t("plot.jaccard"))
    number_axis(bar.ax.yaxis)
    return fig


def plot_profile(profiles: pd.DataFrame, municipality: str, keys: list[str], labels: dict | None = None,
                 confidence: float = 0.95) -> plt.Figure:
    """One municipality's theme shares with intervals against every other unit (table: theme_profiles)."""
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(keys) + 1.8))
    y = np.arange(len(keys))[::-1]
    others = profiles[profiles["municipality"] != municipality]
    for unit, part in others.groupby("unit"):
        part = part.set_index("theme").reindex(keys)
        ax.scatter(part["share_segments"], y, color="#BBBBBB", s=22, zorder=2,
                   label=t("plot.others") if unit == others["unit"].iat[0] else None)
    mine = profiles[profiles["municipality"] == municipality]
    for i, (unit, part) in enumerate(mine.groupby("unit")):
        part = part.set_index("theme").reindex(keys)
        offset = (i - (mine["unit"].nunique() - 1) / 2) * 0.18
        ax.errorbar(part["share_segments"], y + offset,
                    xerr=[part["share_segments"] - part["segments_ci_low"],
                          part["segments_ci_high"] - part["share_segments"]],
                    fmt="o", color=OKABE_ITO[(i + 3) % len(OKABE_ITO)], capsize=3, zorder=3, label=unit)
    ax.set_yticks(y, _labels(keys, labels, 32))
    percent_axis(ax.xaxis)
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel(t("plot.share_segments_interval", interval=i18n.interval_name(confidence)))
    ax.set_title(t("plot.profile_title", municipality=municipality))
    ax.legend(frameon=False, loc="lower right", fontsize=9)
    return fig


def plot_headline(profiles: pd.DataFrame, keys: list[str], labels: dict | None = None,
                  confidence: float = 0.95) -> plt.Figure:
    """The front page's figure: every unit's share of segments with each theme (dot) and its
    interval (line), one panel per theme on a shared scale, units (a municipality's documents of
    one type) coloured by document type (table: theme_profiles).

    Rows stay readable at 98 municipalities: a fixed height per row, every other row shaded,
    names in small type.
    """
    units = (profiles[["unit", "municipality", "doc_type"]].drop_duplicates()
             .sort_values(["municipality", "doc_type"], kind="stable"))
    if units.empty:
        return _nothing(t("plot.no_segments"))
    n = len(units)
    many = n > MANY_UNITS
    types = sorted(units["doc_type"].unique())
    colour = {d: OKABE_ITO[i % len(OKABE_ITO)] for i, d in enumerate(types)}
    y = {u: n - 1 - i for i, u in enumerate(units["unit"])}
    ncols = len(keys)
    fig, axes = plt.subplots(1, ncols, figsize=(1.55 * ncols + 2.6, (0.17 if many else 0.34) * n + 2.0),
                             sharey=True, sharex=True, squeeze=False)
    top = float(profiles["segments_ci_high"].max()) if len(profiles) else 0.5
    top = min(1.0, max(0.1, top * 1.05))
    for ax, key in zip(axes.flat, keys):
        part = profiles[profiles["theme"] == key]
        for row in range(n):
            if row % 2 == 0:
                ax.axhspan(row - 0.5, row + 0.5, color="#f2f2f2", zorder=0, linewidth=0)
        rows = part["unit"].map(y).to_numpy()
        colours = [colour[d] for d in part["doc_type"]]
        ax.hlines(rows, part["segments_ci_low"], part["segments_ci_high"], colors=colours, linewidth=1.4, zorder=2)
        ax.scatter(part["share_segments"], rows, c=colours, s=12 if many else 22, zorder=3)
        ax.set_title(wrap(_flag_apart((labels or {}).get(key, key)), 16), fontsize=9)
        ax.set_xlim(0, top)
        percent_axis(ax.xaxis)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
    first = axes.flat[0]
    first.set_ylim(-0.5, n - 0.5)
    first.set_yticks(list(y.values()), list(y.keys()), fontsize=6 if many else 9)
    fig.supxlabel(t("plot.headline_axis", interval=i18n.interval_name(confidence)), fontsize=10)
    fig.suptitle(t("plot.headline_title"), fontweight="bold")
    if len(types) > 1:
        handles = [matplotlib.lines.Line2D([], [], color=colour[d], marker="o", linewidth=1.4, label=d) for d in types]
        fig.legend(handles=handles, title=t("plot.doc_type"), loc="outside upper right", ncols=len(types),
                   frameon=False, fontsize=8)
    return fig
