"""Cost-sensitive decisions for any probabilistic classifier.

:class:`CostSensitiveClassifier` leaves the probabilities of the classifier it wraps
unchanged and only changes which label ``predict`` returns for them: the label of
least expected cost (Elkan 2001), with one cost matrix or one per row, or a decision
tuned by cross-validation to minimise the mean cost when the probabilities are
miscalibrated. The solvers of the tuned decision live in ``_thresholds.py``.
"""

from numbers import Integral

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    _check_method_params,
    _check_sample_weight,
    _check_y,
    _estimator_has,
    check_is_fitted,
    has_fit_parameter,
    indexable,
)
from sklearn_compat.base import _fit_context
from sklearn_compat.utils._indexing import _safe_indexing
from sklearn_compat.utils.metadata_routing import _raise_for_params, process_routing

from ._cost_matrix import check_cost_matrix, label_indices
from ._costs import check_finite_proba, decision_scores, predict_indices_from_scores
from ._thresholds import (
    best_cut,
    binary_threshold,
    safe_log,
    shifted_proba,
    tune_offsets,
    tune_row_offsets,
)
from ._weights import reject_negative_weights


def check_sample_weight_non_negative(sample_weight, X):
    """Validate row weights: a new float array, or an error for a negative weight.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
        The caller's weights (not modified).

    X : array-like
        The rows the weights belong to.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,) or None
    """
    if sample_weight is None:
        return None
    weights = _check_sample_weight(sample_weight, X, dtype=float, copy=True)
    reject_negative_weights(weights)
    return weights


def _fit_predict_fold(estimator, X, y, train, test, fit_params, classes):
    """Fit on ``train`` (None: prefit, used as is); probabilities for ``test``."""
    if train is not None:
        fit_params = _check_method_params(X, params=fit_params, indices=train)
        estimator.fit(_safe_indexing(X, train), _safe_indexing(y, train), **fit_params)
    proba = np.zeros((len(test), len(classes)))
    columns = label_indices(classes, estimator.classes_, name="estimator.classes_")
    proba[:, columns] = check_finite_proba(
        estimator.predict_proba(_safe_indexing(X, test)),
        "the estimator's out-of-fold predict_proba",
    )
    return estimator, proba


class CostSensitiveClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Classifier predicting the label of least cost under a cost matrix.

    Wraps any classifier with ``predict_proba`` (a pipeline, gradient boosting, a
    Keras model) and changes only its decision: the probabilities are unchanged.
    Works for any number of classes.

    Parameters
    ----------
    estimator : estimator instance
        The classifier, with ``fit`` and ``predict_proba``. Cloned before fitting,
        unless ``cv="prefit"``.

    cost_matrix : array-like of shape (n_classes, n_classes), DataFrame, dict, \
            callable or None, default=None
        ``cost_matrix[i, j]`` is the cost of predicting ``classes_[j]`` when the true
        class is ``classes_[i]`` (rows = truth, columns = prediction, the
        orientation of ``confusion_matrix``). Either an array in the order of
        ``classes_`` (the sorted labels), a DataFrame whose index and columns are
        the labels (read by label), a dict keyed by the labels ``{true_label:
        {predicted_label: cost}}`` (the diagonal defaults to 0), or a callable
        taking ``classes_`` and returning one of these, for code that must handle
        any set of classes (a module-level function pickles; a lambda does not).
        Validated in :meth:`fit`; costs must be finite and >= 0. None: every
        prediction needs each row's own costs, ``predict(X, cost_matrix=...)``.

    strategy : {"bayes", "tuned"}, default="bayes"
        How the decision is made from the probabilities:

        - ``"bayes"``: the Bayes minimum-risk rule, ``argmin_j sum_i p(i|x) C[i, j]``
          (Elkan 2001). Optimal when the probabilities are calibrated. With two
          classes it is a threshold on ``p(classes_[1]|x)``, ``C[0, 1] / (C[0, 1] +
          C[1, 0])`` for a zero diagonal, stored in ``threshold_``.
        - ``"tuned"``: the decision minimising the mean cost on out-of-fold
          probabilities from ``cv``: a threshold on ``p(classes_[1]|x)`` for two
          classes, per-class offsets added to the log-probabilities otherwise (the
          multiclass analogue, found by exact coordinate descent starting from the
          Bayes rule's offsets or from zeros). Helps when the probabilities are
          miscalibrated; costs ``n_splits`` extra fits.

    cv : int, cross-validation generator, iterable or "prefit", default=5
        ``strategy="tuned"``: how the out-of-fold probabilities are obtained. An int
        is the number of folds of a shuffled
        :class:`~sklearn.model_selection.StratifiedKFold`; a splitter or an
        iterable of (train, test) indices is used as given (test sets need not
        cover every row). ``strategy="bayes"`` ignores it except for ``"prefit"``.

        ``"prefit"``: ``estimator`` is already fitted and used as is, for both
        strategies; :meth:`fit` then only validates the costs and, for
        ``"tuned"``, tunes the decision on the data it is given, which should be
        held out from the data ``estimator`` was fitted on.

    refit : bool, default=True
        ``strategy="tuned"`` only: whether to fit ``estimator_`` on all the data
        once the decision is tuned. ``False`` requires ``cv`` to yield a single
        split; ``estimator_`` is then the model fitted on its training part, which
        saves one fit. Ignored by ``strategy="bayes"`` and ``cv="prefit"``.

    n_jobs : int, default=None
        Number of folds fitted in parallel. ``None`` means 1 unless in a
        :obj:`joblib.parallel_backend` context; ``-1`` means all processors.

    random_state : int, RandomState instance or None, default=None
        Shuffling of the rows before they are split into folds when ``cv`` is an
        int. Pass an int for reproducible output across calls.

    Attributes
    ----------
    estimator_ : estimator instance
        The fitted classifier whose probabilities are used when predicting.

    classes_ : ndarray of shape (n_classes,)
        The class labels, the order of the rows and columns of ``cost_matrix_``.

    cost_matrix_ : ndarray of shape (n_classes, n_classes) or None
        The validated cost matrix; None if ``cost_matrix`` is None.

    threshold_ : float or None
        Binary problems: ``classes_[1]`` is predicted iff ``p(classes_[1]|x) >
        threshold_``. For ``"bayes"``, the analytic threshold ``(C01 - C00) /
        (C01 - C00 + C10 - C11)`` (``predict`` compares the expected costs, which
        is the same rule up to floating-point rounding), None when the costs do
        not reduce to a threshold. None for more than two classes.

    offsets_ : ndarray of shape (n_classes,) or None
        ``strategy="tuned"`` with more than two classes: ``predict`` returns
        ``classes_[argmax(log p(.|x) + offsets_)]``. None otherwise.

    cv_results_ : dict or None
        ``strategy="tuned"``: for two classes ``{"thresholds", "costs"}``, the mean
        out-of-fold cost of every candidate threshold; otherwise ``{"offsets",
        "costs"}``, the offsets and mean cost after each improving step of the
        coordinate descent. With per-row costs, ``{"row_offsets", "plain_cost",
        "cost"}``: the mean out-of-fold cost of the plain per-row rule and of the
        corrected one. None for ``"bayes"``.

    row_offsets_ : ndarray of shape (n_classes,) or None
        ``strategy="tuned"`` with per-row costs given to :meth:`fit`: offsets added
        to the log-probabilities (then renormalised) before the per-row Bayes
        rule, a global correction of the probabilities tuned on out-of-fold
        probabilities; zeros if nothing beats the plain per-row rule there (it is
        never worse on those rows). Used by every prediction. None otherwise.

    best_cost_ : float or None
        ``strategy="tuned"``: the mean out-of-fold cost of the chosen decision.

    n_features_in_ : int
        Number of features seen during :term:`fit`. Only defined if the
        underlying estimator exposes such an attribute when fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Only defined if the
        underlying estimator exposes such an attribute when fit.

    See Also
    --------
    sklearn.model_selection.FixedThresholdClassifier : A fixed decision threshold,
        binary problems only.
    sklearn.model_selection.TunedThresholdClassifierCV : A threshold tuned for a
        metric, binary problems only.
    sklearn.calibration.CalibratedClassifierCV : Calibrated probabilities, on which
        the Bayes rule is optimal.

    Notes
    -----
    Ties, where two decisions have the same expected cost, go to the class that
    comes first in ``classes_`` (:func:`numpy.argmin`'s convention). For two classes
    ``classes_[1]`` is therefore predicted iff ``p(classes_[1]|x) > threshold_``,
    strictly, whereas ``FixedThresholdClassifier`` predicts the positive class at
    equality; both choices cost the same there.

    With per-row costs (Elkan 2001; Bahnsen et al. 2014), ``predict(X,
    cost_matrix=C)`` returns ``argmin_j sum_i p(i|x_n) C[n, i, j]`` for each row
    ``n``; in a :class:`~sklearn.pipeline.Pipeline`, request them with
    ``set_predict_request(cost_matrix=True)`` under metadata routing.

    ``decision_function`` agrees with ``predict``. Two classes: positive iff
    ``classes_[1]`` is predicted, the expected cost saved by predicting it
    (``"bayes"``) or ``p(classes_[1]|x) - threshold_`` (``"tuned"``). More classes:
    its argmax is the prediction, minus the expected costs (``"bayes"``) or
    ``log p(.|x) + offsets_`` (``"tuned"``).

    References
    ----------
    Elkan, C. (2001). The foundations of cost-sensitive learning. In *Proceedings of
    the 17th International Joint Conference on Artificial Intelligence (IJCAI)*,
    973-978.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.metrics import confusion_matrix
    >>> from sklearn.model_selection import train_test_split
    >>> from skweight import CostSensitiveClassifier, mean_cost
    >>> X, y = make_classification(
    ...     n_samples=1_000, weights=[0.9, 0.1], class_sep=0.8, random_state=0
    ... )
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X, y, stratify=y, random_state=0
    ... )
    >>> cost = [[0, 1], [10, 0]]  # a missed positive costs 10 false alarms
    >>> plain = LogisticRegression().fit(X_train, y_train)
    >>> print(confusion_matrix(y_test, plain.predict(X_test)))
    [[221   3]
     [ 11  15]]
    >>> clf = CostSensitiveClassifier(LogisticRegression(), cost_matrix=cost)
    >>> clf = clf.fit(X_train, y_train)
    >>> print(f"{clf.threshold_:.3f}")
    0.091
    >>> print(confusion_matrix(y_test, clf.predict(X_test)))
    [[213  11]
     [  5  21]]
    >>> print(f"{mean_cost(y_test, plain.predict(X_test), cost_matrix=cost):.3f}")
    0.452
    >>> print(f"{mean_cost(y_test, clf.predict(X_test), cost_matrix=cost):.3f}")
    0.244
    >>> tuned = CostSensitiveClassifier(
    ...     LogisticRegression(), cost_matrix=cost, strategy="tuned", random_state=0
    ... ).fit(X_train, y_train)
    >>> print(f"{tuned.threshold_:.3f}")
    0.064
    >>> print(f"{mean_cost(y_test, tuned.predict(X_test), cost_matrix=cost):.3f}")
    0.224
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"])],
        "cost_matrix": ["array-like", dict, callable, None],
        "strategy": [StrOptions({"bayes", "tuned"})],
        "cv": ["cv_object", StrOptions({"prefit"})],
        "refit": ["boolean"],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator,
        *,
        cost_matrix=None,
        strategy="bayes",
        cv=5,
        refit=True,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.cost_matrix = cost_matrix
        self.strategy = strategy
        self.cv = cv
        self.refit = refit
        self.n_jobs = n_jobs
        self.random_state = random_state

    @_fit_context(
        # CostSensitiveClassifier.estimator is not validated yet
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, sample_weight=None, cost_matrix=None, **fit_params):
        """Fit the classifier and choose the cost-based decision.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, ...)
            Training data, as accepted by ``estimator``.

        y : array-like of shape (n_samples,)
            Target labels.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the rows: passed to ``estimator.fit`` and used
            to weight the out-of-fold costs of ``strategy="tuned"`` (with
            ``cv="prefit"``, only the latter; with ``"bayes"`` and ``cv="prefit"``
            they have no use). With metadata routing enabled, ``estimator``
            receives them only if it requests them.

        cost_matrix : array-like of shape (n_samples, n_classes, n_classes), \
                default=None
            Each training row's own costs (see :func:`~skweight.binary_cost_matrix`).
            ``strategy="tuned"`` then tunes a global correction of the
            probabilities on top of the per-row Bayes rule (``row_offsets_``).
            With metadata routing enabled it is also routed to ``estimator.fit``
            if the estimator requests it (cost-proportionate training).

        **fit_params : dict
            Further parameters routed to ``estimator.fit`` and the splitter; only
            with metadata routing enabled (``sklearn.set_config(
            enable_metadata_routing=True)``).

        Returns
        -------
        self : object
            Fitted classifier.
        """
        _raise_for_params(fit_params, self, "fit")
        X, y = indexable(X, y)
        y = _check_y(y, estimator=self)
        check_classification_targets(y)
        return self._fit(X, y, sample_weight, cost_matrix, **fit_params)

    def _fit(self, X, y, sample_weight, row_costs, **fit_params):
        """Validate the costs, fit the estimator, choose the decision."""
        prefit = isinstance(self.cv, str) and self.cv == "prefit"
        classes = self._fit_classes(y, prefit)
        self.cost_matrix_ = (
            None if self.cost_matrix is None
            else check_cost_matrix(self.cost_matrix, classes)
        )
        if row_costs is not None:
            row_costs = check_cost_matrix(
                row_costs, classes, n_samples=len(y), param_name="cost_matrix"
            )
            if row_costs.ndim != 3:
                raise ValueError(
                    "cost_matrix passed to fit gives each row its own costs and must "
                    f"have shape (n_samples, {len(classes)}, {len(classes)}); got "
                    f"shape {row_costs.shape}. Pass a single matrix as the "
                    "cost_matrix parameter of CostSensitiveClassifier instead."
                )
        if self.strategy == "tuned" and self.cost_matrix_ is None and row_costs is None:
            raise ValueError(
                "strategy='tuned' needs costs to tune on: set cost_matrix of "
                "CostSensitiveClassifier, or pass per-row costs to fit "
                "(fit(X, y, cost_matrix=...))."
            )
        if self.strategy == "bayes" and row_costs is not None:
            self._check_row_costs_used()
        weights = check_sample_weight_non_negative(sample_weight, X)
        estimator_params, split_params = self._route_params(
            prefit, sample_weight, row_costs, fit_params
        )

        self.threshold_, self.offsets_, self.row_offsets_ = None, None, None
        self.cv_results_, self.best_cost_ = None, None
        if self.strategy == "bayes":
            if prefit:
                self.estimator_ = self.estimator
            else:
                self.estimator_ = clone(self.estimator).fit(X, y, **estimator_params)
            if len(classes) == 2 and self.cost_matrix_ is not None:
                self.threshold_ = binary_threshold(self.cost_matrix_)
        else:
            proba, rows = self._out_of_fold(
                X, y, classes, prefit, estimator_params, split_params
            )
            y_idx = label_indices(classes, y[rows], name="y")
            row_weights = np.ones(len(rows)) if weights is None else weights[rows]
            if row_costs is None:
                self._tune(
                    proba,
                    self.cost_matrix_[y_idx] * row_weights[:, None],
                    row_weights.sum(),
                )
            else:
                self._tune_rows(proba, row_costs[rows], y_idx, row_weights)

        if not np.array_equal(self.estimator_.classes_, classes):
            raise ValueError(
                f"The fitted estimator has classes_ {self.estimator_.classes_!r} but "
                f"y has classes {classes!r}; the estimator must see every class."
            )
        for attribute in ("n_features_in_", "feature_names_in_"):
            if hasattr(self.estimator_, attribute):
                setattr(self, attribute, getattr(self.estimator_, attribute))
        return self

    def _check_row_costs_used(self):
        """With the Bayes rule, fit's per-row costs serve only a requesting model."""
        routed = (
            get_config()["enable_metadata_routing"]
            and hasattr(self.estimator, "get_metadata_routing")
            and self.estimator.get_metadata_routing().consumes("fit", ["cost_matrix"])
        )
        if not routed:
            raise ValueError(
                "cost_matrix was passed to fit, but strategy='bayes' does not use "
                "per-row costs in fit: pass them to predict (predict(X, "
                "cost_matrix=...)), use strategy='tuned' to tune a correction on "
                "them, or, with metadata routing, request them on the estimator "
                "(set_fit_request(cost_matrix=True)) to train with them."
            )

    def _fit_classes(self, y, prefit):
        """The classes: those of y, or of the fitted estimator for prefit."""
        if prefit:
            try:
                check_is_fitted(self.estimator, "classes_")
            except NotFittedError as exc:
                raise NotFittedError(
                    "cv='prefit' needs a fitted estimator; fit it first, or use an "
                    "int or a splitter as cv."
                ) from exc
            classes = np.asarray(self.estimator.classes_)
            label_indices(
                classes,
                y,
                name="y",
                hint="with cv='prefit', y may only hold the classes of the estimator",
            )
        else:
            classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(
                "CostSensitiveClassifier needs at least 2 classes in y; got 1 class: "
                f"{classes.tolist()!r}."
            )
        return classes

    def _route_params(self, prefit, sample_weight, row_costs, fit_params):
        """Parameters for ``estimator.fit`` and for ``cv.split``."""
        if get_config()["enable_metadata_routing"]:
            metadata = dict(fit_params)
            if sample_weight is not None:
                metadata["sample_weight"] = sample_weight
            if row_costs is not None:
                metadata["cost_matrix"] = row_costs
            routed = process_routing(self, "fit", **metadata)
            return routed.estimator.fit, routed.splitter.split
        if sample_weight is None or prefit:
            return {}, {}
        if not has_fit_parameter(self.estimator, "sample_weight"):
            raise ValueError(
                f"sample_weight was passed but {type(self.estimator).__name__}.fit "
                "does not accept sample_weight. For a pipeline, enable metadata "
                "routing (sklearn.set_config(enable_metadata_routing=True)) and "
                "request the weights on the step that uses them, e.g. "
                "LogisticRegression().set_fit_request(sample_weight=True)."
            )
        return {"sample_weight": sample_weight}, {}

    def _splits(self, X, y, prefit, split_params):
        """(train, test) index pairs; prefit is one split, train None, test all."""
        if prefit:
            return [(None, np.arange(len(y)))]
        if self.cv is None or isinstance(self.cv, Integral):
            cv = StratifiedKFold(
                n_splits=5 if self.cv is None else self.cv,
                shuffle=True,
                random_state=self.random_state,
            )
        else:
            cv = check_cv(self.cv, y, classifier=True)
        splits = list(cv.split(X, y, **split_params))
        if not self.refit and len(splits) != 1:
            raise ValueError(
                f"refit=False needs cv with a single split, but cv={self.cv!r} "
                f"gives {len(splits)}; pass e.g. cv=StratifiedShuffleSplit("
                "n_splits=1, test_size=0.25), or refit=True."
            )
        return splits

    def _out_of_fold(self, X, y, classes, prefit, fit_params, split_params):
        """Out-of-fold probabilities and the rows they belong to; sets estimator_."""
        splits = self._splits(X, y, prefit, split_params)
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_predict_fold)(
                self.estimator if train is None else clone(self.estimator),
                X, y, train, test, fit_params, classes,
            )
            for train, test in splits
        )
        if prefit or not self.refit:
            self.estimator_ = results[0][0]
        else:
            self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)
        rows = np.concatenate([test for _, test in splits])
        return np.concatenate([proba for _, proba in results]), rows

    def _tune(self, proba, row_costs, total_weight):
        """Choose the decision minimising the summed ``row_costs`` of the rows."""
        n_classes = proba.shape[1]
        if n_classes == 2:
            bayes = binary_threshold(self.cost_matrix_)
            threshold, cost, thresholds, costs = best_cut(
                proba[:, 1],
                cost_above=row_costs[:, 1],
                cost_below=row_costs[:, 0],
                low=0.0,
                high=1.0,
                reference=0.5 if bayes is None else bayes,
            )
            self.threshold_ = float(threshold)
            self.cv_results_ = {"thresholds": thresholds, "costs": costs / total_weight}
        else:
            log_proba = safe_log(proba)
            rows = np.arange(len(proba))
            c = self.cost_matrix_
            regret = (c.sum(axis=1) - np.diag(c)) / (n_classes - 1) - np.diag(c)
            starts = [np.zeros(n_classes), safe_log(np.maximum(regret, 0.0))]
            start_costs = [
                row_costs[rows, np.argmax(log_proba + s, axis=1)].sum() for s in starts
            ]
            start = starts[int(start_costs[1] <= start_costs[0])]
            offsets, trace, offsets_trace = tune_offsets(log_proba, row_costs, start)
            cost = trace[-1]
            self.offsets_ = offsets
            self.cv_results_ = {"offsets": offsets_trace, "costs": trace / total_weight}
        self.best_cost_ = float(cost / total_weight)

    def _tune_rows(self, proba, row_costs, y_idx, row_weights):
        """Tune the correction applied before the per-row Bayes rule."""
        paid = row_costs[np.arange(len(y_idx)), y_idx] * row_weights[:, None]
        offsets, plain, best = tune_row_offsets(proba, row_costs, paid)
        total_weight = row_weights.sum()
        self.row_offsets_ = offsets
        self.cv_results_ = {
            "row_offsets": offsets,
            "plain_cost": plain / total_weight,
            "cost": best / total_weight,
        }
        self.best_cost_ = float(best / total_weight)

    @property
    def classes_(self):
        """Class labels, the order of the rows and columns of ``cost_matrix_``."""
        return self.estimator_.classes_

    def decision_function(self, X, cost_matrix=None):
        """Decision scores that agree with :meth:`predict`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, ...)
            The samples, as accepted by ``estimator.predict_proba``.

        cost_matrix : array-like of shape (n_samples, n_classes, n_classes), \
                default=None
            Each row's own costs: the per-row Bayes rule (after the correction
            ``row_offsets_`` if it was tuned). None: the fitted decision.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Two classes: positive iff ``classes_[1]`` is predicted (the expected
            cost saved by predicting it for the Bayes rule, ``p(classes_[1]|x) -
            threshold_`` for ``"tuned"``). More classes: the prediction is the
            argmax (minus the expected costs for the Bayes rule, ``log p(.|x) +
            offsets_`` for ``"tuned"``).
        """
        check_is_fitted(self, "cost_matrix_")
        return self._scores_from_proba(
            check_finite_proba(self.estimator_.predict_proba(X)), cost_matrix)

    def _scores_from_proba(self, proba, cost_matrix=None):
        """:meth:`decision_function` from probabilities already computed.

        Lets a caller that needs the probabilities too (such as
        :func:`~skweight.compare_strategies`) run the estimator once.

        Parameters
        ----------
        proba : ndarray of shape (n_samples, n_classes)
            Finite ``estimator_.predict_proba(X)``, columns in ``classes_`` order.
        cost_matrix : array-like of shape (n_samples, n_classes, n_classes), \
                default=None
            Each row's own costs (see :meth:`decision_function`).

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        if cost_matrix is not None:
            cost_matrix = check_cost_matrix(
                cost_matrix, self.classes_, n_samples=len(proba)
            )
        elif self.cost_matrix_ is None:
            raise ValueError(
                "This CostSensitiveClassifier was made without a cost_matrix, so "
                "predict needs each row's costs: pass cost_matrix of shape "
                f"(n_samples, {len(self.classes_)}, {len(self.classes_)}) to "
                "predict or decision_function (in a Pipeline, request it with "
                "set_predict_request(cost_matrix=True))."
            )
        if cost_matrix is not None or self.row_offsets_ is not None:
            if self.row_offsets_ is not None:
                proba = shifted_proba(proba, self.row_offsets_)
            costs = self.cost_matrix_ if cost_matrix is None else cost_matrix
            return decision_scores(proba, costs)
        if self.strategy == "bayes":
            return decision_scores(proba, self.cost_matrix_)
        if len(self.classes_) == 2:
            return proba[:, 1] - self.threshold_
        return safe_log(proba) + self.offsets_

    def predict(self, X, cost_matrix=None):
        """Predict the label of least cost.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, ...)
            The samples, as accepted by ``estimator.predict_proba``.

        cost_matrix : array-like of shape (n_samples, n_classes, n_classes), \
                default=None
            Each row's own costs (see :meth:`decision_function`).

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels; ties go to the class first in ``classes_``.
        """
        scores = self.decision_function(X, cost_matrix=cost_matrix)
        return self.classes_[predict_indices_from_scores(scores)]

    def predict_proba(self, X):
        """Class probabilities of the fitted estimator, unchanged.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, ...)
            The samples, as accepted by ``estimator.predict_proba``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        check_is_fitted(self, "cost_matrix_")
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the fitted estimator, unchanged.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, ...)
            The samples, as accepted by ``estimator.predict_log_proba``.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``.
        """
        check_is_fitted(self, "cost_matrix_")
        return self.estimator_.predict_log_proba(X)

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        Returns
        -------
        routing : MetadataRouter
            ``sample_weight`` is consumed by this estimator (the tuned cost) and
            routed, with any other fit metadata, to ``estimator.fit`` and to the
            splitter's ``split`` as they request.
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                estimator=self.estimator,
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
            .add(
                splitter=self.cv,
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        estimator_tags = get_tags(self.estimator)
        tags.input_tags.sparse = estimator_tags.input_tags.sparse
        tags.input_tags.allow_nan = estimator_tags.input_tags.allow_nan
        return tags

    def save(self, path):
        """Save the estimator to one file without pickle; see :func:`skweight.save`.

        Parameters
        ----------
        path : str or os.PathLike
            The file to write; :func:`skweight.load` reads it back.
        """
        from ._saving import save

        save(self, path)
