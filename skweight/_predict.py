"""What a fitted :class:`~skweight.WeightedKerasClassifier` predicts.

Every method reads the fitted state once, at its start (see
:mod:`skweight._fitted`), so a refit in another thread cannot mix two fits in
one answer.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._class_state import n_outputs
from ._cost_matrix import check_cost_matrix
from ._costs import bayes_predict_indices, decision_scores
from ._ensemble import mean_corrected_proba, to_weighted_scale
from ._forward import predict_in_batches
from ._inputs import check_inputs
from ._priors import correct_proba
from ._training import check_probabilities, outputs_to_proba


class PredictMixin:
    """Probabilities, decisions and scores of a fitted network estimator.

    The estimator stores a :class:`~skweight._fitted.FittedState` in ``_fitted``
    at the end of each fit.
    """

    def _state(self):
        """The fitted state, read once: a concurrent refit swaps it whole."""
        check_is_fitted(self)
        return self._fitted

    def _checked_inputs(self, state, X):
        return check_inputs(state.feature_checker(type(self)), state.input_spec, X,
                            state.model)

    @staticmethod
    def _network_proba(state, member, X):
        """One member's probabilities as trained, of checked inputs ``X``."""
        outputs = predict_in_batches(state.forwards[member], X,
                                     n_outputs(state.classes))
        check_probabilities(outputs)
        return outputs_to_proba(outputs)

    def _corrected_proba(self, state, X):
        """Prior-corrected probabilities of checked inputs ``X``: with several
        members, the average of theirs (see :mod:`skweight._ensemble`)."""
        if len(state.models) > 1:
            return mean_corrected_proba(
                [self._network_proba(state, member, X)
                 for member in range(len(state.models))],
                state.output_factors)
        weighted = self._network_proba(state, 0, X)
        if state.uniform_factors:
            return weighted
        return correct_proba(weighted, state.output_factors)

    def _rule_log_scores(self, state, X):
        """Scores whose argmax is the default decision (no cost matrix).

        ``log(w_c p'(c|x))``: the Bayes rule with the costs the class weights
        imply. Without calibration or deployment priors, the network's own
        ``log p_w(c|x)``, the same up to a constant.
        """
        with np.errstate(divide="ignore"):
            if (state.calibrator is None
                    and self._deployment_priors(state.classes) is None):
                return np.log(self._weighted_proba(state, X))
            return np.log(self._proba(state, X)) + np.log(state.output_factors)

    def _weighted_proba(self, state, X):
        X = self._checked_inputs(state, X)
        if len(state.models) > 1:
            return to_weighted_scale(self._corrected_proba(state, X),
                                     state.output_factors)
        return self._network_proba(state, 0, X)

    def _proba(self, state, X, *, shift=True):
        """Corrected (averaged over members), calibrated probabilities; at the
        deployment priors if ``shift`` (see :mod:`skweight._calibrated`)."""
        proba = self._corrected_proba(state, self._checked_inputs(state, X))
        if state.calibrator is not None:
            proba = state.calibrator.transform(proba)
        return self._shift(proba, state.priors, state.classes) if shift else proba

    def predict_weighted_proba(self, X):
        """Probabilities of the network as trained, before prior correction.

        With class weights these estimate ``p_w(c|x) ∝ w_c p(c|x)``; without
        weights they equal :meth:`predict_proba`. With ``n_members > 1``, the
        members' averaged corrected probabilities taken back to that scale,
        ``∝ w_c p(c|x)``.

        Parameters
        ----------
        X : array-like, dict or DataFrame
            Input rows in the form ``fit`` was given (a table, an N-D array, raw
            strings or named inputs), checked against it: per-sample shape,
            dtype kind and input names.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return self._weighted_proba(self._state(), X)

    def predict_proba(self, X):
        """Class probabilities: prior-corrected, calibrated, at deployment priors.

        ``p(c|x) ∝ p_w(c|x) / w_c``, then the ``calibration`` map, then the
        shift to ``deployment_priors`` (or those :meth:`adapt_priors` set).
        With ``n_members > 1``, the members' corrected probabilities are
        averaged before calibration.

        Parameters
        ----------
        X : array-like, dict or DataFrame
            Input rows in the form ``fit`` was given (a table, an N-D array, raw
            strings or named inputs), checked against it: per-sample shape,
            dtype kind and input names.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return self._proba(self._state(), X)

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like, dict or DataFrame
            Input rows in the form ``fit`` was given (a table, an N-D array, raw
            strings or named inputs), checked against it: per-sample shape,
            dtype kind and input names.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def _class_costs(self, state):
        """The ``cost_matrix`` parameter as it is now, validated, or None.

        Read at each prediction, as ``deployment_priors`` is, so
        ``set_params(cost_matrix=...)`` decides without refitting; the matrix
        validated at fit serves while the parameter is the one fit read.
        """
        if self.cost_matrix is state.cost_source:
            return state.cost_matrix
        if self.cost_matrix is None:
            return None
        return check_cost_matrix(self.cost_matrix, state.classes)

    @staticmethod
    def _decision_costs(state, class_costs, cost_matrix, n_samples):
        """Per-row costs given to predict (validated), else the class costs."""
        if cost_matrix is None:
            return class_costs
        return check_cost_matrix(cost_matrix, state.classes, n_samples=n_samples)

    def decision_function(self, X, cost_matrix=None):
        """Scores that agree with :meth:`predict`.

        Binary: positive exactly when ``classes_[1]`` is predicted (the log-odds of
        the weighted model, ``log(w_1 p'(1|x)) - log(w_0 p'(0|x))`` on the final
        probabilities ``p'``, or with costs the expected cost of predicting
        ``classes_[0]`` minus that of ``classes_[1]``). Multiclass: one column per
        class whose argmax is the prediction (the weighted log-probabilities
        ``log(w_c p'(c|x))``, or minus the expected costs). Without calibration or
        deployment priors these are the network's own log-probabilities.

        Parameters
        ----------
        X : array-like, dict or DataFrame
            Input rows in the form ``fit`` was given (a table, an N-D array, raw
            strings or named inputs), checked against it: per-sample shape,
            dtype kind and input names.
        cost_matrix : array-like of shape (n_samples, n_classes, n_classes), \
                default=None
            Each row's own costs, for the per-row Bayes rule (see :meth:`predict`).

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        state = self._state()
        class_costs = self._class_costs(state)
        if class_costs is not None or cost_matrix is not None:
            proba = self._proba(state, X)
            return decision_scores(proba, self._decision_costs(
                state, class_costs, cost_matrix, len(proba)))
        self._refuse_sklearn_temperature(state)
        log_proba = self._rule_log_scores(state, X)
        if log_proba.shape[1] == 2:
            return log_proba[:, 1] - log_proba[:, 0]
        return log_proba

    def predict(self, X, cost_matrix=None):
        """Class labels by the decision rule (see the class docstring).

        Parameters
        ----------
        X : array-like, dict or DataFrame
            Input rows in the form ``fit`` was given (a table, an N-D array, raw
            strings or named inputs), checked against it: per-sample shape,
            dtype kind and input names.
        cost_matrix : array-like of shape (n_samples, n_classes, n_classes), \
                default=None
            Each row's own costs (rows = true class, columns = predicted class,
            see :func:`~skweight.binary_cost_matrix`): row ``n`` gets
            ``argmin_j sum_i p(i|x_n) cost_matrix[n, i, j]`` on the corrected
            probabilities, instead of the fitted decision rule. In a Pipeline,
            request it with ``set_predict_request(cost_matrix=True)``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        state = self._state()
        class_costs = self._class_costs(state)
        if class_costs is not None or cost_matrix is not None:
            proba = self._proba(state, X)
            indices = bayes_predict_indices(proba, self._decision_costs(
                state, class_costs, cost_matrix, len(proba)))
        else:
            indices = np.argmax(self._rule_log_scores(state, X), axis=1)
        return state.classes[indices]

    def score(self, X, y, sample_weight=None):
        """Accuracy of :meth:`predict`'s labels on (X, y).

        With a cost matrix these are the labels of least expected cost, which
        trade accuracy for cost by design; to select models by cost, score them
        with :func:`~skweight.make_cost_scorer` instead.

        Parameters
        ----------
        X : array-like, dict or DataFrame
            Input rows in the form ``fit`` was given (a table, an N-D array, raw
            strings or named inputs), checked against it: per-sample shape,
            dtype kind and input names.
        y : array-like of shape (n_samples,)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row in the accuracy.

        Returns
        -------
        score : float
            The (weighted) fraction of rows whose label is right.
        """
        return super().score(X, y, sample_weight=sample_weight)
