"""Losses beyond weighting: focal loss and the logit-adjusted loss (DESIGN §6).

Both take the network's probability output (sigmoid or softmax) and targets as a
0/1 column (binary) or integer class indices (multiclass), as every skweight loss.

* Focal loss (Lin et al. 2017) down-weights easy rows by ``(1 - p_t) ** gamma``.
  It is not a proper scoring rule: its probabilities are not estimates of
  ``p(c|x)`` and no closed-form correction exists; they tend to be
  under-confident. Calibrate them when probabilities matter (e.g. with
  :class:`~sklearn.calibration.CalibratedClassifierCV`).
* Logit-adjusted loss (Menon et al., ICLR 2021): cross-entropy of
  ``softmax(f_c + tau log π_c)``, where ``f`` are the network's logits. The
  network's own output ``softmax(f)`` then estimates ``p(c|x) / π_c ** tau``: the
  same shape as a network trained with class weights ``w_c = π_c ** -tau``, so
  skweight treats it exactly so. ``predict`` (argmax of ``f``) is the
  balanced-error rule for ``tau = 1`` and ``predict_proba`` is prior-corrected,
  ``p(c|x) ∝ softmax(f)_c π_c ** tau``.

:func:`resolve_loss` and :func:`resolve_optimizer` turn the estimator's ``loss``
and ``optimizer`` parameters into the objects a network is compiled with.
"""

import copy
import re

import keras
import numpy as np

_EPSILON = 1e-7


def _logits(probabilities):
    """Logits recovered from sigmoid or softmax outputs (up to a constant)."""
    p = keras.ops.clip(probabilities, _EPSILON, 1.0 - _EPSILON)
    if probabilities.shape[-1] == 1:
        return keras.ops.log(p) - keras.ops.log(1.0 - p)
    return keras.ops.log(p)


@keras.saving.register_keras_serializable(package="skweight")
class SparseFocalLoss(keras.losses.Loss):
    """Focal cross-entropy on probability outputs with 0/1 or class-index targets.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter; 0 gives the cross-entropy.
    alpha : float or None, default=None
        Binary only: weight of the positive class, ``1 - alpha`` of the negative
        (Lin et al.'s α-balancing). None applies no balancing; prefer
        ``class_weight``, which skweight can correct for.
    """

    def __init__(self, gamma=2.0, alpha=None, name="sparse_focal_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.gamma = gamma
        self.alpha = alpha

    def call(self, y_true, y_pred):
        p = keras.ops.clip(y_pred, _EPSILON, 1.0 - _EPSILON)
        if y_pred.shape[-1] == 1:
            y = keras.ops.cast(keras.ops.reshape(y_true, (-1, 1)), p.dtype)
            p_true = y * p + (1 - y) * (1 - p)
            alpha = 1.0 if self.alpha is None else y * self.alpha + (1 - y) * (
                1 - self.alpha
            )
        else:
            indices = keras.ops.cast(keras.ops.reshape(y_true, (-1,)), "int32")
            one_hot = keras.ops.one_hot(indices, y_pred.shape[-1], dtype=p.dtype)
            p_true = keras.ops.sum(one_hot * p, axis=-1, keepdims=True)
            alpha = 1.0
        loss = -alpha * keras.ops.power(1.0 - p_true, self.gamma) * keras.ops.log(
            p_true
        )
        return keras.ops.squeeze(loss, axis=-1)

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma, "alpha": self.alpha}


@keras.saving.register_keras_serializable(package="skweight")
class LogitAdjustedLoss(keras.losses.Loss):
    """Cross-entropy of the logits shifted by ``tau`` times the log class priors.

    Parameters
    ----------
    log_priors : sequence of float
        ``log π_c`` for each class (one value per class, also when binary).
    tau : float, default=1.0
        Strength of the adjustment; 0 gives the cross-entropy.
    """

    def __init__(self, log_priors=(0.0, 0.0), tau=1.0, name="logit_adjusted_loss",
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.log_priors = [float(v) for v in log_priors]
        self.tau = tau

    def call(self, y_true, y_pred):
        logits = _logits(y_pred)
        shift = self.tau * np.asarray(self.log_priors, dtype="float32")
        if y_pred.shape[-1] == 1:
            logits = logits + float(shift[1] - shift[0])
            y = keras.ops.cast(keras.ops.reshape(y_true, (-1, 1)), logits.dtype)
            loss = keras.ops.binary_crossentropy(y, logits, from_logits=True)
            return keras.ops.squeeze(loss, axis=-1)
        logits = logits + keras.ops.convert_to_tensor(shift)
        indices = keras.ops.cast(keras.ops.reshape(y_true, (-1,)), "int32")
        return keras.ops.sparse_categorical_crossentropy(indices, logits,
                                                         from_logits=True)

    def get_config(self):
        return {**super().get_config(), "log_priors": self.log_priors,
                "tau": self.tau}


@keras.saving.register_keras_serializable(package="skweight")
class FunctionLoss(keras.losses.Loss):
    """A loss from a plain function ``fn(y_true, y_pred) -> per-row losses``.

    Gives any function the ``sample_weight`` handling and reduction of a Keras
    ``Loss``. Saved with the function's name, so a Keras loss function (e.g.
    ``keras.losses.binary_crossentropy``) or one in Keras' custom-object scope
    loads again.
    """

    def __init__(self, fn, name=None, **kwargs):
        # Keras uses the name as a scope name: "<lambda>" is not one.
        name = re.sub(r"[^A-Za-z0-9_.]", "_", name or getattr(fn, "__name__", "loss"))
        super().__init__(name=name, **kwargs)
        self.fn = fn

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred)

    def get_config(self):
        return {**super().get_config(),
                "fn": keras.saving.serialize_keras_object(self.fn)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = keras.saving.deserialize_keras_object(config.pop("fn"))
        return cls(fn, **config)


# Keras' losses that compare one-hot targets with one probability per class.
ONE_HOT_LOSSES = (
    keras.losses.CategoricalCrossentropy,
    keras.losses.CategoricalFocalCrossentropy,
    keras.losses.CategoricalHinge,
)
ONE_HOT_LOSS_FUNCTIONS = (
    keras.losses.categorical_crossentropy,
    keras.losses.categorical_focal_crossentropy,
    keras.losses.categorical_hinge,
)


def wants_one_hot(loss):
    """Whether a resolved loss expects one-hot targets (Keras' categorical ones)."""
    # FunctionLoss, and Keras' LossFunctionWrapper (a loaded network's loss).
    function = getattr(loss, "fn", None)
    if function is not None and function in ONE_HOT_LOSS_FUNCTIONS:
        return True
    return isinstance(loss, ONE_HOT_LOSSES)


def logit_adjustment_weights(priors, tau):
    """The class weights a logit-adjusted network behaves as: ``π_c ** -tau``."""
    return np.power(np.asarray(priors, dtype=float), -float(tau))


def is_loss(loss, name):
    """Whether the ``loss`` parameter names the built-in loss ``name``."""
    return isinstance(loss, str) and loss == name


def output_factors(class_weights, priors, loss, loss_params=None):
    """The factors a trained network's output carries on top of ``p(c|x)``.

    A network trained with class weights ``w_c`` estimates
    ``p_w(c|x) ∝ w_c p(c|x)``; the logit-adjusted loss multiplies in
    ``π_c ** -tau`` as well. Prior correction divides these factors out.

    Parameters
    ----------
    class_weights : ndarray of shape (n_classes,)
    priors : ndarray of shape (n_classes,)
    loss : str or keras.losses.Loss
        The estimator's ``loss`` parameter.
    loss_params : dict or None

    Returns
    -------
    factors : ndarray of shape (n_classes,)
    """
    if is_loss(loss, "logit_adjusted"):
        tau = (loss_params or {}).get("tau", 1.0)
        return class_weights * logit_adjustment_weights(priors, tau)
    return class_weights


def resolve_loss(loss, loss_params, n_outputs, priors):
    """The Keras loss object for the estimator's ``loss`` and ``loss_params``.

    Parameters
    ----------
    loss : str or keras.losses.Loss
        ``"auto"``, ``"focal"``, ``"logit_adjusted"``, a Keras loss name or object.
    loss_params : dict or None
        Keyword arguments of the built-in losses.
    n_outputs : int
        Output units: 1 (sigmoid, two classes) or the number of classes.
    priors : ndarray of shape (n_classes,)
        Class priors, compiled into the logit-adjusted loss.

    Returns
    -------
    loss : keras.losses.Loss
    """
    kwargs = dict(loss_params or {})
    try:
        if is_loss(loss, "auto"):
            if n_outputs == 1:
                return keras.losses.BinaryCrossentropy(**kwargs)
            return keras.losses.SparseCategoricalCrossentropy(**kwargs)
        if is_loss(loss, "focal"):
            return SparseFocalLoss(**kwargs)
        if is_loss(loss, "logit_adjusted"):
            return LogitAdjustedLoss(log_priors=np.log(priors), **kwargs)
    except TypeError as exc:
        raise TypeError(
            f"loss_params={loss_params!r} do not fit loss={loss!r} "
            f"({exc}); for 'focal' use gamma and alpha, for 'logit_adjusted' "
            "use tau."
        ) from exc
    if kwargs:
        raise ValueError(
            f"loss_params={loss_params!r} apply to the built-in losses "
            f"only; configure loss={loss!r} directly, e.g. "
            "keras.losses.BinaryFocalCrossentropy(gamma=1.0)."
        )
    try:
        resolved = keras.losses.get(loss)
    except ValueError as exc:
        raise ValueError(
            f"loss={loss!r} is not a Keras loss; use 'auto', a name such "
            "as 'binary_focal_crossentropy', or a keras.losses.Loss."
        ) from exc
    if not isinstance(resolved, keras.losses.Loss):
        resolved = FunctionLoss(resolved)
    if n_outputs == 1 and wants_one_hot(resolved):
        raise ValueError(
            f"loss={loss!r} compares one-hot targets with one probability per "
            "class, but two classes get one sigmoid unit, on which it is 0 for "
            "every row; use loss='auto' (binary cross-entropy, the same loss for "
            "two classes) or 'binary_focal_crossentropy'."
        )
    return resolved


def optimizer_config(optimizer, learning_rate):
    """The Keras config of the estimator's optimizer: ``{"class_name", "config"}``.

    Parameters
    ----------
    optimizer : str or keras.optimizers.Optimizer
    learning_rate : float or None
        None keeps the optimizer's own.

    Returns
    -------
    config : dict
        A new dict, as ``keras.optimizers.get`` takes it.
    """
    if isinstance(optimizer, str):
        config = {"class_name": optimizer, "config": {}}
    else:
        kind = type(optimizer)
        own = kind.__module__.startswith("keras.")
        config = {
            # A subclass is named by its module too: two classes, two configs.
            "class_name": (kind.__name__ if own
                           else f"{kind.__module__}.{kind.__qualname__}"),
            "config": optimizer.get_config(),
        }
    if learning_rate is not None:
        config["config"]["learning_rate"] = learning_rate
    return config


def resolve_optimizer(optimizer, learning_rate):
    """A new Keras optimizer for the estimator's ``optimizer`` and ``learning_rate``.

    An instance is copied, so the caller's optimizer is never trained in place.

    Parameters
    ----------
    optimizer : str or keras.optimizers.Optimizer
    learning_rate : float or None
        None keeps the optimizer's own.

    Returns
    -------
    optimizer : keras.optimizers.Optimizer
        A new instance of the optimizer's class (a subclass included).
    """
    try:
        if isinstance(optimizer, keras.optimizers.Optimizer):
            # From its own class, so that a subclass stays what it is.
            config = optimizer_config(optimizer, learning_rate)["config"]
            return type(optimizer).from_config(config)
        return keras.optimizers.get(optimizer_config(optimizer, learning_rate))
    except ValueError as exc:
        raise ValueError(
            f"optimizer={optimizer!r} is not a Keras optimizer; use a "
            "name such as 'adam' or 'sgd', or a keras.optimizers.Optimizer."
        ) from exc


def resolve_metrics(metrics):
    """The metrics to compile a network with: each metric object a new copy.

    A Keras metric accumulates its state in its variables; compiling the
    caller's object would train it in place (and share it between fits).

    Parameters
    ----------
    metrics : list of str, keras.metrics.Metric or callable, or None

    Returns
    -------
    metrics : list or None
        A new list; metric objects rebuilt from their config, names and
        functions as given.
    """
    if not metrics:
        return None
    copies = []
    for metric in metrics:
        if isinstance(metric, keras.metrics.Metric):
            try:
                metric = type(metric).from_config(metric.get_config())
            except (TypeError, ValueError, NotImplementedError):
                metric = copy.deepcopy(metric)
        copies.append(metric)
    return copies


def metric_history_names(metrics):
    """Keras' full names of the metric names given in ``metrics``.

    ``{"mae": "mean_absolute_error", "val_mae": "val_mean_absolute_error",
    "acc": "accuracy", ...}``: Keras records a metric given by name under that
    name; skweight records it under the name of the metric it stands for, as
    scikeras does, so ``"mae"`` and ``"mean_absolute_error"`` give one key.

    Parameters
    ----------
    metrics : list or None
        The estimator's ``metrics``.

    Returns
    -------
    names : dict of str to str
        Only the names that differ from their full name.
    """
    names = {}
    for metric in metrics or []:
        if not isinstance(metric, str):
            continue
        if metric == "acc":  # Keras' alias of "accuracy" (not in metrics.get)
            full = "accuracy"
        else:
            try:
                full = keras.metrics.get(metric).name
            except (ValueError, AttributeError):
                continue
        if full != metric:
            names[metric] = full
            names[f"val_{metric}"] = f"val_{full}"
    return names
