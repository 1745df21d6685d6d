"""Cost-sensitive decisions for any probabilistic classifier.

:class:`CostSensitiveClassifier` leaves the probabilities of the classifier it wraps
unchanged and only changes which label ``predict`` returns for them: the label of
least expected cost (Elkan 2001), or a decision tuned by cross-validation to minimise
the mean cost when the probabilities are miscalibrated.
"""

from numbers import Integral

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
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

from ._costs import (
    _label_indices,
    bayes_predict_indices,
    check_cost_matrix,
    expected_costs,
)

_TINY = np.finfo(float).tiny


def _log(proba):
    """Logarithm of probabilities, with 0 mapped to a finite, very negative value."""
    return np.log(np.maximum(proba, _TINY))


def _fit_predict_fold(estimator, X, y, train, test, fit_params, classes):
    """Fit on ``train``; return the model and its probabilities for ``test``."""
    fit_params = _check_method_params(X, params=fit_params, indices=train)
    estimator.fit(_safe_indexing(X, train), _safe_indexing(y, train), **fit_params)
    proba = np.zeros((len(test), len(classes)))
    columns = _label_indices(classes, estimator.classes_, name="estimator.classes_")
    proba[:, columns] = estimator.predict_proba(_safe_indexing(X, test))
    return estimator, proba


def _best_cut(scores, cost_above, cost_below, *, low, high, reference):
    """Cut minimising the total cost when rows with ``scores > cut`` pay ``cost_above``
    and the others ``cost_below``.

    Candidates are the midpoints between consecutive distinct scores, bounded by
    ``low`` and ``high``, so that no training row sits on the cut. Among equally good
    cuts, the one closest to ``reference`` is returned.
    """
    points = np.unique(np.concatenate([[low], scores, [high]]))
    cuts = (points[:-1] + points[1:]) / 2
    order = np.argsort(scores, kind="stable")
    n_below = np.searchsorted(scores[order], cuts, side="right")
    cum_below = np.concatenate([[0.0], np.cumsum(cost_below[order])])
    cum_above = np.concatenate([[0.0], np.cumsum(cost_above[order])])
    totals = cum_below[n_below] + cum_above[-1] - cum_above[n_below]
    best = totals.min()
    near_best = np.flatnonzero(totals <= best + 1e-12 * max(1.0, abs(best)))
    chosen = near_best[np.argmin(np.abs(cuts[near_best] - reference))]
    return cuts[chosen], totals[chosen], cuts, totals


def _tune_offsets(log_proba, row_costs, start, max_sweeps=50):
    """Coordinate descent on additive offsets to the log-probabilities.

    ``row_costs[n, k]`` is the (weighted) cost of predicting class ``k`` for row
    ``n``. Each step minimises the total cost exactly over one offset: row ``n``
    predicts ``k`` iff ``offsets[k] > tau[n]``, the margin by which its best other
    class wins, so the cost is a step function of ``offsets[k]``.
    """
    n_samples, n_classes = log_proba.shape
    rows = np.arange(n_samples)
    offsets = start.astype(float)

    def total(offsets):
        return row_costs[rows, np.argmax(log_proba + offsets, axis=1)].sum()

    current = total(offsets)
    trace_costs, trace_offsets = [current], [offsets.copy()]
    for _ in range(max_sweeps):
        improved = False
        for k in range(n_classes):
            others = log_proba + offsets
            others[:, k] = -np.inf
            runner_up = np.argmax(others, axis=1)
            tau = others[rows, runner_up] - log_proba[:, k]
            cut, cost, _, _ = _best_cut(
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


def _binary_threshold(cost_matrix):
    """Threshold ``t`` on ``p(classes_[1]|x)`` of the binary Bayes rule, or None.

    Predicting ``classes_[1]`` is cheaper iff ``p1 (C10 - C11) > p0 (C01 - C00)``,
    i.e. iff ``p1 > (C01 - C00) / (C01 - C00 + C10 - C11)`` when the denominator is
    positive (with a zero diagonal: ``C01 / (C01 + C10)``, Elkan 2001).
    """
    c = cost_matrix
    denominator = c[0, 1] - c[0, 0] + c[1, 0] - c[1, 1]
    return float((c[0, 1] - c[0, 0]) / denominator) if denominator > 0 else None


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

    cost_matrix : array-like of shape (n_classes, n_classes), dict or callable
        ``cost_matrix[i, j]`` is the cost of predicting ``classes_[j]`` when the true
        class is ``classes_[i]`` (rows = truth, columns = prediction, the
        orientation of ``confusion_matrix``). Either an array in the order of
        ``classes_`` (the sorted labels), a dict keyed by the labels
        ``{true_label: {predicted_label: cost}}`` (the diagonal defaults to 0), or a
        callable taking ``classes_`` and returning one of these, for code that must
        handle any set of classes (a module-level function pickles; a lambda does
        not). Validated in :meth:`fit`; costs must be finite and >= 0.

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

    cost_matrix_ : ndarray of shape (n_classes, n_classes)
        The validated cost matrix.

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
        coordinate descent. None for ``"bayes"``.

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
    >>> from skweight._cost_sensitive import CostSensitiveClassifier
    >>> from skweight._costs import mean_cost
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
        "cost_matrix": ["array-like", dict, callable],
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
        cost_matrix,
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
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the classifier and choose the cost-based decision.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, as accepted by ``estimator``.

        y : array-like of shape (n_samples,)
            Target labels.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows: passed to ``estimator.fit`` and used to weight the
            out-of-fold costs of ``strategy="tuned"`` (with ``cv="prefit"``, only
            the latter; with ``"bayes"`` and ``cv="prefit"`` they have no use).
            With metadata routing enabled, ``estimator`` receives them only if it
            requests them.

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
        prefit = isinstance(self.cv, str) and self.cv == "prefit"
        if prefit:
            try:
                check_is_fitted(self.estimator, "classes_")
            except NotFittedError as exc:
                raise NotFittedError(
                    "cv='prefit' needs a fitted estimator; fit it first, or use an "
                    "int or a splitter as cv."
                ) from exc
            classes = np.asarray(self.estimator.classes_)
            _label_indices(
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
        self.cost_matrix_ = check_cost_matrix(self.cost_matrix, classes)
        weights = None
        if sample_weight is not None:
            weights = _check_sample_weight(sample_weight, X, dtype=float, copy=True)
        estimator_params, split_params = self._route_params(
            prefit, sample_weight, fit_params
        )

        self.threshold_, self.offsets_ = None, None
        self.cv_results_, self.best_cost_ = None, None
        if prefit:
            self.estimator_ = self.estimator
        if self.strategy == "tuned":
            proba, y_idx, row_weights = self._out_of_fold(
                X, y, classes, prefit, estimator_params, split_params, weights
            )
            self._tune(
                proba,
                self.cost_matrix_[y_idx] * row_weights[:, None],
                row_weights.sum(),
            )
        else:
            if len(classes) == 2:
                self.threshold_ = _binary_threshold(self.cost_matrix_)
            if not prefit:
                self.estimator_ = clone(self.estimator).fit(X, y, **estimator_params)

        if not np.array_equal(self.estimator_.classes_, classes):
            raise ValueError(
                f"The fitted estimator has classes_ {self.estimator_.classes_!r} but "
                f"y has classes {classes!r}; the estimator must see every class."
            )
        for attribute in ("n_features_in_", "feature_names_in_"):
            if hasattr(self.estimator_, attribute):
                setattr(self, attribute, getattr(self.estimator_, attribute))
        return self

    def _route_params(self, prefit, sample_weight, fit_params):
        """Parameters for ``estimator.fit`` and for ``cv.split``."""
        if _routing_enabled():
            routed = process_routing(
                self, "fit", sample_weight=sample_weight, **fit_params
            )
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

    def _out_of_fold(self, X, y, classes, prefit, fit_params, split_params, weights):
        """Out-of-fold probabilities, class indices and weights of the tuning rows."""
        if prefit:
            test_sets = [np.arange(len(y))]
            probas = [self.estimator_.predict_proba(X)]
        else:
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
            results = Parallel(n_jobs=self.n_jobs)(
                delayed(_fit_predict_fold)(
                    clone(self.estimator), X, y, train, test, fit_params, classes
                )
                for train, test in splits
            )
            test_sets = [test for _, test in splits]
            probas = [proba for _, proba in results]
            if self.refit:
                self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)
            else:
                self.estimator_ = results[0][0]
        rows = np.concatenate(test_sets)
        y_idx = _label_indices(classes, y[rows], name="y")
        row_weights = np.ones(len(rows)) if weights is None else weights[rows]
        return np.concatenate(probas), y_idx, row_weights

    def _tune(self, proba, row_costs, total_weight):
        """Choose the decision minimising the summed ``row_costs`` of the rows."""
        n_classes = proba.shape[1]
        if n_classes == 2:
            bayes = _binary_threshold(self.cost_matrix_)
            threshold, cost, thresholds, costs = _best_cut(
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
            log_proba = _log(proba)
            rows = np.arange(len(proba))
            c = self.cost_matrix_
            regret = (c.sum(axis=1) - np.diag(c)) / (n_classes - 1) - np.diag(c)
            starts = [np.zeros(n_classes), _log(np.maximum(regret, 0.0))]
            start_costs = [
                row_costs[rows, np.argmax(log_proba + s, axis=1)].sum() for s in starts
            ]
            start = starts[int(start_costs[1] <= start_costs[0])]
            offsets, trace, offsets_trace = _tune_offsets(log_proba, row_costs, start)
            cost = trace[-1]
            self.offsets_ = offsets
            self.cv_results_ = {"offsets": offsets_trace, "costs": trace / total_weight}
        self.best_cost_ = float(cost / total_weight)

    @property
    def classes_(self):
        """Class labels, the order of the rows and columns of ``cost_matrix_``."""
        return self.estimator_.classes_

    def _scores(self, X):
        """Decision scores whose argmax (binary: sign) is the prediction."""
        check_is_fitted(self, "cost_matrix_")
        proba = self.estimator_.predict_proba(X)
        if self.cv_results_ is None:  # the Bayes rule
            costs = expected_costs(proba, self.cost_matrix_)
            if costs.shape[1] == 2:
                return costs[:, 0] - costs[:, 1]
            return -costs
        if self.offsets_ is None:
            return proba[:, 1] - self.threshold_
        return _log(proba) + self.offsets_

    def decision_function(self, X):
        """Decision scores that agree with :meth:`predict`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples, as accepted by ``estimator.predict_proba``.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Two classes: positive iff ``classes_[1]`` is predicted (the expected
            cost saved by predicting it for ``"bayes"``, ``p(classes_[1]|x) -
            threshold_`` for ``"tuned"``). More classes: the prediction is the
            argmax (minus the expected costs for ``"bayes"``, ``log p(.|x) +
            offsets_`` for ``"tuned"``).
        """
        return self._scores(X)

    def predict(self, X):
        """Predict the label of least cost.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples, as accepted by ``estimator.predict_proba``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels; ties go to the class first in ``classes_``.
        """
        check_is_fitted(self, "cost_matrix_")
        if self.cv_results_ is None:  # the Bayes rule
            proba = self.estimator_.predict_proba(X)
            return self.classes_[bayes_predict_indices(proba, self.cost_matrix_)]
        scores = self._scores(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def predict_proba(self, X):
        """Class probabilities of the fitted estimator, unchanged.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
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
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
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
