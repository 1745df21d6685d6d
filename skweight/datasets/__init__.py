"""Real imbalanced data shipped inside the package: no download, ever."""

import csv
import gzip
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

__all__ = ["load_yeast"]

_YEAST_FEATURES = ["mcg", "gvh", "alm", "mit", "erl", "pox", "vac", "nuc"]


def load_yeast(*, positive_class=None, return_X_y=False, as_frame=False):
    """Load the UCI Yeast data: protein localization sites, 1484 proteins.

    Ten classes from 463 rows (CYT) down to 5 (ERL). With ``positive_class`` it
    becomes a binary problem, that class against the rest; ``"EXC"`` (35 rows,
    2.4 %) gives the "yeast6" benchmark of the imbalanced-learning literature.

    Source: UCI Machine Learning Repository (Nakai & Horton), CC BY 4.0; see
    ``skweight/datasets/data/README.txt``.

    Parameters
    ----------
    positive_class : str, default=None
        A localization site (e.g. ``"EXC"``, ``"ME2"``): y becomes 1 for it and 0
        for the rest. None keeps the ten string labels.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    as_frame : bool, default=False
        X as a pandas DataFrame and y as a Series (needs pandas).

    Returns
    -------
    data : Bunch or tuple
        ``data``, ``target``, ``feature_names``, ``target_names``, ``DESCR``.

    Examples
    --------
    >>> from skweight.datasets import load_yeast
    >>> X, y = load_yeast(positive_class="EXC", return_X_y=True)
    >>> X.shape, int(y.sum())
    ((1484, 8), 35)
    """
    path = resources.files("skweight.datasets") / "data" / "yeast.csv.gz"
    with resources.as_file(path) as file, gzip.open(file, "rt", newline="") as f:
        rows = list(csv.reader(f))[1:]
    X = np.array([row[:-1] for row in rows], dtype=np.float64)
    labels = np.array([row[-1] for row in rows], dtype=object)
    if positive_class is None:
        y = labels
        target_names = np.unique(labels)
    else:
        if positive_class not in set(labels):
            raise ValueError(
                f"positive_class={positive_class!r} is not a yeast localization "
                f"site; choose one of {sorted(set(labels))!r}."
            )
        y = (labels == positive_class).astype(np.int64)
        target_names = np.array([f"not {positive_class}", positive_class],
                                dtype=object)
    if as_frame:
        import pandas as pd

        X = pd.DataFrame(X, columns=_YEAST_FEATURES)
        y = pd.Series(y, name="localization" if positive_class is None
                      else positive_class)
    if return_X_y:
        return X, y
    return Bunch(
        data=X,
        target=y,
        feature_names=list(_YEAST_FEATURES),
        target_names=target_names,
        DESCR=load_yeast.__doc__,
    )
