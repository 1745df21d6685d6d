"""Routed parameters and builder calls: scikeras' and skorch's conventions.

``model__filters=8`` is the builder's keyword ``filters``, kept in ``model_params``;
``optimizer__momentum=0.9`` is the optimizer's ``momentum``, kept in
``optimizer_params``. They may be given to the constructor, to ``set_params`` or in
a grid (``{"model__hidden": [8, 16]}``); each call stores a NEW dict, never the
caller's. ``get_params(deep=True)`` lists them back under their routed names.

A builder is called by what its signature accepts (:func:`call_builder`).
"""

import inspect
import warnings

import keras

from ._losses import optimizer_config, resolve_optimizer

# Prefix of a routed parameter -> the estimator parameter that holds its values.
ROUTES = {"model": "model_params", "optimizer": "optimizer_params"}

# The default network's parameters, unused by a custom model.
MLP_DEFAULTS = {"hidden_layer_sizes": (100,), "activation": "relu", "dropout": 0.0}


def split_routed(params):
    """Split ``params`` into routed values by route and the other parameters.

    Parameters
    ----------
    params : dict
        Keyword arguments of ``set_params`` or of the constructor.

    Returns
    -------
    routed : dict
        ``{"model_params": {...}, "optimizer_params": {...}}`` for the routes
        present.
    rest : dict
        The parameters without a routed prefix.
    """
    routed, rest = {}, {}
    for key, value in params.items():
        prefix, sep, name = key.partition("__")
        if sep and prefix in ROUTES and name:
            routed.setdefault(ROUTES[prefix], {})[name] = value
        else:
            rest[key] = value
    return routed, rest


def merged(current, routed):
    """A new dict: ``current`` updated with ``routed``.

    ``current`` that is not a dict (None, or a bad value that ``fit`` would
    reject) is replaced.
    """
    return {**(current if isinstance(current, dict) else {}), **routed}


def routed_params(estimator):
    """The routed names of the values in ``model_params`` and ``optimizer_params``."""
    params = {}
    for prefix, holder in ROUTES.items():
        values = getattr(estimator, holder, None)
        for name, value in (values if isinstance(values, dict) else {}).items():
            params[f"{prefix}__{name}"] = value
    return params


def warn_unused_mlp_params(estimator):
    """Warn when a parameter of the default network is set with a custom ``model``."""
    if estimator.model is None:
        return
    for name, default in MLP_DEFAULTS.items():
        value = getattr(estimator, name)
        same = (tuple(value) == default if name == "hidden_layer_sizes"
                and not isinstance(value, (int, str)) else value == default)
        if not same:
            warnings.warn(
                f"{name}={value!r} is unused: it shapes the default network only, "
                f"and model={getattr(estimator.model, '__name__', estimator.model)!r}"
                f" is given. Pass it to the builder as model__{name}=... (or in "
                "model_params) if it takes it, or leave it at its default.",
                UserWarning,
                stacklevel=4,
            )


def _meta_style(builder):
    """How ``builder`` takes ``meta``: "keyword", "positional" or None (not at all).

    A parameter named ``meta`` takes it by keyword; else a first parameter without
    a default that can be passed by position takes it by position; else a
    ``**kwargs`` takes ``meta=`` among the keywords; else the builder gets no meta.
    A callable whose signature cannot be read gets ``meta=``.
    """
    try:
        parameters = list(inspect.signature(builder).parameters.values())
    except (TypeError, ValueError):
        return "keyword"
    by_name = {p.name: p for p in parameters}
    meta = by_name.get("meta")
    if meta is not None and meta.kind is not inspect.Parameter.POSITIONAL_ONLY:
        return "keyword"
    positional = (inspect.Parameter.POSITIONAL_ONLY,
                  inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if (parameters and parameters[0].kind in positional
            and parameters[0].default is inspect.Parameter.empty):
        return "positional"
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return "keyword"
    return None


def call_builder(builder, meta, params):
    """Call a builder with ``meta`` as its signature takes it, ``params`` by keyword.

    Parameters
    ----------
    builder : callable
    meta : dict
        Facts about the training data (see :mod:`skweight._model`).
    params : dict
        The builder's keyword arguments (``model_params``).

    Returns
    -------
    built : object
        What the builder returns.
    """
    style = _meta_style(builder)
    if style == "keyword":
        return builder(meta=meta, **params)
    if style == "positional":
        return builder(meta, **params)
    return builder(**params)


def optimizer_with_params(optimizer, learning_rate, params):
    """A new Keras optimizer for ``optimizer``, ``learning_rate`` and ``params``.

    Parameters
    ----------
    optimizer : str or keras.optimizers.Optimizer
        The estimator's ``optimizer`` (an instance is copied, never trained).
    learning_rate : float or None
        None keeps the optimizer's own.
    params : dict or None
        ``optimizer_params``: keyword arguments of the optimizer's class, e.g.
        ``{"momentum": 0.9}`` for ``"sgd"``; ``learning_rate`` wins over theirs.

    Returns
    -------
    optimizer : keras.optimizers.Optimizer
    """
    if not params:
        return resolve_optimizer(optimizer, learning_rate)
    config = optimizer_settings(optimizer, learning_rate, params)
    try:
        return keras.optimizers.get(config)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"optimizer_params={params!r} do not fit optimizer={optimizer!r} "
            f"({exc}); pass keyword arguments its class takes, e.g. "
            "optimizer='sgd', optimizer__momentum=0.9."
        ) from exc


def optimizer_settings(optimizer, learning_rate, params):
    """The optimizer's Keras config with ``optimizer_params`` and ``learning_rate``.

    Read from the settings (for the trainer key, see :mod:`skweight._reuse`);
    equal to :func:`skweight._losses.optimizer_config` without ``params``.
    """
    if not params:
        return optimizer_config(optimizer, learning_rate)
    config = optimizer_config(optimizer, None)
    config["config"] = {**config["config"], **params}
    if learning_rate is not None:
        config["config"]["learning_rate"] = learning_rate
    return config


class RoutedParamsMixin:
    """``get_params``/``set_params`` (and a constructor) that take routed names.

    The estimator keeps the values in its ``model_params`` and
    ``optimizer_params`` parameters (:data:`ROUTES`). Its ``__init__`` takes
    ``**routed`` keywords; the class's signature lists only the named
    parameters, the estimator's API, which scikit-learn's checks read.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        signature = inspect.signature(cls.__init__)
        parameters = [p for name, p in signature.parameters.items()
                      if name != "self" and p.kind is not p.VAR_KEYWORD]
        cls.__signature__ = signature.replace(parameters=parameters)

    def _store_routed(self, routed):
        """Merge a constructor's ``model__x``/``optimizer__x`` into new dicts."""
        by_route, unknown = split_routed(routed)
        if unknown:
            raise TypeError(
                f"{type(self).__name__}.__init__() got an unexpected keyword "
                f"argument {next(iter(unknown))!r}; routed parameters start "
                "with model__ or optimizer__."
            )
        for holder, values in by_route.items():
            setattr(self, holder, merged(getattr(self, holder), values))

    def get_params(self, deep=True):
        """Parameters of this estimator; with ``deep``, also ``model__x`` and
        ``optimizer__x`` for the values of ``model_params`` and ``optimizer_params``.

        Parameters
        ----------
        deep : bool, default=True
            Also list the routed parameters.

        Returns
        -------
        params : dict
        """
        params = super().get_params(deep=deep)
        if deep:
            params.update(routed_params(self))
        return params

    def set_params(self, **params):
        """Set parameters; ``model__x`` and ``optimizer__x`` go into new dicts
        ``model_params`` and ``optimizer_params``.

        Parameters
        ----------
        **params : dict
            Estimator parameters and routed parameters.

        Returns
        -------
        self : estimator
        """
        by_route, rest = split_routed(params)
        for holder, values in by_route.items():
            rest[holder] = merged(rest.get(holder, getattr(self, holder)), values)
        return super().set_params(**rest)


__all__ = ["MLP_DEFAULTS", "ROUTES", "RoutedParamsMixin", "call_builder", "merged",
           "optimizer_settings", "optimizer_with_params", "routed_params",
           "split_routed", "warn_unused_mlp_params"]
