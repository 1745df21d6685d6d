"""The recommendation of ``skweight compare``: which strategy and decision to use.

The ranked table orders mean costs; a user needs to know which differences are
real. The recommendation is the row of least mean normalised cost (highest
savings with costs per row). Every other row is compared with it by a paired
t-test on the per-fold normalised costs (the same folds, so the fold-to-fold
variation common to both cancels; Dietterich 1998, Nadeau & Bengio 2003 on its
optimism); rows with p >= ``ALPHA`` are *statistically tied* with it. Strategies
whose out-of-fold probabilities are identical are one group (prior-bias and
logit-adjusted are, by construction: the logit-adjusted loss trains the prior
bias). A warning is raised when the fold-to-fold spread of the recommendation
exceeds its gap to the runner-up: the order of the top rows is then noise.
"""

import numpy as np

ALPHA = 0.05
PLAIN = ("no-weights", "argmax")
DECISION_WORDS = {"argmax": "the model's own predict (argmax)",
                  "bayes": "the Bayes rule under the costs",
                  "tuned": "a threshold tuned on held-out rows"}


def identical_groups(details, atol=1e-6):
    """Lists of strategies whose out-of-fold probabilities agree within ``atol``.

    Only groups of two or more are returned, in the order of ``details.proba``.
    """
    names, groups, seen = list(details.proba), [], set()
    for i, name in enumerate(names):
        if name in seen:
            continue
        group = [name] + [other for other in names[i + 1:] if other not in seen
                          and np.allclose(details.proba[name], details.proba[other],
                                          rtol=0, atol=atol, equal_nan=True)]
        seen.update(group)
        if len(group) > 1:
            groups.append(group)
    return groups


def constant_policy(y, classes, cost_matrix):
    """``(label, mean cost per row)`` of the cheapest constant prediction."""
    y_idx = np.searchsorted(classes, y)
    if np.ndim(cost_matrix) == 3:
        per_label = cost_matrix[np.arange(len(y)), y_idx].mean(axis=0)
    else:
        per_label = np.asarray(cost_matrix)[y_idx].mean(axis=0)
    best = int(np.argmin(per_label))
    return classes[best], float(per_label[best])


def _paired_p(a, b):
    """Two-sided p-value of the paired t-test on ``a - b`` (1.0 when identical)."""
    from scipy.stats import ttest_rel

    diff = np.asarray(a, float) - np.asarray(b, float)
    ok = np.isfinite(diff)
    if ok.sum() < 2 or np.allclose(diff[ok], 0, atol=1e-12):
        return 1.0
    if np.allclose(diff[ok], diff[ok][0], atol=1e-12):  # no spread: a sure gap
        return 0.0
    return float(ttest_rel(np.asarray(a, float)[ok], np.asarray(b, float)[ok]).pvalue)


def recommend(table, details, per_row=False):
    """The recommendation of a ranked table, as a JSON-ready dict.

    Parameters
    ----------
    table : DataFrame
        Sorted by ``normalized_cost_mean`` (best first), NaN rows dropped.
    details : Bunch
        The predictions of :func:`~skweight.compare_strategies`, with
        ``fold_scores``.
    per_row : bool, default=False
        Costs per row: the sentence speaks of savings.

    Returns
    -------
    recommendation : dict
        ``strategy``, ``decision``, ``cost``, ``normalized_cost``, ``savings``,
        ``plain`` (the plain network's row, or None), ``constant`` (label and
        cost of the cheapest constant prediction), ``tied`` (rows tied with the
        recommendation, with their p-values), ``identical`` (groups of
        strategies with identical probabilities), ``warning`` (or None),
        ``n_folds`` and ``lines`` (the text shown, one sentence a line).
    """
    best = table.iloc[0]
    name, decision = best["strategy"], best["decision"]
    key = "normalized_cost"
    reference = details.fold_scores[name][f"{decision}:{key}"]
    groups = identical_groups(details)
    group_of = {n: g for g in groups for n in g}
    tied = []
    for row in table.iloc[1:].itertuples():
        if row.strategy in group_of.get(name, ()) and row.decision == decision:
            continue  # the same probabilities: the same row under another name
        p = _paired_p(details.fold_scores[row.strategy][f"{row.decision}:{key}"],
                      reference)
        if p >= ALPHA:
            tied.append({"strategy": row.strategy, "decision": row.decision,
                         "cost": float(row.cost_mean), "p_value": round(p, 4)})
    label, constant = constant_policy(details.y, details.classes, details.cost_matrix)
    plain = table[(table["strategy"] == PLAIN[0]) & (table["decision"] == PLAIN[1])]
    plain = None if plain.empty else float(plain["cost_mean"].iloc[0])
    spread = float(np.std(reference))
    runner = table[~((table["strategy"].isin(group_of.get(name, [name])))
                     & (table["decision"] == decision))]
    gap = float(runner[f"{key}_mean"].iloc[0] - best[f"{key}_mean"]) \
        if len(runner) else None
    warning = None
    if gap is not None and spread > gap:
        warning = (f"the normalised cost of the recommendation varies from fold to "
                   f"fold by {spread:.3f} (std), more than its gap of {gap:.3f} to "
                   "the next strategy: the order of the top rows is not reliable; "
                   "rerun with --repeats 3 (or more folds) to narrow it")
    n_folds = len(reference)
    rec = {"strategy": name, "decision": decision, "cost": float(best["cost_mean"]),
           "normalized_cost": float(best[f"{key}_mean"]),
           "savings": float(best["savings_mean"]),
           "plain": None if plain is None else {"strategy": PLAIN[0],
                                                "decision": PLAIN[1], "cost": plain},
           "constant": {"label": label.item() if hasattr(label, "item") else label,
                        "cost": constant},
           "tied": tied, "identical": groups, "warning": warning, "n_folds": n_folds,
           "alpha": ALPHA}
    rec["lines"] = _sentences(rec, group_of.get(name, [name]), per_row)
    return rec


def _versus(cost, other):
    if other <= 0:
        return f"{cost:.4g} against {other:.4g}"
    change = 1 - cost / other
    word = "lower" if change >= 0 else "higher"
    return f"{abs(change):.0%} {word} than"


def _sentences(rec, group, per_row):
    """The recommendation in words: a sentence, the ties, the warning."""
    alias = f" (identical probabilities: {' = '.join(group)})" if len(group) > 1 else ""
    score = (f"savings {rec['savings']:.3f}" if per_row
             else f"normalised cost {rec['normalized_cost']:.3f}")
    cost = rec["cost"]
    parts = []
    if rec["plain"] is not None and rec["strategy"] != PLAIN[0]:
        parts.append(f"{_versus(cost, rec['plain']['cost'])} the plain network "
                     f"(no-weights, argmax: {rec['plain']['cost']:.4f})")
    const = rec["constant"]
    parts.append(f"{_versus(cost, const['cost'])} the best constant policy (always "
                 f"{const['label']!r}: {const['cost']:.4f})")
    lines = [f"Recommended: {rec['strategy']}{alias}, decided by "
             f"{DECISION_WORDS[rec['decision']]} ({rec['decision']}): mean cost "
             f"{cost:.4f} per row ({score}), {' and '.join(parts)}."]
    if rec["tied"]:
        names = ", ".join(f"{t['strategy']} {t['decision']}" for t in rec["tied"][:8])
        more = f" and {len(rec['tied']) - 8} more" if len(rec["tied"]) > 8 else ""
        lines.append(f"Statistically tied with it (paired t-test over the same "
                     f"{rec['n_folds']} folds, p >= {rec['alpha']}): {names}{more}.")
    else:
        lines.append(f"No other row is tied with it (paired t-test over the same "
                     f"{rec['n_folds']} folds, p < {rec['alpha']} for each).")
    other = [g for g in rec["identical"] if rec["strategy"] not in g]
    if other:
        lines.append("Identical probabilities (one strategy under several names): "
                     + "; ".join(" = ".join(g) for g in other) + ".")
    if rec["warning"]:
        lines.append(f"Warning: {rec['warning']}.")
    return lines


def group_rows(table, groups):
    """The table with one row per group of identical strategies (per decision).

    The first strategy of a group keeps its rows, shown as ``"a = b"``
    (column ``shown``); the others' rows, identical, are dropped.
    """
    table = table.copy()
    table["shown"] = table["strategy"]
    drop = set()
    for group in groups:
        table.loc[table["strategy"] == group[0], "shown"] = " = ".join(group)
        drop.update(group[1:])
    return table[~table["strategy"].isin(drop)].reset_index(drop=True)
