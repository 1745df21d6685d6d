"""The baselines ``skweight compare`` ranks beside the networks.

A network has to earn its place against the models a practitioner would try
first on a table: a logistic regression and scikit-learn's gradient boosting,
the latter with its probabilities calibrated by a temperature
(:class:`~sklearn.calibration.CalibratedClassifierCV`, ``method="temperature"``),
which makes it the strongest of the usual peers for cost-based decisions. Both
are decided the same three ways as every strategy (argmax, Bayes rule, tuned
threshold) and start from the same preprocessing.
"""

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state

BASELINE_NAMES = ("logistic-regression", "gradient-boosting")


def baseline_strategies(random_state=None, *, preprocessor=None):
    """``{name: pipeline}`` of the baselines, in the order of ``BASELINE_NAMES``.

    Parameters
    ----------
    random_state : int, RandomState instance or None, default=None
        Seed of the gradient boosting and its calibration folds.
    preprocessor : transformer or None, default=None
        First step of each pipeline (cloned); None is a
        :class:`~sklearn.preprocessing.StandardScaler`.

    Returns
    -------
    baselines : dict
        ``"logistic-regression"``: :class:`~sklearn.linear_model.LogisticRegression`
        (``max_iter=1000``); ``"gradient-boosting"``:
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier` (with early
        stopping) calibrated by a temperature on 3 folds.

    Examples
    --------
    >>> from skweight._baselines import baseline_strategies
    >>> list(baseline_strategies(0))
    ['logistic-regression', 'gradient-boosting']
    """
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    seed = None
    if random_state is not None:
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    first = StandardScaler() if preprocessor is None else preprocessor
    boosting = HistGradientBoostingClassifier(early_stopping=True, random_state=seed)
    return {
        "logistic-regression": make_pipeline(clone(first),
                                             LogisticRegression(max_iter=1000)),
        "gradient-boosting": make_pipeline(
            clone(first), CalibratedClassifierCV(boosting, method="temperature", cv=3)),
    }
