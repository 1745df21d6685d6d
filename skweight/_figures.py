"""The figures of ``skweight compare``, drawn from out-of-fold predictions.

scikit-learn's displays where one fits
(:class:`~sklearn.metrics.PrecisionRecallDisplay`,
:class:`~sklearn.calibration.CalibrationDisplay`); the cost against the
threshold has no display and is drawn here. Every function takes the
``predictions`` Bunch of :func:`~skweight.compare_strategies`.
"""

import numpy as np

MAX_SHOWN = 7  # the recommendation, up to 4 strategies tied with it, 2 baselines
LINE_STYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)))
CURVE_MARKERS = ("D", "v", "P", "X", "*", "h", "<")


def _styles(names):
    """``{name: line keyword arguments}``: colour, line style and marker differ."""
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return {name: {"color": cmap(i % 10), "ls": LINE_STYLES[i % len(LINE_STYLES)],
                   "marker": CURVE_MARKERS[i % len(CURVE_MARKERS)], "ms": 4}
            for i, name in enumerate(names)}


def _colors(names):
    return {name: style["color"] for name, style in _styles(names).items()}


def _scored(details, name):
    """Rows with out-of-fold predictions (every row, unless the cv skips some)."""
    return np.all(np.isfinite(details.proba[name]), axis=1)


MARKERS = {"argmax": "o", "bayes": "s", "tuned": "^"}


def precision_recall(figure, details):
    """Precision-recall curves with each decision's operating point."""
    from sklearn.metrics import PrecisionRecallDisplay, precision_score, recall_score

    ax = figure.subplots()
    positive = details.classes[1]
    colors = _colors(details.proba)
    styles = _styles(details.proba)
    for name, proba in details.proba.items():
        rows = _scored(details, name)
        y_true = details.y[rows] == positive
        shown = PrecisionRecallDisplay.from_predictions(
            y_true, proba[rows, 1], name=name, ax=ax,
            curve_kwargs={**styles[name], "lw": 1.3, "markevery": 0.1})
        # The pooled AP it adds to the label differs from the table's mean over
        # folds: name the curve only.
        shown.line_.set_label(name)
        for decision, marker in MARKERS.items():
            if (name, decision) in details.y_pred:
                y_pred = details.y_pred[name, decision][rows] == positive
                ax.plot(recall_score(y_true, y_pred),
                        precision_score(y_true, y_pred, zero_division=0.0),
                        marker=marker, color=colors[name], ms=7, mec="black",
                        ls="none")
    for decision, marker in MARKERS.items():
        ax.plot([], [], marker=marker, color="grey", mec="black", ls="none",
                label=f"decision: {decision}")
    ax.set(xlabel=f"recall (class {details.classes.tolist()[1]!r})",
           ylabel="precision", xlim=(0, 1.01), ylim=(0, 1.02),
           title="Precision-recall (out of fold) and each decision's operating point")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))


def cost_vs_threshold(figure, details):
    """Mean out-of-fold cost against the threshold on p(positive | x)."""
    ax = figure.subplots()
    c = details.cost_matrix
    thresholds = np.geomspace(1e-3, 1, 300)
    colors = _colors(details.proba)
    styles = _styles(details.proba)
    for name, proba in details.proba.items():
        rows = _scored(details, name)
        y_idx = np.searchsorted(details.classes, details.y[rows])
        row_c = c[rows] if c.ndim == 3 else np.broadcast_to(c, (len(y_idx), *c.shape))
        said = row_c[np.arange(len(y_idx)), y_idx]  # cost of saying each class
        above = proba[rows, 1][:, None] > thresholds[None, :]
        costs = np.where(above, said[:, 1:2], said[:, 0:1]).mean(axis=0)
        ax.plot(thresholds, costs, **styles[name], lw=1.3, markevery=0.1,
                label=name)
        tuned = details.thresholds.get((name, "tuned"))
        if tuned and all(t is not None for t in tuned):
            t = float(np.median(tuned))
            ax.plot(t, np.interp(t, thresholds, costs), marker="^", color=colors[name],
                    mec="black", ls="none")
    bayes = next((ts[0] for (_, d), ts in details.thresholds.items()
                  if d == "bayes" and ts and ts[0] is not None), None)
    if bayes is not None:
        ax.axvline(bayes, color="black", ls="--", lw=1,
                   label=f"Bayes threshold {bayes:.3g}")
    ax.plot([], [], marker="^", color="grey", mec="black", ls="none",
            label="tuned threshold (median over folds)")
    ax.set_xscale("log")
    ax.set(xlabel=f"threshold on p(class {details.classes.tolist()[1]!r} | x)",
           ylabel="mean cost per row (out of fold)",
           title="Cost against the decision threshold")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))


def _reliability_curve(ax, details, p, style, name):
    """One reliability curve of the probabilities ``p`` on ``ax``; for two
    classes, drawn on log axes, bins without a hit are left out."""
    from sklearn.calibration import CalibrationDisplay

    rows = np.all(np.isfinite(p), axis=1)
    y_idx = np.searchsorted(details.classes, details.y[rows])
    if len(details.classes) == 2:
        score, hit = p[rows, 1], y_idx == 1
    else:  # top-label: confidence of the argmax against its accuracy
        score, hit = p[rows].max(axis=1), p[rows].argmax(axis=1) == y_idx
    shown = CalibrationDisplay.from_predictions(
        hit, score, n_bins=10, strategy="quantile", name=name, ax=ax,
        ref_line=False, **style, lw=1.3)
    if len(details.classes) == 2:
        kept = (shown.prob_true > 0) & (shown.prob_pred > 0)
        shown.line_.set_data(shown.prob_pred[kept], shown.prob_true[kept])
    ax.get_legend().remove()


def calibration_pairs(details):
    """``[(uncalibrated, calibrated)]``: each default calibrated strategy with
    out-of-fold probabilities, and the strategy it calibrates."""
    from ._strategies import CALIBRATED_FROM

    return [(plain, calibrated) for calibrated, plain in CALIBRATED_FROM.items()
            if calibrated in details.proba and plain in details.proba]


def reliability(figure, details):
    """Reliability diagrams before and after prior correction, and, when a
    calibrated strategy ran, it against the strategy it calibrates.

    The third panel draws both strategies of each pair in
    ``details.calibration`` (``{name: proba}``, kept by :func:`selected` even
    for strategies a figure otherwise leaves out).
    """
    pairs = details.get("pairs", [])
    pair_proba = details.get("calibration", {})
    names = list(dict.fromkeys([*details.proba, *(n for pair in pairs
                                                  for n in pair)]))
    styles = _styles(names)
    binary = len(details.classes) == 2
    panels = [("as trained (before prior correction)", False),
              ("predict_proba (prior-corrected;\ncalibrated if the strategy is)",
               True)]
    axes = figure.subplots(1, 2 + bool(pairs), sharex=True, sharey=True)
    for ax, (title, corrected) in zip(axes[:2], panels, strict=True):
        for name, proba in details.proba.items():
            raw = details.raw_proba.get(name)
            p = proba if corrected or raw is None else raw
            _reliability_curve(ax, details, p, styles[name], name)
        ax.set_title(title)
    if pairs:
        for plain, calibrated in pairs:
            for name in (plain, calibrated):
                _reliability_curve(axes[2], details, pair_proba[name],
                                   styles[name], name)
        axes[2].set_title("calibrated against uncalibrated\n"
                          + "; ".join(f"{c} vs {p}" for p, c in pairs))
    for ax in axes:
        ax.set_ylabel("")
        if binary:  # a rare class lives near 0
            ax.plot([1e-3, 1], [1e-3, 1], color="black", ls=":", lw=1)
            ax.set(xscale="log", yscale="log", xlabel="predicted probability")
        else:  # the top label's confidence is at least 1 / n_classes
            ax.plot([0, 1], [0, 1], color="black", ls=":", lw=1)
            ax.set(xlim=(0, 1.02), ylim=(0, 1.02), xlabel="top-label confidence")
    axes[0].set_ylabel("observed frequency" if binary else "observed accuracy")
    # One legend for every panel: a strategy keeps its style in all of them.
    seen = {}
    for ax in axes:
        for line in ax.get_lines():
            if line.get_label() in names:
                seen.setdefault(line.get_label(), line)
    figure.legend(seen.values(), seen.keys(), fontsize=7, loc="outside right center")
    figure.suptitle(
        "Reliability, out of fold (deciles of the predicted probability; bins "
        "without a hit are not drawn on log axes)" if binary else
        "Reliability of the top label, out of fold (deciles of its confidence)")


def selected(details, names=None):
    """``details`` with the probabilities of ``names`` only (at most MAX_SHOWN;
    None: every strategy), and those of every calibration pair (``pairs``,
    ``calibration``)."""
    from sklearn.utils import Bunch

    pairs = calibration_pairs(details)
    keep = list(details.proba) if names is None else [
        n for n in dict.fromkeys(names) if n in details.proba][:MAX_SHOWN]
    return Bunch(**{**details, "proba": {n: details.proba[n] for n in keep},
                    "raw_proba": {n: details.raw_proba.get(n) for n in keep},
                    "pairs": pairs,
                    "calibration": {n: details.proba[n] for pair in pairs
                                    for n in pair}})


def figures(details, names=None):
    """``{file name: matplotlib Figure}``, or {} without matplotlib.

    With ``names``, only those strategies are drawn (every strategy's numbers
    are in compare.csv): a figure stays readable with a handful of curves. The
    reliability figure draws each calibrated strategy against the one it
    calibrates in a panel of its own, whether or not they are among ``names``.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return {}
    details = selected(details, names)
    wide = 13 if details.pairs else 11
    draw = {"reliability.png": (reliability, (wide, 4.8))}
    if len(details.classes) == 2 and details.proba:
        draw = {"precision_recall.png": (precision_recall, (7, 5.2)),
                "cost_vs_threshold.png": (cost_vs_threshold, (8.5, 5.2)), **draw}
    if not details.proba:
        return {}
    made = {}
    for name, (function, size) in draw.items():
        made[name] = Figure(figsize=size, layout="constrained")
        function(made[name], details)
    return made
