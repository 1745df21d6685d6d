"""The ``skweight fit`` and ``skweight predict`` commands: a real run, bad input."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import skweight
from skweight._cli import main


def _interruptible():
    """As from a terminal: SIGINT interrupts, even if the test runner was started
    in the background, which makes a shell ignore SIGINT for it and its children."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def network(small):
    """The small network as command-line options."""
    return ["--epochs", str(small["epochs"]),
            "--hidden", ",".join(map(str, small["hidden_layer_sizes"]))]


def _table(n=240, seed=0):
    """Numbers, a text column, an id column, an amount and string labels."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n)
    logit = -1.5 + 1.5 * x1 + (colour == "red")
    label = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "churn", "stay")
    return pd.DataFrame({"customer": np.arange(5000, 5000 + n), "x1": x1,
                         "colour": colour, "amount": rng.uniform(1, 50, size=n),
                         "label": label})


@pytest.fixture(scope="module")
def fitted(tmp_path_factory, network):
    """A model fitted by the command on 200 rows; 40 held-out rows to predict."""
    folder = tmp_path_factory.mktemp("fit")
    table = _table()
    table.iloc[:200].to_csv(folder / "train.csv", index=False)
    table.iloc[200:].to_csv(folder / "new.csv", index=False)
    status = main(["fit", str(folder / "train.csv"), "--target", "label",
                   "--strategy", "balanced", "--decision", "bayes",
                   "--cost-matrix", "0,5;1,0", *network,
                   "--out", str(folder / "model.skw")])
    assert status == 0
    return folder


def test_fit_then_predict(fitted, capsys):
    """Check the round trip: one output row per input row, in order, with the
    decision, each class's probability and the expected cost of the decision."""
    new = pd.read_csv(fitted / "new.csv")
    out = fitted / "decisions.csv"
    assert main(["predict", str(fitted / "model.skw"), str(fitted / "new.csv"),
                 "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert re.search(r"40 rows decided by balanced \(bayes\): 'churn': \d+", said)
    decisions = pd.read_csv(out)
    assert list(decisions.columns) == ["decision", "p(churn)", "p(stay)",
                                       "expected_cost"]
    assert len(decisions) == len(new)
    proba = decisions[["p(churn)", "p(stay)"]].to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-6)
    cost = np.array([[0, 5], [1, 0]])
    expected = proba @ cost  # expected cost of saying churn, stay
    chosen = np.where(decisions["decision"] == "churn", 0, 1)
    np.testing.assert_allclose(decisions["expected_cost"],
                               expected[np.arange(len(new)), chosen])
    assert (chosen == expected.argmin(axis=1)).all()  # the Bayes rule


def test_model_matches_the_library(fitted):
    """Check that the saved model decides as the loaded estimator does."""
    model = skweight.load(fitted / "model.skw")
    new = pd.read_csv(fitted / "new.csv")[["x1", "colour", "amount"]]
    assert model.info["dropped_columns"] == ["customer"]
    assert model.info["decision"] == "bayes"
    y_pred, proba, _ = model.decide(new)
    np.testing.assert_allclose(proba, model.predict_proba(new))
    assert set(y_pred) <= {"churn", "stay"}


def test_fit_the_calibrated_strategy(fitted, network, capsys):
    """Check that the calibrated strategy of compare is fittable by name, and
    that the saved network keeps its calibration map."""
    out = fitted / "calibrated.skw"
    assert main(["fit", str(fitted / "train.csv"), "--target", "label",
                 "--strategy", "balanced+calibrated", "--decision", "argmax",
                 "--cost-matrix", "0,5;1,0", *network, "--out", str(out)]) == 0
    assert "saved balanced+calibrated (argmax" in capsys.readouterr().out
    model = skweight.load(out)
    assert model.info["strategy"] == "balanced+calibrated"
    calibrator = model.estimator.estimator_[-1].calibrator_
    assert calibrator is not None and calibrator.temperature > 0


def test_per_row_costs_at_predict(fitted):
    """Check --fn-cost-column: each row's expected cost uses its own amount."""
    out = fitted / "rows.csv"
    assert main(["predict", str(fitted / "model.skw"), str(fitted / "new.csv"),
                 "--fn-cost-column", "amount", "--fp-cost", "2",
                 "--out", str(out)]) == 0
    new = pd.read_csv(fitted / "new.csv")
    decisions = pd.read_csv(out)
    p_stay = decisions["p(stay)"].to_numpy()  # positive: 'stay', the second label
    # A miss: true stay said churn costs the amount; a false alarm costs 2.
    cost_churn, cost_stay = p_stay * new["amount"], (1 - p_stay) * 2
    best = np.where(cost_stay < cost_churn, "stay", "churn")
    np.testing.assert_array_equal(decisions["decision"], best)
    np.testing.assert_allclose(decisions["expected_cost"],
                               np.minimum(cost_churn, cost_stay))


def test_fit_members_cross_fit_then_predict(fitted, capsys):
    """Check that fit --members 3 --cross-fit saves every member and the
    calibration map, and that predict decides with their averaged probabilities."""
    model_path = fitted / "members.skw"
    assert main(["fit", str(fitted / "train.csv"), "--target", "label",
                 "--strategy", "balanced", "--cost-matrix", "0,5;1,0",
                 "--epochs", "2", "--hidden", "4", "--members", "3", "--cross-fit",
                 "--out", str(model_path)]) == 0
    assert "fitting balanced (3 cross-fitted members) on 200 rows" in \
        capsys.readouterr().err
    model = skweight.load(model_path)
    network = model.estimator.estimator_[-1]
    assert (network.n_members, network.cross_fit, len(network.models_)) == (
        3, True, 3)
    assert network.calibrator_ is not None  # "auto" calibrates with cross_fit
    out = fitted / "members.csv"
    assert main(["predict", str(model_path), str(fitted / "new.csv"),
                 "--out", str(out)]) == 0
    decisions = pd.read_csv(out)
    assert len(decisions) == 40 and set(decisions["decision"]) <= {"churn", "stay"}
    new = pd.read_csv(fitted / "new.csv")[["x1", "colour", "amount"]]
    np.testing.assert_allclose(decisions[["p(churn)", "p(stay)"]],
                               model.predict_proba(new), atol=1e-6)


@pytest.mark.parametrize("change, message", [
    (lambda t: t.drop(columns=["colour"]), r"lacks the column\(s\) 'colour'"),
    (lambda t: t.assign(extra=1.0), r"has column\(s\) 'extra' the model was not "
     r"trained with"),
    (lambda t: t.assign(colour="purple"), r"column 'colour' holds value\(s\) never "
     r"seen in training: 'purple'"),
    (lambda t: t.assign(x1="high"), r"column 'x1' held numbers in training but "
     r"holds 'high'"),
])
def test_predict_checks_columns(fitted, tmp_path, capsys, change, message):
    """Check missing, extra, unseen and mistyped columns: one line, exit 2,
    nothing written."""
    path = tmp_path / "bad.csv"
    change(pd.read_csv(fitted / "new.csv")).to_csv(path, index=False)
    status = main(["predict", str(fitted / "model.skw"), str(path),
                   "--out", str(tmp_path / "out.csv")])
    err = capsys.readouterr().err
    assert status == 2
    assert len(err.splitlines()) == 1 and re.search(message, err), err
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("args, message", [
    (["fit", "--strategy", "nope", "--out", "m.skw"], "argument --strategy: "
     "invalid choice: 'nope'"),
    (["fit", "--strategy", "balanced"], "the following arguments are required: "
     "--out"),
    (["fit", "--strategy", "cost-weights", "--cost-matrix", "0,1;1,0", "--out",
      "m.skw"], "--strategy cost-weights: every class has the same total cost"),
    (["fit", "--strategy", "balanced", "--cross-fit", "--out", "m.skw"],
     "--cross-fit needs --members 2 or more (got --members 1)"),
    (["fit", "--strategy", "balanced", "--members", "-2", "--out", "m.skw"],
     "argument --members: got '-2'; pass a number of networks, at least 1"),
    (["fit", "--strategy", "balanced", "--out", "nowhere/m.skw"],
     "--out 'nowhere/m.skw': the folder"),
    (["predict", "missing.skw", "new.csv", "--out", "d.csv"],
     "'missing.skw' is not a model written by 'skweight fit'"),
])
def test_bad_input(args, message, tmp_path, capsys, monkeypatch):
    """Check bad arguments: one line on stderr, exit 2, nothing fitted."""
    monkeypatch.chdir(tmp_path)
    status = main(args)
    err = capsys.readouterr().err
    assert status == 2
    assert len(err.splitlines()) == 1 and message in err, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("options, message", [
    (["--members", "2", "--cross-fit"], "--cross-fit: class 'rare' has only 1 row; "
     "each member trains on all folds but one, which needs 2 rows of every class; "
     "leave out --cross-fit"),
    (["--decision", "tuned"], "--decision tuned: class 'rare' has 1 row; tuning "
     "holds out 25% of each class and needs one there; use --decision bayes"),
])
def test_a_rare_class_is_named(options, message, tmp_path, capsys):
    """Check a class too rare for the options: one line naming the label as
    written in the table, exit 2, before a fit."""
    table = _table(n=30).assign(label=["rare"] + ["churn"] * 14 + ["stay"] * 15)
    table.to_csv(tmp_path / "rare.csv", index=False)
    status = main(["fit", str(tmp_path / "rare.csv"), "--target", "label",
                   "--strategy", "balanced", *options,
                   "--out", str(tmp_path / "m.skw")])
    err = capsys.readouterr().err
    assert status == 2
    assert err.splitlines() == [f"skweight: error: {message}"]
    assert not (tmp_path / "m.skw").exists()


@pytest.mark.parametrize("command", ["fit", "predict"])
def test_help(command, capsys):
    """Check that --help of fit and predict prints the options, with exit 0."""
    assert main([command, "--help"]) == 0
    captured = capsys.readouterr()
    assert "--out PATH" in captured.out and captured.err == ""
    if command == "fit":
        assert "tuned on 25% of the rows" in " ".join(captured.out.split())


def _env():
    package_parent = str(Path(skweight.__file__).resolve().parent.parent)
    return {**{k: v for k, v in os.environ.items()
               if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")},
            "PYTHONPATH": package_parent}


@pytest.mark.slow
def test_predict_in_a_subprocess_is_quiet(fitted, tmp_path):
    """Check predict in a fresh process: no TensorFlow log line, one summary."""
    result = subprocess.run(
        [sys.executable, "-m", "skweight", "predict", str(fitted / "model.skw"),
         str(fitted / "new.csv"), "--out", str(tmp_path / "d.csv")],
        env=_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert not re.search(r"I0000|oneDNN|absl|port\.cc", result.stdout
                         + result.stderr), result.stderr
    assert len(pd.read_csv(tmp_path / "d.csv")) == 40


@pytest.mark.slow
def test_ctrl_c_during_fit_writes_nothing(fitted, tmp_path):
    """Check that SIGINT while fitting ends with exit 130, one line, no model."""
    process = subprocess.Popen(
        [sys.executable, "-m", "skweight", "fit", str(fitted / "train.csv"),
         "--target", "label", "--strategy", "balanced", "--epochs", "2000",
         "--hidden", "4", "--out", "model.skw"],
        cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interruptible)
    for line in process.stderr:  # fitting has started
        if line.startswith("fitting balanced"):
            break
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=120)
    assert process.returncode == 130
    assert rest.splitlines() == ["skweight: interrupted; nothing was written"]
    assert not list(tmp_path.iterdir())
