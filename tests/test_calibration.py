"""Calibration after prior correction: the maps, and the estimator's calibration."""

import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import check_grad
from scipy.special import expit, softmax
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.utils._param_validation import InvalidParameterError

from skweight import CostSensitiveClassifier, WeightedKerasClassifier
from skweight._calibration import (
    PRIOR_WIDTHS,
    IsotonicCalibrator,
    TemperatureCalibrator,
    _objective,
    calibration_split,
    fit_calibrator,
    logits,
    prior_width,
)

# The imbalanced problem of the calibration benchmark, smaller and quicker.
IMBALANCED = dict(hidden_layer_sizes=(16,), class_weight="balanced", epochs=30,
                  random_state=0)


def _platt_data(slope, intercept, n=20_000, seed=0):
    """Corrected probabilities whose truth is ``σ(slope z + intercept)``."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 2.0, n)
    y = (rng.uniform(size=n) < expit(slope * z + intercept)).astype(int)
    return np.column_stack([expit(-z), expit(z)]), y


# ------------------------------------------------------------------- the maps


def test_temperature_binary_recovers_known_platt_parameters():
    """Check that two-class temperature scaling is Platt scaling of the logit."""
    proba, y = _platt_data(slope=0.5, intercept=-1.0)
    calibrator = fit_calibrator("temperature", proba, y)
    assert 1 / calibrator.temperature == pytest.approx(0.5, abs=0.03)
    assert calibrator.bias[1] - calibrator.bias[0] == pytest.approx(-1.0, abs=0.06)
    z = np.log(proba[:, 1] / proba[:, 0])
    expected = expit(z / calibrator.temperature + calibrator.bias[1]
                     - calibrator.bias[0])
    assert_allclose(calibrator.transform(proba)[:, 1], expected, rtol=1e-9)


def _posterior_loss(a, b, z, y, width):
    """Mean log loss of ``σ(a z + b)`` plus the prior of ``width`` on ``log a``."""
    p1 = np.clip(expit(a * z + b), 1e-15, 1 - 1e-15)
    loss = -np.mean(np.where(y == 1, np.log(p1), np.log1p(-p1)), axis=-1)
    return loss + np.log(a[..., 0]) ** 2 / (2 * width**2 * len(y))


@pytest.mark.parametrize("n, seed", [(600, 1), (80, 6)])
def test_temperature_matches_brute_force_minimum(n, seed):
    """Check that the fitted map minimises the log loss plus the prior of the
    width cross-validation picks, against a grid search."""
    proba, y = _platt_data(slope=2.0, intercept=0.7, n=n, seed=seed)
    calibrator = fit_calibrator("temperature", proba, y)
    width = prior_width(logits(proba), y, np.ones(n))
    z = np.log(proba[:, 1] / proba[:, 0])
    a_fit = np.array([[[1 / calibrator.temperature]]])
    b_fit = np.array([[[calibrator.bias[1] - calibrator.bias[0]]]])
    fitted = _posterior_loss(a_fit, b_fit, z, y, width).item()
    # On a 141 x 161 grid of (a, b), in one array operation.
    a = np.linspace(0.5, 4.0, 141)[:, None, None]
    b = np.linspace(-1.5, 2.5, 161)[None, :, None]
    assert fitted <= _posterior_loss(a, b, z, y, width).min() + 1e-4


def test_cross_validation_picks_the_prior_by_held_out_log_loss():
    """Check prior_width against a by-hand cross-validation of every width, and
    that many rows demanding a slope get no prior while a class of one row
    leaves the map unpenalised."""
    from sklearn.model_selection import StratifiedKFold

    proba, y = _platt_data(slope=1.0, intercept=-1.0, n=120, seed=7)
    z = logits(proba)
    losses = []
    for width in PRIOR_WIDTHS:
        held_out = np.empty_like(proba)
        for fit_rows, held in StratifiedKFold(5, shuffle=True, random_state=0).split(
                z, y):
            brute = TemperatureCalibrator()
            rows = np.ones(len(fit_rows))
            t, brute.bias = skweight_fit_map(z[fit_rows], y[fit_rows], rows, width)
            brute.temperature = float(np.exp(-t))
            held_out[held] = brute.transform(proba[held])
        losses.append(log_loss(y, held_out, normalize=False))
    assert prior_width(z, y, np.ones(len(y))) == PRIOR_WIDTHS[int(np.argmin(losses))]
    many = _platt_data(slope=0.3, intercept=0.0, n=5000, seed=8)
    assert prior_width(logits(many[0]), many[1], np.ones(5000)) == np.inf
    # 1000 rows of every class: no cross-validation, even where it would pick one.
    few = _platt_data(slope=1.0, intercept=0.0, n=150, seed=3)
    assert prior_width(logits(few[0]), few[1], np.ones(150)) < np.inf
    tiled = np.tile(logits(few[0]), (14, 1)), np.tile(few[1], 14)
    assert min(np.bincount(tiled[1])) >= 1000
    assert prior_width(*tiled, np.ones(len(tiled[1]))) == np.inf
    one = np.array([0] * 9 + [1])
    assert prior_width(z[:10], one, np.ones(10)) == np.inf


def skweight_fit_map(z, y, weight, width):
    from skweight._calibration import _fit_map

    return _fit_map(z, np.eye(z.shape[1])[y], weight, width)


def test_the_prior_shrinks_a_slope_few_rows_only_hint_at():
    """Check that on 150 rows from calibrated probabilities the fitted slope
    stays nearer 1 than an unpenalised fit's, over 20 draws."""
    shrunk, free = [], []
    for seed in range(20):
        proba, y = _platt_data(slope=1.0, intercept=0.0, n=150, seed=seed)
        shrunk.append(abs(np.log(fit_calibrator("temperature", proba, y).temperature)))
        z = np.log(proba[:, 1] / proba[:, 0])[:, None]
        free.append(abs(np.log(LogisticRegression(C=np.inf).fit(z, y).coef_[0, 0])))
    assert np.mean(shrunk) < 0.8 * np.mean(free)


def test_temperature_multiclass_recovers_temperature_and_bias():
    """Check that K-class scaling recovers a known temperature and bias vector."""
    rng = np.random.default_rng(2)
    z = rng.normal(0.0, 1.5, (30_000, 3))
    proba = softmax(z, axis=1)
    bias = np.array([0.4, -0.6, 0.2])
    truth = softmax(np.log(proba) / 2.0 + bias, axis=1)
    y = np.array([rng.choice(3, p=row) for row in truth])
    calibrator = fit_calibrator("temperature", proba, y)
    assert calibrator.temperature == pytest.approx(2.0, rel=0.05)
    assert_allclose(calibrator.bias, bias - bias.mean(), atol=0.05)


def test_temperature_gradient_is_exact():
    """Check the analytic gradient of the objective against finite differences."""
    rng = np.random.default_rng(3)
    z = logits(softmax(rng.normal(size=(50, 3)), axis=1))
    onehot = np.eye(3)[rng.integers(0, 3, 50)]
    weight = rng.uniform(0.5, 2.0, 50) / 50
    for theta in (np.zeros(4), np.array([0.3, -0.2, 0.5, 0.1])):
        error = check_grad(lambda t: _objective(t, z, onehot, weight, 0.3)[0],
                           lambda t: _objective(t, z, onehot, weight, 0.3)[1], theta)
        assert error < 1e-6


def test_temperature_stays_finite_on_separable_rows():
    """Check that perfectly separated calibration rows give a finite, bounded map."""
    proba = np.array([[0.9, 0.1]] * 20 + [[0.2, 0.8]] * 20)
    y = np.array([0] * 20 + [1] * 20)
    calibrator = fit_calibrator("temperature", proba, y)
    calibrated = calibrator.transform(proba)
    assert np.isfinite(calibrator.temperature) and calibrator.temperature > 0
    assert np.all(np.isfinite(calibrated))
    assert np.all(calibrated[y == 1, 1] > 0.99) and np.all(calibrated[y == 0, 0] > 0.99)


def test_sample_weight_counts_as_repeated_rows():
    """Check that an integer row weight fits as that many copies of the row: the
    isotonic map, and the temperature map under each prior width (the width
    cross-validation picks may differ, its folds splitting the copies)."""
    proba, y = _platt_data(slope=1.5, intercept=0.3, n=200, seed=4)
    weight = np.random.default_rng(4).integers(1, 4, len(y))
    weighted = fit_calibrator("isotonic", proba, y, sample_weight=weight)
    repeated = fit_calibrator("isotonic", np.repeat(proba, weight, axis=0),
                              np.repeat(y, weight))
    assert_allclose(weighted.transform(proba), repeated.transform(proba), atol=1e-5)
    z = logits(proba)
    for width in PRIOR_WIDTHS:
        weighted = skweight_fit_map(z, y, weight.astype(float), width)
        repeated = skweight_fit_map(np.repeat(z, weight, axis=0), np.repeat(y, weight),
                                    np.ones(weight.sum()), width)
        assert_allclose(weighted[0], repeated[0], atol=1e-5)
        assert_allclose(weighted[1], repeated[1], atol=1e-5)


def test_isotonic_binary_is_sklearn_isotonic_on_p1():
    """Check that two-class isotonic calibration maps p1 as IsotonicRegression does."""
    proba, y = _platt_data(slope=0.7, intercept=-0.5, n=500, seed=5)
    calibrated = fit_calibrator("isotonic", proba, y).transform(proba)
    expected = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(
        proba[:, 1], y).predict(proba[:, 1])
    assert_allclose(calibrated[:, 1], expected)
    assert_allclose(calibrated.sum(axis=1), 1.0)


def test_isotonic_multiclass_rows_sum_to_one():
    """Check that one-vs-rest isotonic maps are renormalised, zeros to uniform."""
    rng = np.random.default_rng(6)
    proba = softmax(rng.normal(size=(300, 3)), axis=1)
    y = rng.integers(0, 3, 300)
    calibrator = IsotonicCalibrator().fit(proba, y)
    calibrated = calibrator.transform(proba)
    assert_allclose(calibrated.sum(axis=1), 1.0)
    assert np.all(calibrated >= 0)


def test_unknown_method_is_an_error():
    """Check that an unknown calibration method names the options."""
    with pytest.raises(ValueError, match=r"calibration='platt'.*'temperature'"):
        fit_calibrator("platt", np.full((4, 2), 0.5), np.array([0, 1, 0, 1]))


def test_zero_total_weight_is_an_error():
    """Check that calibration rows weighing nothing are an error, not NaN maps."""
    with pytest.raises(ValueError, match="total sample_weight of 0"):
        fit_calibrator("temperature", np.full((4, 2), 0.5), np.array([0, 1, 0, 1]),
                       sample_weight=np.zeros(4))


def test_calibration_split_needs_two_rows_per_class():
    """Check that the stratified calibration split says why it cannot split."""
    with pytest.raises(ValueError, match="at least 2 rows of every class"):
        calibration_split(np.array([0, 0, 0, 1]), np.array(["a", "b"]), 0.2, 0)
    with pytest.raises(ValueError, match="calibration_fraction=0.01"):
        calibration_split(np.array([0] * 5 + [1] * 5), np.array([0, 1]), 0.01, 0)


def test_calibrators_pickle():
    """Check that fitted maps survive a pickle round trip."""
    proba, y = _platt_data(slope=1.0, intercept=0.0, n=200)
    for calibrator in (TemperatureCalibrator().fit(proba, y),
                       IsotonicCalibrator().fit(proba, y)):
        loaded = pickle.loads(pickle.dumps(calibrator))
        assert_array_equal(loaded.transform(proba), calibrator.transform(proba))


# -------------------------------------------------------------- the estimator


@pytest.fixture(scope="module")
def imbalanced():
    """The calibration benchmark's synthetic problem: 2000 rows to fit, 1000 to test."""
    X, y = make_classification(3000, 10, weights=[0.95], flip_y=0.02, random_state=0)
    return X[:2000], X[2000:], y[:2000], y[2000:]


@pytest.fixture(scope="module")
def fitted(imbalanced):
    """Uncalibrated and temperature-calibrated networks on the imbalanced problem."""
    X_fit, _, y_fit, _ = imbalanced
    return {
        setting: WeightedKerasClassifier(calibration=setting, **IMBALANCED).fit(
            X_fit, y_fit)
        for setting in (None, "temperature")
    }


def test_calibration_improves_log_loss(imbalanced, fitted):
    """Check that calibration lowers the test log loss on an imbalanced problem."""
    _, X_test, _, y_test = imbalanced
    plain = log_loss(y_test, fitted[None].predict_proba(X_test))
    calibrated = log_loss(y_test, fitted["temperature"].predict_proba(X_test))
    assert calibrated < 0.9 * plain
    # The mean prediction moves towards the positive rate (5.2 %).
    assert abs(fitted["temperature"].predict_proba(X_test)[:, 1].mean()
               - y_test.mean()) < abs(fitted[None].predict_proba(X_test)[:, 1].mean()
                                      - y_test.mean())


def test_fitted_calibration_state(fitted, imbalanced):
    """Check the calibration attributes, and none without calibration."""
    assert fitted[None].calibrator_ is None
    assert fitted[None].calibration_confusion_ is None
    calibrated = fitted["temperature"]
    assert isinstance(calibrated.calibrator_, TemperatureCalibrator)
    # The soft confusion matrix of the 400 calibration rows (20 % of 2000).
    confusion = calibrated.calibration_confusion_
    assert confusion.shape == (2, 2)
    assert confusion.sum() == pytest.approx(1.0)
    assert_allclose(confusion.sum(axis=0), calibrated.priors_, atol=0.01)


def test_predict_is_the_weighted_rule_on_calibrated_proba(fitted, imbalanced):
    """Check predict = argmax w_c q(c|x) and that decision_function agrees with it."""
    clf = fitted["temperature"]
    X_test = imbalanced[1]
    proba = clf.predict_proba(X_test)
    weights = np.array(list(clf.class_weight_.values()))
    assert_array_equal(clf.predict(X_test),
                       clf.classes_[np.argmax(proba * weights, axis=1)])
    scores = clf.decision_function(X_test)
    assert_array_equal(scores > 0, clf.predict(X_test) == clf.classes_[1])
    assert_allclose(scores, np.log(proba[:, 1] * weights[1])
                    - np.log(proba[:, 0] * weights[0]))


def test_bayes_rule_and_cost_wrapper_use_calibrated_proba(fitted, imbalanced):
    """Check that cost_matrix and CostSensitiveClassifier decide on calibrated proba."""
    clf = fitted["temperature"]
    X_test = imbalanced[1]
    cost = np.array([[0.0, 1.0], [10.0, 0.0]])
    threshold = 1 / 11
    expected = (clf.predict_proba(X_test)[:, 1] > threshold).astype(int)
    rows = np.broadcast_to(cost, (len(X_test), 2, 2))
    assert_array_equal(clf.predict(X_test, cost_matrix=rows), expected)
    wrapper = CostSensitiveClassifier(clf, cost_matrix=cost, cv="prefit").fit(
        *imbalanced[1::2])
    assert_array_equal(wrapper.predict(X_test), expected)


def test_calibration_rows_are_the_early_stopping_split(binary_data, small):
    """Check that with early stopping the network trains as without calibration."""
    X, y = binary_data
    params = dict(small, early_stopping=True, n_iter_no_change=2)
    plain = WeightedKerasClassifier(**params).fit(X, y)
    calibrated = WeightedKerasClassifier(calibration="temperature", **params).fit(X, y)
    assert_array_equal(calibrated.predict_weighted_proba(X),
                       plain.predict_weighted_proba(X))
    assert calibrated.calibrator_ is not None
    # Without early stopping a calibration_fraction is held out of training.
    held_out = WeightedKerasClassifier(calibration="temperature", **small).fit(X, y)
    whole = WeightedKerasClassifier(**small).fit(X, y)
    assert not np.allclose(held_out.predict_weighted_proba(X),
                           whole.predict_weighted_proba(X))


def test_partial_fit_drops_calibration_and_fit_restores_it(binary_data, small):
    """Check that partial_fit leaves uncalibrated probabilities, a refit calibrates."""
    X, y = binary_data
    clf = WeightedKerasClassifier(calibration="temperature", **small).fit(X, y)
    assert clf.calibrator_ is not None
    clf.partial_fit(X, y)
    assert clf.calibrator_ is None and clf.calibration_confusion_ is None
    with np.errstate(divide="ignore"):
        assert_allclose(clf.predict_proba(X), clf.predict_weighted_proba(X))
    clf.fit(X, y)
    assert clf.calibrator_ is not None


def test_warm_start_refits_calibration(binary_data, small):
    """Check that a warm-start fit trains on and fits a new calibration map."""
    X, y = binary_data
    clf = WeightedKerasClassifier(calibration="temperature", warm_start=True,
                                  **small).fit(X, y)
    first = clf.calibrator_
    clf.fit(X, y)
    assert clf.calibrator_ is not first
    assert clf.n_iter_ >= 1


def test_calibrated_estimator_pickles(binary_data, small):
    """Check that predictions are identical after a pickle round trip."""
    X, y = binary_data
    for setting in ("temperature", "isotonic"):
        clf = WeightedKerasClassifier(calibration=setting, **small).fit(X, y)
        loaded = pickle.loads(pickle.dumps(clf))
        assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
        assert_array_equal(loaded.predict(X), clf.predict(X))


def test_calibration_with_dataframe_and_multiclass(multiclass_data, small):
    """Check calibration on string labels and DataFrame input (3 classes)."""
    X, y = multiclass_data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    for setting in ("temperature", "isotonic"):
        clf = WeightedKerasClassifier(calibration=setting, class_weight="balanced",
                                      **small).fit(frame, y)
        proba = clf.predict_proba(frame)
        assert proba.shape == (len(y), 3)
        assert_allclose(proba.sum(axis=1), 1.0)
        assert set(clf.predict(frame)) <= set(clf.classes_)


def test_calibration_with_nd_input(binary_data):
    """Check calibration on N-D input (rows of shape (2, 3)) with a builder."""
    import keras

    def builder(meta):
        inputs = keras.Input(shape=meta["input_shapes_"][0] if isinstance(
            meta["input_shapes_"], list) else meta["input_shapes_"])
        hidden = keras.layers.Dense(4, activation="relu")(
            keras.layers.Flatten()(inputs))
        outputs = keras.layers.Dense(1, activation="sigmoid")(hidden)
        return keras.Model(inputs, outputs)

    X, y = binary_data
    images = X.reshape(-1, 2, 3).astype("float32")
    clf = WeightedKerasClassifier(builder, calibration="temperature",
                                  class_weight="balanced", epochs=3,
                                  random_state=0).fit(images, y)
    assert clf.calibrator_ is not None
    assert clf.predict_proba(images).shape == (len(y), 2)


@pytest.mark.parametrize(
    "params, err_type, err_msg",
    [
        ({"calibration": "platt"}, InvalidParameterError, "'calibration' parameter"),
        ({"calibration_fraction": 1.0}, InvalidParameterError,
         "'calibration_fraction' parameter"),
        ({"calibration": "temperature", "calibration_fraction": 0.001}, ValueError,
         "calibration_fraction=0.001"),
    ],
)
def test_bad_calibration_parameters(binary_data, params, err_type, err_msg, small):
    """Check that bad calibration settings are clear errors, the fit left as it was."""
    X, y = binary_data
    clf = WeightedKerasClassifier(**small).fit(X, y)
    before = clf.predict_proba(X)
    with pytest.raises(err_type, match=err_msg):
        clf.set_params(**params).fit(X, y)
    assert clf.calibrator_ is None
    assert_array_equal(clf.predict_proba(X), before)


# ------------------------------------------- scikit-learn's CalibratedClassifierCV


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_sklearn_calibration_does_not_hurt(imbalanced, fitted, method):
    """Check that CalibratedClassifierCV's Platt and isotonic maps do not worsen
    the log loss of the class-weighted network (they absorb the weights' shift)."""
    X_fit, X_test, y_fit, y_test = imbalanced
    plain = log_loss(y_test, fitted[None].predict_proba(X_test))
    wrapped = CalibratedClassifierCV(WeightedKerasClassifier(**IMBALANCED),
                                     method=method, cv=3).fit(X_fit, y_fit)
    assert log_loss(y_test, wrapped.predict_proba(X_test)) < plain


def test_sklearn_temperature_on_weighted_scores_is_refused(imbalanced):
    """Check that CalibratedClassifierCV(method='temperature') around a class-weighted
    network raises, pointing to calibration=, instead of worsening the probabilities."""
    X_fit, _, y_fit, _ = imbalanced
    wrapped = CalibratedClassifierCV(WeightedKerasClassifier(**{**IMBALANCED,
                                                                "epochs": 2}),
                                     method="temperature", cv=2)
    with pytest.raises(ValueError, match="calibration='temperature'"):
        wrapped.fit(X_fit, y_fit)


def test_sklearn_temperature_without_weights_does_not_hurt(imbalanced):
    """Check that without class weights sklearn's temperature scaling is allowed and
    leaves the probabilities of its own fold networks no worse (decision_function
    is then the logit, so the fitted temperature is close to the identity's)."""
    X_fit, X_test, y_fit, y_test = imbalanced
    params = {**IMBALANCED, "class_weight": None}
    wrapped = CalibratedClassifierCV(WeightedKerasClassifier(**params),
                                     method="temperature", cv=3).fit(X_fit, y_fit)
    folds = np.mean([pair.estimator.predict_proba(X_test)
                     for pair in wrapped.calibrated_classifiers_], axis=0)
    assert (log_loss(y_test, wrapped.predict_proba(X_test))
            < log_loss(y_test, folds) + 0.005)


def test_calibrated_estimator_saves_without_pickle(binary_data, tmp_path, small):
    """Check that skweight.save/load keeps the calibration map and adapted priors."""
    import skweight

    X, y = binary_data
    for setting in ("temperature", "isotonic"):
        clf = WeightedKerasClassifier(calibration=setting, **small).fit(X, y)
        clf.adapt_priors(X[:100])
        path = tmp_path / f"{setting}.skw"
        skweight.save(clf, path)
        loaded = skweight.load(path)
        assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), rtol=1e-6)
        assert_array_equal(loaded.predict(X), clf.predict(X))
        assert_array_equal(loaded.deployment_priors_, clf.deployment_priors_)
