"""The Keras estimator with explicit class weights, output bias and decision rule."""

from functools import partial
from itertools import chain
from numbers import Integral, Real

import keras
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn_compat.base import _fit_context

from ._atomic import atomic_fit
from ._calibrated import CalibratedProbaMixin
from ._calibration import CALIBRATION_METHODS, calibration_split, cross_fit_rows
from ._checks import (
    check_callbacks,
    check_layer_sizes,
    check_metrics,
    check_two_classes,
    partial_fit_classes,
    reject_indicator_targets,
    reject_missing_labels,
)
from ._class_state import builder_meta, n_outputs, set_class_state
from ._ensemble import member_data, member_seeds
from ._epochs import (
    check_diverged,
    checked_forward,
    run_epochs,
    split_rows,
    validation_rows,
)
from ._fitted import FittedState, fitted_networks
from ._forward import make_forward
from ._inputs import (
    bind_model,
    model_input_names,
    n_samples,
    require_table,
    validate_fit_inputs,
)
from ._losses import metric_history_names
from ._messages import short_repr
from ._network import build_network, builder_params, compile_network, new_trainer
from ._persist import picklable_state, unpickled_state
from ._predict import PredictMixin
from ._priors import (
    BIAS_INIT_OPTIONS,
    resolve_bias_init,
)
from ._random import integer_seed, seeded
from ._reuse import estimator_trainer_key
from ._routing import (
    RoutedParamsMixin,
    optimizer_settings,
    warn_unused_mlp_params,
)
from ._shared_step import member_trainers
from ._stopping import stopping_callbacks
from ._weights import (
    SCHEMES,
    EffectiveNumber,
)


class WeightedKerasClassifier(CalibratedProbaMixin, PredictMixin,
                              RoutedParamsMixin, ClassifierMixin,
                              BaseEstimator):
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
        ``dropout``. A callable is a builder ``model(meta, **model_params)``
        returning a Keras model whose output is a probability (one sigmoid unit for
        two classes, else one softmax unit per class); ``meta`` is a dict of the
        facts of the training data: ``input_form_``, ``input_shapes_``,
        ``input_dtypes_`` (per-sample shape and kind of each input),
        ``n_features_in_``, ``classes_``,
        ``n_classes_``, ``n_outputs_``, ``class_counts_``, ``class_weight_``,
        ``priors_``, ``weighted_priors_``, ``output_bias_`` and
        ``random_state_``. A ``keras.Model`` is cloned (its weights are not
        reused). The model is compiled by skweight. A builder's model may take
        N-D arrays, raw strings or named inputs (see "Your own network"). A
        builder gets ``meta`` as its signature takes it: ``meta=`` when it has
        a parameter named ``meta`` or only ``**kwargs``, by position when its
        first parameter has another name and no default, not at all otherwise.
    hidden_layer_sizes : tuple of int, default=(100,)
        Hidden layers of the default MLP (with a custom ``model``, a value
        other than the default warns that it is unused).
    activation : str, default="relu"
        Hidden activation of the default MLP.
    dropout : float, default=0.0
        Dropout rate after each hidden layer of the default MLP.
    n_members : int, default=1
        Networks trained, each from its own seed (the first from
        ``random_state``'s, the others from seeds derived from it), on the same
        rows, class state, output bias and early-stopping split (each member
        its own fold with ``cross_fit``); their
        prior-corrected probabilities are averaged (a deep ensemble,
        Lakshminarayanan et al. 2017). Works with any ``model``: the members
        train one after the other on one compiled training step (a builder's
        networks, built one per member, share the first member's step when
        they are alike; one that differs, e.g. with its seed, compiles its
        own). A seeded ensemble repeats exactly, on every backend.
    cross_fit : bool, default=False
        With ``n_members >= 2``: member ``k`` holds out fold ``k`` of a
        stratified ``n_members``-fold split of the training rows, for early
        stopping and calibration, and trains on the other folds, instead of
        every member sharing one held-out split. The calibration map is then
        fitted on every training row's out-of-fold probability (from the one
        member that did not train on it), not on a ``validation_fraction`` of
        the rows: many more rows for it when a class is rare (see Notes,
        "Ensembles"). ``calibration="auto"`` calibrates with ``"temperature"``
        here; ``validation_fraction`` and ``calibration_fraction`` are not used.
        Applies to :meth:`fit`; :meth:`partial_fit` trains every member on
        every batch.
    model_params : dict, default=None
        Keyword arguments for a builder ``model``. Routed parameters
        ``model__x=value`` (in the constructor, ``set_params`` or a grid such as
        ``{"model__hidden": [8, 16]}``) are stored here, in a new dict, and
        listed back by ``get_params(deep=True)``.
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
        probabilities. Read at each prediction, so ``set_params(cost_matrix=...)``
        on a fitted estimator decides by the new costs without refitting
        (``class_weight="cost"`` keeps the weights of the matrix fit had).
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
    optimizer_params : dict, default=None
        Keyword arguments of the optimizer's class, e.g. ``{"momentum": 0.9}``
        for ``"sgd"``; set on a copy of an instance. Routed parameters
        ``optimizer__x=value`` are stored here, as ``model__x`` in
        ``model_params``. ``learning_rate``, when not None, wins over theirs.
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
        random state is left changed. Seeded fits build their networks one at a
        time, each from its own seed, so a builder whose layers have no seed
        of their own builds the same network in threads as alone. On JAX and
        torch, Keras shuffles with NumPy's or PyTorch's global generator, which
        a seeded fit sets and then restores, so seeded fits running at once in
        threads of one process do not repeat exactly there (in processes,
        joblib's default, they do).
    calibration : {"auto", "temperature", "isotonic"} or None, default="auto"
        A map fitted after training on the prior-corrected probabilities of rows
        the network did not train on (see Notes), used by
        ``predict_proba``, the Bayes rule and every decision.
        ``"temperature"``: a temperature and a bias on the corrected logits,
        ``softmax(log p / T + b)`` (Guo et al. 2017), which for two classes is
        Platt scaling of the corrected log-odds; ``log(1 / T)`` has a Gaussian
        prior around 0 whose width, or none, cross-validation on the
        calibration rows picks, so that a slope a few minority rows only hint
        at stays near 1. ``"isotonic"``: isotonic
        regression of each class's probability, renormalised (it needs many
        calibration rows and may give probabilities of exactly 0 or 1).
        ``"auto"``: ``"temperature"`` with ``early_stopping=True`` (on its
        validation split, so no training row is given up), None otherwise.
        None: no calibration.
    calibration_fraction : float, default=0.2
        Share of the training rows held out, stratified, to fit ``calibration``
        when there is no early-stopping split (``early_stopping=False`` and
        ``calibration="temperature"`` or ``"isotonic"``); the network trains on the
        rest. Ignored with early stopping, whose split is used.
    deployment_priors : dict, array-like of shape (n_classes,) or None, \
            default=None
        The class priors where the model is used, when they differ from the
        training priors: a dict keyed by every label, or one value per class in
        the order of ``classes_``, summing to 1 (not renormalised). Probabilities
        become ``p'(c|x) ∝ p(c|x) π'_c / π_c`` (Saerens et al. 2002), after
        calibration; every decision uses them. Read at each prediction, so
        ``set_params(deployment_priors=...)`` applies without refitting. To
        estimate them from unlabelled rows, see :meth:`adapt_priors`; its
        estimate is used while this is None, so pass ``priors_`` to decide
        under the training priors again.

    Attributes
    ----------
    model_ : keras.Model
        The trained network; with ``n_members > 1``, the first member.
    models_ : list of keras.Model
        The trained networks, ``n_members`` of them (``models_[0]`` is
        ``model_``).
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted; the order of every matrix, vector and dict.
    class_weight_ : dict
        The class weights used, ``{label: weight}``.
    bias_init_ : ndarray of shape (n_outputs,) or None
        The output bias training started from.
    priors_ : ndarray of shape (n_classes,)
        Class priors of the training data (with sample weights if any).
    cost_matrix_ : ndarray of shape (n_classes, n_classes) or None
        The cost matrix validated by the last fit (predict validates a
        ``cost_matrix`` set after it).
    history_ : dict
        Per-epoch training logs (``loss``, the ``metrics``, and
        ``val_log_loss`` or ``val_loss``) of ``model_``.
    histories_ : list of dict
        Those of every member, in the order of ``models_``.
    n_iter_ : int
        Epochs run (by ``model_``; early stopping may stop members at
        different epochs, see ``histories_``).
    best_epoch_ : int or None
        With early stopping, the epoch whose weights ``model_`` kept.
    n_features_in_ : int
        Number of features (columns) seen in fit, for a 2-D table or a
        DataFrame; not set for N-D arrays, raw text or dicts, which have no flat
        feature count (as scikit-learn's convention is for 2-D input only).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names, when X has string column names.
    calibrator_ : TemperatureCalibrator, IsotonicCalibrator or None
        The fitted calibration map (None without calibration, and after
        :meth:`partial_fit`). A temperature map has ``temperature`` and
        ``bias``.
    calibration_confusion_ : ndarray of shape (n_classes, n_classes) or None
        The soft confusion matrix ``C[i, j] = mean p(i|x) [y = j]`` of the
        calibrated probabilities on the calibration rows; what
        ``adapt_priors(method="bbse")`` solves with.
    deployment_priors_ : ndarray of shape (n_classes,)
        Set by :meth:`adapt_priors`: the estimated deployment priors, used when
        the ``deployment_priors`` parameter is None. A new fit removes it.
    priors_n_iter_ : int
        Set by :meth:`adapt_priors`: EM iterations (0 for BBSE).
    priors_converged_ : bool
        Set by :meth:`adapt_priors`: whether EM converged (if not, it warned and
        ``deployment_priors_`` are the training priors).

    Notes
    -----
    **Calibration.** Prior correction is exact only for a network that learned
    the weighted posterior; with early stopping and finite capacity it is off.
    With ``calibration``, ``fit`` trains the network, then fits the map on held-out
    rows: the early-stopping validation split when ``early_stopping=True``,
    otherwise a stratified ``calibration_fraction`` of the rows that the network
    does not train on. The map is refitted only by :meth:`fit` (``warm_start``
    included); :meth:`partial_fit` changes the network, so it drops the map
    (``calibrator_`` becomes None) rather than keep one fitted on another network.
    ``predict`` without a cost matrix is the Bayes rule with the costs the class
    weights imply on the final probabilities, ``argmax_c w_c p'(c|x)``, and
    ``decision_function`` is ``log(w_c p'(c|x))`` (binary: its log-odds), which
    agree. With :class:`~sklearn.calibration.CalibratedClassifierCV`, methods
    ``"sigmoid"`` and ``"isotonic"`` absorb the ``log(w_1 / w_0)`` shift of these
    scores; ``"temperature"`` cannot, so it is refused for a class-weighted
    estimator: use ``calibration="temperature"``.

    A fit is atomic: it ends with finite weights and probability outputs, or
    raises (``FloatingPointError`` on divergence) leaving the fitted state as it
    was before the call, also on ``KeyboardInterrupt``. One object is fitted by
    one thread at a time (a concurrent second fit raises); fit clones in
    parallel instead. A thread predicting while another refits the object sees
    the old fit or the new one, never a mix: the state predict reads is
    swapped in whole at the end of a fit (with ``partial_fit`` and
    ``warm_start`` the network trains in place, so such a prediction runs it
    as it trains). A fitted estimator pickles (and ``copy.deepcopy``-s) with
    the custom Keras classes it needs, and loads wherever their modules import.

    Keras compiles a network's training step on its first fit (about 0.6 s on a
    CPU with TensorFlow). For the default network, skweight keeps up to four
    compiled copies of recently fitted configurations and trains a new fit of the
    same configuration (architecture, loss, optimizer settings other than the
    learning rate) on one of them, handing the estimator's own ``model_`` the
    trained state. The result is the same, bit for bit, as training ``model_``
    directly; only the compilation is skipped. Custom models and loss objects
    always train their own model.

    **Ensembles.** With ``n_members > 1``, ``predict_proba`` is the mean of the
    members' prior-corrected probabilities ``p(c|x)``; ``predict_weighted_proba``
    takes that mean back to the trained scale, ``∝ w_c p(c|x)``, and
    ``predict`` and ``decision_function`` read it as they read one network's
    output, so they still agree (the Bayes rule with the costs the weights
    imply, on the averaged probabilities). Members of the default network train
    one after the other on one compiled copy, so five cost about five single
    fits (see ``benchmarks/ensembles.py``); a builder's members, and every
    member in a warm call, train on the first member's compiled step when
    their networks are alike. ``partial_fit`` trains every member
    one pass per call and ``warm_start`` trains every member on; both need the
    ``n_members`` of the first fit. A member that diverges makes the whole fit
    raise, every member's state left as it was.

    With ``cross_fit=True`` each member trains on ``(n_members - 1) /
    n_members`` of the rows and holds out the rest (early stopping watches
    them); the calibration map is fitted on the out-of-fold probabilities of all
    training rows, each from a single member, and applied to the members' mean,
    as with a shared split. Every training row then calibrates, where a shared
    ``validation_fraction`` split of 10 % may hold only a handful of a rare
    class's rows.

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
    * Guo, C., Pleiss, G., Sun, Y. & Weinberger, K. Q. (2017). On calibration of
      modern neural networks. ICML.
    * Lakshminarayanan, B., Pritzel, A. & Blundell, C. (2017). Simple and
      scalable predictive uncertainty estimation using deep ensembles. NeurIPS.

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
        "n_members": [Interval(Integral, 1, None, closed="left")],
        "cross_fit": ["boolean"],
        "model_params": [dict, None],
        "class_weight": [StrOptions(set(SCHEMES)), dict, EffectiveNumber, callable,
                         None],
        "bias_init": [StrOptions(set(BIAS_INIT_OPTIONS)), "array-like", None],
        "cost_matrix": ["array-like", dict, callable, None],
        "loss": [str, HasMethods("__call__")],
        "loss_params": [dict, None],
        "optimizer": [str, keras.optimizers.Optimizer],
        "optimizer_params": [dict, None],
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
        "calibration": [StrOptions({"auto", *CALIBRATION_METHODS}), None],
        "calibration_fraction": [Interval(Real, 0, 1, closed="neither")],
        "deployment_priors": [dict, "array-like", None],
    }

    def __init__(
        self,
        model=None,
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        dropout=0.0,
        n_members=1,
        cross_fit=False,
        model_params=None,
        class_weight=None,
        bias_init="auto",
        cost_matrix=None,
        loss="auto",
        loss_params=None,
        optimizer="adam",
        optimizer_params=None,
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
        calibration="auto",
        calibration_fraction=0.2,
        deployment_priors=None,
        **routed,
    ):
        self.model = model
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.n_members = n_members
        self.cross_fit = cross_fit
        self.model_params = model_params
        self.class_weight = class_weight
        self.bias_init = bias_init
        self.cost_matrix = cost_matrix
        self.loss = loss
        self.loss_params = loss_params
        self.optimizer = optimizer
        self.optimizer_params = optimizer_params
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
        self.calibration = calibration
        self.calibration_fraction = calibration_fraction
        self.deployment_priors = deployment_priors
        if routed:  # model__x and optimizer__x, kept in new *_params dicts
            self._store_routed(routed)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        tags.input_tags.allow_nan = False
        # N-D arrays and dicts of named inputs, for a model built for them.
        tags.input_tags.three_d_array = True
        tags.input_tags.dict = True
        return tags

    def __sklearn_is_fitted__(self):
        # Fitted once the state predict reads is in place (see _fitted.py).
        return "_fitted" in vars(self)

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
            the "Your own network" page of the documentation says how the form
            is told apart.
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
        X, y = self._validate_fit_data(X, y, new_input=not warm)
        classes = np.unique(y)
        check_two_classes(classes)
        if warm and not np.array_equal(self.classes_, classes):
            raise ValueError(
                f"warm_start=True trains the fitted network on, but y has the "
                f"classes {classes.tolist()!r} where the last fit had "
                f"{self.classes_.tolist()!r}; pass warm_start=False to start anew."
            )
        if warm:
            self._check_members("warm_start=True trains the fitted networks on",
                                "pass warm_start=False to start anew")
        y_encoded = np.searchsorted(classes, y)
        self._deployment_priors(classes)  # validated before training
        seed = integer_seed(self.random_state)
        seeds = member_seeds(seed, self.n_members)
        with seeded(seed):
            if warm:  # train on, with the optimizer state of the last fit
                row_weight, sample_weight = set_class_state(
                    self, y, y_encoded, sample_weight, row_costs=cost_matrix)
                self._input_spec, X = bind_model(self._input_spec, X, self.model_)
                self.models_ = fitted_networks(self)
            rows = member_rows = None
            if self.cross_fit:  # see "Ensembles"
                member_rows = cross_fit_rows(y_encoded, classes, self.n_members, seed)
            elif self.early_stopping:
                rows = validation_rows(y_encoded, classes, self.validation_fraction,
                                       seed)
            elif self._calibration_method() is not None:  # see "Calibration"
                rows = calibration_split(y_encoded, classes,
                                         self.calibration_fraction, seed)
            new_networks = None
            if not warm:
                n_rows = len(y_encoded)
                if rows is not None or member_rows is not None:
                    n_rows = len((rows or member_rows[0])[0])
                X, row_weight, sample_weight, meta = self._initialize(
                    X, y, classes, y_encoded=y_encoded, sample_weight=sample_weight,
                    row_costs=cost_matrix, seeds=seeds, n_rows=n_rows)
                new_networks = (meta, n_rows)
            # Only the ratios of the row weights matter (see sample_weight above).
            row_weight = row_weight / row_weight.max()
            row_weight /= row_weight.mean()
            train, validation = (X, y_encoded, row_weight), None
            if rows is not None:
                train, validation = split_rows(*train, sample_weight, rows)
            held_out = validation  # the calibration rows, if any
            if member_rows is not None:
                held_out = (X, y_encoded, row_weight, sample_weight)
            self._train(member_data(train, validation, sample_weight, member_rows,
                                     self.n_members, self.early_stopping),
                        seeds, epochs=self.epochs,
                        patience=self.n_iter_no_change, running=False,
                        new_networks=new_networks)
        return self._finish(X, held_out, member_rows)

    @_fit_context(prefer_skip_nested_validation=True)
    @atomic_fit
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train one pass over a batch of rows, for data that does not fit in memory.

        Class weights and priors come from the running class counts of all the
        batches seen so far (a class not seen yet counts as one row), so a scheme
        such as ``"balanced"`` stays consistent across calls. The output bias is
        set once, from the first batch. Early stopping and ``n_iter_no_change``
        do not apply. Every member of an ensemble trains one pass per call.

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
        X, y = self._validate_fit_data(X, y, new_input=first_call)
        classes = partial_fit_classes(
            y, classes, None if first_call else self.classes_)
        if not first_call:
            self._check_members("partial_fit trains the fitted networks on",
                                "call fit to start anew")
        y_encoded = np.searchsorted(classes, y)
        seed = integer_seed(self.random_state)
        seeds = member_seeds(seed, self.n_members)
        with seeded(seed):
            if first_call:
                X, row_weight, _, _ = self._initialize(
                    X, y, classes, y_encoded=y_encoded, sample_weight=sample_weight,
                    seeds=seeds, n_rows=n_samples(X), running=True)
            else:
                row_weight, _ = set_class_state(self, y, y_encoded, sample_weight,
                                                running=True)
                self.models_ = fitted_networks(self)
            self._train([((X, y_encoded, row_weight), None)] * self.n_members,
                        seeds, epochs=1, patience=None, running=True)
        return self._finish(X, fitting=False)

    def _validate_fit_data(self, X, y, *, new_input):
        """Check the parameters and validate (X, y); a new input spec if asked.

        Returns
        -------
        X : ndarray or dict of ndarray
            The validated input, in the form the Keras model takes.
        y : ndarray of shape (n_samples,)
        """
        self._check_params()
        reject_indicator_targets(y)
        reject_missing_labels(y)
        spec, X, y = validate_fit_inputs(
            self, X, y, spec=None if new_input else self._input_spec,
            keras_model=None if new_input else self.model_,
        )
        if new_input:
            if self.model is None:
                require_table(spec)
            self._input_spec = spec
        check_classification_targets(y)
        return X, y

    def _check_params(self):
        """What the parameter constraints cannot say: the items of lists."""
        if self.model is None:
            check_layer_sizes(self.hidden_layer_sizes)
        warn_unused_mlp_params(self)
        check_callbacks(self.callbacks)
        check_metrics(self.metrics)
        if self.cross_fit and self.n_members < 2:
            raise ValueError(
                f"cross_fit=True holds out a different fold for each member, but "
                f"n_members={self.n_members!r}; pass n_members=2 or more (5 is a "
                "common choice), or cross_fit=False."
            )
        if (self.cross_fit and not self.early_stopping
                and self._calibration_method() is None):
            raise ValueError(
                "cross_fit=True holds out rows for early stopping and calibration, "
                "but early_stopping=False and calibration=None use none; pass "
                "early_stopping=True or a calibration, or cross_fit=False."
            )

    def _initialize(self, X, y, classes, *, y_encoded, sample_weight, seeds, n_rows,
                    row_costs=None, running=False):
        """Start new networks: classes, class state, output bias, models, compile.

        Called by :meth:`fit` (unless it warm-starts) and by the first
        :meth:`partial_fit` (``running=True``: its class counts accumulate over
        calls). Sets ``classes_``, the class state (see
        :func:`skweight._class_state.set_class_state`),
        ``bias_init_`` and ``models_``, one network per seed of ``seeds``
        (``model_`` the first), each built from ``meta`` with its seed as
        ``random_state_`` and compiled for ``n_rows`` training rows.

        Returns
        -------
        X : ndarray or dict of ndarray
            The input matched to the built model (see
            :func:`skweight._inputs.bind_model`).
        row_weight, sample_weight : ndarray of float64
        meta : dict
            What the first model was built from.
        """
        self.classes_ = classes
        if running:
            self._counts = np.zeros(len(classes))
        row_weight, sample_weight = set_class_state(
            self, y, y_encoded, sample_weight, row_costs=row_costs, running=running)
        counts = np.where(self._counts > 0, self._counts, 1.0)
        self.bias_init_ = resolve_bias_init(self.bias_init, counts,
                                            self._output_factors, self._n_outputs())
        if self.bias_init_ is not None and not np.all(np.isfinite(self.bias_init_)):
            raise ValueError(
                f"bias_init={short_repr(self.bias_init)} gives the output bias "
                f"{self.bias_init_.tolist()!r}, which is not finite; pass "
                "finite numbers, one per output unit, or 'auto'."
            )
        meta = builder_meta(self, seeds[0])
        self.models_ = [build_network(self, {**meta, "random_state_": seed})
                        for seed in seeds]
        self.model_ = self.models_[0]
        self._input_spec, X = bind_model(self._input_spec, X, self.model_)
        names = sorted(model_input_names(self.model_))
        for keras_model in self.models_:
            # Named inputs are fed by name: every member must take the same.
            if (self._input_spec.form == "named"
                    and sorted(model_input_names(keras_model)) != names):
                raise ValueError(
                    f"n_members={self.n_members!r} builds the network once per "
                    f"member, but the builder gave inputs named "
                    f"{sorted(model_input_names(keras_model))!r} after "
                    f"{names!r}; give every member the same input names."
                )
            compile_network(self, keras_model, n_rows)
        return X, row_weight, sample_weight, meta

    def _check_members(self, what, fix):
        """Raise unless the fitted ensemble has ``n_members`` networks."""
        fitted = len(fitted_networks(self))
        if fitted != self.n_members:
            raise ValueError(
                f"{what}, but n_members={self.n_members!r} where the fitted "
                f"estimator has {fitted} network(s); set n_members={fitted} or "
                f"{fix}."
            )

    def _n_outputs(self):
        return n_outputs(self.classes_)

    def _train(self, member_data, seeds, *, epochs, patience, running,
               new_networks=None):
        """The epoch loop of every fit: train each of ``models_`` on its rows.

        ``member_data`` gives each member's ``(train, validation)`` in turn
        (``validation`` None without early stopping). Member ``k`` shuffles with
        ``seeds[k]``; the members train one after the other. ``new_networks``,
        ``(meta, n_rows)`` of the networks :meth:`fit` just built, lets them
        train on a kept compiled copy when one fits (see :mod:`skweight._reuse`):
        one copy trains every member in turn; without one, and in every warm
        call, members 1.. train on member 0's compiled step when their networks
        are alike (:mod:`skweight._shared_step`). Early stopping watches
        ``validation`` if any. ``running`` (:meth:`partial_fit`) adds the
        epochs to ``history_`` and ``n_iter_`` instead of replacing them.
        """
        key = make_trainer = None
        if new_networks is not None:
            key = estimator_trainer_key(
                self, self.model_, builder_params=builder_params(self),
                optimizer_settings=optimizer_settings(
                    self.optimizer, self.learning_rate, self.optimizer_params))
            make_trainer = partial(new_trainer, self, *new_networks)
        names = metric_history_names(self.metrics)
        histories, best_epochs = [], []
        member_data = iter(member_data)
        first = next(member_data)
        with member_trainers(self.models_, first[0][0], key=key,
                             make_trainer=make_trainer) as trainer_of:
            for member, (keras_model, seed, (train, validation)) in enumerate(
                    zip(self.models_, seeds, chain([first], member_data),
                        strict=True)):
                first = None  # a cross-fitted member's rows are its own copy
                stopping, early_stopping = stopping_callbacks(
                    patience, self.tol, epochs, validation,
                    self.early_stopping_monitor, keras_model.loss,
                    self._output_factors,
                )
                with trainer_of(member) as network:
                    history = run_epochs(
                        network, *train, n_outputs=self._n_outputs(),
                        epochs=epochs, seed=seed, batch_size=self.batch_size,
                        callbacks=self.callbacks, verbose=self.verbose,
                        stopping=stopping)
                    check_diverged(stopping, network, len(history.get("loss", [])))
                # Metrics by the names they were given ("mae" as Keras' full name).
                histories.append({names.get(name, name): values
                                  for name, values in history.items()})
                best_epochs.append(early_stopping.best_epoch + 1
                                   if validation is not None else None)
                del train, validation
        if running:
            previous = getattr(self, "histories_", None) or [
                getattr(self, "history_", {"loss": []})] * len(histories)
            self.histories_ = [_extended(old, new)
                               for old, new in zip(previous, histories, strict=True)]
            self.n_iter_ = getattr(self, "n_iter_", 0) + len(histories[0]["loss"])
            if not hasattr(self, "best_epoch_"):
                self.best_epoch_ = None
        else:
            self.histories_ = histories
            self.n_iter_ = len(histories[0].get("loss", []))
            self.best_epoch_ = best_epochs[0]
        self.history_ = self.histories_[0]


    def _finish(self, X, held_out=None, member_rows=None, *, fitting=True):
        """Check the trained network and make the new fitted state predict's.

        The one place where a trained network becomes fitted state: everything
        predict reads is gathered in one :class:`~skweight._fitted.FittedState`
        and stored in one step (see :mod:`skweight._fitted`). A fit first fits
        the calibration map on ``held_out``; ``partial_fit`` (``fitting=False``)
        drops it (see "Calibration" in the class docstring). With
        ``member_rows`` (``cross_fit``), ``held_out`` is every training row and
        each member predicts the rows it held out.
        """
        forwards = [checked_forward(keras_model, X, self.n_iter_)
                    for keras_model in self.models_]
        if fitting:
            self._fit_calibration(held_out, forwards, member_rows)
        else:
            self._drop_calibration()
        self._fitted = FittedState.of(self, forwards)
        return self

    def __getstate__(self):
        state = dict(super().__getstate__())  # may be self.__dict__ itself
        state.pop("_fitted", None)  # holds a closure: rebuilt from model_ on load
        if "models_" in state:  # model_ is models_[0]: stored once
            state.pop("model_", None)
        # The networks and Keras parameters, with the custom classes they need.
        return picklable_state(state)

    def __setstate__(self, state):
        state = unpickled_state(state)
        if "models_" in state:
            state["model_"] = state["models_"][0]
        super().__setstate__(state)
        if "model_" in state:
            self._fitted = FittedState.of(
                self, [make_forward(m) for m in fitted_networks(self)])

    def save(self, path):
        """Save the estimator to one file without pickle; see :func:`skweight.save`.

        Parameters
        ----------
        path : str or os.PathLike
            The file to write; :func:`skweight.load` reads it back.
        """
        from ._saving import save

        save(self, path)


def _extended(previous, history):
    """New per-epoch logs: those of ``previous`` followed by ``history``'s."""
    extended = {key: list(values) for key, values in previous.items()}
    for name, values in history.items():
        extended.setdefault(name, []).extend(values)
    return extended
