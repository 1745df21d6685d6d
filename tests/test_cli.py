"""The ``skweight compare`` command: a real run, its outputs, and bad input."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import skweight
from skweight._cli import main

# Two cheap strategies, two folds, three epochs: the command, not the networks.
QUICK = ["--strategies", "no-weights,balanced", "--cv", "2", "--epochs", "3",
         "--hidden", "4"]


def _small_table(n=240, seed=0):
    """Numbers with gaps, a string column with gaps, string labels with gaps."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n)
    logit = -1.5 + 1.5 * x1 + (colour == "red")
    label = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "churn", "stay")
    table = pd.DataFrame({"x1": x1, "x2": x2, "colour": colour, "label": label})
    table.loc[::17, "x1"] = np.nan
    table.loc[::23, "colour"] = np.nan
    table.loc[::41, "label"] = np.nan
    return table


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "small.csv"
    _small_table().to_csv(path, index=False)
    return path


def _run(args, cwd):
    """``python -m skweight ARGS`` in a fresh process, importing this skweight."""
    package_parent = str(Path(skweight.__file__).resolve().parent.parent)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0",
           "PYTHONPATH": os.pathsep.join(
               [package_parent, *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.run([sys.executable, "-m", "skweight", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)


def test_compare_run_writes_table_and_figures(small_csv, tmp_path):
    """Check a full run in a subprocess: ranked table, CSV, JSON, figures."""
    n_dropped = int(pd.read_csv(small_csv)["label"].isna().sum())
    result = _run(["compare", str(small_csv), "--target", "label", *QUICK,
                   "--cost-matrix", "0,5;1,0", "--out", "report"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"({n_dropped} dropped: missing target)" in result.stdout
    assert "order ['churn', 'stay']): [[0.0, 5.0], [1.0, 0.0]]" in result.stdout
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("rank"))
    ranked = [line.split() for line in lines[header + 1: header + 7]]
    assert [row[0] for row in ranked] == [str(i) for i in range(1, 7)]
    norms = [float(row[6]) for row in ranked]
    assert norms == sorted(norms)

    out = tmp_path / "report"
    assert sorted(p.name for p in out.iterdir()) == [
        "compare.csv", "compare.json", "cost_vs_threshold.png",
        "precision_recall.png", "reliability.png",
    ]
    table = pd.read_csv(out / "compare.csv")
    assert table.shape == (6, 18)
    assert set(table["strategy"]) == {"no-weights", "balanced"}
    assert table["normalized_cost_mean"].is_monotonic_increasing
    document = json.loads((out / "compare.json").read_text())
    assert document["n_dropped_missing_target"] == n_dropped
    assert document["classes"] == ["churn", "stay"]
    assert len(document["results"]) == 6
    assert all((out / name).read_bytes()[:4] == b"\x89PNG"
               for name in ("precision_recall.png", "reliability.png"))


def test_bad_input_in_a_subprocess(tmp_path):
    """Check exit status 2 and a single line on stderr, without a traceback."""
    result = _run(["compare", "missing.csv", "--target", "label"], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["skweight: error: missing.csv: no such file"]
    assert result.stdout == ""


def _write(path, content):
    path.write_bytes(content) if isinstance(content, bytes) else path.write_text(
        content)
    return str(path)


@pytest.mark.parametrize(
    "make_args, expected",
    [
        (lambda d, csv: ["compare", str(d / "nope.csv"), "--target", "label"],
         "no such file"),
        (lambda d, csv: ["compare", csv, "--target", "lable"],
         "'lable' is not a column of .* \\(did you mean 'label'\\?\\); columns: x1, "
         "x2, colour, label"),
        (lambda d, csv: ["compare", csv], "--target is required .* x1, x2"),
        (lambda d, csv: ["compare", _write(d / "one.csv", "a,b\n1,x\n2,x\n"),
                         "--target", "b"], "has one class \\('x'\\)"),
        (lambda d, csv: ["compare", csv, "--target", "label", "--cost-matrix",
                         "0,1,1;1,0,1;1,1,0"],
         r"shape \(3, 3\) .* class order \(rows and columns\): \['churn', 'stay'\]"),
        (lambda d, csv: ["compare", csv, "--target", "label", "--cost-matrix",
                         "0,x;1,0"], "--cost-matrix '0,x;1,0' does not fit"),
        (lambda d, csv: ["compare", _write(d / "bad.csv", b"\xff\xfe\x00\x81"),
                         "--target", "x"], "cannot read .*bad.csv as CSV"),
        (lambda d, csv: ["compare", _write(d / "bad.parquet", b"not parquet"),
                         "--target", "x"], "cannot read .*bad.parquet as Parquet"),
        (lambda d, csv: ["compare", csv, "--target", "x1"], "looks continuous"),
        (lambda d, csv: ["compare", csv, "--target", "label", "--strategies", "best"],
         "unknown \\['best'\\]; choose among no-weights,"),
        (lambda d, csv: ["compare", csv, "--target", "label", "--cv", "500"],
         "--cv 500: needs"),
        (lambda d, csv: ["compare", csv, "--target", "label", "--bogus"],
         "unrecognized arguments: --bogus"),
    ],
    ids=["missing-file", "unknown-target", "no-target", "one-class", "cost-shape",
         "cost-number", "unreadable-csv", "unreadable-parquet", "continuous",
         "unknown-strategy", "too-many-folds", "unknown-option"],
)
def test_bad_input(make_args, expected, small_csv, tmp_path, capsys):
    """Check each bad input: exit status 2, one line on stderr naming the problem."""
    status = main(make_args(tmp_path, str(small_csv)))
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("skweight: error: ")
    assert re.search(expected, lines[0]), lines[0]
    assert "Traceback" not in captured.err


def test_help_explains_the_cost_matrix(capsys):
    """Check that --help shows the orientation of the cost matrix with an example."""
    assert main(["compare", "--help"]) == 0
    text = capsys.readouterr().out
    assert "rows = true class, columns = predicted class" in text
    assert '--cost-matrix "0,10;1,0"' in text


def test_parquet_cost_file_and_multiclass(tmp_path, capsys):
    """Check a Parquet table, a cost matrix read from a file and three classes."""
    pytest.importorskip("pyarrow")
    table = _small_table(n=150)
    table["label"] = np.random.default_rng(1).choice(["a", "b", "c"], size=150)
    table.to_parquet(tmp_path / "data.parquet")
    _write(tmp_path / "costs.txt", "0 1 1\n2 0 1\n4 2 0\n")
    status = main(["compare", str(tmp_path / "data.parquet"), "--target", "label",
                   "--cost-matrix", str(tmp_path / "costs.txt"), "--strategies",
                   "no-weights", "--cv", "2", "--epochs", "1", "--hidden", "4",
                   "--decisions", "argmax,bayes", "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "[[0.0, 1.0, 1.0], [2.0, 0.0, 1.0], [4.0, 2.0, 0.0]]" in captured.out
    # precision-recall and cost-threshold figures are for two classes only
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "compare.csv", "compare.json", "reliability.png"]
