"""Cost-sensitive decisions for any probabilistic classifier.

:class:`CostSensitiveClassifier` leaves the probabilities of the classifier it wraps
unchanged and only changes which label ``predict`` returns for them: the label of
least expected cost (Elkan 2001), with one cost matrix or one per row, or a decision
tuned by cross-validation to minimise the mean cost when the probabilities are
miscalibrated. The solvers of the tuned decision live in ``_thresholds.py``.
"""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils import get_tags
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_y,
    _estimator_has,
    check_is_fitted,
    indexable,
)
from sklearn_compat.base import _fit_context
from sklearn_compat.utils.metadata_routing import _raise_for_params

from ._cost_matrix import check_cost_matrix, label_indices
from ._costs import check_proba, decision_scores, predict_indices_from_scores
from ._cross_fit import (
    check_fit_costs,
    check_sample_weight_non_negative,
    fit_classes,
    make_splits,
    out_of_fold,
    route_params,
)
from ._deployment import DeploymentPriorsMixin
from ._prior_shift import soft_confusion
from ._thresholds import (
    binary_threshold,
    safe_log,
    shifted_proba,
    tune_matrix_decision,
    tune_row_decision,
)


class CostSensitiveClassifier(DeploymentPriorsMixin, ClassifierMixin,
                              MetaEstimatorMixin, BaseEstimator):
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

    deployment_priors : dict, array-like of shape (n_classes,) or None, \
            default=None
        The class priors where the model is used, when they differ from the
        training priors ``priors_``: a dict keyed by every label, or one value per
        class in the order of ``classes_``, summing to 1 (not renormalised).
        ``predict_proba`` becomes ``p'(c|x) ∝ p(c|x) π'_c / π_c`` (Saerens et
        al. 2002) and every decision is taken on it (for ``"tuned"``, before the
        tuned threshold or offsets). Read at each prediction, so ``set_params``
        applies it without refitting. To estimate the priors from unlabelled
        rows, see :meth:`adapt_priors`; its estimate is used while this is
        None, so pass ``priors_`` to decide under the training priors again.

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

    priors_ : ndarray of shape (n_classes,)
        Class frequencies of the ``y`` given to :meth:`fit` (with
        ``sample_weight``): the priors the estimator's probabilities are taken to
        assume. With ``cv="prefit"``, those of fit's held-out rows.

    heldout_confusion_ : ndarray of shape (n_classes, n_classes) or None
        ``strategy="tuned"``: ``C[i, j] = mean p(i|x) [y = j]`` on the rows the
        decision is tuned on (out of fold; fit's rows with ``cv="prefit"``), for
        ``adapt_priors(method="bbse")``. None for ``"bayes"``, whose fit does not
        predict.

    deployment_priors_, priors_n_iter_, priors_converged_
        Set by :meth:`adapt_priors` (see there); a new fit removes them.

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
        "deployment_priors": [dict, "array-like", None],
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
        deployment_priors=None,
    ):
        self.estimator = estimator
        self.cost_matrix = cost_matrix
        self.strategy = strategy
        self.cv = cv
        self.refit = refit
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.deployment_priors = deployment_priors

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
        classes = fit_classes(self.estimator, y, prefit)
        self.cost_matrix_ = (
            None if self.cost_matrix is None
            else check_cost_matrix(self.cost_matrix, classes)
        )
        row_costs = check_fit_costs(self.estimator, self.strategy, self.cost_matrix_,
                                    row_costs, classes, len(y))
        weights = check_sample_weight_non_negative(sample_weight, X)
        estimator_params, split_params = route_params(
            self, prefit, sample_weight, row_costs, fit_params
        )
        self._forget_adapted_priors()
        y_all = label_indices(classes, y, name="y")
        self.priors_ = np.bincount(y_all, weights=weights, minlength=len(classes))
        self.priors_ = self.priors_ / self.priors_.sum()
        self._deployment_priors(classes)  # validated before any fit
        self.heldout_confusion_ = None

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
            splits = make_splits(self.cv, X, y, prefit=prefit, refit=self.refit,
                                 random_state=self.random_state,
                                 split_params=split_params)
            fitted, proba, rows = out_of_fold(self.estimator, X, y, classes, splits,
                                              estimator_params, self.n_jobs)
            if prefit or not self.refit:
                self.estimator_ = fitted[0]
            else:
                self.estimator_ = clone(self.estimator).fit(X, y, **estimator_params)
            y_idx = label_indices(classes, y[rows], name="y")
            row_weights = np.ones(len(rows)) if weights is None else weights[rows]
            self.heldout_confusion_ = soft_confusion(proba, y_idx, row_weights)
            if row_costs is None:
                tuned = tune_matrix_decision(
                    proba, self.cost_matrix_,
                    self.cost_matrix_[y_idx] * row_weights[:, None], row_weights.sum(),
                )
            else:
                tuned = tune_row_decision(proba, row_costs[rows], y_idx, row_weights)
            for name, value in tuned.items():
                setattr(self, name, value)

        if not np.array_equal(self.estimator_.classes_, classes):
            raise ValueError(
                f"The fitted estimator has classes_ {self.estimator_.classes_!r} but "
                f"y has classes {classes!r}; the estimator must see every class."
            )
        for attribute in ("n_features_in_", "feature_names_in_"):
            if hasattr(self.estimator_, attribute):
                setattr(self, attribute, getattr(self.estimator_, attribute))
        return self

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
        return self._scores_from_proba(self._proba_before_shift(X), cost_matrix)

    def _scores_from_proba(self, proba, cost_matrix=None):
        """:meth:`decision_function` from probabilities already computed.

        Lets a caller that needs the probabilities too (such as
        :func:`~skweight.compare_strategies`) run the estimator once.

        Parameters
        ----------
        proba : ndarray of shape (n_samples, n_classes)
            Finite ``estimator_.predict_proba(X)``, columns in ``classes_`` order,
            before the shift to ``deployment_priors`` (applied here).
        cost_matrix : array-like of shape (n_samples, n_classes, n_classes), \
                default=None
            Each row's own costs (see :meth:`decision_function`).

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        proba = self._shift(proba)
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
        """Class probabilities of the fitted estimator, at the deployment priors.

        Unchanged without ``deployment_priors`` (and before :meth:`adapt_priors`);
        with them, ``p'(c|x) ∝ p(c|x) π'_c / π_c``. Values outside [0, 1] or not
        finite are an error.

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
        return self._shift(self._proba_before_shift(X))

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`; the estimator's own without deployment priors.

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
        if self._deployment_priors() is None:
            return self.estimator_.predict_log_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    # The hooks of DeploymentPriorsMixin.

    def _training_priors(self):
        return self.priors_

    def _proba_before_shift(self, X):
        return check_proba(self.estimator_.predict_proba(X))

    def _heldout_confusion(self):
        if self.heldout_confusion_ is None:
            return (
                "probabilities of rows the estimator did not train on, which fit "
                "keeps with strategy='tuned' (out of fold, or fit's rows with "
                "cv='prefit')"
            )
        return self.heldout_confusion_

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
