"""The expected calibration error: how far probabilities are from frequencies.

A probability is calibrated when, among the rows given ``p``, a share ``p`` is
right. The expected calibration error (ECE; Naeini, Cooper & Hauskrecht 2015,
Guo et al. 2017) measures the gap on bins of the score: rows are grouped by
their score ``s``, and each group's mean score is compared with its observed
frequency of hits ``o``, weighted by the group's share of the rows::

    ECE = sum_b (n_b / n) * |mean_{i in b} o_i - mean_{i in b} s_i|

Log loss and the Brier score mix calibration with the power to tell classes
apart; the ECE measures the first alone (a constant prediction at the base rate
has an ECE of 0), so read it beside them, never instead.

References
----------
* Naeini, M. P., Cooper, G. & Hauskrecht, M. (2015). Obtaining well calibrated
  probabilities using Bayesian binning. AAAI.
* Guo, C., Pleiss, G., Sun, Y. & Weinberger, K. Q. (2017). On calibration of
  modern neural networks. ICML.
* Nixon, J., Dusenberry, M., Zhang, L., Jerfel, G. & Tran, D. (2019). Measuring
  calibration in deep learning. CVPR workshops (equal-mass bins).
"""

from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_consistent_length, column_or_1d

from ._cost_matrix import label_indices
from ._costs import check_proba

ECE_STRATEGIES = ("quantile", "uniform")


def _check_bins(n_bins, strategy):
    if isinstance(n_bins, bool) or not isinstance(n_bins, Integral) or n_bins < 1:
        raise ValueError(f"n_bins={n_bins!r:.100} must be an int >= 1, such as 10.")
    if strategy not in ECE_STRATEGIES:
        raise ValueError(f"strategy={strategy!r:.100} is not valid; pass 'quantile' "
                         "(equal-mass bins) or 'uniform' (equal-width bins).")


def _scores_and_hits(y_true, y_prob, labels):
    """``(score, hit)`` per row: P(labels[1]) and [y == labels[1]] for two
    classes, the top-label confidence and [argmax == y] for more."""
    y_true = column_or_1d(y_true)
    y_prob = np.asarray(y_prob)
    check_consistent_length(y_true, y_prob)
    if labels is None:
        labels = np.unique(y_true)
        source = "y_true has"
    else:
        labels = np.asarray(labels)
        source = "labels has"
        if len(np.unique(labels)) != len(labels):
            raise ValueError(f"labels must not repeat a label; got {labels.tolist()}.")
    if len(labels) < 2:
        raise ValueError(
            f"{source} a single class {labels.tolist()!r:.100}; the calibration "
            "error needs the classes of y_prob's columns: pass labels=[...] listing "
            "every class in column order."
        )
    if y_prob.ndim == 1:
        if len(labels) != 2:
            raise ValueError(
                f"y_prob is 1-D, the probability of the second of two classes, but "
                f"{source} {len(labels)} classes {labels.tolist()[:10]!r:.200}; pass "
                "labels=[negative, positive] (or y_prob with one column per class)."
            )
        y_prob = np.column_stack([1.0 - np.asarray(y_prob, float), y_prob])
    if y_prob.ndim != 2 or y_prob.shape[1] != len(labels):
        raise ValueError(
            f"y_prob has shape {y_prob.shape} but {source} {len(labels)} classes "
            f"{labels.tolist()[:10]!r:.200}; pass one column per class in the order "
            "of labels (sorted labels of y_true by default)."
        )
    y_prob = check_proba(y_prob, source="y_prob",
                         consequence="the calibration error is not defined")
    y_idx = label_indices(labels, y_true, name="y_true",
                          hint="pass labels listing every class of y_true")
    if len(labels) == 2:
        return y_prob[:, 1], (y_idx == 1).astype(float)
    return y_prob.max(axis=1), (y_prob.argmax(axis=1) == y_idx).astype(float)


def bin_edges(score, n_bins=10, strategy="quantile"):
    """The ``n_bins + 1`` edges of the bins of ``score``.

    ``"quantile"``: the 0, 1/n_bins, ..., 1 quantiles of ``score`` (tied
    scores may leave a bin empty); ``"uniform"``: ``linspace(0, 1, n_bins + 1)``.
    A score ``s`` is in bin ``b`` when ``edges[b] < s <= edges[b + 1]``, the first
    bin taking everything up to ``edges[1]`` and the last everything above
    ``edges[-2]`` (the binning of :func:`sklearn.calibration.calibration_curve`).
    """
    if strategy == "quantile":
        return np.percentile(score, np.linspace(0, 100, n_bins + 1))
    return np.linspace(0.0, 1.0, n_bins + 1)


def expected_calibration_error(y_true, y_prob, *, labels=None, n_bins=10,
                               strategy="quantile"):
    """Expected calibration error: the mean gap between score and frequency.

    ``sum_b (n_b / n) |o_b - s_b|`` over bins ``b`` of the score, where ``n_b``
    is the number of rows in the bin, ``s_b`` their mean score and ``o_b`` their
    frequency of hits. What is scored depends on the number of classes:

    * **two classes**: the score is the probability of the positive class,
      ``labels[1]`` (the second label in sorted order by default), and a hit a
      row of that class. This is the probability a cost-based decision reads;
      the top-label confidence would, with rare positives, be that of the
      majority class on nearly every row.
    * **more classes**: the top-label confidence ``max_c p(c|x)`` against
      the accuracy of the top label, ``[argmax_c p(c|x) == y]`` (Guo et al.
      2017).

    The default bins are **equal-mass**: 10 bins between the deciles of the
    score, so each holds about a tenth of the rows (Nixon et al. 2019; the bins
    of the reliability diagram of ``skweight compare``). With rare positives,
    equal-width bins put nearly every row in ``[0, 0.1)`` and measure little
    more than the mean probability against the base rate.

    0 is perfectly calibrated on these bins; the maximum is 1. Lower is better.
    The estimate has a positive bias on few rows (the gap of a bin of ``m`` rows
    is of order ``sqrt(s_b (1 - s_b) / m)`` even for calibrated probabilities).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_prob : array-like of shape (n_samples, n_classes) or (n_samples,)
        Probabilities, one column per class in the order of ``labels``; 1-D, the
        probability of the positive class ``labels[1]`` of two.
    labels : array-like of shape (n_classes,), default=None
        The classes of ``y_prob``'s columns, in order; None: the sorted labels of
        ``y_true``.
    n_bins : int, default=10
        Number of bins.
    strategy : {"quantile", "uniform"}, default="quantile"
        ``"quantile"``: equal-mass bins between quantiles of the score;
        ``"uniform"``: equal-width bins over [0, 1]. A score on an edge goes to
        the lower bin, as in :func:`sklearn.calibration.calibration_curve`.

    Returns
    -------
    ece : float
        In [0, 1].

    See Also
    --------
    sklearn.calibration.calibration_curve : The per-bin frequencies and scores.
    sklearn.metrics.brier_score_loss : A proper score, calibration and
        refinement together.

    Examples
    --------
    >>> from skweight import expected_calibration_error
    >>> y_true = [0, 0, 0, 1, 0, 1]
    >>> p_pos = [0.1, 0.1, 0.1, 0.1, 0.6, 0.6]
    >>> round(expected_calibration_error(y_true, p_pos, n_bins=2,
    ...                                  strategy="uniform"), 4)
    0.1333
    """
    _check_bins(n_bins, strategy)
    score, hit = _scores_and_hits(y_true, y_prob, labels)
    if len(score) == 0:
        raise ValueError("y_true is empty; the calibration error needs rows.")
    edges = bin_edges(score, n_bins, strategy)
    bins = np.searchsorted(edges[1:-1], score)
    # |sum_i (o_i - s_i)| per bin is n_b |o_b - s_b|.
    gaps = np.bincount(bins, weights=hit - score, minlength=n_bins)
    return float(np.abs(gaps).sum() / len(score))
