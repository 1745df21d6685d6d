"""Compare imbalance strategies by cross-validation, with the user's costs.

Each strategy is a probabilistic classifier (a pipeline ending in
:class:`~skweight.WeightedKerasClassifier`, or any estimator with
``predict_proba``). It is fitted **once** per outer fold, and three decisions are
derived from that one fit (DESIGN §4-5):

* ``"argmax"``: the estimator's own ``predict``. For a class-weighted network that is
  the label its weighted output prefers, i.e. what the weighting is meant to do;
  for an unweighted one, the argmax of the probabilities.
* ``"bayes"``: the Bayes minimum-risk rule (Elkan 2001) on ``predict_proba``,
  ``argmin_j sum_i p(i|x) C[i, j]``, as ``WeightedKerasClassifier(cost_matrix=C)``
  or ``CostSensitiveClassifier(strategy="bayes")`` would decide.
* ``"tuned"``: the threshold (binary) or per-class offsets (multiclass) of least
  cost, chosen by ``CostSensitiveClassifier(strategy="tuned", cv="prefit")`` on a
  stratified *tuning split* of the outer training fold that the model did not see.

The tuning split (``tune_size`` of the training fold, never the outer test fold)
is the one design choice to know: it costs no extra fit, but every decision of a
strategy uses the same model, fitted on the remaining ``1 - tune_size`` of the
training fold. All strategies lose the same rows, so the comparison stays fair,
and the tuned decision gains nothing from seeing more data than the others. With
``decisions`` lacking ``"tuned"``, models are fitted on the whole training fold.
"""

import time
import warnings
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    log_loss,
    roc_auc_score,
)
from sklearn.model_selection import StratifiedKFold, check_cv, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler, label_binarize
from sklearn.utils import Bunch, _safe_indexing, check_random_state, indexable
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import column_or_1d

from ._classifier import WeightedKerasClassifier
from ._cost_sensitive import CostSensitiveClassifier, _binary_threshold
from ._costs import (
    _label_indices,
    bayes_predict_indices,
    check_cost_matrix,
    mean_cost,
    normalized_cost,
)

DECISIONS = ("argmax", "bayes", "tuned")
METRICS = (
    "cost",
    "normalized_cost",
    "average_precision",
    "roc_auc",
    "log_loss",
    "brier",
    "balanced_accuracy",
    "fit_time",
)
NETWORK_DEFAULTS = {"hidden_layer_sizes": (32,), "epochs": 100}


class CostRowSums:
    """Class weights from a cost matrix: ``w_c ∝ sum_j C[c, j]`` (DESIGN §1).

    A callable ``class_weight`` for :class:`~skweight.WeightedKerasClassifier`:
    a class whose errors cost 10 times more weighs 10 times more. Unlike
    ``class_weight="cost"``, it leaves ``cost_matrix`` unset, so the estimator's
    ``predict`` stays the argmax of its weighted output.

    Parameters
    ----------
    cost_matrix : array-like of shape (n_classes, n_classes), dict or callable
        Costs, rows = true class, columns = predicted class, as accepted by
        :class:`~skweight.CostSensitiveClassifier`.

    Examples
    --------
    >>> from skweight._compare import CostRowSums
    >>> CostRowSums([[0, 1], [20, 0]])(["a", "b", "b"])
    array([ 1., 20.])
    """

    def __init__(self, cost_matrix):
        self.cost_matrix = cost_matrix

    def __call__(self, y):
        matrix = check_cost_matrix(self.cost_matrix, np.unique(np.asarray(y)))
        return matrix.sum(axis=1)

    def __repr__(self):
        return f"CostRowSums({np.asarray(self.cost_matrix).tolist()!r})"


def default_strategies(
    cost_matrix=None, random_state=None, *, preprocessor=None, network_params=None
):
    """The strategies :func:`compare_strategies` compares by default.

    Parameters
    ----------
    cost_matrix : array-like of shape (n_classes, n_classes), dict, callable or \
            None, default=None
        The costs, rows = true class, columns = predicted class. When given and
        not the same for every class, adds ``"cost-weights"``, class weights
        ``w_c ∝ sum_j C[c, j]`` (the row sums of the costs).
    random_state : int, RandomState instance or None, default=None
        Seed of every network and resampler, for reproducible results.
    preprocessor : transformer or None, default=None
        First step of every pipeline (cloned for each); None is a
        :class:`~sklearn.preprocessing.StandardScaler`. Pass a
        :class:`~sklearn.compose.ColumnTransformer` for mixed tables.
    network_params : dict, default=None
        Parameters of every :class:`~skweight.WeightedKerasClassifier`, on top of
        ``NETWORK_DEFAULTS`` (one hidden layer of 32 units, at most 100 epochs),
        e.g. ``{"epochs": 5}`` for a quick run.

    Returns
    -------
    strategies : dict
        Ordered ``{name: estimator}``, every estimator a pipeline: the
        preprocessor, then for ``"undersampling"`` and ``"smote"`` an
        imbalanced-learn resampler, then a network:

        - ``"no-weights"``: no class weights, output bias zeros;
        - ``"prior-bias"``: no class weights, output bias from the priors;
        - ``"balanced"``: balanced class weights, output bias zeros;
        - ``"balanced+prior-bias"``: both (the bias from the unweighted priors);
        - ``"cost-weights"``: see ``cost_matrix``;
        - ``"focal"``: focal loss, gamma = 2, output bias from the priors
          (Lin et al. 2017);
        - ``"logit-adjusted"``: logit-adjusted loss, tau = 1 (Menon et al. 2021);
        - ``"undersampling"``: :class:`~imblearn.under_sampling.RandomUnderSampler`;
        - ``"smote"``: :class:`~imblearn.over_sampling.SMOTE`.

        Add or remove entries freely: any estimator with ``predict_proba`` fits.

    Examples
    --------
    >>> from skweight._compare import default_strategies
    >>> list(default_strategies([[0, 1], [20, 0]], random_state=0))
    ['no-weights', 'prior-bias', 'balanced', 'balanced+prior-bias', 'cost-weights',
     'focal', 'logit-adjusted', 'undersampling', 'smote']
    """
    from imblearn.over_sampling import SMOTE
    from imblearn.pipeline import make_pipeline as make_resampling_pipeline
    from imblearn.under_sampling import RandomUnderSampler

    seed = None
    if random_state is not None:
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    params = {**NETWORK_DEFAULTS, **(network_params or {}), "random_state": seed}
    if preprocessor is None:
        preprocessor = StandardScaler()

    def net(**kwargs):
        return make_pipeline(clone(preprocessor),
                             WeightedKerasClassifier(**{**params, **kwargs}))

    def resampled(sampler):
        return make_resampling_pipeline(
            clone(preprocessor), sampler, WeightedKerasClassifier(**params)
        )

    strategies = {
        "no-weights": net(bias_init="zeros"),
        "prior-bias": net(bias_init="prior"),
        "balanced": net(class_weight="balanced", bias_init="zeros"),
        "balanced+prior-bias": net(class_weight="balanced", bias_init="prior"),
    }
    if cost_matrix is not None and not _uniform_row_sums(cost_matrix):
        strategies["cost-weights"] = net(class_weight=CostRowSums(cost_matrix),
                                         bias_init="zeros")
    strategies.update({
        "focal": net(loss="focal", loss_params={"gamma": 2.0}, bias_init="prior"),
        "logit-adjusted": net(loss="logit_adjusted", loss_params={"tau": 1.0}),
        "undersampling": resampled(RandomUnderSampler(random_state=seed)),
        "smote": resampled(SMOTE(random_state=seed)),
    })
    return strategies


def _uniform_row_sums(cost_matrix):
    if isinstance(cost_matrix, Mapping) or callable(cost_matrix):
        return False
    sums = np.asarray(cost_matrix, dtype=float).sum(axis=1)
    return bool(np.allclose(sums, sums[0]))


def _aligned_proba(method, X, estimator_classes, classes):
    """``method(X)`` with one column per entry of ``classes``."""
    proba = np.zeros((_num_rows(X), len(classes)))
    columns = _label_indices(classes, estimator_classes, name="estimator.classes_")
    proba[:, columns] = method(X)
    return proba


def _num_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _raw_proba(estimator, X, classes):
    """The network's probabilities before prior correction, or None.

    Looks through a (scikit-learn or imbalanced-learn) pipeline for a final step
    with ``predict_weighted_proba``; resamplers are skipped, as when predicting.
    """
    final, Xt = estimator, X
    for _, step in getattr(estimator, "steps", [])[:-1]:
        if step is None or step == "passthrough" or hasattr(step, "fit_resample"):
            continue
        Xt = step.transform(Xt)
    if hasattr(estimator, "steps"):
        final = estimator.steps[-1][1]
    if not hasattr(final, "predict_weighted_proba"):
        return None
    return _aligned_proba(final.predict_weighted_proba, Xt, final.classes_, classes)


def _fit_and_decide(task, estimator, X, y, train, test, *, classes, cost_matrix,
                    decisions, tune_size, seed, error_score):
    """Fit once on (part of) ``train``; predict ``test`` with every decision."""
    result = {"task": task, "test": test, "error": None}
    fit_rows, tune_rows = train, None
    try:
        if "tuned" in decisions:
            fit_rows, tune_rows = train_test_split(
                train, test_size=tune_size, stratify=_safe_indexing(y, train),
                random_state=seed,
            )
        start = time.perf_counter()
        estimator.fit(_safe_indexing(X, fit_rows), _safe_indexing(y, fit_rows))
        result["fit_time"] = time.perf_counter() - start
        X_test = _safe_indexing(X, test)
        proba = _aligned_proba(estimator.predict_proba, X_test, estimator.classes_,
                               classes)
        result["proba"] = proba
        result["raw_proba"] = _raw_proba(estimator, X_test, classes)
        result["pred"], result["threshold"] = {}, {}
        if "argmax" in decisions:
            result["pred"]["argmax"] = np.asarray(estimator.predict(X_test))
        if "bayes" in decisions:
            result["pred"]["bayes"] = classes[bayes_predict_indices(proba,
                                                                    cost_matrix)]
        if "tuned" in decisions:
            tuned = CostSensitiveClassifier(
                estimator, cost_matrix=cost_matrix, strategy="tuned", cv="prefit"
            ).fit(_safe_indexing(X, tune_rows), _safe_indexing(y, tune_rows))
            result["pred"]["tuned"] = tuned.predict(X_test)
            result["threshold"]["tuned"] = tuned.threshold_
    except Exception as exc:
        if isinstance(error_score, str):  # "raise"
            raise
        result["error"] = f"{type(exc).__name__}: {exc}"
    return result


def _brier(y_idx, proba):
    """Binary: mean (p1 - y1)**2. Multiclass: mean squared norm of p - onehot(y)."""
    onehot = np.eye(proba.shape[1])[y_idx]
    squared = ((proba - onehot) ** 2).sum(axis=1)
    return float(squared.mean() / (2 if proba.shape[1] == 2 else 1))


def _fold_metrics(y_true, y_pred, proba, classes, cost_matrix):
    """One fold's metrics; the probability metrics are shared by all decisions."""
    y_idx = _label_indices(classes, y_true, name="y")
    if len(classes) == 2:
        ap = average_precision_score(y_idx, proba[:, 1])
        auc = roc_auc_score(y_idx, proba[:, 1])
    else:
        onehot = label_binarize(y_idx, classes=np.arange(len(classes)))
        ap = average_precision_score(onehot, proba, average="macro")
        auc = roc_auc_score(y_idx, proba, multi_class="ovr",
                            labels=np.arange(len(classes)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # clipping of zero probability
        loss = log_loss(y_idx, np.clip(proba, 1e-15, 1), labels=np.arange(len(classes)))
    return {
        "cost": mean_cost(y_true, y_pred, cost_matrix=cost_matrix, labels=classes),
        "normalized_cost": normalized_cost(y_true, y_pred, cost_matrix=cost_matrix,
                                           labels=classes),
        "average_precision": float(ap),
        "roc_auc": float(auc),
        "log_loss": float(loss),
        "brier": _brier(y_idx, proba),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
    }


def _check_strategies(strategies):
    if not isinstance(strategies, Mapping) or not strategies:
        raise ValueError(
            "strategies must be a non-empty dict {name: estimator}; got "
            f"{strategies!r}. Start from skweight.default_strategies(...) and add "
            "or remove entries."
        )
    for name, estimator in strategies.items():
        if not all(hasattr(estimator, m) for m in ("fit", "predict_proba", "predict")):
            raise ValueError(
                f"strategies[{name!r}] = {estimator!r} lacks fit, predict or "
                "predict_proba; every strategy must be a classifier with all three."
            )


def _check_decisions(decisions):
    decisions = (decisions,) if isinstance(decisions, str) else tuple(decisions)
    unknown = [d for d in decisions if d not in DECISIONS]
    if unknown or not decisions or len(set(decisions)) != len(decisions):
        raise ValueError(
            f"decisions={decisions!r} is not valid; pass a non-empty selection, "
            f"without repeats, of {list(DECISIONS)}."
        )
    return decisions


def _check_cv(cv, y, classes, y_idx, random_state):
    if isinstance(cv, Integral) and not isinstance(cv, bool):
        counts = np.bincount(y_idx, minlength=len(classes))
        if cv < 2:
            raise ValueError(f"cv={cv!r} must be at least 2 folds.")
        if counts.min() < cv:
            small = {c: int(n) for c, n in zip(classes.tolist(), counts, strict=True)
                     if n < cv}
            raise ValueError(
                f"cv={cv} folds need at least {cv} rows of every class, but the "
                f"classes {small!r} have fewer; lower cv or gather more rows."
            )
        return StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    return check_cv(cv, y, classifier=True)


def compare_strategies(
    X,
    y,
    *,
    cost_matrix=None,
    strategies=None,
    decisions=DECISIONS,
    cv=5,
    tune_size=0.25,
    n_jobs=None,
    random_state=None,
    error_score="raise",
    progress=None,
    return_predictions=False,
):
    """Cross-validate imbalance strategies and tabulate their costs and scores.

    Every strategy is fitted once per fold; each decision in ``decisions`` is
    derived from that fit (see the module docstring for the tuning split).

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Features, as accepted by the strategies (the default ones scale them).
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
        :func:`default_strategies` ``(cost_matrix, random_state)``.
    decisions : sequence of {"argmax", "bayes", "tuned"}, default=all three
        The decisions evaluated for every strategy.
    cv : int or cross-validation splitter, default=5
        An int is a :class:`~sklearn.model_selection.StratifiedKFold` with
        ``shuffle=True`` and ``random_state``.
    tune_size : float, default=0.25
        Share of each training fold held out to tune the ``"tuned"`` decision.
    n_jobs : int, default=None
        Number of (strategy, fold) fits run in parallel; None means 1.
    random_state : int, RandomState instance or None, default=None
        Seeds the folds, the tuning splits and the default strategies.
    error_score : "raise" or float, default="raise"
        A failing fit raises, or with a number (e.g. ``numpy.nan``) gives that
        number as its metrics and a ``FitFailedWarning``.
    progress : callable or None, default=None
        Called as ``progress(n_done, n_total)`` after each fit.
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
        classes), ``log_loss``, ``brier`` (binary: mean of ``(p1 - y1)**2``;
        multiclass: mean of ``||p - onehot(y)||**2``), ``balanced_accuracy``, and
        ``fit_time`` in seconds (of the shared fit). ``table.attrs`` holds
        ``classes``, ``cost_matrix``, ``n_splits`` and ``tune_size``.
    predictions : Bunch
        Only with ``return_predictions=True``: ``classes``, ``cost_matrix``,
        ``y`` (the labels), ``fold`` (each row's test fold, -1 if none),
        ``proba[name]`` (out-of-fold ``predict_proba``), ``raw_proba[name]`` (a
        network's output before prior correction, or None), ``y_pred[name,
        decision]`` and ``thresholds[name, decision]`` (binary: per fold, the
        threshold on ``p(classes[1]|x)``; ``"bayes"`` the analytic one).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skweight._compare import compare_strategies
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

    X, y = indexable(X, y)
    y = column_or_1d(y, warn=True)
    if pd.isna(pd.Series(y, dtype=object)).any():
        raise ValueError("y has missing values; drop those rows before comparing.")
    check_classification_targets(y)
    classes, y_idx = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(
            f"y has 1 class ({classes.tolist()[0]!r}); comparing classifiers needs "
            "at least 2 classes."
        )
    if cost_matrix is None:
        cost_matrix = 1.0 - np.eye(len(classes))
    matrix = check_cost_matrix(cost_matrix, classes)
    if strategies is None:
        strategies = default_strategies(cost_matrix, random_state)
    _check_strategies(strategies)
    decisions = _check_decisions(decisions)
    if not isinstance(tune_size, Real) or not 0 < tune_size < 1:
        raise ValueError(f"tune_size={tune_size!r} must be a float in (0, 1).")
    if not (error_score == "raise" or isinstance(error_score, Real)):
        raise ValueError(f"error_score={error_score!r} must be 'raise' or a number.")
    splitter = _check_cv(cv, y, classes, y_idx, random_state)
    splits = list(splitter.split(X, y))
    tune_seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))

    tasks = [(name, k) for name in strategies for k in range(len(splits))]
    jobs = (
        delayed(_fit_and_decide)(
            i, clone(strategies[name]), X, y, *splits[k], classes=classes,
            cost_matrix=matrix, decisions=decisions, tune_size=tune_size,
            seed=tune_seed + k, error_score=error_score,
        )
        for i, (name, k) in enumerate(tasks)
    )
    results = [None] * len(tasks)
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    for n_done, result in enumerate(parallel(jobs), start=1):
        results[result["task"]] = result
        if progress is not None:
            progress(n_done, len(tasks))

    rows, fold_of = [], np.full(len(y), -1)
    for k, (_, test) in enumerate(splits):
        fold_of[test] = k
    details = Bunch(classes=classes, cost_matrix=matrix, y=y, fold=fold_of,
                    proba={}, raw_proba={}, y_pred={}, thresholds={})
    for name in strategies:
        per_fold = {d: [] for d in decisions}
        for k in range(len(splits)):
            result = results[tasks.index((name, k))]
            if result["error"] is not None:
                warnings.warn(
                    f"strategy {name!r} failed on fold {k} and scores "
                    f"{error_score!r}: {result['error']}",
                    FitFailedWarning,
                    stacklevel=2,
                )
                for d in decisions:
                    per_fold[d].append(dict.fromkeys(METRICS, float(error_score)))
                continue
            test = result["test"]
            y_test = _safe_indexing(y, test)
            for d in decisions:
                metrics = _fold_metrics(y_test, result["pred"][d], result["proba"],
                                        classes, matrix)
                per_fold[d].append({**metrics, "fit_time": result["fit_time"]})
            if return_predictions:
                _collect(details, name, decisions, result, len(y), len(classes),
                         matrix)
        for d in decisions:
            row = {"strategy": name, "decision": d}
            for metric in METRICS:
                values = np.array([fold[metric] for fold in per_fold[d]])
                row[f"{metric}_mean"] = float(np.mean(values))
                row[f"{metric}_std"] = float(np.std(values))
            rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs.update(classes=classes.tolist(), cost_matrix=matrix.tolist(),
                       n_splits=len(splits), tune_size=float(tune_size))
    return (table, details) if return_predictions else table


def _collect(details, name, decisions, result, n_rows, n_classes, matrix):
    """Place one fold's out-of-fold outputs into the full-length arrays."""
    test = result["test"]
    if name not in details.proba:
        details.proba[name] = np.full((n_rows, n_classes), np.nan)
        details.raw_proba[name] = (
            None if result["raw_proba"] is None
            else np.full((n_rows, n_classes), np.nan)
        )
        for d in decisions:
            details.y_pred[name, d] = np.empty(n_rows, dtype=details.y.dtype)
            details.thresholds[name, d] = []
    details.proba[name][test] = result["proba"]
    if details.raw_proba[name] is not None and result["raw_proba"] is not None:
        details.raw_proba[name][test] = result["raw_proba"]
    for d in decisions:
        details.y_pred[name, d][test] = result["pred"][d]
        if n_classes == 2:
            if d == "tuned":
                threshold = result["threshold"]["tuned"]
            elif d == "bayes":
                threshold = _binary_threshold(matrix)
            else:
                threshold = None
            details.thresholds[name, d].append(threshold)
