"""Compare imbalance strategies by cross-validation, with the user's costs.

Each strategy is a probabilistic classifier (a pipeline ending in
:class:`~skweight.WeightedKerasClassifier`, or any estimator with
``predict_proba``). It is cross-validated by
:func:`sklearn.model_selection.cross_validate` **once**, wrapped in a
:class:`~skweight.CostSensitiveClassifier`, and three decisions are read from
each fitted fold (DESIGN §4-5):

* ``"argmax"``: the strategy's own ``predict``. For a class-weighted network that
  is the label its weighted output prefers, i.e. what the weighting is meant to
  do; for an unweighted one, the argmax of the probabilities.
* ``"bayes"``: the Bayes minimum-risk rule (Elkan 2001) on ``predict_proba``,
  ``argmin_j sum_i p(i|x) C[i, j]``: ``CostSensitiveClassifier(strategy="bayes")``
  around the fitted strategy.
* ``"tuned"``: the threshold (binary) or per-class offsets (multiclass) of least
  cost, ``CostSensitiveClassifier(strategy="tuned", cv=<one stratified split>,
  refit=False)``: the strategy is fitted on ``1 - tune_size`` of the training
  fold and the decision tuned on the other ``tune_size`` (the *tuning split*).

The tuning split is the one design choice to know: it costs no extra fit, but
every decision of a strategy uses the same model, fitted on the remaining
``1 - tune_size`` of the training fold. All strategies lose the same rows, so the
comparison stays fair, and the tuned decision gains nothing from seeing more data
than the others. With ``decisions`` lacking ``"tuned"``, models are fitted on the
whole training fold.
"""

import warnings
from collections.abc import Mapping
from numbers import Real

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import (
    StratifiedKFold,
    StratifiedShuffleSplit,
    check_cv,
    cross_validate,
)
from sklearn.utils import Bunch, check_random_state, indexable
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d
from sklearn_compat.utils._indexing import _safe_indexing

from ._cost_matrix import check_cost_matrix
from ._cost_sensitive import CostSensitiveClassifier
from ._fold_scores import DECISION_METRICS, PROBA_METRICS, fold_outputs, fold_scores
from ._resample import RowSampler, row_choosers
from ._strategies import default_preprocessor, default_strategies

DECISIONS = ("argmax", "bayes", "tuned")
TUNE_SIZE = 0.25
METRICS = (
    "cost",
    "total_cost",
    "normalized_cost",
    "savings",
    "average_precision",
    "roc_auc",
    "log_loss",
    "brier",
    "ece",
    "balanced_accuracy",
    "fit_time",
)
assert set(METRICS) == {*DECISION_METRICS, *PROBA_METRICS, "fit_time"}
def _check_strategies(strategies):
    if not isinstance(strategies, Mapping) or not strategies:
        raise ValueError(
            "strategies must be a non-empty dict {name: estimator}; got "
            f"{strategies!r:.200}. Start from skweight.default_strategies(...) and "
            "add or remove entries."
        )
    for name, estimator in strategies.items():
        if not all(hasattr(estimator, m) for m in ("fit", "predict_proba", "predict")):
            raise ValueError(
                f"strategies[{name!r}] = {estimator!r:.200} lacks fit, predict or "
                "predict_proba; every strategy must be a classifier with all three."
            )


def check_decisions(decisions):
    """``decisions`` as a tuple, or a ValueError naming the valid ones."""
    decisions = (decisions,) if isinstance(decisions, str) else tuple(decisions)
    unknown = [d for d in decisions if d not in DECISIONS]
    if unknown or not decisions or len(set(decisions)) != len(decisions):
        raise ValueError(
            f"decisions={decisions!r:.200} is not valid; pass a non-empty selection, "
            f"without repeats, of {list(DECISIONS)}."
        )
    return decisions


def check_folds(cv, classes, counts, decisions):
    """Check that ``cv`` folds (and the tuning split) leave every class rows.

    An int ``cv`` puts about ``count / cv`` rows of a class in each test fold
    and the rest, at least ``floor(count * (cv - 1) / cv)``, in training; the
    tuning split is stratified, so it needs 2 of those (one to fit, one to tune).
    """
    if cv < 2:
        raise ValueError(f"cv={cv!r} must be at least 2 folds.")
    enough = counts >= cv
    if "tuned" in decisions:
        enough &= np.floor(counts * (cv - 1) / cv) >= 2
    if not enough.all():
        small = {c: int(n) for c, n, ok in zip(classes.tolist(), counts, enough,
                                               strict=True) if not ok}
        need = f"{cv} rows (one per fold)"
        if "tuned" in decisions:
            need = (f"{cv} rows (one per test fold), and for the tuned decision 2 in "
                    "every training fold (one to fit, one in the tuning split)")
        raise ValueError(
            f"cv={cv} folds need per class at least {need}, but the classes "
            f"{small!r} have fewer; lower cv, leave out the tuned decision or "
            "gather more rows."
        )


def _splitter(cv, y, classes, counts, random_state, decisions):
    if isinstance(cv, Real) and not isinstance(cv, bool):
        check_folds(cv, classes, counts, decisions)
        return StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    return check_cv(cv, y, classifier=True)


def _wrapped(estimator, matrix, decisions, tune_size, seed):
    """The strategy as the CostSensitiveClassifier that cross_validate fits."""
    if "tuned" not in decisions:
        return CostSensitiveClassifier(estimator, cost_matrix=matrix, strategy="bayes")
    tuning = StratifiedShuffleSplit(n_splits=1, test_size=tune_size,
                                    random_state=seed)
    return CostSensitiveClassifier(estimator, cost_matrix=matrix, strategy="tuned",
                                   cv=tuning, refit=False)


def _check_targets(X, y):
    import pandas as pd

    if isinstance(X, Mapping):
        raise TypeError(
            f"X is a dict of named inputs {list(X)[:20]!r:.200}; cross-validation "
            "splits rows with scikit-learn, which cannot index a dict. Pass a "
            "pandas DataFrame with one column per named input instead, and "
            "strategies whose first step is 'passthrough' (e.g. "
            "default_strategies(..., preprocessor='passthrough'))."
        )
    X, y = indexable(X, y)
    y = column_or_1d(y, warn=True)
    if pd.isna(pd.Series(y, dtype=object)).any():
        raise ValueError("y has missing values; drop those rows before comparing.")
    check_classification_targets(y)
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise ValueError(
            f"y has 1 class ({classes.tolist()[0]!r:.100}); comparing classifiers "
            "needs at least 2 classes."
        )
    return X, y, classes, counts


def nd_obstacle(estimator, X, y, n_probe=20):
    """Why ``estimator`` cannot take the N-D ``X``, or None.

    A resampler (a step with ``fit_resample``, such as SMOTE) works on 2-D
    tables only, unless it is a :class:`~skweight.RowSampler`: the steps before
    it are fitted on the first ``n_probe`` rows to see the shape it would
    receive. Other failures are left to the fit itself.
    """
    if default_preprocessor(X) is None or not hasattr(estimator, "steps"):
        return None  # a table
    Xt, yt = _safe_indexing(X, np.arange(min(n_probe, len(y)))), y[:n_probe]
    for name, step in estimator.steps[:-1]:
        if step is None or step == "passthrough":
            continue
        if hasattr(step, "fit_resample"):
            if default_preprocessor(Xt) is not None \
                    and not isinstance(step, RowSampler):
                hint = ("; skweight.RowSampler resamples rows of any shape with it"
                        if isinstance(step, row_choosers()) else "")
                rows = (f"rows of shape {np.shape(Xt)[1:]}" if np.ndim(Xt) > 1
                        else "raw text")
                return (f"step {name!r} ({type(step).__name__}) resamples 2-D tables "
                        f"only, and would receive {rows}" + hint)
            continue
        try:
            Xt = clone(step).fit_transform(Xt, yt)
        except Exception:  # the fit will fail, and say why
            return None
    return None


def compare_strategies(
    X,
    y,
    *,
    cost_matrix=None,
    strategies=None,
    estimator=None,
    decisions=DECISIONS,
    cv=5,
    tune_size=TUNE_SIZE,
    n_jobs=None,
    random_state=None,
    error_score="raise",
    progress=None,
    return_predictions=False,
):
    """Cross-validate imbalance strategies and tabulate their costs and scores.

    Every strategy is cross-validated once by
    :func:`~sklearn.model_selection.cross_validate`; each decision in
    ``decisions`` is read from the same fitted folds (see the module docstring
    for the tuning split).

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, ...)
        Features, as accepted by the strategies. The default ones scale a 2-D
        table (:class:`~sklearn.preprocessing.StandardScaler`) and hand N-D
        arrays (images, sequences) and 1-D raw text to the network as they are
        (see :func:`~skweight._strategies.default_preprocessor`); a strategy
        that cannot take such rows (a resampler such as SMOTE) is skipped, with
        its reason in ``table.attrs["skipped"]``. A dict of named inputs cannot
        be split into folds: pass a DataFrame with one column per input.
    y : array-like of shape (n_samples,)
        Class labels (strings allowed), at least two classes.
    cost_matrix : array-like of shape (n_classes, n_classes), dict, callable or \
            None, default=None
        ``cost_matrix[i, j]`` is the cost of predicting ``classes[j]`` when the
        truth is ``classes[i]`` (rows = truth, columns = prediction), ``classes``
        being the sorted labels of ``y``; or a dict ``{true: {predicted: cost}}``
        or a callable of the classes. None is the 0-1 cost ``1 - eye(n_classes)``.
    strategies : dict or None, default=None
        ``{name: estimator}``, each estimator with ``fit``, ``predict`` and
        ``predict_proba`` (cloned for each fold). None uses
        :func:`default_strategies` ``(cost_matrix, random_state,
        estimator=estimator)``.
    estimator : WeightedKerasClassifier or None, default=None
        With ``strategies=None``, the network the default strategies start from
        (e.g. with your own ``model`` builder); see :func:`default_strategies`.
    decisions : sequence of {"argmax", "bayes", "tuned"}, default=all three
        The decisions evaluated for every strategy.
    cv : int or cross-validation splitter, default=5
        An int is a :class:`~sklearn.model_selection.StratifiedKFold` with
        ``shuffle=True`` and ``random_state``.
    tune_size : float, default=TUNE_SIZE (0.25)
        Share of each training fold held out to tune the ``"tuned"`` decision.
    n_jobs : int, default=None
        Folds fitted in parallel (``cross_validate``'s ``n_jobs``); None means 1.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds, the tuning splits and the default strategies.
    error_score : "raise" or float, default="raise"
        A failing fit raises, or with a number (e.g. ``numpy.nan``) gives that
        number as its metrics and a ``FitFailedWarning`` naming the strategy and
        the reason, also in ``table.attrs["failed"]``.
    progress : callable or None, default=None
        Called as ``progress(n_done, n_total)`` after each strategy.
    return_predictions : bool, default=False
        Also return the out-of-fold probabilities and predictions.

    Returns
    -------
    table : pandas.DataFrame
        One row per strategy and decision: columns ``strategy``, ``decision``,
        then ``<metric>_mean`` and ``<metric>_std`` (over folds, ``ddof=0`` as in
        ``GridSearchCV.cv_results_``) for ``cost`` (:func:`~skweight.mean_cost`),
        ``normalized_cost`` (:func:`~skweight.normalized_cost`),
        ``average_precision`` and ``roc_auc`` (macro one-vs-rest for more than two
        classes), ``log_loss``, ``brier`` (:func:`~sklearn.metrics.brier_score_loss`),
        ``ece`` (:func:`~skweight.expected_calibration_error`: 10 equal-mass bins
        of ``p(classes[1]|x)``, of the top-label confidence for more classes),
        ``balanced_accuracy``, and ``fit_time`` in seconds (the fit of the
        wrapped strategy, tuning included). ``table.attrs`` holds ``classes``,
        ``cost_matrix``, ``n_splits``, ``tune_size``, ``failed`` and ``skipped``
        (``{strategy: reason}``).
    predictions : Bunch
        Only with ``return_predictions=True``: ``classes``, ``cost_matrix``,
        ``y`` (the labels), ``fold`` (each row's test fold, -1 if none),
        ``proba[name]`` (out-of-fold ``predict_proba``), ``raw_proba[name]`` (a
        network's output before prior correction, or None), ``y_pred[name,
        decision]`` (the labels; a row without an out-of-fold prediction, in a
        fold that failed with a numeric ``error_score`` or in no test fold, holds
        None, and the array is then of dtype object; its ``proba`` row is NaN)
        and ``thresholds[name, decision]`` (binary: per fold, the
        threshold on ``p(classes[1]|x)``; ``"bayes"`` the analytic one), and
        ``fold_scores[name]``: ``{"<decision>:<metric>" or "<metric>": array
        over folds}``, for paired comparisons. With repeated folds, each row's
        outputs come from the first fold that tests it.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skweight import compare_strategies
    >>> X, y = make_classification(n_samples=500, weights=[0.9, 0.1],
    ...                            random_state=0)
    >>> table = compare_strategies(
    ...     X, y, cost_matrix=[[0, 1], [10, 0]], cv=3, random_state=0,
    ...     strategies={"logistic": LogisticRegression(),
    ...                 "balanced": LogisticRegression(class_weight="balanced")},
    ... )
    >>> table[["strategy", "decision"]].values.tolist()
    [['logistic', 'argmax'], ['logistic', 'bayes'], ['logistic', 'tuned'],
     ['balanced', 'argmax'], ['balanced', 'bayes'], ['balanced', 'tuned']]
    >>> bool((table["normalized_cost_mean"] < 1).all())
    True
    """
    import pandas as pd

    X, y, classes, counts = _check_targets(X, y)
    if cost_matrix is None:
        cost_matrix = 1.0 - np.eye(len(classes))
    matrix = check_cost_matrix(cost_matrix, classes, n_samples=len(y))
    per_row = matrix.ndim == 3
    if strategies is None:
        # Tables are scaled; images, sequences and text reach the network as is.
        strategies = default_strategies(matrix, random_state, estimator=estimator,
                                        preprocessor=default_preprocessor(X))
    _check_strategies(strategies)
    decisions = check_decisions(decisions)
    if not isinstance(tune_size, Real) or not 0 < tune_size < 1:
        raise ValueError(f"tune_size={tune_size!r:.100} must be a float in (0, 1).")
    if not (error_score == "raise" or isinstance(error_score, Real)):
        raise ValueError(f"error_score={error_score!r:.100} must be 'raise' or a "
                         "number.")
    splitter = _splitter(cv, y, classes, counts, random_state, decisions)
    tune_seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))

    details = Bunch(classes=classes, cost_matrix=matrix, y=y,
                    fold=np.full(len(y), -1), proba={}, raw_proba={}, y_pred={},
                    thresholds={}, fold_scores={})
    rows, failed, skipped = [], {}, {}
    for n_done, (name, strategy) in enumerate(strategies.items(), start=1):
        reason = nd_obstacle(strategy, X, y)
        if reason is not None:
            skipped[name] = reason
        else:
            result, failure = _cross_validate(
                _wrapped(strategy, None if per_row else matrix, decisions, tune_size,
                         tune_seed), X, y, splitter, n_jobs, error_score,
                # Per-row costs in fit only tune a correction; the Bayes rule
                # gets each test row's costs in fold_outputs.
                {"cost_matrix": matrix} if per_row and "tuned" in decisions else {})
            scores = None
            if result is not None:
                scores, scoring_failure = _score_folds(
                    result, X, y, matrix, classes, decisions, error_score,
                    details if return_predictions else None, name)
                failure = "; ".join(filter(None, (failure, scoring_failure)))
                details.fold_scores[name] = scores
            if failure:
                failed[name] = failure
                warnings.warn(f"strategy {name!r} failed and scores {error_score!r}: "
                              f"{failure}", FitFailedWarning, stacklevel=2)
            rows += _table_rows(name, decisions, scores, error_score)
        if progress is not None:
            progress(n_done, len(strategies))
    columns = ["strategy", "decision", *(f"{m}_{s}" for m in METRICS
                                         for s in ("mean", "std"))]
    table = pd.DataFrame(rows, columns=columns)
    table.attrs.update(classes=classes.tolist(), cost_matrix=matrix.tolist(),
                       n_splits=splitter.get_n_splits(X, y), tune_size=float(tune_size),
                       failed=failed, skipped=skipped)
    return (table, details) if return_predictions else table


def _no_score(estimator, X, y):
    """``cross_validate`` scores nothing: every fold is scored once, afterwards."""
    return 0.0


def _cross_validate(model, X, y, splitter, n_jobs, error_score, params):
    """``cross_validate`` of one strategy, and why its failed folds failed."""
    result, reasons = None, []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = cross_validate(model, X, y, cv=splitter, scoring=_no_score,
                                    n_jobs=n_jobs, error_score=error_score,
                                    params=params, return_estimator=True,
                                    return_indices=True)
        except ValueError as exc:  # every fit failed: cross_validate always raises
            if error_score == "raise" or "fits failed" not in str(exc):
                raise
            reasons = failure_reasons(str(exc))
    for warning in caught:
        text = str(warning.message)
        if issubclass(warning.category, FitFailedWarning) or "Scoring failed" in text:
            reasons += failure_reasons(text)
        else:
            warnings.warn_explicit(warning.message, warning.category,
                                   warning.filename, warning.lineno)
    return result, "; ".join(dict.fromkeys(reasons))


def _score_folds(result, X, y, matrix, classes, decisions, error_score, details,
                 name):
    """Every fold's metrics, each fold's strategy run once on its test rows.

    Returns ``({metric key: array over folds}, failure reasons)``; a fold that
    failed to fit or to score gets ``error_score`` (or raises with "raise").
    With ``details``, the out-of-fold outputs are collected into it (with
    repeated folds, each row's first test fold).
    """
    tests = result["indices"]["test"]
    keys = [f"{d}:{m}" for d in decisions for m in DECISION_METRICS] + list(
        PROBA_METRICS)
    scores = {key: np.full(len(tests), np.nan) for key in keys}
    scores["fit_time"] = np.asarray(result["fit_time"], dtype=float)
    reasons = []
    if details is not None:
        _start_collecting(details, name, decisions)
    for k, (fitted, test) in enumerate(zip(result["estimator"], tests, strict=True)):
        if not hasattr(fitted, "estimator_"):  # a failed fit, already reported
            for key in keys:
                scores[key][k] = error_score
            continue
        X_test, y_test = _safe_indexing(X, test), y[test]
        costs = matrix[test] if matrix.ndim == 3 else matrix
        try:
            outputs = fold_outputs(fitted, X_test, classes, decisions,
                                   costs if matrix.ndim == 3 else None)
            for key, value in fold_scores(y_test, outputs, classes, costs).items():
                scores[key][k] = value
        except Exception as exc:
            if error_score == "raise":
                raise
            reasons.append(f"{type(exc).__name__}: {str(exc).strip()[:300]}")
            for key in keys:
                scores[key][k] = error_score
            continue
        if details is not None:
            _collect(details, name, decisions, test, k, outputs)
    if details is not None:
        for d in decisions:
            details.y_pred[name, d] = labels_or_none(details.y_pred[name, d],
                                                     details.y.dtype)
    return scores, "; ".join(dict.fromkeys(reasons))


def failure_reasons(message):
    """The last line of each traceback in a scikit-learn fit-failure warning."""
    reasons = []
    for chunk in message.split("Traceback (most recent call last):")[1:]:
        lines = [line.strip() for line in chunk.split("\n--------")[0].splitlines()]
        reasons += [line for line in lines if line][-1:]
    return [reason[:300] for reason in reasons] or [message.strip()[:300]]


def _table_rows(name, decisions, scores, error_score):
    """One row per decision: mean and std over folds of every metric."""
    rows = []
    for decision in decisions:
        row = {"strategy": name, "decision": decision}
        if scores is None:  # every fold failed
            rows.append(row | {f"{m}_{s}": error_score for m in METRICS
                               for s in ("mean", "std")})
            continue
        for metric in METRICS:
            key = metric if metric in (*PROBA_METRICS, "fit_time") \
                else f"{decision}:{metric}"
            values = scores[key]
            row[f"{metric}_mean"] = float(np.mean(values))
            row[f"{metric}_std"] = float(np.std(values))
        rows.append(row)
    return rows


def _start_collecting(details, name, decisions):
    n_rows, n_classes = len(details.y), len(details.classes)
    details.proba[name] = np.full((n_rows, n_classes), np.nan)
    details.raw_proba[name] = None
    for d in decisions:  # None: no prediction (a failed fold), never garbage
        details.y_pred[name, d] = np.full(n_rows, None, dtype=object)
        details.thresholds[name, d] = []


def _collect(details, name, decisions, test, k, outputs):
    """One fold's outputs into ``details`` (rows not yet tested in earlier folds)."""
    new = test[(details.fold[test] == -1) | (details.fold[test] == k)]
    details.fold[new] = k
    keep = np.isin(test, new)
    details.proba[name][new] = outputs["proba"][keep]
    if outputs["raw_proba"] is not None:
        if details.raw_proba[name] is None:
            details.raw_proba[name] = np.full(details.proba[name].shape, np.nan)
        details.raw_proba[name][new] = outputs["raw_proba"][keep]
    for d in decisions:
        details.y_pred[name, d][new] = outputs["y_pred"][d][keep]
        if len(details.classes) == 2:
            details.thresholds[name, d].append(outputs["thresholds"][d])


def labels_or_none(y_pred, dtype):
    """``y_pred`` in the labels' ``dtype``, or as objects if a row holds None."""
    if any(label is None for label in y_pred):
        return y_pred
    return y_pred.astype(dtype)
