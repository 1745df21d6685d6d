"""The cost-sensitive meta-estimator: Bayes rule, tuned decisions, sklearn API."""

import pickle

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    StratifiedShuffleSplit,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import check_classifiers_train

from skweight import (
    CostSensitiveClassifier,
    binary_cost_matrix,
    make_cost_scorer,
    mean_cost,
)


class ZeroOneCosts:
    """The 0-1 loss for any classes: the Bayes rule is then the argmax."""

    def __call__(self, classes):
        return 1.0 - np.eye(len(classes))

    def __repr__(self):
        return "ZeroOneCosts()"


class ConstantProba(ClassifierMixin, BaseEstimator):
    """Classifier returning the same probabilities for every row."""

    def __init__(self, proba=(0.5, 0.5)):
        self.proba = proba

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.tile(np.asarray(self.proba, dtype=float), (len(X), 1))


# scikit-learn's estimator checks of CostSensitiveClassifier run in test_common.py.


def test_zero_one_costs_pass_check_classifiers_train():
    """Check that with the 0-1 loss the Bayes rule is the argmax and the check holds."""
    estimator = CostSensitiveClassifier(
        LogisticRegression(), cost_matrix=ZeroOneCosts()
    )
    check_classifiers_train("CostSensitiveClassifier", estimator)


@pytest.fixture(scope="module")
def binary_split():
    """2000 rows, 10 % positives 'pos', split into X_train, X_test, y_train, y_test."""
    X, y = make_classification(
        n_samples=2000, n_features=10, weights=[0.9, 0.1], class_sep=0.5, flip_y=0,
        random_state=0,
    )
    y = np.array(["neg", "pos"])[y]
    return train_test_split(X, y, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def multiclass_split():
    """2000 rows, classes 'a', 'b', 'c' at 80/15/5 %, split like ``binary_split``."""
    X, y = make_classification(
        n_samples=2000, n_classes=3, n_informative=4, weights=[0.8, 0.15, 0.05],
        class_sep=0.8, random_state=0,
    )
    y = np.array(["a", "b", "c"])[y]
    return train_test_split(X, y, stratify=y, random_state=0)


BINARY_COSTS = np.array([[0.0, 1.0], [10.0, 0.0]])
MULTICLASS_COSTS = np.array([[0.0, 1.0, 1.0], [5.0, 0.0, 1.0], [20.0, 5.0, 0.0]])


@pytest.mark.parametrize("cost_01, cost_10", [(1.0, 10.0), (3.0, 1.0), (1.0, 1.0)])
def test_bayes_binary_is_the_analytic_threshold(binary_split, cost_01, cost_10):
    """Check that the binary Bayes rule is the threshold C01 / (C01 + C10).

    classes_[1] is predicted iff p1 > t; ties (p1 == t exactly) go to classes_[0].
    Logistic-regression probabilities never equal t here, so the predictions also
    equal ``p1 >= t``, FixedThresholdClassifier's convention.
    """
    X_train, X_test, y_train, _ = binary_split
    cost = [[0.0, cost_01], [cost_10, 0.0]]
    clf = CostSensitiveClassifier(LogisticRegression(), cost_matrix=cost)
    clf.fit(X_train, y_train)
    threshold = cost_01 / (cost_01 + cost_10)
    assert clf.threshold_ == threshold
    p1 = clf.predict_proba(X_test)[:, 1]
    assert not np.any(p1 == threshold)
    assert_array_equal(clf.predict(X_test), clf.classes_[(p1 >= threshold).astype(int)])


def test_bayes_binary_tie_goes_to_the_first_class():
    """Check the tie convention on a probability equal to the threshold."""
    X, y = np.zeros((4, 1)), np.array([0, 0, 1, 1])
    # p1 = 0.2 = threshold_: predicting 0 and 1 both cost 0.8.
    clf = CostSensitiveClassifier(
        ConstantProba(proba=(0.8, 0.2)), cost_matrix=[[0, 1], [4, 0]]
    ).fit(X, y)
    assert clf.threshold_ == 0.2
    assert_array_equal(clf.predict(X), [0, 0, 0, 0])
    assert_array_equal(clf.decision_function(X), [0.0, 0.0, 0.0, 0.0])


def test_bayes_multiclass_is_argmin_of_expected_costs(multiclass_split):
    """Check the multiclass rule against argmin(predict_proba @ C) computed by hand."""
    X_train, X_test, y_train, _ = multiclass_split
    clf = CostSensitiveClassifier(LogisticRegression(), cost_matrix=MULTICLASS_COSTS)
    clf.fit(X_train, y_train)
    assert_array_equal(clf.classes_, ["a", "b", "c"])
    proba = LogisticRegression().fit(X_train, y_train).predict_proba(X_test)
    n_test, n_classes = proba.shape
    expected = np.zeros((n_test, n_classes))
    for j in range(n_classes):
        for i in range(n_classes):
            expected[:, j] += proba[:, i] * MULTICLASS_COSTS[i, j]
    assert_array_equal(clf.predict(X_test), clf.classes_[expected.argmin(axis=1)])
    assert clf.threshold_ is None and clf.offsets_ is None
    # The decision changed, not the probabilities.
    assert_allclose(clf.predict_proba(X_test), proba)


def test_tuned_beats_argmax_binary(binary_split):
    """Check that the tuned threshold lowers the held-out cost of plain predict."""
    X_train, X_test, y_train, y_test = binary_split
    plain = LogisticRegression().fit(X_train, y_train)
    tuned = CostSensitiveClassifier(
        LogisticRegression(), cost_matrix=BINARY_COSTS, strategy="tuned",
        random_state=0,
    ).fit(X_train, y_train)
    plain_cost = mean_cost(y_test, plain.predict(X_test), cost_matrix=BINARY_COSTS)
    tuned_cost = mean_cost(y_test, tuned.predict(X_test), cost_matrix=BINARY_COSTS)
    assert tuned_cost < 0.8 * plain_cost
    assert 0 < tuned.threshold_ < 0.5
    costs = tuned.cv_results_["costs"]
    assert tuned.best_cost_ == pytest.approx(costs.min())
    assert costs.shape == tuned.cv_results_["thresholds"].shape


def test_tuned_beats_argmax_multiclass(multiclass_split):
    """Check that tuned log-probability offsets lower the held-out cost, 3 classes."""
    X_train, X_test, y_train, y_test = multiclass_split
    plain = LogisticRegression().fit(X_train, y_train)
    tuned = CostSensitiveClassifier(
        LogisticRegression(), cost_matrix=MULTICLASS_COSTS, strategy="tuned",
        random_state=0,
    ).fit(X_train, y_train)
    plain_cost = mean_cost(y_test, plain.predict(X_test), cost_matrix=MULTICLASS_COSTS)
    tuned_cost = mean_cost(y_test, tuned.predict(X_test), cost_matrix=MULTICLASS_COSTS)
    assert tuned_cost < 0.8 * plain_cost
    assert tuned.offsets_.shape == (3,) and tuned.threshold_ is None
    trace = tuned.cv_results_["costs"]
    assert np.all(np.diff(trace) < 0)
    assert tuned.best_cost_ == pytest.approx(trace[-1])
    assert tuned.cv_results_["offsets"].shape == (len(trace), 3)
    log_proba = np.log(tuned.predict_proba(X_test))
    assert_array_equal(
        tuned.predict(X_test), tuned.classes_[np.argmax(log_proba + tuned.offsets_, 1)]
    )


@pytest.mark.parametrize("strategy", ["bayes", "tuned"])
@pytest.mark.parametrize("data_name", ["binary_split", "multiclass_split"])
def test_decision_function_agrees_with_predict(request, strategy, data_name):
    """Check that decision_function and predict give the same labels."""
    X_train, X_test, y_train, _ = request.getfixturevalue(data_name)
    cost = BINARY_COSTS if data_name == "binary_split" else MULTICLASS_COSTS
    clf = CostSensitiveClassifier(
        LogisticRegression(), cost_matrix=cost, strategy=strategy, cv=3,
        random_state=0,
    ).fit(X_train, y_train)
    scores = clf.decision_function(X_test)
    if scores.ndim == 1:
        expected = clf.classes_[(scores > 0).astype(int)]
    else:
        expected = clf.classes_[np.argmax(scores, axis=1)]
    assert_array_equal(clf.predict(X_test), expected)


def test_other_estimators_and_cost_forms(multiclass_split):
    """Check a pipeline, gradient boosting, and the dict and callable cost forms."""
    X_train, X_test, y_train, _ = multiclass_split
    as_dict = {
        "a": {"b": 1, "c": 1},
        "b": {"a": 5, "c": 1},
        "c": {"a": 20, "b": 5},
    }
    reference = CostSensitiveClassifier(
        make_pipeline(StandardScaler(), LogisticRegression()),
        cost_matrix=MULTICLASS_COSTS,
    ).fit(X_train, y_train)
    for cost in (as_dict, lambda classes: MULTICLASS_COSTS):
        clf = CostSensitiveClassifier(
            make_pipeline(StandardScaler(), LogisticRegression()), cost_matrix=cost
        ).fit(X_train, y_train)
        assert_array_equal(clf.cost_matrix_, MULTICLASS_COSTS)
        assert_array_equal(clf.predict(X_test), reference.predict(X_test))
    hgb = CostSensitiveClassifier(
        HistGradientBoostingClassifier(max_iter=10, random_state=0),
        cost_matrix=as_dict, strategy="tuned", cv=3, random_state=0,
    ).fit(X_train, y_train)
    assert set(hgb.predict(X_test)) <= {"a", "b", "c"}


def test_prefit_uses_the_estimator_as_is(binary_split):
    """Check cv='prefit': no refit, same predictions as the Bayes rule on it."""
    X_train, X_test, y_train, _ = binary_split
    fitted = LogisticRegression().fit(X_train, y_train)
    coef = fitted.coef_.copy()
    clf = CostSensitiveClassifier(fitted, cost_matrix=BINARY_COSTS, cv="prefit")
    clf.fit(X_test[:10], y_train[:10])
    assert clf.estimator_ is fitted
    assert_array_equal(fitted.coef_, coef)
    refitted = CostSensitiveClassifier(
        LogisticRegression(), cost_matrix=BINARY_COSTS
    ).fit(X_train, y_train)
    assert_array_equal(clf.predict(X_test), refitted.predict(X_test))


def test_prefit_tuned_uses_sample_weight_as_costs(binary_split):
    """Check that sample weights weight the tuned cost.

    With a prefitted estimator nothing is refitted, so doubling the weight of the
    positive rows is the same as doubling the cost of missing them.
    """
    X_train, X_test, y_train, y_test = binary_split
    fitted = LogisticRegression().fit(X_train, y_train)
    weights = np.where(y_test == "pos", 2.0, 1.0)
    weights_before = weights.copy()
    weighted = CostSensitiveClassifier(
        fitted, cost_matrix=BINARY_COSTS, strategy="tuned", cv="prefit"
    ).fit(X_test, y_test, sample_weight=weights)
    doubled = CostSensitiveClassifier(
        fitted, cost_matrix=[[0, 1], [20, 0]], strategy="tuned", cv="prefit"
    ).fit(X_test, y_test)
    assert weighted.threshold_ == pytest.approx(doubled.threshold_)
    assert_array_equal(weights, weights_before)


def test_sample_weight_reaches_the_estimator_and_is_not_modified(binary_split):
    """Check that sample_weight is passed to estimator.fit and left unchanged."""
    X_train, _, y_train, _ = binary_split
    weights = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y_train))
    weights_before = weights.copy()
    cost = BINARY_COSTS.copy()
    clf = CostSensitiveClassifier(LogisticRegression(), cost_matrix=cost)
    clf.fit(X_train, y_train, sample_weight=weights)
    expected = LogisticRegression().fit(X_train, y_train, sample_weight=weights)
    assert_allclose(clf.estimator_.coef_, expected.coef_)
    assert_array_equal(weights, weights_before)
    assert_array_equal(cost, BINARY_COSTS)
    clf.cost_matrix_[0, 1] = 100.0
    assert_array_equal(cost, BINARY_COSTS)


def test_metadata_routing(binary_split):
    """Check that sample_weight and groups are routed as the estimators request."""
    X_train, _, y_train, _ = binary_split
    weights = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y_train))
    groups = np.arange(len(y_train)) % 5
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            LogisticRegression().set_fit_request(sample_weight=True),
        )
        clf = CostSensitiveClassifier(
            pipe, cost_matrix=BINARY_COSTS, strategy="tuned", cv=GroupKFold(3)
        ).fit(X_train, y_train, sample_weight=weights, groups=groups)
        expected = clone(pipe).fit(X_train, y_train, sample_weight=weights)
        assert_allclose(clf.predict_proba(X_train), expected.predict_proba(X_train))
        unrequested = CostSensitiveClassifier(
            LogisticRegression(), cost_matrix=BINARY_COSTS
        )
        with pytest.raises(ValueError, match="sample_weight.*LogisticRegression.fit"):
            unrequested.fit(X_train, y_train, sample_weight=weights)


def test_tuned_is_reproducible_and_pickles(binary_split):
    """Check same seed -> same threshold, and predictions after a pickle round trip."""
    X_train, X_test, y_train, _ = binary_split
    params = dict(cost_matrix=BINARY_COSTS, strategy="tuned", random_state=3)
    first = CostSensitiveClassifier(LogisticRegression(), **params)
    second = clone(first)
    first.fit(X_train, y_train)
    second.fit(X_train, y_train)
    assert first.threshold_ == second.threshold_
    loaded = pickle.loads(pickle.dumps(first))
    assert_array_equal(loaded.predict(X_test), first.predict(X_test))


def test_refit_false_keeps_the_model_of_the_single_split(binary_split):
    """Check refit=False with one split: estimator_ is the model of that split."""
    X_train, _, y_train, _ = binary_split
    cv = StratifiedShuffleSplit(n_splits=1, test_size=0.25, random_state=0)
    clf = CostSensitiveClassifier(
        LogisticRegression(), cost_matrix=BINARY_COSTS, strategy="tuned", cv=cv,
        refit=False,
    ).fit(X_train, y_train)
    train, _ = next(cv.split(X_train, y_train))
    expected = LogisticRegression().fit(X_train[train], y_train[train])
    assert_allclose(clf.estimator_.coef_, expected.coef_)


def test_prefit_needs_a_fitted_estimator(binary_split):
    """Check the error of cv='prefit' with an unfitted estimator."""
    X_train, _, y_train, _ = binary_split
    clf = CostSensitiveClassifier(
        LogisticRegression(), cost_matrix=BINARY_COSTS, cv="prefit"
    )
    with pytest.raises(NotFittedError, match="cv='prefit' needs a fitted estimator"):
        clf.fit(X_train, y_train)


@pytest.mark.parametrize(
    "params, fit_params, err_type, err_msg",
    [
        (
            {"cost_matrix": np.ones((3, 3)) - np.eye(3)},
            {},
            ValueError,
            r"cost_matrix has shape \(3, 3\) but y has 2 classes \['neg', 'pos'\]",
        ),
        (
            {"cost_matrix": {"neg": {"positive": 1}}},
            {},
            ValueError,
            r"labels \['positive'\] that are not classes; the classes are "
            r"\['neg', 'pos'\]",
        ),
        (
            {"cost_matrix": BINARY_COSTS, "strategy": "argmax"},
            {},
            InvalidParameterError,
            r"The 'strategy' parameter of CostSensitiveClassifier must be a str "
            r"among",
        ),
        (
            {"estimator": LinearSVC(), "cost_matrix": BINARY_COSTS},
            {},
            InvalidParameterError,
            r"The 'estimator' parameter of CostSensitiveClassifier must be an object "
            r"implementing 'fit' and 'predict_proba'",
        ),
        (
            {"cost_matrix": BINARY_COSTS, "strategy": "tuned", "refit": False},
            {},
            ValueError,
            r"refit=False needs cv with a single split, but cv=5 gives 5",
        ),
        (
            {
                "estimator": make_pipeline(StandardScaler(), LogisticRegression()),
                "cost_matrix": BINARY_COSTS,
            },
            {"sample_weight": np.ones(1500)},
            ValueError,
            r"sample_weight was passed but Pipeline.fit does not accept "
            r"sample_weight.*enable metadata routing",
        ),
        (
            {"cost_matrix": BINARY_COSTS},
            {"sample_weight": np.r_[np.ones(1499), -100.0]},
            ValueError,
            r"sample_weight has negative weights at rows \[1499\]",
        ),
        (
            {"cost_matrix": BINARY_COSTS},
            {"cost_matrix": np.ones((3, 2, 2))},
            ValueError,
            r"holds 3 per-row cost matrices but X has 1500 rows",
        ),
        (
            {"cost_matrix": BINARY_COSTS},
            {"cost_matrix": BINARY_COSTS},
            ValueError,
            r"cost_matrix passed to fit gives each row its own costs",
        ),
        (
            {"strategy": "tuned"},
            {},
            ValueError,
            r"strategy='tuned' needs costs to tune on",
        ),
        (
            {},
            {"cost_matrix": np.ones((1500, 2, 2))},
            ValueError,
            r"strategy='bayes' does not use per-row costs in fit",
        ),
    ],
)
def test_fit_errors(binary_split, params, fit_params, err_type, err_msg):
    """Check that bad parameters get errors naming the problem and the fix."""
    X_train, _, y_train, _ = binary_split
    params = {"estimator": LogisticRegression(), **params}
    with pytest.raises(err_type, match=err_msg):
        CostSensitiveClassifier(**params).fit(X_train, y_train, **fit_params)


def test_one_class_error():
    """Check the error when y holds a single class."""
    clf = CostSensitiveClassifier(LogisticRegression(), cost_matrix=ZeroOneCosts())
    with pytest.raises(ValueError, match=r"at least 2 classes in y; got 1 class"):
        clf.fit(np.ones((5, 2)), ["a"] * 5)


# --- Costs per row. ---


@pytest.fixture(scope="module")
def amount_data(binary_split):
    """The binary data with a miss costing the row's amount, a false alarm 3."""
    X_train, X_test, y_train, y_test = binary_split
    rng = np.random.default_rng(0)
    amount_train = rng.lognormal(2, 1, size=len(y_train))
    amount_test = rng.lognormal(2, 1, size=len(y_test))
    return (
        X_train, X_test, y_train, y_test,
        binary_cost_matrix(fp=3.0, fn=amount_train),
        binary_cost_matrix(fp=3.0, fn=amount_test),
    )


def brute_force_labels(proba, costs, classes):
    """The label of least expected cost of each row, by a loop over the labels."""
    labels = []
    for p, c in zip(proba, costs, strict=True):
        expected = [sum(p[i] * c[i, j] for i in range(len(p))) for j in range(len(p))]
        labels.append(classes[int(np.argmin(expected))])
    return np.array(labels)


@pytest.mark.parametrize("data_name", ["binary_split", "multiclass_split"])
def test_per_row_bayes_rule_is_the_brute_force_minimum(request, data_name):
    """Check predict(X, cost_matrix=...) against a loop over labels on random
    per-row costs, and that decision_function agrees with it."""
    X_train, X_test, y_train, _ = request.getfixturevalue(data_name)
    clf = CostSensitiveClassifier(LogisticRegression()).fit(X_train, y_train)
    n_classes = len(clf.classes_)
    costs = np.random.default_rng(0).uniform(0, 10, (len(X_test), n_classes,
                                                     n_classes))
    kept = costs.copy()
    y_pred = clf.predict(X_test, cost_matrix=costs)
    expected = brute_force_labels(clf.predict_proba(X_test), costs, clf.classes_)
    assert_array_equal(y_pred, expected)
    scores = clf.decision_function(X_test, cost_matrix=costs)
    if n_classes == 2:
        assert_array_equal(y_pred == clf.classes_[1], scores > 0)
    else:
        assert_array_equal(y_pred, clf.classes_[np.argmax(scores, axis=1)])
    assert_array_equal(costs, kept)
    with pytest.raises(ValueError, match=r"predict needs each row's costs"):
        clf.predict(X_test)


def test_per_row_costs_override_the_matrix(amount_data):
    """Check that per-row costs given to predict replace the fitted matrix, and that
    without them predict is as before."""
    X_train, X_test, y_train, _, _, costs_test = amount_data
    clf = CostSensitiveClassifier(LogisticRegression(), cost_matrix=BINARY_COSTS)
    clf.fit(X_train, y_train)
    proba = clf.predict_proba(X_test)
    assert_array_equal(
        clf.predict(X_test),
        clf.classes_[(proba[:, 1] * 10 > proba[:, 0]).astype(int)],
    )
    assert_array_equal(
        clf.predict(X_test, cost_matrix=costs_test),
        brute_force_labels(proba, costs_test, clf.classes_),
    )


def test_tuned_per_row_never_worse_than_plain_per_row_rule(amount_data):
    """Check that the tuned correction on top of the per-row rule costs no more than
    the plain per-row rule on its own folds, and is used by predict."""
    X_train, X_test, y_train, _, costs_train, costs_test = amount_data
    # Badly calibrated probabilities: a strongly regularised model.
    clf = CostSensitiveClassifier(
        LogisticRegression(C=1e-3), strategy="tuned", cv=3, random_state=0
    ).fit(X_train, y_train, cost_matrix=costs_train)
    # Measured: 0.89 against 1.00 per row for the plain per-row rule.
    assert clf.best_cost_ < 0.95 * clf.cv_results_["plain_cost"]
    assert clf.best_cost_ == pytest.approx(clf.cv_results_["cost"])
    assert clf.row_offsets_.shape == (2,) and clf.row_offsets_[0] == 0
    assert clf.row_offsets_[1] != 0
    plain = CostSensitiveClassifier(LogisticRegression(C=1e-3)).fit(X_train, y_train)
    assert not np.array_equal(
            clf.predict(X_test, cost_matrix=costs_test),
            plain.predict(X_test, cost_matrix=costs_test),
        )


def test_tuned_per_row_multiclass_and_prefit(multiclass_split):
    """Check the multiclass correction and cv='prefit' as one more split."""
    X_train, X_test, y_train, y_test = multiclass_split
    rng = np.random.default_rng(1)
    costs = rng.uniform(0, 5, (len(y_train), 3, 3)) * (1 - np.eye(3))
    fitted = LogisticRegression().fit(X_train[:1000], y_train[:1000])
    clf = CostSensitiveClassifier(fitted, strategy="tuned", cv="prefit")
    clf.fit(X_train[1000:], y_train[1000:], cost_matrix=costs[1000:])
    assert clf.estimator_ is fitted
    assert clf.best_cost_ <= clf.cv_results_["plain_cost"]
    assert clf.row_offsets_.shape == (3,)
    proba = fitted.predict_proba(X_train[1000:])
    y_idx = np.searchsorted(clf.classes_, y_train[1000:])
    plain = mean_cost(
        y_train[1000:],
        brute_force_labels(proba, costs[1000:], clf.classes_),
        cost_matrix=costs[1000:],
    )
    assert clf.cv_results_["plain_cost"] == pytest.approx(plain)
    assert y_idx.shape == (len(y_train) - 1000,)


def test_per_row_costs_reach_the_last_step_of_a_pipeline(amount_data):
    """Check the routing recipe: Pipeline.predict(X, cost_matrix=...) and
    GridSearchCV with the per-row scorer."""
    X_train, X_test, y_train, y_test, costs_train, costs_test = amount_data
    with sklearn.config_context(enable_metadata_routing=True):
        step = CostSensitiveClassifier(LogisticRegression()).set_predict_request(
            cost_matrix=True
        ).set_fit_request(cost_matrix=False)
        pipe = make_pipeline(StandardScaler(), step).fit(X_train, y_train)
        direct = clf_direct = CostSensitiveClassifier(LogisticRegression())
        clf_direct.fit(StandardScaler().fit(X_train).transform(X_train), y_train)
        assert_array_equal(
            pipe.predict(X_test, cost_matrix=costs_test),
            direct.predict(
                StandardScaler().fit(X_train).transform(X_test), cost_matrix=costs_test
            ),
        )
        scorer = make_cost_scorer().set_score_request(cost_matrix=True)
        search = GridSearchCV(
            pipe, {"costsensitiveclassifier__estimator__C": [1e-4, 1.0]},
            scoring=scorer, cv=3,
        ).fit(X_train, y_train, cost_matrix=costs_train)
    assert search.best_params_ == {"costsensitiveclassifier__estimator__C": 1.0}


def test_labelled_dataframe_costs_in_cost_sensitive_classifier(binary_split):
    """Check that a DataFrame cost matrix labelled in another order is read by label
    (it was read by position, transposing the costs)."""
    pd = pytest.importorskip("pandas")
    X_train, X_test, y_train, _ = binary_split
    frame = pd.DataFrame(
        [[0, 10], [1, 0]], index=["pos", "neg"], columns=["pos", "neg"]
    )
    clf = CostSensitiveClassifier(LogisticRegression(), cost_matrix=frame)
    clf.fit(X_train, y_train)
    assert_array_equal(clf.cost_matrix_, BINARY_COSTS)
    assert clf.threshold_ == pytest.approx(1 / 11)


@pytest.mark.parametrize(
    "cost_matrix, err_type, err_msg",
    [
        (np.ones((3, 2, 2)), ValueError, r"holds 3 per-row cost matrices but X has"),
        (np.ones((500, 3, 3)), ValueError, r"example-dependent costs need shape"),
        (-np.ones((500, 2, 2)), ValueError, r"negative costs in rows \[0, 1, 2"),
        (np.full((500, 2, 2), np.nan), ValueError, r"non-finite costs in rows"),
    ],
)
def test_predict_per_row_cost_errors(amount_data, cost_matrix, err_type, err_msg):
    """Check the errors for bad per-row costs at predict time, and that the
    caller's costs are unchanged after fit and predict."""
    X_train, X_test, y_train, _, costs_train, _ = amount_data
    kept = costs_train.copy()
    clf = CostSensitiveClassifier(LogisticRegression(), strategy="tuned", cv=2)
    clf.fit(X_train, y_train, cost_matrix=costs_train)
    assert_array_equal(costs_train, kept)
    for method in (clf.predict, clf.decision_function):
        with pytest.raises(err_type, match=err_msg):
            method(X_test, cost_matrix=cost_matrix)


@pytest.mark.parametrize("strategy", ["bayes", "tuned"])
def test_non_finite_probabilities_never_become_labels(strategy):
    """Check that NaN probabilities of the wrapped classifier raise, at predict
    (both strategies, with one cost matrix or per-row costs) and when tuning on
    out-of-fold probabilities, instead of becoming classes_[0]."""
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = np.r_[np.zeros(20), np.ones(20)]
    fine = CostSensitiveClassifier(ConstantProba(), cost_matrix=[[0, 1], [5, 0]],
                                   strategy=strategy, cv=2).fit(X, y)
    fine.estimator_.proba = (np.nan, np.nan)
    for kwargs in ({}, {"cost_matrix": np.ones((3, 2, 2))}):
        for method in (fine.predict, fine.decision_function):
            with pytest.raises(FloatingPointError, match="not finite for 3 of 3"):
                method(X[:3], **kwargs)
    if strategy == "tuned":
        broken = CostSensitiveClassifier(ConstantProba((np.nan, np.nan)),
                                         cost_matrix=[[0, 1], [5, 0]],
                                         strategy="tuned", cv=2)
        with pytest.raises(FloatingPointError, match="not finite"):
            broken.fit(X, y)
        assert not hasattr(broken, "estimator_")


# ------------------------------------------ probabilities out of range, priors


@pytest.mark.parametrize("proba", [(-0.2, 1.2), (0.3, 1.7)])
def test_out_of_range_probabilities_are_rejected(proba):
    """Check that a wrapped classifier's negative or > 1 "probabilities" are an
    error naming the rows, never a decision."""
    X = np.zeros((4, 2))
    y = np.array([0, 1, 0, 1])
    clf = CostSensitiveClassifier(ConstantProba(proba), cost_matrix=[[0, 1], [5, 0]])
    clf.fit(X, y)
    with pytest.raises(ValueError, match=r"outside \[0, 1\].*row 0"):
        clf.predict(X)
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        clf.predict_proba(X)
    tuned = CostSensitiveClassifier(ConstantProba(proba), cost_matrix=[[0, 1], [5, 0]],
                                    strategy="tuned", cv=2)
    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        tuned.fit(X, y)


def _shifted_gaussians(seed=0):
    """Training rows at 10 % positives and deployment rows at 40 %."""
    rng = np.random.default_rng(seed)

    def draw(n, rate):
        y = (rng.uniform(size=n) < rate).astype(int)
        return rng.normal(1.5 * y[:, None], 1.0, (n, 3)), y

    return (*draw(4000, 0.1), *draw(4000, 0.4))


def test_deployment_priors_equal_to_training_priors_change_nothing():
    """Check that deployment_priors = priors_ leaves probabilities and labels alone."""
    X, y, X_deploy, _ = _shifted_gaussians()
    clf = CostSensitiveClassifier(LogisticRegression(), cost_matrix=[[0, 1], [5, 0]])
    clf.fit(X, y)
    proba, labels = clf.predict_proba(X_deploy), clf.predict(X_deploy)
    clf.set_params(deployment_priors=clf.priors_.tolist())
    assert_allclose(clf.predict_proba(X_deploy), proba, rtol=1e-12)
    assert_array_equal(clf.predict(X_deploy), labels)


def test_known_deployment_priors_shift_proba_and_decisions():
    """Check the prior-shift formula on the wrapped probabilities, without refit."""
    X, y, X_deploy, _ = _shifted_gaussians()
    clf = CostSensitiveClassifier(LogisticRegression(), cost_matrix=[[0, 1], [5, 0]])
    clf.fit(X, y)
    proba = clf.predict_proba(X_deploy)
    clf.set_params(deployment_priors={0: 0.6, 1: 0.4})
    ratio = np.array([0.6, 0.4]) / clf.priors_
    expected = proba * ratio / (proba * ratio).sum(axis=1, keepdims=True)
    assert_allclose(clf.predict_proba(X_deploy), expected)
    assert_allclose(clf.predict_log_proba(X_deploy), np.log(expected))
    assert_array_equal(clf.predict(X_deploy), (expected[:, 1] > 1 / 6).astype(int))


@pytest.mark.parametrize(
    "params, method",
    [({}, "em"), ({"strategy": "tuned", "cv": 3}, "bbse"),
     ({"strategy": "tuned", "cv": 3}, "em")],
)
def test_adapt_priors_on_any_classifier(params, method):
    """Check that adapt_priors estimates the deployment rate from a wrapped
    classifier's probabilities, and lowers the cost at the shifted rate."""
    X, y, X_deploy, y_deploy = _shifted_gaussians()
    cost = [[0, 1], [5, 0]]
    clf = CostSensitiveClassifier(LogisticRegression(), cost_matrix=cost,
                                  random_state=0, **params).fit(X, y)
    before = mean_cost(y_deploy, clf.predict(X_deploy), cost_matrix=cost)
    assert clf.adapt_priors(X_deploy, method=method) is clf
    assert clf.deployment_priors_[1] == pytest.approx(0.4, abs=0.03)
    assert clf.priors_converged_
    assert mean_cost(y_deploy, clf.predict(X_deploy), cost_matrix=cost) < before


def test_adapt_priors_bad_input_on_the_wrapper():
    """Check adapt_priors' errors on CostSensitiveClassifier, state untouched."""
    X, y, X_deploy, _ = _shifted_gaussians()
    clf = CostSensitiveClassifier(LogisticRegression(), cost_matrix=[[0, 1], [5, 0]])
    with pytest.raises(NotFittedError):
        clf.adapt_priors(X_deploy)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="method='bbse' needs probabilities of rows"):
        clf.adapt_priors(X_deploy, method="bbse")
    with pytest.raises(ValueError, match="0 rows"):
        clf.adapt_priors(X_deploy[:0])
    with pytest.raises(ValueError, match="features"):
        clf.adapt_priors(X_deploy[:, :2])
    assert not hasattr(clf, "deployment_priors_")
    with pytest.raises(ValueError, match="sums to 0.9"):
        clf.set_params(deployment_priors=[0.5, 0.4]).predict(X_deploy)
    with pytest.raises(ValueError, match=r"unknown labels: \['x'\]"):
        clf.set_params(deployment_priors={0: 0.5, "x": 0.5}).fit(X, y)
