"""Checks of what a fit receives besides the values of X.

The labels, the row weights and the items of list parameters. Each raises an
error that names the argument, what was received and the fix, before anything
is trained; none modifies its input.
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import check_array
from sklearn.utils.multiclass import type_of_target

from ._messages import short_repr


def check_two_classes(classes, param="y", y=None):
    if len(classes) >= 2:
        return
    if param == "y":
        raise ValueError(
            f"y has 1 class ({classes.tolist()[0]!r}); a classifier needs at least "
            "2 classes. Check the target column and any filtering before fit."
        )
    seen = np.unique(y).tolist() if y is not None else []
    raise ValueError(
        f"{param}={classes.tolist()!r} has 1 class; a classifier needs at least 2. "
        f"Pass every label of the whole data set (this y has {short_repr(seen)}), "
        "e.g. classes=numpy.unique(y_all)."
    )



def require_two_rows_per_class(y_encoded, classes, what, fix):
    """Raise unless every class has 2 rows, as a stratified split needs.

    Parameters
    ----------
    y_encoded : ndarray of int of shape (n_samples,)
        Classes of the rows, as indices into ``classes``.
    classes : ndarray of shape (n_classes,)
        The labels, for the message.
    what : str
        What splits the rows, the start of the message ("early_stopping=True
        holds out a stratified validation split").
    fix : str
        The first remedy ("Pass early_stopping=False").
    """
    sizes = np.bincount(y_encoded, minlength=len(classes))
    if sizes.min() < 2:
        counts = dict(zip(classes.tolist(), sizes.tolist(), strict=True))
        raise ValueError(
            f"{what}, which needs at least 2 rows of every class; class counts "
            f"are {counts!r}. {fix} or gather more rows."
        )


def as_float32(X, param):
    """``X`` as float32, the network's dtype; values beyond its range raise."""
    if X.dtype == np.float32:
        return X
    with np.errstate(over="ignore"):
        X32 = X.astype(np.float32)
    if np.isinf(X32).any():
        # check_array has rejected inf already: these overflowed the cast.
        row, column = np.argwhere(np.isinf(X32))[0]
        value = float(X[row, column])
        raise ValueError(
            f"{param} has values beyond float32's range (e.g. {value!r} "
            f"at row {row}, column {column}; float32 holds magnitudes up to "
            f"{float(np.finfo(np.float32).max):.3g}), and the network computes in "
            "float32. Scale the features, e.g. with "
            "sklearn.preprocessing.StandardScaler."
        )
    return X32


def check_row_weights(sample_weight, n_rows, n_name="X"):
    """``sample_weight`` as finite float64 row weights (a scalar: every row).

    ``n_name`` names the data whose ``n_rows`` rows the weights must match.
    """
    if sample_weight is None:
        return np.ones(n_rows)
    if isinstance(sample_weight, Real):
        sample_weight = np.full(n_rows, sample_weight, dtype=np.float64)
    sample_weight = check_array(sample_weight, ensure_2d=False, dtype=np.float64,
                                input_name="sample_weight")
    if sample_weight.shape != (n_rows,):
        raise ValueError(
            f"sample_weight has shape {sample_weight.shape} but {n_name} has {n_rows} "
            f"rows; pass one weight per row, shape ({n_rows},)."
        )
    if not sample_weight.any():
        raise ValueError(
            "sample_weight is zero on every row; give the rows that count a "
            "weight > 0."
        )
    return sample_weight


def reject_missing_labels(y):
    """Explain None and NaN labels instead of a sorting error."""
    y = np.asarray(y, dtype=object) if not hasattr(y, "dtype") else np.asarray(y)
    if y.ndim != 1:
        return
    missing = np.flatnonzero(pd.isna(y))
    if len(missing):
        raise ValueError(
            f"y has {len(missing)} missing label(s) (None or NaN, first at row "
            f"{missing[0]}: {y[missing[0]]!r}); every row needs a class label. "
            "Drop those rows, or fill them with a label, before fit."
        )


def reject_indicator_targets(y):
    """Explain one-hot and multilabel targets instead of failing obscurely."""
    y = np.asarray(y)
    if y.ndim != 2 or y.shape[1] < 2 or type_of_target(y) != "multilabel-indicator":
        return
    if np.all(y.sum(axis=1) == 1):
        raise ValueError(
            f"y is one-hot encoded (shape {y.shape}, one 1 per row); "
            "WeightedKerasClassifier takes class labels. Pass y.argmax(axis=1), or "
            "better the original labels, and it encodes them itself."
        )
    raise ValueError(
        f"y is a multilabel indicator matrix (shape {y.shape}); multilabel "
        "classification is not supported yet. Fit one classifier per label, e.g. "
        "with sklearn.multioutput.MultiOutputClassifier."
    )


def check_layer_sizes(hidden_layer_sizes):
    """Raise unless every hidden layer size is a positive integer."""
    sizes = np.atleast_1d(np.asarray(hidden_layer_sizes, dtype=object))
    if not all(isinstance(size, Integral) and not isinstance(size, bool)
               and size >= 1 for size in sizes):
        raise ValueError(
            f"hidden_layer_sizes={short_repr(hidden_layer_sizes)} must hold "
            "positive integers, the units of each hidden layer, e.g. (100,) or "
            "(64, 32)."
        )


def check_callbacks(callbacks):
    """Raise unless ``callbacks`` is None, a Keras callback or a list of them."""
    import keras  # here, so that the weight checks work without Keras loaded

    if callbacks is None or isinstance(callbacks, keras.callbacks.Callback):
        return
    bad = [cb for cb in callbacks if not isinstance(cb, keras.callbacks.Callback)]
    if bad:
        raise TypeError(
            f"callbacks={short_repr(callbacks)} holds {bad[0]!r} of type "
            f"{type(bad[0]).__name__}; pass keras.callbacks.Callback objects (one, "
            "or a list of them)."
        )


def check_metrics(metrics):
    """Raise unless every metric name is one Keras knows."""
    import keras

    for metric in metrics or []:
        if not isinstance(metric, str) or metric in ("accuracy", "acc"):
            continue  # objects are Keras' to check; accuracy depends on the targets
        try:
            keras.metrics.get(metric)
        except ValueError as exc:
            raise ValueError(
                f"metrics={short_repr(metrics)} holds {metric!r}, which is not a "
                "Keras metric; use names such as 'accuracy' or 'auc', or "
                "keras.metrics objects."
            ) from exc


def partial_fit_classes(y, classes, fitted_classes):
    """The classes of a ``partial_fit`` call, checked; ``y`` must be among them.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        The batch's labels.
    classes : array-like or None
        The ``classes`` argument: required on the first call.
    fitted_classes : ndarray or None
        ``classes_`` after the first call, None on it.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        Sorted.
    """
    if fitted_classes is None:
        if classes is None:
            raise ValueError(
                "classes must be passed on the first call to partial_fit: the "
                "network's output width depends on them. Pass "
                "classes=numpy.unique(y_all)."
            )
        fitted_classes = np.unique(np.asarray(classes))
        check_two_classes(fitted_classes, "classes", y)
    elif classes is not None and not np.array_equal(np.unique(classes),
                                                     fitted_classes):
        raise ValueError(
            f"classes={np.unique(classes).tolist()!r} differ from the classes "
            f"of the first call {fitted_classes.tolist()!r}; pass the same "
            "classes on every call."
        )
    unknown = np.setdiff1d(np.unique(y), fitted_classes)
    if len(unknown):
        raise ValueError(
            f"y has labels {unknown.tolist()!r} that are not in classes "
            f"{fitted_classes.tolist()!r}; pass every label in classes on the "
            "first call."
        )
    return fitted_classes
