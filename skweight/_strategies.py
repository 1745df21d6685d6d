"""The imbalance strategies :func:`~skweight.compare_strategies` compares by default.

Each is a pipeline (the preprocessor, for two of them an imbalanced-learn
resampler, then a network) that differs from the others in one knob: class
weights, output bias, loss, resampling (DESIGN §1-2, §6) or a calibration map
(DESIGN §8).
"""

import functools
from collections.abc import Mapping

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state

from ._cost_matrix import check_cost_matrix
from ._weights import compute_class_weights

NETWORK_DEFAULTS = {"hidden_layer_sizes": (32,), "epochs": 100}
STRATEGY_NAMES = (
    "no-weights",
    "prior-bias",
    "balanced",
    "balanced+prior-bias",
    "balanced+calibrated",
    "cost-weights",
    "focal",
    "logit-adjusted",
    "undersampling",
    "smote",
)
# Each calibrated strategy and the strategy it calibrates, which the reliability
# figure draws beside it.
CALIBRATED_FROM = {"balanced+calibrated": "balanced"}


def cost_class_weights(y, *, cost_matrix):
    """``class_weight="cost"`` for the labels ``y``, as a dict keyed by them.

    ``w_c ∝ sum_j C[c, j]`` (DESIGN §1), through
    :func:`~skweight.compute_class_weights`. Used as a callable ``class_weight``
    (with ``functools.partial``), it leaves the estimator's ``cost_matrix`` unset,
    so its ``predict`` stays the argmax of its weighted output.

    Examples
    --------
    >>> from skweight._strategies import cost_class_weights
    >>> cost_class_weights(["a", "b", "b"], cost_matrix=[[0, 1], [20, 0]])
    {'a': 0.073..., 'b': 1.463...}
    """
    matrix = check_cost_matrix(cost_matrix, np.unique(np.asarray(y)))
    return compute_class_weights("cost", y, cost_matrix=matrix)


def default_preprocessor(X):
    """The first step of the default strategies for ``X``: scale tables only.

    A :class:`~sklearn.preprocessing.StandardScaler` (None) takes 2-D numeric
    tables; N-D arrays (images, sequences) and raw text go to the network as
    they are (``"passthrough"``).

    Parameters
    ----------
    X : array-like or DataFrame
        The rows the strategies will be fitted on.

    Returns
    -------
    preprocessor : None or "passthrough"
        The ``preprocessor`` argument of :func:`default_strategies`.
    """
    if hasattr(X, "columns"):  # a DataFrame is a table
        return None
    if np.ndim(X) > 2:
        return "passthrough"
    dtype = getattr(X, "dtype", None)
    if dtype is None:  # a list: only its kind of values is needed
        dtype = np.asarray(X[:1] if isinstance(X, list | tuple) else X).dtype
    return "passthrough" if dtype.kind in "OUS" and np.ndim(X) == 1 else None


def default_strategies(
    cost_matrix=None,
    random_state=None,
    *,
    preprocessor=None,
    network_params=None,
    estimator=None,
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
    preprocessor : transformer, "passthrough" or None, default=None
        First step of every pipeline (cloned for each); None is a
        :class:`~sklearn.preprocessing.StandardScaler`. Pass a
        :class:`~sklearn.compose.ColumnTransformer` for mixed tables, or
        ``"passthrough"`` (or a ``FunctionTransformer``) for images and sequences.
    network_params : dict, default=None
        Parameters of every network, on top of ``NETWORK_DEFAULTS`` (one hidden
        layer of 32 units, at most 100 epochs), e.g. ``{"epochs": 5}``.
    estimator : WeightedKerasClassifier or None, default=None
        The network every strategy starts from (cloned), e.g. one with your own
        ``model`` builder; None is ``WeightedKerasClassifier(**NETWORK_DEFAULTS)``.
        ``NETWORK_DEFAULTS`` are not applied to it; ``network_params`` are.

    Returns
    -------
    strategies : dict
        Ordered ``{name: estimator}`` in the order of ``STRATEGY_NAMES``, every
        estimator a pipeline: the preprocessor, then for ``"undersampling"`` and
        ``"smote"`` an imbalanced-learn resampler, then a network:

        - ``"no-weights"``: no class weights, output bias zeros;
        - ``"prior-bias"``: no class weights, output bias from the priors;
        - ``"balanced"``: balanced class weights, output bias zeros;
        - ``"balanced+prior-bias"``: both (the bias from the unweighted priors);
        - ``"balanced+calibrated"``: ``"balanced"``, then a temperature and a
          bias on the prior-corrected logits (Platt scaling for two classes;
          ``calibration="temperature"``), fitted on a stratified
          ``calibration_fraction`` (20 %) of the training rows that the network
          does not train on (with the estimator's early stopping, on its
          validation split instead; with ``network_params={"n_members": k,
          "cross_fit": True}``, on every row out of fold, and ``"balanced"``
          is then calibrated the same way);
        - ``"cost-weights"``: see ``cost_matrix``;
        - ``"focal"``: focal loss, gamma = 2, output bias from the priors
          (Lin et al. 2017);
        - ``"logit-adjusted"``: logit-adjusted loss, tau = 1 (Menon et al. 2021);
        - ``"undersampling"``: :class:`~imblearn.under_sampling.RandomUnderSampler`,
          in a :class:`~skweight.RowSampler` (rows of any shape);
        - ``"smote"``: :class:`~imblearn.over_sampling.SMOTE`.

        Add or remove entries freely: any estimator with ``predict_proba`` fits.

    Examples
    --------
    >>> from skweight import default_strategies
    >>> list(default_strategies([[0, 1], [20, 0]], random_state=0))
    ['no-weights', 'prior-bias', 'balanced', 'balanced+prior-bias',
     'balanced+calibrated', 'cost-weights', 'focal', 'logit-adjusted',
     'undersampling', 'smote']
    """
    from imblearn.over_sampling import SMOTE
    from imblearn.pipeline import make_pipeline as make_resampling_pipeline
    from imblearn.under_sampling import RandomUnderSampler

    from ._classifier import WeightedKerasClassifier
    from ._resample import RowSampler

    seed = None
    if random_state is not None:
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    if estimator is None:
        estimator = WeightedKerasClassifier(**NETWORK_DEFAULTS)
    params = {**(network_params or {}), "random_state": seed}
    if preprocessor is None:
        preprocessor = StandardScaler()
    first = preprocessor if isinstance(preprocessor, str) else clone(preprocessor)

    def network(**kwargs):
        return clone(estimator).set_params(**{**params, **kwargs})

    def net(**kwargs):
        return make_pipeline(clone(first) if first != "passthrough" else first,
                             network(**kwargs))

    def resampled(sampler):
        return make_resampling_pipeline(
            clone(first) if first != "passthrough" else first, sampler, network()
        )

    strategies = {
        "no-weights": net(bias_init="zeros"),
        "prior-bias": net(bias_init="prior"),
        "balanced": net(class_weight="balanced", bias_init="zeros"),
        "balanced+prior-bias": net(class_weight="balanced", bias_init="prior"),
        "balanced+calibrated": net(class_weight="balanced", bias_init="zeros",
                                   calibration="temperature"),
    }
    if cost_matrix is not None and np.ndim(cost_matrix) != 3 \
            and not _uniform_row_sums(cost_matrix):
        weights = functools.partial(cost_class_weights, cost_matrix=cost_matrix)
        strategies["cost-weights"] = net(class_weight=weights, bias_init="zeros")
    strategies.update({
        "focal": net(loss="focal", loss_params={"gamma": 2.0}, bias_init="prior"),
        "logit-adjusted": net(loss="logit_adjusted", loss_params={"tau": 1.0}),
        # RowSampler picks the rows RandomUnderSampler would, for any input form.
        "undersampling": resampled(RowSampler(RandomUnderSampler(random_state=seed))),
        "smote": resampled(SMOTE(random_state=seed)),
    })
    return strategies


def _uniform_row_sums(cost_matrix):
    if isinstance(cost_matrix, Mapping) or callable(cost_matrix):
        return False
    sums = np.asarray(cost_matrix, dtype=float).sum(axis=1)
    return bool(np.allclose(sums, sums[0]))
