"""The estimator inside real scikit-learn and imbalanced-learn meta-estimators."""

import numpy as np
import pytest
import sklearn
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline as make_imb_pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.base import is_classifier
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import average_precision_score
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
    check_cv,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skweight import WeightedKerasClassifier


@pytest.fixture(scope="module")
def data(binary_data):
    return binary_data


def test_is_a_classifier_so_cv_is_stratified(data):
    """Check that sklearn sees a classifier and therefore splits with stratification."""
    X, y = data
    clf = WeightedKerasClassifier()
    assert is_classifier(clf)
    assert isinstance(check_cv(3, y, classifier=is_classifier(clf)), StratifiedKFold)


def test_pipeline_with_scaler(data, small):
    """Check fit and predict_proba through Pipeline(StandardScaler, estimator)."""
    X, y = data
    pipe = make_pipeline(StandardScaler(), WeightedKerasClassifier(**small)).fit(X, y)
    # The pipeline is the estimator fitted on the scaled rows, and it learned.
    scaled = StandardScaler().fit_transform(X)
    by_hand = WeightedKerasClassifier(**small).fit(scaled, y)
    np.testing.assert_allclose(pipe.predict_proba(X), by_hand.predict_proba(scaled),
                               rtol=1e-5)
    assert average_precision_score(y, pipe.predict_proba(X)[:, 1]) > y.mean()


@pytest.mark.parametrize("scoring", ["average_precision", "roc_auc"])
def test_grid_search_over_the_knobs(data, scoring, small):
    """Check GridSearchCV over class_weight x bias_init gives finite scores."""
    X, y = data
    search = GridSearchCV(
        WeightedKerasClassifier(**small),
        {"class_weight": [None, "balanced"], "bias_init": ["auto", "zeros"]},
        scoring=scoring,
        cv=3,
    ).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (4,)
    assert np.all(np.isfinite(scores))
    chance = {"average_precision": y.mean(), "roc_auc": 0.5}[scoring]
    assert np.all(scores > chance)


@pytest.mark.parametrize("sampler", [SMOTE(random_state=0),
                                     RandomUnderSampler(random_state=0)])
def test_imbalanced_learn_pipeline_with_resampler(data, sampler, small):
    """Check an imbalanced-learn pipeline with a resampler before the estimator."""
    X, y = data
    pipe = make_imb_pipeline(StandardScaler(), sampler,
                             WeightedKerasClassifier(**small)).fit(X, y)
    clf = pipe[-1]
    # The estimator saw balanced classes, so its priors are equal.
    np.testing.assert_allclose(clf.priors_, [0.5, 0.5])
    assert pipe.predict_proba(X).shape == (len(y), 2)


def test_tuned_threshold_classifier(data, small):
    """Check sklearn's TunedThresholdClassifierCV around the estimator."""
    X, y = data
    tuned = TunedThresholdClassifierCV(
        WeightedKerasClassifier(**small), scoring="balanced_accuracy", cv=3
    ).fit(X, y)
    assert 0 < tuned.best_threshold_ < 1
    # The tuned cut applies to the estimator's prior-corrected probabilities.
    positive = tuned.estimator_.predict_proba(X)[:, 1] >= tuned.best_threshold_
    np.testing.assert_array_equal(tuned.predict(X), positive.astype(int))


def test_calibrated_classifier(data, small):
    """Check sklearn's CalibratedClassifierCV around the estimator."""
    X, y = data
    calibrated = CalibratedClassifierCV(
        WeightedKerasClassifier(class_weight="balanced", **small), cv=3
    ).fit(X, y)
    proba = calibrated.predict_proba(X)
    assert proba.shape == (len(y), 2)
    # Calibration maps the balanced network's scores back to the class frequency.
    assert abs(proba[:, 1].mean() - y.mean()) < 0.05
    assert average_precision_score(y, proba[:, 1]) > y.mean()


def test_cross_val_score_in_parallel(data, small):
    """Check cross_val_score with two worker processes (the estimator is pickled)."""
    X, y = data
    scores = cross_val_score(WeightedKerasClassifier(**small), X, y, cv=2,
                             scoring="roc_auc", n_jobs=2)
    assert scores.shape == (2,)
    assert np.all(scores > 0.5)


def test_string_labels_in_grid_search(data, small):
    """Check string labels through a grid search with a string-keyed weight dict."""
    X, y = data
    labels = np.array(["ok", "fraud"])[y]
    search = GridSearchCV(
        WeightedKerasClassifier(**small),
        {"class_weight": [None, {"fraud": 5.0}]},
        scoring="balanced_accuracy",
        cv=3,
    ).fit(X, labels)
    assert search.best_estimator_.classes_.tolist() == ["fraud", "ok"]
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_sample_weight_routed_through_pipeline_and_grid_search(data, small):
    """Check metadata routing of sample_weight through Pipeline and GridSearchCV."""
    X, y = data
    sample_weight = np.where(y == 1, 3.0, 1.0)
    before = sample_weight.copy()
    with sklearn.config_context(enable_metadata_routing=True):
        clf = WeightedKerasClassifier(**small).set_fit_request(sample_weight=True)
        clf.set_score_request(sample_weight=True)
        pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False),
                             clf)
        search = GridSearchCV(pipe, {"weightedkerasclassifier__bias_init":
                                     ["auto"]}, cv=2)
        search.fit(X, y, sample_weight=sample_weight)
    fitted = search.best_estimator_[-1]
    # The routed weights reached fit: the priors are those of the weighted rows.
    weighted_positive = (3.0 * y.sum()) / (3.0 * y.sum() + (len(y) - y.sum()))
    assert fitted.priors_[1] == pytest.approx(weighted_positive)
    np.testing.assert_array_equal(sample_weight, before)
