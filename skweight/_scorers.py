"""Scorers of the cost of decisions, for cross-validation and model selection.

scikit-learn's scorers call ``estimator.predict(X)`` and hand any routed metadata to
the metric only. A decision that needs each row's own costs at prediction time (the
Bayes rule with example-dependent costs) cannot then be scored for what it really
costs. The scorers here pass routed per-row costs to ``predict`` as well, when the
estimator takes them, so :func:`~sklearn.model_selection.cross_validate` and
:class:`~sklearn.model_selection.GridSearchCV` select by the real per-row cost.
"""

import inspect
from collections.abc import Mapping

import numpy as np
from sklearn import get_config
from sklearn.utils.metadata_routing import MetadataRequest
from sklearn.utils.multiclass import unique_labels

from ._cost_matrix import validate_cost_matrix
from ._costs import mean_cost, savings_score

# Sentinel of ``set_score_request``: leave a request as it is.
_UNCHANGED = "$UNCHANGED$"


def predict_takes_costs(estimator):
    """Whether ``estimator.predict`` should receive per-row costs.

    True when ``predict`` names a ``cost_matrix`` parameter, or when the estimator
    (a pipeline, say) routes ``cost_matrix`` to a step that requested it.

    Parameters
    ----------
    estimator : estimator instance
        A fitted estimator.

    Returns
    -------
    takes_costs : bool
    """
    try:
        parameters = inspect.signature(estimator.predict).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without signature
        return False
    if "cost_matrix" in parameters:
        return True
    routing_on = get_config()["enable_metadata_routing"]
    if routing_on and hasattr(estimator, "get_metadata_routing"):
        routing = estimator.get_metadata_routing()
        return bool(routing.consumes("predict", ["cost_matrix"]))
    steps = getattr(estimator, "steps", None)
    if steps:  # a pipeline without routing hands predict's keywords to its last step
        return predict_takes_costs(steps[-1][1])
    return False


class CostScorer:
    """Scorer of the cost of an estimator's decisions, per-row costs included.

    Made by :func:`make_cost_scorer` or :func:`make_savings_scorer`; call it as
    ``scorer(estimator, X, y_true, sample_weight=None, cost_matrix=None)``. Per-row
    costs given at call time (routed metadata, after
    ``scorer.set_score_request(cost_matrix=True)``) are used instead of the
    scorer's own matrix, and handed to ``estimator.predict`` when it names a
    ``cost_matrix`` parameter or routes one to a step that requested it.

    Parameters
    ----------
    score_func : callable
        :func:`~skweight.mean_cost` or :func:`~skweight.savings_score`.

    sign : {1, -1}
        -1 for a cost (greater is better for scorers), 1 for savings.

    cost_matrix : ndarray, callable or None
        The scorer's own costs, used when none are given at call time.

    labels : ndarray or None
        The labels of the rows and columns of the costs; None uses the
        estimator's ``classes_``.
    """

    def __init__(self, score_func, sign, cost_matrix, labels):
        self._score_func = score_func
        self._sign = sign
        self._response_method = "predict"
        self.cost_matrix = cost_matrix
        self.labels = labels
        # Read by TunedThresholdClassifierCV, which scores its own decisions.
        self._kwargs = {"cost_matrix": cost_matrix, "labels": labels}
        self._requests = {}

    def __repr__(self):
        name = self._score_func.__name__
        if self.cost_matrix is None:
            costs = "per-row costs at score time"
        else:
            costs = f"cost_matrix of shape {np.shape(self.cost_matrix)}"
        return f"CostScorer({name}, {costs})"

    def __call__(self, estimator, X, y_true, sample_weight=None, cost_matrix=None):
        """Score the decisions of ``estimator`` on ``X``.

        Parameters
        ----------
        estimator : estimator instance
            A fitted classifier.

        X : array-like
            The samples.

        y_true : array-like of shape (n_samples,)
            True labels.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows.

        cost_matrix : array-like of shape (n_samples, n_classes, n_classes), \
                default=None
            Per-row costs of these rows; None uses the scorer's own matrix.

        Returns
        -------
        score : float
            Minus the mean cost, or the savings; greater is better.
        """
        costs = self.cost_matrix if cost_matrix is None else cost_matrix
        if costs is None:
            raise ValueError(
                "This scorer was made without a cost_matrix, so it needs per-row "
                "costs at score time; request them with "
                "scorer.set_score_request(cost_matrix=True), enable metadata "
                "routing (sklearn.set_config(enable_metadata_routing=True)) and "
                "pass cost_matrix=... to fit of the search or cross_validate."
            )
        labels = self.labels
        if labels is None and hasattr(estimator, "classes_"):
            labels = np.asarray(estimator.classes_)
        if np.ndim(costs) == 3 and predict_takes_costs(estimator):
            y_pred = estimator.predict(X, cost_matrix=costs)
        else:
            y_pred = estimator.predict(X)
        score = self._score_func(
            y_true, y_pred, cost_matrix=costs, labels=labels,
            sample_weight=sample_weight,
        )
        return self._sign * score

    def set_score_request(self, *, cost_matrix=_UNCHANGED, sample_weight=_UNCHANGED):
        """Request metadata for scoring, as scikit-learn's scorers do.

        Parameters
        ----------
        cost_matrix : bool, str or None
            Whether the per-row costs are requested (True), not (False), or under
            another name (a str).

        sample_weight : bool, str or None
            The same for the row weights.

        Returns
        -------
        self : CostScorer
        """
        for name, value in (("cost_matrix", cost_matrix), ("sample_weight",
                                                           sample_weight)):
            if value != _UNCHANGED:
                self._requests[name] = value
        return self

    def get_metadata_routing(self):
        """The metadata this scorer requests.

        Returns
        -------
        routing : MetadataRequest
        """
        request = MetadataRequest(owner=self)
        for name, alias in self._requests.items():
            request.score.add_request(param=name, alias=alias)
        return request


def _checked(cost_matrix, labels):
    """Validate the scorer's costs now, so a bad matrix fails when it is made."""
    if cost_matrix is None or callable(cost_matrix):
        return cost_matrix, None if labels is None else np.asarray(labels)
    if isinstance(cost_matrix, Mapping) and labels is None:
        keys = [*cost_matrix, *(k for row in cost_matrix.values() for k in row)]
        labels = unique_labels(keys)
    if labels is not None:
        labels = np.asarray(labels)
        if len(np.unique(labels)) != len(labels):
            raise ValueError(f"labels must not repeat a label; got {labels.tolist()}.")
        return validate_cost_matrix(cost_matrix, labels, source="labels has"), labels
    # Positional costs: the labels are known only at score time, so check the form.
    shape = np.shape(cost_matrix)
    n_classes = shape[-1] if shape else 0
    return validate_cost_matrix(
        cost_matrix, np.arange(n_classes), source="the matrix implies"
    ), None


def make_cost_scorer(cost_matrix=None, labels=None):
    """Scorer returning minus the mean cost of the predictions (greater is better).

    Usable as ``scoring=`` of :class:`~sklearn.model_selection.GridSearchCV`,
    :func:`~sklearn.model_selection.cross_validate` or
    :class:`~sklearn.model_selection.TunedThresholdClassifierCV`. With per-row
    costs, request them (``scorer.set_score_request(cost_matrix=True)``) and pass
    them to ``fit`` of the search under metadata routing: the scorer then gives
    each validation fold's rows to ``estimator.predict(X, cost_matrix=...)`` (when
    the estimator takes them) and to :func:`~skweight.mean_cost`.

    Parameters
    ----------
    cost_matrix : array-like of shape (n_classes, n_classes), DataFrame, dict, \
            callable or None, default=None
        ``cost_matrix[i, j]`` is the cost of predicting ``labels[j]`` when the truth
        is ``labels[i]``; or a labelled DataFrame, a dict ``{true_label:
        {predicted_label: cost}}`` (a missing diagonal entry is 0), or a callable
        of the labels returning either. Validated now (a callable, when called).
        None: per-row costs must be given at score time.

    labels : array-like of shape (n_classes,), default=None
        The labels in the order of the rows and columns of ``cost_matrix``. If
        None, the labels of a dict ``cost_matrix``, otherwise the ``classes_`` of
        the scored estimator (the sorted labels for scikit-learn classifiers).

    Returns
    -------
    scorer : CostScorer
        ``scorer(estimator, X, y, sample_weight=None, cost_matrix=None)``.

    Raises
    ------
    ValueError
        If ``cost_matrix`` is not square, has a negative or non-finite cost, or
        does not match ``labels``.

    See Also
    --------
    make_savings_scorer : The savings over the best constant policy.
    skweight.mean_cost : The metric.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from skweight import make_cost_scorer
    >>> X, y = make_classification(weights=[0.9, 0.1], random_state=0)
    >>> scorer = make_cost_scorer([[0, 1], [10, 0]])
    >>> scores = cross_val_score(LogisticRegression(), X, y, scoring=scorer, cv=3)
    >>> bool((scores <= 0).all())
    True
    """
    cost_matrix, labels = _checked(cost_matrix, labels)
    return CostScorer(mean_cost, -1, cost_matrix, labels)


def make_savings_scorer(cost_matrix=None, labels=None):
    """Scorer returning the savings over the best constant policy (greater is better).

    Savings are ``1 - cost / cost of the best constant policy``
    (:func:`~skweight.savings_score`, Bahnsen et al. 2014): 1 is perfect, 0 no
    better than always predicting the cheapest single class. Per-row costs are
    routed and handed to ``predict`` as with :func:`make_cost_scorer`.

    Parameters
    ----------
    cost_matrix : array-like of shape (n_classes, n_classes), DataFrame, dict, \
            callable or None, default=None
        As in :func:`make_cost_scorer`.

    labels : array-like of shape (n_classes,), default=None
        As in :func:`make_cost_scorer`.

    Returns
    -------
    scorer : CostScorer
        ``scorer(estimator, X, y, sample_weight=None, cost_matrix=None)``.

    Examples
    --------
    >>> import numpy as np
    >>> import sklearn
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from skweight import binary_cost_matrix, make_savings_scorer
    >>> X, y = make_classification(weights=[0.9, 0.1], random_state=0)
    >>> amount = np.random.default_rng(0).uniform(10, 100, size=len(y))
    >>> costs = binary_cost_matrix(fp=5.0, fn=amount)
    >>> scorer = make_savings_scorer().set_score_request(cost_matrix=True)
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     scores = cross_val_score(
    ...         LogisticRegression(), X, y, scoring=scorer, cv=3,
    ...         params={"cost_matrix": costs},
    ...     )
    >>> bool((scores <= 1).all())
    True
    """
    cost_matrix, labels = _checked(cost_matrix, labels)
    return CostScorer(savings_score, 1, cost_matrix, labels)
