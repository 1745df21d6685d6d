"""The Keras estimator with explicit class weights, output bias and decision rule."""

import copy
from functools import partial
from numbers import Integral, Real

import keras
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from sklearn_compat.base import _fit_context

from ._atomic import atomic_fit
from ._checks import (
    check_callbacks,
    check_layer_sizes,
    check_metrics,
    check_row_weights,
    check_two_classes,
    reject_indicator_targets,
    reject_missing_labels,
)
from ._cost_matrix import check_cost_matrix
from ._costs import bayes_predict_indices, decision_scores
from ._forward import make_forward, predict_in_batches
from ._inputs import (
    bind_model,
    check_inputs,
    n_samples,
    require_table,
    take_rows,
    validate_fit_inputs,
)
from ._losses import (
    is_loss,
    metric_history_names,
    optimizer_config,
    output_factors,
    resolve_loss,
    resolve_metrics,
    resolve_optimizer,
    wants_one_hot,
)
from ._messages import short_repr
from ._model import instantiate_model, set_output_bias
from ._persist import picklable_state, unpickled_state
from ._priors import (
    BIAS_INIT_OPTIONS,
    correct_proba,
    resolve_bias_init,
    weighted_priors,
)
from ._random import integer_seed, seeded
from ._reuse import trainer_for, trainer_key
from ._stopping import (
    divergence_advice,
    has_finite_weights,
    is_nan_loss_error,
    stopping_callbacks,
)
from ._training import (
    check_probabilities,
    fit_inputs,
    keras_targets,
    no_retracing_warning,
    outputs_to_proba,
    steps_per_execution,
)
from ._weights import (
    SCHEMES,
    EffectiveNumber,
    class_counts,
    cost_proportionate_weights,
    reject_negative_weights,
    resolve_class_weight,
)


class WeightedKerasClassifier(ClassifierMixin, BaseEstimator):
    """A Keras neural-network classifier for imbalanced classes.

    Three independent knobs, each explicit:

    * ``class_weight``: how much each class counts in the loss;
    * ``bias_init``: the output layer's starting bias, from the (weighted) priors;
    * ``cost_matrix``: the decision rule, the label of least expected cost.

    ``predict_proba`` returns honest probabilities: those of a model trained with
    class weights are prior-corrected, ``p(c|x) ∝ p_w(c|x) / w_c`` (Saerens et al.
    2002). ``predict`` returns the label the weighted model prefers, which is the
    Bayes minimum-risk rule on the corrected probabilities with the costs the
    weights imply, ``C[i, j] = w_i`` for ``i != j``; with ``cost_matrix`` it is the
    Bayes rule with those costs instead (Elkan 2001). So ``predict`` may differ from
    ``argmax(predict_proba)``, as for a thresholded classifier.
    ``decision_function`` always agrees with ``predict``.

    Parameters
    ----------
    model : None, callable or keras.Model, default=None
        None builds an MLP from ``hidden_layer_sizes``, ``activation`` and
        ``dropout``. A callable is a builder ``model(meta=meta, **model_params)``
        returning a Keras model whose output is a probability (one sigmoid unit for
        two classes, else one softmax unit per class); ``meta`` is a dict of the
        facts of the training data: ``input_form_``, ``input_shapes_``,
        ``input_dtypes_`` (per-sample shape and kind of each input),
        ``n_features_in_``, ``classes_``,
        ``n_classes_``, ``n_outputs_``, ``class_counts_``, ``class_weight_``,
        ``priors_``, ``weighted_priors_``, ``output_bias_`` and
        ``random_state_``. A ``keras.Model`` is cloned (its weights are not
        reused). The model is compiled by skweight. A builder's model may take
        N-D arrays, raw strings or named inputs (see "Your own network").
    hidden_layer_sizes : tuple of int, default=(100,)
        Hidden layers of the default MLP.
    activation : str, default="relu"
        Hidden activation of the default MLP.
    dropout : float, default=0.0
        Dropout rate after each hidden layer of the default MLP.
    model_params : dict, default=None
        Keyword arguments for a builder ``model``.
    class_weight : None, str, dict, EffectiveNumber or callable, default=None
        Per-class weights in the loss: ``"balanced"`` (``n / (K n_c)``),
        ``"majority"`` (``n_max / n_c``), ``"inverse_sqrt"``, ``"log_inverse"``,
        ``"effective_number"`` (β = 0.999; or :class:`EffectiveNumber`),
        ``"cost"`` (row sums of ``cost_matrix``), a dict keyed by the original
        labels (used as given; missing classes weigh 1) or a callable of ``y``.
        Schemes are scaled to a mean per-row weight of 1. The weights multiply
        ``sample_weight``.
    bias_init : {"auto", "prior", "zeros"}, array-like or None, default="auto"
        Output-layer bias at the start of training. ``"auto"``: the log of the
        priors under the class weights (``log(pos/neg)`` without weights, 0 with
        balanced weights); ``"prior"``: the plain priors; ``"zeros"``; an array of
        one value per output unit; None keeps the model's own initialisation.
    cost_matrix : array-like of shape (n_classes, n_classes), dict, callable or \
            None, default=None
        ``C[i, j]`` = cost of predicting class j when the truth is class i, in the
        order of ``classes_``; or a dict of dicts keyed by labels
        ``{true: {predicted: cost}}``; or a callable of ``classes_`` returning
        either. When given,
        ``predict`` returns ``argmin_j Σ_i p(i|x) C[i, j]`` on the corrected
        probabilities.
    loss : "auto", "focal", "logit_adjusted", str or keras.losses.Loss, \
            default="auto"
        ``"auto"`` is binary cross-entropy for two classes, else sparse categorical
        cross-entropy. ``"focal"``: focal loss (Lin et al. 2017; ``loss_params``
        ``gamma=2.0``, ``alpha=None``), whose probabilities are not corrected (no
        closed form exists; calibrate them if they matter). ``"logit_adjusted"``:
        the logit-adjusted loss (Menon et al. 2021; ``loss_params`` ``tau=1.0``),
        which acts as class weights ``π_c ** -tau``: ``predict`` is the
        balanced-error rule and ``predict_proba`` is prior-corrected. Any other
        Keras loss receives targets as a 0/1 column (binary) or integer class
        indices (multiclass).
    loss_params : dict, default=None
        Keyword arguments of the loss (e.g. ``{"gamma": 1.0}`` for ``"focal"``).
    optimizer : str or keras.optimizers.Optimizer, default="adam"
        Optimizer name or instance (an instance is copied, never trained in place).
    learning_rate : float or None, default=None
        Learning rate. None keeps the optimizer's own: Keras' default for a
        name (0.001 for ``"adam"``, 0.01 for ``"sgd"``), the instance's for an
        instance (``SGD(learning_rate=0.15)`` trains at 0.15). A float
        overrides either.
    metrics : list of str, keras.metrics.Metric or callable, default=None
        Keras metrics computed on the training batches each epoch and recorded
        in ``history_`` under their names (e.g. ``["accuracy"]``); a shorthand
        under Keras' full name (``"mae"`` as ``"mean_absolute_error"``, ``"acc"``
        as ``"accuracy"``). Metric objects are copied for each fit.
    batch_size : int or "auto", default="auto"
        Rows per gradient step; ``"auto"`` is ``min(200, n_samples)``.
    epochs : int, default=200
        Maximum number of passes over the training data.
    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` of the training rows, stop
        when its score has not improved by ``tol`` for ``n_iter_no_change`` epochs
        and restore the best weights. Without it, training stops when the
        training loss is flat for ``n_iter_no_change`` epochs (as
        :class:`~sklearn.neural_network.MLPClassifier` does).
    early_stopping_monitor : {"log_loss", "loss"}, default="log_loss"
        Validation score: ``"log_loss"`` of the prior-corrected probabilities (the
        honest score) or ``"loss"``, the training objective with the class weights.
        They agree without class weights.
    validation_fraction : float, default=0.1
        Share of the training rows held out for early stopping.
    n_iter_no_change : int or None, default=10
        Patience in epochs; None trains for all ``epochs`` (unless
        early stopping is on, where None means "never stop early" too).
    tol : float, default=1e-4
        Smallest improvement of the monitored score that resets the patience.
    callbacks : keras.callbacks.Callback or list of them, default=None
        Extra Keras callbacks (copied for each fit), called after skweight's own
        (the NaN guard, the validation score and early stopping).
    warm_start : bool, default=False
        When fitted already, ``fit`` trains the fitted network on (with its
        optimizer state) instead of building a new one, as
        :class:`~sklearn.neural_network.MLPClassifier` does. The features and
        classes must be those of the first fit; class weights and priors are
        computed from the new data, the output bias of the first fit is kept.
    verbose : int, default=0
        Keras progress output.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, dropout, shuffling and the validation split. No global
        random state is left changed. On JAX and torch, Keras shuffles with
        NumPy's or PyTorch's global generator, which a seeded fit sets and then
        restores, so seeded fits running at once in threads of one process do not
        repeat exactly there (in processes, joblib's default, they do).

    Attributes
    ----------
    model_ : keras.Model
        The trained network.
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted; the order of every matrix, vector and dict.
    class_weight_ : dict
        The class weights used, ``{label: weight}``.
    bias_init_ : ndarray of shape (n_outputs,) or None
        The output bias training started from.
    priors_ : ndarray of shape (n_classes,)
        Class priors of the training data (with sample weights if any).
    cost_matrix_ : ndarray of shape (n_classes, n_classes) or None
        The validated cost matrix.
    history_ : dict
        Per-epoch training logs (``loss``, the ``metrics``, and
        ``val_log_loss`` or ``val_loss``).
    n_iter_ : int
        Epochs run.
    best_epoch_ : int or None
        With early stopping, the epoch whose weights were kept.
    n_features_in_ : int
        Number of features (columns) seen in fit, for a 2-D table or a
        DataFrame; not set for N-D arrays, raw text or dicts, which have no flat
        feature count (as scikit-learn's convention is for 2-D input only).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when X has string column names.

    Notes
    -----
    A fit is atomic: it ends with finite weights and probability outputs, or
    raises (``FloatingPointError`` on divergence) leaving the fitted state as it
    was before the call, also on ``KeyboardInterrupt``. One object is fitted by
    one thread at a time (a concurrent second fit raises); fit clones in
    parallel instead. A fitted estimator pickles (and ``copy.deepcopy``-s) with
    the custom Keras classes it needs, and loads wherever their modules import.

    Keras compiles a network's training step on its first fit (about 0.6 s on a
    CPU with TensorFlow). For the default network, skweight keeps up to four
    compiled copies of recently fitted configurations and trains a new fit of the
    same configuration (architecture, loss, optimizer settings other than the
    learning rate) on one of them, handing the estimator's own ``model_`` the
    trained state. The result is the same, bit for bit, as training ``model_``
    directly; only the compilation is skipped. Custom models and loss objects
    always train their own model.

    See Also
    --------
    skweight.CostSensitiveClassifier : cost-based decisions for any classifier.
    sklearn.model_selection.TunedThresholdClassifierCV : tuned binary threshold.

    References
    ----------
    * King, G. & Zeng, L. (2001). Logistic regression in rare events data.
      Political Analysis 9(2).
    * Saerens, M., Latinne, P. & Decaestecker, C. (2002). Adjusting the outputs of
      a classifier to new a priori probabilities. Neural Computation 14(1).
    * Elkan, C. (2001). The foundations of cost-sensitive learning. IJCAI.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skweight import WeightedKerasClassifier
    >>> X, y = make_classification(n_samples=400, weights=[0.9, 0.1], random_state=0)
    >>> clf = WeightedKerasClassifier(class_weight="balanced", epochs=20,
    ...                               random_state=0).fit(X, y)
    >>> clf.class_weight_
    {0: 0.559..., 1: 4.7...}
    >>> clf.bias_init_  # balanced weights: equal weighted priors
    array([0.])
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints: dict = {
        "model": [None, callable],
        "hidden_layer_sizes": ["array-like",
                               Interval(Integral, 1, None, closed="left")],
        "activation": [str, callable],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "model_params": [dict, None],
        "class_weight": [StrOptions(set(SCHEMES)), dict, EffectiveNumber, callable,
                         None],
        "bias_init": [StrOptions(set(BIAS_INIT_OPTIONS)), "array-like", None],
        "cost_matrix": ["array-like", dict, callable, None],
        "loss": [str, HasMethods("__call__")],
        "loss_params": [dict, None],
        "optimizer": [str, keras.optimizers.Optimizer],
        "learning_rate": [Interval(Real, 0, None, closed="neither"), None],
        "metrics": [list, None],
        "batch_size": [Interval(Integral, 1, None, closed="left"),
                       StrOptions({"auto"})],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "early_stopping_monitor": [StrOptions({"loss", "log_loss"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "callbacks": [list, keras.callbacks.Callback, None],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        model=None,
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        dropout=0.0,
        model_params=None,
        class_weight=None,
        bias_init="auto",
        cost_matrix=None,
        loss="auto",
        loss_params=None,
        optimizer="adam",
        learning_rate=None,
        metrics=None,
        batch_size="auto",
        epochs=200,
        early_stopping=False,
        early_stopping_monitor="log_loss",
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        callbacks=None,
        warm_start=False,
        verbose=0,
        random_state=None,
    ):
        self.model = model
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.model_params = model_params
        self.class_weight = class_weight
        self.bias_init = bias_init
        self.cost_matrix = cost_matrix
        self.loss = loss
        self.loss_params = loss_params
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.metrics = metrics
        self.batch_size = batch_size
        self.epochs = epochs
        self.early_stopping = early_stopping
        self.early_stopping_monitor = early_stopping_monitor
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.verbose = verbose
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        tags.input_tags.allow_nan = False
        # N-D arrays and dicts of named inputs, for a model built for them.
        tags.input_tags.three_d_array = True
        tags.input_tags.dict = True
        return tags

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    @atomic_fit
    def fit(self, X, y, sample_weight=None, cost_matrix=None):
        """Train the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, ...), \
                1-D array of str, dict or DataFrame
            Training data, finite numbers: a 2-D table, an N-D array (images,
            sequences), raw strings, or named inputs (a dict keyed by the
            model's input names, or a DataFrame whose columns are those names);
            see :mod:`skweight._inputs` for how the form is told apart.
        y : array-like of shape (n_samples,)
            Class labels (strings allowed), at least two classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights (finite, >= 0), multiplied by the class weights into a
            new array. Only their ratios matter: the row weights are rescaled to
            a mean of 1 for the loss, so ``c * sample_weight`` trains as
            ``sample_weight`` does for any ``c > 0``.
        cost_matrix : array-like of shape (n_samples, n_classes, n_classes), \
                default=None
            Each row's own costs: train by cost-proportionate row weights
            (:func:`~skweight.row_cost_weights`, times ``sample_weight``) instead
            of class weights, and correct the probabilities with their per-class
            means (Zadrozny, Langford & Abe 2003). Needs ``class_weight`` None or
            ``"cost"``.

        Returns
        -------
        self : WeightedKerasClassifier
            The fitted estimator.

        Raises
        ------
        FloatingPointError
            When training diverges (a loss, a validation score or a weight that
            is not finite). On this or any other exception the estimator's
            fitted state is left as it was before the call.
        """
        warm = self.warm_start and hasattr(self, "model_")
        X, y_encoded, row_weight, sample_weight = self._prepare(
            X, y, sample_weight, warm_start=warm, row_costs=cost_matrix
        )
        # Only the ratios of the row weights matter (see sample_weight above).
        row_weight = row_weight / row_weight.max()
        row_weight /= row_weight.mean()
        seed = integer_seed(self.random_state)
        with seeded(seed):
            if warm:  # train on, with the optimizer state of the last fit
                keras_model, meta = self.model_, None
            else:
                meta = self._meta(seed)
                keras_model = self._build(meta)
            self._input_spec, X = bind_model(self._input_spec, X, keras_model)
            train = (X, y_encoded, row_weight)
            validation = None
            if self.early_stopping:
                train, validation = self._split(*train, sample_weight, seed)
            n_rows = n_samples(train[0])
            if warm:
                self._train(self.model_, train, validation, seed, self.model_.loss)
            else:
                self.model_ = keras_model
                loss_fn = self._compile(self.model_, n_rows)
                with trainer_for(self.model_, self._trainer_key(self.model_),
                                 partial(self._new_trainer, meta, n_rows)) as trainer:
                    self._train(trainer, train, validation, seed, loss_fn)
        self._check_trained(X)
        self._forward = make_forward(self.model_)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    @atomic_fit
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train one pass over a batch of rows, for data that does not fit in memory.

        Class weights and priors come from the running class counts of all the
        batches seen so far (a class not seen yet counts as one row), so a scheme
        such as ``"balanced"`` stays consistent across calls. The output bias is
        set once, from the first batch. Early stopping and ``n_iter_no_change``
        do not apply.

        Parameters
        ----------
        X : array-like, dict or DataFrame
            A batch of training rows, in any form :meth:`fit` takes; every call
            after the first must give the form of the first.
        y : array-like of shape (n_samples,)
            Their labels.
        classes : array-like of shape (n_classes,), default=None
            Every class label; required on the first call, as in scikit-learn.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights (finite, >= 0), used as given: their scale across calls
            says how much each batch counts.

        Returns
        -------
        self : WeightedKerasClassifier
            The estimator, trained on one more batch. On any exception its
            fitted state, the network's weights included, is left as it was.
        """
        first_call = not hasattr(self, "model_")
        X, y_encoded, row_weight, _ = self._prepare(
            X, y, sample_weight, classes=classes, first_call=first_call
        )
        seed = integer_seed(self.random_state)
        with seeded(seed):
            if first_call:
                self.model_ = self._build(self._meta(seed))
                self._input_spec, X = bind_model(self._input_spec, X, self.model_)
                self.history_ = {"loss": []}
                self.n_iter_ = 0
                self.best_epoch_ = None
                self._compile(self.model_, n_samples(X))
            history = self._run_epochs(self.model_, X, y_encoded, row_weight, 1, seed)
        for key, values in history.items():
            self.history_.setdefault(key, []).extend(values)
        self.n_iter_ += 1
        self._check_trained(X)
        self._forward = make_forward(self.model_)
        return self

    def _prepare(self, X, y, sample_weight, *, classes=None, first_call=None,
                 warm_start=False, row_costs=None):
        """Validate a fit's data and set the class state from it.

        ``first_call=None`` is a fit: classes, counts and the output bias come
        from this ``y`` alone. Otherwise a call of :meth:`partial_fit`: the
        classes are those of the first call, the counts accumulate over calls and
        the output bias is set on the first call only. ``warm_start``: a fit
        that trains the fitted network on, which needs the same features and
        classes and keeps the output bias.

        Returns
        -------
        X : ndarray or dict of ndarray
            The validated input, in the form the Keras model takes.
        y_encoded : ndarray of int
            Indices into ``classes_``.
        row_weight : ndarray of float64
            ``sample_weight`` times the class weight of each row (a new array).
        sample_weight : ndarray of float64
        """
        fitting = first_call is None
        self._check_params()
        reject_indicator_targets(y)
        reject_missing_labels(y)
        new_spec = (fitting and not warm_start) or first_call
        spec, X, y = validate_fit_inputs(
            self, X, y, spec=None if new_spec else self._input_spec,
            keras_model=None if new_spec else self.model_,
        )
        if new_spec:
            if self.model is None:
                require_table(spec)
            self._input_spec = spec
        check_classification_targets(y)
        if fitting:
            previous = self.classes_ if warm_start else None
            self.classes_, y_encoded = np.unique(y, return_inverse=True)
            check_two_classes(self.classes_)
            if previous is not None and not np.array_equal(previous, self.classes_):
                raise ValueError(
                    f"warm_start=True trains the fitted network on, but y has the "
                    f"classes {self.classes_.tolist()!r} where the last fit had "
                    f"{previous.tolist()!r}; pass warm_start=False to start anew."
                )
        else:
            y_encoded = self._partial_fit_classes(y, classes, first_call)
        sample_weight = check_row_weights(sample_weight, n_samples(X))
        reject_negative_weights(sample_weight)
        counts = class_counts(y_encoded, len(self.classes_), sample_weight)
        if fitting:
            if np.any(counts <= 0):
                empty = self.classes_[counts <= 0].tolist()
                raise ValueError(
                    f"sample_weight sums to 0 for class(es) {empty!r}; every class "
                    "of y needs a positive total weight. Drop those rows from y, or "
                    "give them positive weights."
                )
            self._counts = counts
        else:
            self._counts = self._counts + counts
            counts = np.where(self._counts > 0, self._counts, 1.0)
        row_weight = class_weights = None
        if row_costs is not None:  # cost-proportionate training (_weights.py)
            row_weight, class_weights = cost_proportionate_weights(
                row_costs, y_encoded, self.classes_, counts,
                class_weight=self.class_weight, sample_weight=sample_weight,
            )
        class_weights = self._set_class_state(
            y, counts, set_bias=(fitting and not warm_start) or first_call,
            class_weights=class_weights,
        )
        if row_weight is None:
            row_weight = sample_weight * class_weights[y_encoded]
        return X, y_encoded, row_weight, sample_weight

    def _check_params(self):
        """What the parameter constraints cannot say: the items of lists."""
        if self.model is None:
            check_layer_sizes(self.hidden_layer_sizes)
        check_callbacks(self.callbacks)
        check_metrics(self.metrics)

    def _partial_fit_classes(self, y, classes, first_call):
        """Set ``classes_`` on the first call, check them after; encode ``y``."""
        if first_call:
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: the "
                    "network's output width depends on them. Pass "
                    "classes=numpy.unique(y_all)."
                )
            self.classes_ = np.unique(np.asarray(classes))
            check_two_classes(self.classes_, "classes", y)
            self._counts = np.zeros(len(self.classes_))
        elif classes is not None and not np.array_equal(np.unique(classes),
                                                         self.classes_):
            raise ValueError(
                f"classes={np.unique(classes).tolist()!r} differ from the classes "
                f"of the first call {self.classes_.tolist()!r}; pass the same "
                "classes on every call."
            )
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if len(unknown):
            raise ValueError(
                f"y has labels {unknown.tolist()!r} that are not in classes "
                f"{self.classes_.tolist()!r}; pass every label in classes on the "
                "first call."
            )
        return np.searchsorted(self.classes_, y)

    def _set_class_state(self, y, counts, set_bias=True, class_weights=None):
        """Class weights, priors, cost matrix and output bias from class counts.

        Sets ``class_weight_`` and ``_output_factors``, the factors the network's
        output carries on top of ``p(c|x)`` (see
        :func:`skweight._losses.output_factors`), which prior correction divides
        out. Returns the class weights as an array in the order of ``classes_``.
        """
        self.cost_matrix_ = (
            None
            if self.cost_matrix is None
            else check_cost_matrix(self.cost_matrix, self.classes_)
        )
        if class_weights is None:
            class_weights = resolve_class_weight(
                self.class_weight, y, self.classes_, counts,
                cost_matrix=self.cost_matrix_,
            )
        self.class_weight_ = dict(zip(self.classes_.tolist(), class_weights.tolist(),
                                      strict=True))
        self.priors_ = counts / counts.sum()
        self._output_factors = output_factors(class_weights, self.priors_, self.loss,
                                              self.loss_params)
        if set_bias:
            self.bias_init_ = resolve_bias_init(self.bias_init, counts,
                                                self._output_factors,
                                                self._n_outputs())
            if self.bias_init_ is not None and not np.all(
                    np.isfinite(self.bias_init_)):
                raise ValueError(
                    f"bias_init={short_repr(self.bias_init)} gives the output bias "
                    f"{self.bias_init_.tolist()!r}, which is not finite; pass "
                    "finite numbers, one per output unit, or 'auto'."
                )
        return class_weights

    def _n_outputs(self):
        return 1 if len(self.classes_) == 2 else len(self.classes_)

    def _meta(self, seed):
        counts = self._counts
        return {
            # Not set for N-D arrays, text and dicts (see skweight._inputs).
            "n_features_in_": getattr(self, "n_features_in_", None),
            **self._input_spec.meta(),
            "classes_": self.classes_,
            "n_classes_": len(self.classes_),
            "n_outputs_": self._n_outputs(),
            "class_counts_": counts,
            "class_weight_": np.array(list(self.class_weight_.values())),
            "priors_": self.priors_,
            "weighted_priors_": weighted_priors(counts, self._output_factors),
            "output_bias_": self.bias_init_,
            "random_state_": seed,
        }

    def _builder_params(self):
        params = dict(self.model_params or {})
        if self.model is None:
            params = {
                "hidden_layer_sizes": tuple(self.hidden_layer_sizes),
                "activation": self.activation,
                "dropout": self.dropout,
                **params,
            }
        return params

    def _build(self, meta):
        try:
            keras_model = instantiate_model(self.model, meta, self._builder_params())
        except TypeError as exc:
            if self.model is not None or not self.model_params:
                raise
            raise TypeError(
                f"model_params={short_repr(self.model_params)} do not fit the default "
                f"network ({exc}); it takes hidden_layer_sizes, activation and "
                "dropout, which are parameters of the estimator too. Pass a "
                "builder as model for other settings."
            ) from exc
        if self.bias_init_ is not None:
            set_output_bias(keras_model, self.bias_init_)
        return keras_model

    def _split(self, X, y_encoded, row_weight, sample_weight, seed):
        """Carve a stratified validation split out of the training rows."""
        class_sizes = np.bincount(y_encoded)
        if class_sizes.min() < 2:
            sizes = dict(zip(self.classes_.tolist(), class_sizes.tolist(), strict=True))
            raise ValueError(
                "early_stopping=True needs at least 2 rows of every class for a "
                f"stratified validation split; class counts are {sizes!r}."
                " Pass early_stopping=False or gather more rows."
            )
        try:
            # Split row indices: X may be N-D, text or a dict of named inputs.
            fit_rows, val_rows = train_test_split(
                np.arange(len(y_encoded)),
                test_size=self.validation_fraction,
                stratify=y_encoded,
                random_state=seed,
            )
        except ValueError as exc:
            raise ValueError(
                f"validation_fraction={self.validation_fraction!r} leaves no room "
                f"for a stratified split of {len(y_encoded)} rows and "
                f"{len(self.classes_)} classes ({exc}); raise validation_fraction "
                "or pass early_stopping=False."
            ) from exc
        return (
            (take_rows(X, fit_rows), y_encoded[fit_rows], row_weight[fit_rows]),
            (take_rows(X, val_rows), y_encoded[val_rows], row_weight[val_rows],
             sample_weight[val_rows]),
        )

    def _batch_size(self, n_rows):
        return min(200, n_rows) if self.batch_size == "auto" else self.batch_size

    def _compile(self, keras_model, n_rows):
        """Compile a new model; return its loss function."""
        loss_fn = resolve_loss(self.loss, self.loss_params, self._n_outputs(),
                               self.priors_)
        keras_model.compile(
            optimizer=resolve_optimizer(self.optimizer, self.learning_rate),
            loss=loss_fn,
            metrics=resolve_metrics(self.metrics),
            steps_per_execution=steps_per_execution(n_rows, self._batch_size(n_rows)),
        )
        return loss_fn

    def _new_trainer(self, meta, n_rows):
        """Another compiled model of this configuration, to train in model_'s place.

        Its loss is built here, on a row of zeros. Keras would build it on the
        first fit from a batch of the data, a read that on JAX draws a shuffle
        from NumPy's global generator: a new trainer would then shuffle unlike a
        used one.
        """
        trainer = self._build(meta)
        self._compile(trainer, n_rows)
        x = np.zeros((1, self.n_features_in_), dtype=np.float32)
        targets = keras_targets(np.zeros(1, dtype=int), self._n_outputs(),
                                wants_one_hot(trainer.loss))
        trainer.compute_loss(x=x, y=targets, y_pred=trainer(x),
                             sample_weight=np.ones(1, np.float32))
        return trainer

    def _trainer_key(self, keras_model):
        """The reuse key of ``keras_model`` (see :func:`skweight._reuse.trainer_key`).

        None for a custom builder or model, a loss or metric object, which
        cannot be named with certainty: such a model trains itself.
        """
        metrics = tuple(self.metrics or ())
        if (self.model is not None or not isinstance(self.loss, str)
                or not all(isinstance(metric, str) for metric in metrics)):
            return None
        return trainer_key(
            keras_model,
            inputs=self.n_features_in_,
            builder_params=self._builder_params(),
            loss=self.loss,
            loss_params=dict(self.loss_params or {}),
            optimizer=optimizer_config(self.optimizer, self.learning_rate),
            compiled_priors=(self.priors_.tolist()
                             if is_loss(self.loss, "logit_adjusted") else None),
            metrics=metrics,
        )

    def _train(self, keras_model, train, validation, seed, loss_fn):
        """Train ``keras_model`` on ``train``; stop early on ``validation`` if any."""
        stopping, early_stopping = stopping_callbacks(
            self.n_iter_no_change, self.tol, self.epochs, validation,
            self.early_stopping_monitor, loss_fn, self._output_factors,
        )
        self.history_ = self._run_epochs(keras_model, *train, self.epochs, seed,
                                         stopping=stopping)
        self.n_iter_ = len(self.history_.get("loss", []))
        if any(getattr(callback, "diverged", False) for callback in stopping):
            raise FloatingPointError(
                "early stopping's validation score is not finite at epoch "
                f"{self.n_iter_}: the network's outputs on the validation rows are "
                "NaN or infinite, so training diverged; the model is unusable. "
                + divergence_advice(keras_model)
            )
        self.best_epoch_ = (early_stopping.best_epoch + 1
                            if validation is not None else None)

    def _run_epochs(self, keras_model, X, y_encoded, row_weight, epochs, seed,
                    stopping=None):
        """Train ``keras_model`` for ``epochs`` passes over (X, y).

        Raises if the loss stops being finite.
        """
        if stopping is None:
            stopping, _ = stopping_callbacks(None, 0.0, epochs)
        n_outputs = keras_model.outputs[0].shape[-1]
        user_callbacks = self.callbacks
        if isinstance(user_callbacks, keras.callbacks.Callback):
            user_callbacks = [user_callbacks]
        callbacks = [*stopping, *copy.deepcopy(list(user_callbacks or []))]
        targets = keras_targets(y_encoded, n_outputs, wants_one_hot(keras_model.loss))
        try:
            with fit_inputs(
                X, targets, row_weight.astype(np.float32),
                self._batch_size(n_samples(X)), seed, epochs,
                keras_model.steps_per_execution,
            ) as inputs, no_retracing_warning():
                history = keras_model.fit(
                    **inputs, epochs=epochs, verbose=self.verbose,
                    callbacks=callbacks
                )
        except RuntimeError as exc:
            # TerminateOnNaN's error, or the backend's own on NaN outputs (torch's
            # cross-entropy refuses inputs outside [0, 1]).
            if not is_nan_loss_error(exc) and has_finite_weights(keras_model):
                raise
            epoch = len(keras_model.history.history.get("loss", [])) + 1
            raise FloatingPointError(
                f"the training loss is not finite at epoch {epoch}; the model is "
                "unusable. " + divergence_advice(keras_model)
            ) from exc
        names = metric_history_names(self.metrics)
        return {names.get(key, key): list(values)
                for key, values in history.history.items()}

    def _check_trained(self, X):
        """Raise unless the trained network is finite and outputs probabilities."""
        if not has_finite_weights(self.model_):
            raise FloatingPointError(
                f"the network's weights are not finite after epoch {self.n_iter_} "
                "(training diverged in its last steps); the model is unusable. "
                + divergence_advice(self.model_)
            )
        first_rows = take_rows(X, np.arange(min(200, n_samples(X))))
        check_probabilities(make_forward(self.model_)(first_rows))

    def __getstate__(self):
        state = dict(super().__getstate__())  # may be self.__dict__ itself
        state.pop("_forward", None)  # a closure: rebuilt from model_ on load
        # The network and Keras parameters, with the custom classes they need.
        return picklable_state(state)

    def __setstate__(self, state):
        state = unpickled_state(state)
        super().__setstate__(state)
        if "model_" in state:
            self._forward = make_forward(self.model_)

    # -------------------------------------------------------------- predict

    def _validated_features(self, X):
        check_is_fitted(self)
        return check_inputs(self, self._input_spec, X, self.model_)

    def predict_weighted_proba(self, X):
        """Probabilities of the network as trained, before prior correction.

        With class weights these estimate ``p_w(c|x) ∝ w_c p(c|x)``; without
        weights they equal :meth:`predict_proba`.

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
        X = self._validated_features(X)
        outputs = predict_in_batches(self._forward, X, self.model_.outputs[0].shape[-1])
        check_probabilities(outputs)
        return outputs_to_proba(outputs)

    def predict_proba(self, X):
        """Prior-corrected class probabilities, ``p(c|x) ∝ p_w(c|x) / w_c``.

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
        weighted = self.predict_weighted_proba(X)
        if np.all(self._output_factors == self._output_factors[0]):
            return weighted
        return correct_proba(weighted, self._output_factors)

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

    def _decision_costs(self, cost_matrix, n_samples):
        """Per-row costs given to predict (validated), else the fitted matrix."""
        if cost_matrix is None:
            return self.cost_matrix_
        return check_cost_matrix(cost_matrix, self.classes_, n_samples=n_samples)

    def decision_function(self, X, cost_matrix=None):
        """Scores that agree with :meth:`predict`.

        Binary: positive exactly when ``classes_[1]`` is predicted (the log-odds of
        the weighted model, or with costs the expected cost of predicting
        ``classes_[0]`` minus that of ``classes_[1]``). Multiclass: one column per
        class whose argmax is the prediction (the weighted log-probabilities, or
        minus the expected costs).

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
        check_is_fitted(self)
        if self.cost_matrix_ is not None or cost_matrix is not None:
            proba = self.predict_proba(X)
            return decision_scores(proba, self._decision_costs(cost_matrix, len(proba)))
        with np.errstate(divide="ignore"):
            log_proba = np.log(self.predict_weighted_proba(X))
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
        check_is_fitted(self)
        if self.cost_matrix_ is not None or cost_matrix is not None:
            proba = self.predict_proba(X)
            indices = bayes_predict_indices(
                proba, self._decision_costs(cost_matrix, len(proba))
            )
        else:
            indices = np.argmax(self.predict_weighted_proba(X), axis=1)
        return self.classes_[indices]

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

    def save(self, path):
        """Save the estimator to one file without pickle; see :func:`skweight.save`.

        Parameters
        ----------
        path : str or os.PathLike
            The file to write; :func:`skweight.load` reads it back.
        """
        from ._saving import save

        save(self, path)
