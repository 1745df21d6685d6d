"""Random resampling of rows of any input form, inside imbalanced-learn pipelines.

imbalanced-learn's samplers validate X as a 2-D table, so images, sequences, raw
strings and named inputs never reach them. Random under- and over-sampling only
choose rows, from the labels alone: :class:`RowSampler` lets the sampler choose
among the row numbers and takes those rows of X, whatever its form.
"""

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import _num_samples
from sklearn_compat.utils._indexing import _safe_indexing

from ._messages import short_repr


def row_choosers():
    """The imbalanced-learn samplers that choose rows from the labels alone."""
    from imblearn.over_sampling import RandomOverSampler
    from imblearn.under_sampling import RandomUnderSampler

    return RandomUnderSampler, RandomOverSampler


class RowSampler(BaseEstimator):
    """Random under- or over-sampling of rows of any shape, as a pipeline step.

    A step for :class:`imblearn.pipeline.Pipeline` in front of
    :class:`~skweight.WeightedKerasClassifier`: it resamples images ``(n, h, w,
    c)``, sequences, raw strings (arrays, lists, Series), DataFrames and dicts
    of arrays keyed by input name, which imbalanced-learn's samplers refuse
    ("Found array with dim 4"). The wrapped sampler picks row numbers from the
    labels, exactly as it would pick rows of a table with the same labels and
    ``random_state``; the rows of X with those numbers are returned.

    Only samplers that choose whole rows without reading the features qualify:
    :class:`~imblearn.under_sampling.RandomUnderSampler` and
    :class:`~imblearn.over_sampling.RandomOverSampler` without ``shrinkage``.
    Samplers that make or pick rows from the features (SMOTE, NearMiss, ...)
    need a table: flatten the rows first, if that is meaningful for them.

    A network after it in the pipeline learns the class frequencies of the
    resampled rows, and its ``predict_proba`` is prior-corrected to those, not
    to the data's own frequencies: class weights (``class_weight="balanced"``)
    give the same emphasis on the rare class and keep the probabilities those
    of the data.

    Parameters
    ----------
    sampler : RandomUnderSampler or RandomOverSampler, default=None
        The sampler that chooses the rows, cloned at each ``fit_resample``.
        None: ``RandomUnderSampler()``.

    Attributes
    ----------
    sampler_ : RandomUnderSampler or RandomOverSampler
        The fitted clone of ``sampler``.
    sample_indices_ : ndarray of shape (n_resampled,)
        The rows of X that were returned, in order.

    See Also
    --------
    skweight.default_strategies : the ``"undersampling"`` strategy uses it.

    Examples
    --------
    >>> import numpy as np
    >>> from imblearn.under_sampling import RandomUnderSampler
    >>> from skweight import RowSampler
    >>> images = np.zeros((10, 8, 8, 1))
    >>> y = np.array([0] * 8 + [1] * 2)
    >>> sampler = RowSampler(RandomUnderSampler(random_state=0))
    >>> images_res, y_res = sampler.fit_resample(images, y)
    >>> images_res.shape, np.bincount(y_res).tolist()
    ((4, 8, 8, 1), [2, 2])
    """

    def __init__(self, sampler=None):
        self.sampler = sampler

    def fit_resample(self, X, y):
        """Choose rows with the sampler and return those rows of X and y.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...), list, DataFrame or dict
            The rows, in any form :class:`~skweight.WeightedKerasClassifier`
            takes; a dict holds one array per input, each of ``n_samples`` rows.
            Not modified.
        y : array-like of shape (n_samples,)
            Labels.

        Returns
        -------
        X_resampled : same form as X
        y_resampled : ndarray of shape (n_resampled,)
        """
        sampler = self._checked_sampler()
        n_rows = self._count_rows(X)
        if n_rows != _num_samples(y):
            raise ValueError(
                f"X has {n_rows} rows but y has {_num_samples(y)} labels; pass one "
                "label per row."
            )
        rows, y_resampled = sampler.fit_resample(
            np.arange(n_rows).reshape(-1, 1), y
        )
        self.sampler_ = sampler
        self.sample_indices_ = rows[:, 0]
        if isinstance(X, dict):
            X_resampled = {name: _safe_indexing(values, self.sample_indices_)
                           for name, values in X.items()}
        else:
            X_resampled = _safe_indexing(X, self.sample_indices_)
        return X_resampled, y_resampled

    def fit(self, X, y):
        """Fit the sampler on (X, y); :meth:`fit_resample` returns the rows too.

        Returns
        -------
        self : RowSampler
        """
        self.fit_resample(X, y)
        return self

    def _checked_sampler(self):
        choosers = row_choosers()
        if self.sampler is None:
            return choosers[0]()
        if not isinstance(self.sampler, choosers) or \
                getattr(self.sampler, "shrinkage", None) is not None:
            raise TypeError(
                f"RowSampler(sampler={short_repr(self.sampler)}) needs a sampler "
                "that chooses whole rows from the labels alone: RandomUnderSampler "
                "or RandomOverSampler(shrinkage=None). Samplers that read the "
                "features (SMOTE, NearMiss, a smoothed bootstrap) need a 2-D "
                "table: use them directly on one."
            )
        return clone(self.sampler)

    @staticmethod
    def _count_rows(X):
        if not isinstance(X, dict):
            return _num_samples(X)
        if not X:
            raise ValueError("X is an empty dict; pass one array per model input.")
        counts = {name: _num_samples(values) for name, values in X.items()}
        if len(set(counts.values())) > 1:
            raise ValueError(
                f"X is a dict whose arrays have different numbers of rows "
                f"({counts!r}); every input needs one row per sample."
            )
        return next(iter(counts.values()))
