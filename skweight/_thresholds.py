"""Solvers of the tuned decision: a threshold, per-class offsets, a per-row correction.

Each solver takes out-of-fold probabilities and the (weighted) cost each row would
pay for each decision, and returns the decision parameters of least total cost:

- :func:`best_cut`: the cut on a score (binary threshold, one offset at a time);
- :func:`tune_offsets`: per-class offsets added to the log-probabilities, by exact
  coordinate descent (the multiclass analogue of a threshold);
- :func:`tune_row_offsets`: offsets added to the log-probabilities *before* the
  per-row Bayes rule, a global correction of miscalibrated probabilities when each
  row has its own costs. Starting from zero offsets (the plain per-row rule) and
  accepting only improvements, it is never worse on the tuning rows.
"""

import numpy as np

from ._costs import bayes_predict_indices

_TINY = np.finfo(float).tiny


def safe_log(proba):
    """Logarithm of probabilities, with 0 mapped to a finite, very negative value.

    Parameters
    ----------
    proba : ndarray
        Probabilities.

    Returns
    -------
    log_proba : ndarray
        ``log(max(proba, tiny))``.
    """
    return np.log(np.maximum(proba, _TINY))


def shifted_proba(proba, offsets):
    """Probabilities reweighted by ``exp(offsets)`` per class and renormalised.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Probabilities.

    offsets : ndarray of shape (n_classes,)
        Offsets added to the log-probabilities.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
        ``softmax(log proba + offsets)``.
    """
    logits = safe_log(proba) + offsets
    logits -= logits.max(axis=1, keepdims=True)
    shifted = np.exp(logits)
    return shifted / shifted.sum(axis=1, keepdims=True)


def binary_threshold(cost_matrix):
    """Threshold ``t`` on ``p(classes_[1]|x)`` of the binary Bayes rule, or None.

    Predicting ``classes_[1]`` is cheaper iff ``p1 (C10 - C11) > p0 (C01 - C00)``,
    i.e. iff ``p1 > (C01 - C00) / (C01 - C00 + C10 - C11)`` when the denominator is
    positive (with a zero diagonal: ``C01 / (C01 + C10)``, Elkan 2001).

    Parameters
    ----------
    cost_matrix : ndarray of shape (2, 2)
        Validated binary cost matrix.

    Returns
    -------
    threshold : float or None
        None when the costs do not reduce to a threshold on ``p1``.

    Examples
    --------
    >>> from skweight._thresholds import binary_threshold
    >>> binary_threshold([[0, 1], [9, 0]])
    0.1
    """
    c = np.asarray(cost_matrix, dtype=float)
    denominator = c[0, 1] - c[0, 0] + c[1, 0] - c[1, 1]
    return float((c[0, 1] - c[0, 0]) / denominator) if denominator > 0 else None


def best_cut(scores, cost_above, cost_below, *, low, high, reference):
    """Cut minimising the total cost when rows with ``scores > cut`` pay
    ``cost_above`` and the others ``cost_below``.

    Candidates are the midpoints between consecutive distinct scores, bounded by
    ``low`` and ``high``, so that no tuning row sits on the cut. Among equally good
    cuts, the one closest to ``reference`` is returned.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,)
        The score of each row.

    cost_above, cost_below : ndarray of shape (n_samples,)
        What each row costs above and below the cut.

    low, high : float
        Bounds of the candidate cuts (below and above every score).

    reference : float
        The preferred cut among ties.

    Returns
    -------
    cut : float
        The chosen cut.

    total : float
        Its total cost.

    cuts, totals : ndarray
        Every candidate cut and its total cost.

    Raises
    ------
    FloatingPointError
        If a total cost overflows float64.
    """
    points = np.unique(np.concatenate([[low], scores, [high]]))
    cuts = (points[:-1] + points[1:]) / 2
    order = np.argsort(scores, kind="stable")
    n_below = np.searchsorted(scores[order], cuts, side="right")
    with np.errstate(over="ignore", invalid="ignore"):  # checked below
        cum_below = np.concatenate([[0.0], np.cumsum(cost_below[order])])
        cum_above = np.concatenate([[0.0], np.cumsum(cost_above[order])])
        totals = cum_below[n_below] + cum_above[-1] - cum_above[n_below]
    if not np.isfinite(totals).all():
        # Weighted costs whose sum overflows: every cut would look alike.
        raise FloatingPointError(
            f"the total cost of the tuning rows is not finite (the costs times "
            f"the sample weights add up beyond float64's "
            f"{np.finfo(float).max:.3g}); only their ratios matter to the "
            "decision, so divide the costs or the sample weights by the same "
            "number."
        )
    best = totals.min()
    near_best = np.flatnonzero(totals <= best + 1e-12 * max(1.0, abs(best)))
    chosen = near_best[np.argmin(np.abs(cuts[near_best] - reference))]
    return cuts[chosen], totals[chosen], cuts, totals


def tune_offsets(log_proba, row_costs, start, max_sweeps=50):
    """Coordinate descent on additive offsets to the log-probabilities.

    ``row_costs[n, k]`` is the (weighted) cost of predicting class ``k`` for row
    ``n``. Each step minimises the total cost exactly over one offset: row ``n``
    predicts ``k`` iff ``offsets[k] > tau[n]``, the margin by which its best other
    class wins, so the cost is a step function of ``offsets[k]``.

    Parameters
    ----------
    log_proba : ndarray of shape (n_samples, n_classes)
        Log-probabilities.

    row_costs : ndarray of shape (n_samples, n_classes)
        Cost of each decision for each row.

    start : ndarray of shape (n_classes,)
        Offsets to start from.

    max_sweeps : int, default=50
        Maximum number of passes over the classes.

    Returns
    -------
    offsets : ndarray of shape (n_classes,)
        The row ``n`` predicts ``argmax(log_proba[n] + offsets)``.

    costs : ndarray
        Total cost after each improving step (the first is that of ``start``).

    offsets_trace : ndarray
        The offsets after each improving step.
    """
    n_samples, n_classes = log_proba.shape
    rows = np.arange(n_samples)
    offsets = np.asarray(start, dtype=float).copy()
    current = row_costs[rows, np.argmax(log_proba + offsets, axis=1)].sum()
    trace_costs, trace_offsets = [current], [offsets.copy()]
    for _ in range(max_sweeps):
        improved = False
        for k in range(n_classes):
            others = log_proba + offsets
            others[:, k] = -np.inf
            runner_up = np.argmax(others, axis=1)
            tau = others[rows, runner_up] - log_proba[:, k]
            cut, cost, _, _ = best_cut(
                -tau,
                cost_above=row_costs[:, k],
                cost_below=row_costs[rows, runner_up],
                low=-tau.max() - 2.0,
                high=-tau.min() + 2.0,
                reference=-offsets[k],
            )
            if cost < current - 1e-12 * max(1.0, abs(current)):
                offsets[k], current, improved = -cut, cost, True
                trace_costs.append(current)
                trace_offsets.append(offsets.copy())
        if not improved:
            break
    return offsets, np.array(trace_costs), np.array(trace_offsets)


def _row_rule_cost(proba, cost_matrix, paid, offsets):
    """Total cost ``paid`` when each row takes the per-row Bayes decision."""
    indices = bayes_predict_indices(shifted_proba(proba, offsets), cost_matrix)
    return paid[np.arange(len(paid)), indices].sum()


def tune_row_offsets(proba, cost_matrix, paid, *, grid=None, max_sweeps=10):
    """Offsets to the log-probabilities minimising the cost of the per-row rule.

    Row ``n`` decides by the Bayes rule with its own costs on
    ``softmax(log proba[n] + offsets)``: a global correction, a shift of the
    class priors, of probabilities that are miscalibrated. Coordinate descent
    over a grid of offsets per class, from zero offsets (the plain per-row rule)
    and accepting a step only if it lowers the total cost, so the result never
    costs more on these rows than the plain per-row rule. With two classes only
    the offset of class 1 moves (a shift of the log-odds).

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Out-of-fold probabilities.

    cost_matrix : ndarray of shape (n_samples, n_classes, n_classes)
        Each row's costs, used to decide.

    paid : ndarray of shape (n_samples, n_classes)
        What each row costs for each decision (its costs for its true class,
        times its weight).

    grid : ndarray, default=None
        Candidate changes of one offset; default 161 steps over [-4, 4] and the
        exact log-odds shifts at which some row changes its decision (binary).

    max_sweeps : int, default=10
        Maximum number of passes over the classes.

    Returns
    -------
    offsets : ndarray of shape (n_classes,)
        The tuned offsets (zeros if nothing beats the plain per-row rule).

    plain_cost : float
        Total cost of the plain per-row rule.

    best_cost : float
        Total cost with ``offsets``; never above ``plain_cost``.
    """
    n_samples, n_classes = proba.shape
    offsets = np.zeros(n_classes)
    plain = current = _row_rule_cost(proba, cost_matrix, paid, offsets)
    if grid is None:
        grid = np.linspace(-4.0, 4.0, 161)
    classes = [1] if n_classes == 2 else range(n_classes)
    candidates = {k: np.asarray(grid, dtype=float) for k in classes}
    if n_classes == 2:
        candidates[1] = np.union1d(candidates[1], _binary_switch_points(proba,
                                                                        cost_matrix))
    for _ in range(max_sweeps):
        improved = False
        for k in classes:
            values = candidates[k] if n_classes == 2 else offsets[k] + candidates[k]
            trial = offsets.copy()
            costs = np.empty(len(values))
            for i, value in enumerate(values):
                trial[k] = value
                costs[i] = _row_rule_cost(proba, cost_matrix, paid, trial)
            tolerance = 1e-12 * max(1.0, abs(current))
            near_best = np.flatnonzero(costs <= costs.min() + tolerance)
            # Among equally good offsets, the smallest correction.
            choice = near_best[np.argmin(np.abs(values[near_best]))]
            if costs[choice] < current - tolerance:
                offsets[k], current, improved = values[choice], costs[choice], True
        if not improved or n_classes == 2:
            break
    return offsets, float(plain), float(current)


def _binary_switch_points(proba, cost_matrix, max_points=400):
    """Log-odds shifts at which a row's per-row decision changes (midpoints)."""
    a = cost_matrix[:, 1, 0] - cost_matrix[:, 1, 1]
    b = cost_matrix[:, 0, 1] - cost_matrix[:, 0, 0]
    ok = (a > 0) & (b > 0) & (proba[:, 1] > 0) & (proba[:, 0] > 0)
    tau = np.log(b[ok] / a[ok]) - np.log(proba[ok, 1] / proba[ok, 0])
    tau = np.unique(tau[np.isfinite(tau)])
    if len(tau) > max_points:
        tau = np.quantile(tau, np.linspace(0, 1, max_points))
    if len(tau) < 2:
        return tau
    return (tau[:-1] + tau[1:]) / 2


def tune_matrix_decision(proba, cost_matrix, row_costs, total_weight):
    """The tuned decision for one cost matrix, on out-of-fold probabilities.

    Two classes: the threshold on ``p(classes_[1]|x)`` of least summed cost
    (:func:`best_cut`, starting from the Bayes threshold). More classes: offsets
    added to the log-probabilities (:func:`tune_offsets`), started from zeros or
    from the log of each class's mean regret, whichever costs less.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Out-of-fold probabilities.
    cost_matrix : ndarray of shape (n_classes, n_classes)
    row_costs : ndarray of shape (n_samples, n_classes)
        ``cost_matrix[y_n]`` times each row's weight: the cost of each decision.
    total_weight : float
        Sum of the row weights, to make mean costs.

    Returns
    -------
    attributes : dict
        ``threshold_`` or ``offsets_``, ``cv_results_`` and ``best_cost_``.
    """
    n_classes = proba.shape[1]
    if n_classes == 2:
        bayes = binary_threshold(cost_matrix)
        threshold, cost, thresholds, costs = best_cut(
            proba[:, 1], cost_above=row_costs[:, 1], cost_below=row_costs[:, 0],
            low=0.0, high=1.0, reference=0.5 if bayes is None else bayes,
        )
        return {"threshold_": float(threshold),
                "cv_results_": {"thresholds": thresholds,
                                "costs": costs / total_weight},
                "best_cost_": float(cost / total_weight)}
    log_proba = safe_log(proba)
    rows = np.arange(len(proba))
    c = cost_matrix
    regret = (c.sum(axis=1) - np.diag(c)) / (n_classes - 1) - np.diag(c)
    starts = [np.zeros(n_classes), safe_log(np.maximum(regret, 0.0))]
    start_costs = [
        row_costs[rows, np.argmax(log_proba + s, axis=1)].sum() for s in starts
    ]
    start = starts[int(start_costs[1] <= start_costs[0])]
    offsets, trace, offsets_trace = tune_offsets(log_proba, row_costs, start)
    return {"offsets_": offsets,
            "cv_results_": {"offsets": offsets_trace, "costs": trace / total_weight},
            "best_cost_": float(trace[-1] / total_weight)}


def tune_row_decision(proba, row_costs, y_idx, row_weights):
    """The tuned correction applied before the per-row Bayes rule.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_classes)
        Out-of-fold probabilities.
    row_costs : ndarray of shape (n_samples, n_classes, n_classes)
        Each row's cost matrix.
    y_idx : ndarray of int of shape (n_samples,)
        True classes, as indices.
    row_weights : ndarray of shape (n_samples,)

    Returns
    -------
    attributes : dict
        ``row_offsets_``, ``cv_results_`` and ``best_cost_``.
    """
    paid = row_costs[np.arange(len(y_idx)), y_idx] * row_weights[:, None]
    offsets, plain, best = tune_row_offsets(proba, row_costs, paid)
    total_weight = row_weights.sum()
    return {"row_offsets_": offsets,
            "cv_results_": {"row_offsets": offsets, "plain_cost": plain / total_weight,
                            "cost": best / total_weight},
            "best_cost_": float(best / total_weight)}
