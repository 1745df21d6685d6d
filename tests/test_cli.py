"""The ``skweight compare`` command: a real run, its outputs, and bad input."""

import json
import os
import re
import shlex
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
def quick(small):
    """Two cheap strategies, two folds, the small network: the command, not the
    networks."""
    return ["--strategies", "no-weights,balanced", "--cv", "2",
            "--epochs", str(small["epochs"]),
            "--hidden", ",".join(map(str, small["hidden_layer_sizes"]))]


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


@pytest.mark.slow
def test_compare_run_writes_table_and_figures(small_csv, tmp_path, quick):
    """Check a full run in a subprocess: ranked table, CSV, JSON, figures."""
    n_dropped = int(pd.read_csv(small_csv)["label"].isna().sum())
    result = _run(["compare", str(small_csv), "--target", "label", *quick,
                   "--cost-matrix", "0,5;1,0", "--out", "report"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"({n_dropped} dropped: missing target)" in result.stdout
    assert "order ['churn', 'stay']): [[0.0, 5.0], [1.0, 0.0]]" in result.stdout
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("rank"))
    recommended = next(i for i, line in enumerate(lines)
                       if line.startswith("Recommended: "))
    assert recommended < header  # the recommendation comes before the table
    ranked = [line.split() for line in lines[header + 1: header + 13]]
    assert [row[0] for row in ranked] == [str(i) for i in range(1, 13)]
    assert ranked[0][1] == "best"
    norms = [float(row[-8]) for row in ranked]  # counted from the right
    assert norms == sorted(norms)
    shown = {row[1] if row[1] not in ("best", "tied") else row[2] for row in ranked}
    assert shown == {"no-weights", "balanced", "logistic-regression",
                     "gradient-boosting"}
    assert re.search(r"skweight fit \S*small\.csv --target label --strategy ",
                     result.stdout)

    out = tmp_path / "report"
    assert sorted(p.name for p in out.iterdir()) == [
        "compare.csv", "compare.json", "cost_vs_threshold.png", "fit-command.txt",
        "precision_recall.png", "reliability.png", "report.html",
    ]
    page = (out / "report.html").read_text()
    assert "<th class=\"l\">churn</th><td>0.0</td><td>5.0</td>" in page
    assert page.count("data:image/png;base64,") == 3
    assert "http" not in page  # opens with no network
    assert page.index("Recommended: ") < page.index("<h2>Data</h2>")
    assert "Run settings" in page and "scikit-learn" in page
    table = pd.read_csv(out / "compare.csv")
    assert table.shape == (12, 24)
    assert set(table["strategy"]) == {"no-weights", "balanced", "logistic-regression",
                                      "gradient-boosting"}
    assert table["normalized_cost_mean"].is_monotonic_increasing
    document = json.loads((out / "compare.json").read_text())
    assert document["n_dropped_missing_target"] == n_dropped
    assert document["classes"] == ["churn", "stay"]
    assert len(document["results"]) == 12
    advice = document["recommendation"]
    assert (advice["strategy"], advice["decision"]) == tuple(
        table.loc[0, ["strategy", "decision"]])
    settings = document["settings"]
    assert settings["command"].startswith("skweight compare ")
    assert (settings["folds"], settings["repeats"], settings["random_state"]) == (
        2, 1, 0)
    assert {"keras", "scikit-learn", "numpy", "skweight"} <= set(settings["versions"])
    command = (out / "fit-command.txt").read_text().strip()
    assert command == document["fit_command"]
    assert f"--strategy {advice['strategy']} --decision {advice['decision']}" \
        in command
    assert all((out / name).read_bytes()[:4] == b"\x89PNG"
               for name in ("precision_recall.png", "reliability.png"))


def test_bad_input_in_a_subprocess(tmp_path):
    """Check exit status 2 and a single line on stderr, without a traceback."""
    result = _run(["compare", "missing.csv", "--target", "label"], cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["skweight: error: missing.csv: no such file"]
    assert result.stdout == ""


def _rare_rows():
    """Two rows of class b: 2 folds leave 1 per training fold, none to tune on."""
    return "x,y\n" + "".join(f"{i},{'b' if i < 2 else 'a'}\n" for i in range(40))


def _three_rows():
    """Three rows of class b: 3 folds leave 2 per training fold, 1 after tuning."""
    return "x,y\n" + "".join(f"{i},{'b' if i < 3 else 'a'}\n" for i in range(40))


def _wide_header():
    """A 100,000-character column name, as a malformed file may hold."""
    return "x," + "h" * 100_000 + "\n1,2\n3,4\n"


def _fifo(path):
    """A named pipe nobody writes to: reading it would wait forever."""
    os.mkfifo(path)
    return str(path)


def _dangling_link(folder):
    """A symbolic link to a folder that does not exist."""
    os.symlink(folder / "gone", folder / "link")
    return str(folder / "link")


def _folder_named(folder, name):
    """A folder ``out`` holding a folder ``name``, where a file will go."""
    (folder / "taken" / name).mkdir(parents=True)
    return str(folder / "taken")


def _inf_table():
    """A feature with inf (not missing: the imputer does not fill it)."""
    return "x,z,y\n" + "".join(f"{'inf' if i == 7 else i},{i % 3},{'ab'[i % 2]}\n"
                               for i in range(40))


def _huge_table():
    """A feature whose mean and spread overflow float64 when it is scaled."""
    return "x,y\n" + "".join(f"{1.7e308 if i < 3 else i},{'ab'[i % 2]}\n"
                             for i in range(40))


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
         "--strategies: got 'best': unknown or repeated \\['best'\\]; choose "
         "strategies among no-weights,"),
        (lambda d, csv: ["compare", csv, "--target", "label", "--cv", "500"],
         "--cv 500: cv=500 folds need per class at least 500 rows"),
        (lambda d, csv: ["compare", "--n-jobs", "0"],
         "--n-jobs: got '0'; .* -1 for every core"),
        (lambda d, csv: ["compare", "--random-state", "-1"],
         "--random-state: got '-1'; pass a seed between 0 and 2\\*\\*32 - 1"),
        (lambda d, csv: ["compare", "--epochs", "0"], "--epochs: got '0'"),
        (lambda d, csv: ["compare", "--cv", "1"], "--cv: got '1'; pass at least 2"),
        (lambda d, csv: ["compare", "--hidden", "8,0"], "--hidden: got '8,0'"),
        (lambda d, csv: ["compare", "--members", "0"],
         "--members: got '0'; pass a number of networks, at least 1"),
        (lambda d, csv: ["compare", "--members", "2.5"], "--members: got '2.5'"),
        (lambda d, csv: ["compare", csv, "--target", "label", "--cross-fit"],
         "--cross-fit needs --members 2 or more \\(got --members 1\\)"),
        (lambda d, csv: ["compare", _write(d / "three.csv", _three_rows()),
                         "--target", "y", "--cv", "3", "--members", "2",
                         "--cross-fit"],
         "--cross-fit: .*every class needs 2 rows .*\\{'b': 3\\} .* --cv 3 "
         "after the tuning split"),
        (lambda d, csv: ["compare", "--decisions", "bayes,bayes"],
         "--decisions: got 'bayes,bayes': unknown or repeated"),
        (lambda d, csv: ["compare", "--cost-matrix", ""],
         "--cost-matrix '' is empty .*\"0,1;1,0\""),
        (lambda d, csv: ["compare", "--cost-matrix", "0,1;1,0", "--strategies",
                         "cost-weights"], "same total cost"),
        (lambda d, csv: ["compare", "--out", _write(d / "file.txt", "x")],
         "exists and is not a folder"),
        (lambda d, csv: ["compare", "--out", "/proc/skweight-out"],
         "'/proc' is not writable"),
        (lambda d, csv: ["compare", _write(d / "rare.csv", _rare_rows()),
                         "--target", "y", "--cv", "2"],
         "--cv 2: .*tuning split.*\\{'b': 2\\}"),
        (lambda d, csv: ["compare", _write(d / "wide.csv", _wide_header()),
                         "--target", "nope"], "is not a column of"),
        (lambda d, csv: ["compare", csv, "--target", "label", "--fn-cost-column",
                         "x1", "--fp-cost", "1", "--cost-matrix", "0,1;1,0"],
         "--cost-matrix and per-row costs .* both given"),
        (lambda d, csv: ["compare", csv, "--target", "label", "--fn-cost-column",
                         "amout", "--fp-cost", "1"],
         "--fn-cost-column 'amout' is not a feature column; columns: x1, x2"),
        (lambda d, csv: ["compare", csv, "--target", "label", "--fn-cost-column",
                         "x1", "--fp-cost", "1"],
         "--fn-cost-column 'x1' has .* rows that are not a finite number >= 0"),
        (lambda d, csv: ["compare", csv, "--target", "label", "--fn-cost", "5",
                         "--fp-cost", "1"], "alone are one cost matrix"),
        (lambda d, csv: ["compare", csv, "--target", "label", "--fn-cost-column",
                         "x2"], "need the cost of a false alarm too"),
        (lambda d, csv: ["compare", "--fp-cost", "-1"], "--fp-cost: got '-1'"),
        (lambda d, csv: ["compare", csv, "--target", "label", "--fn-cost-column",
                         "x2", "--fp-cost", "1", "--positive", "yes"],
         "--positive 'yes' is not a label of the target; the labels: \\['churn', "),
        (lambda d, csv: ["compare", csv, "--target", "label", "--bogus"],
         "unrecognized arguments: --bogus"),
        (lambda d, csv: ["compare", "--cost-matrix",
                         _write(d / "costs.bin", b"\x00\xff\xfe\x81")],
         "--cost-matrix '.*costs.bin' is not a text file .*UTF-8.*one row of costs "
         "per line"),
        (lambda d, csv: ["compare", "--cost-matrix", ",".join(["1"] * 3000)],
         "--cost-matrix '1,1,1.* does not fit: cost_matrix has shape \\(1, 3000\\)"),
        (lambda d, csv: ["compare", "--cost-matrix",
                         _write(d / "costs.txt", "0,1;20,0 # coût".encode("latin-1"))],
         "--cost-matrix '.*costs.txt' is not a text file .*byte 0xfb"),
        (lambda d, csv: ["compare", "--cost-matrix", _fifo(d / "costs.fifo")],
         "--cost-matrix '.*costs.fifo' is not a regular file"),
        (lambda d, csv: ["compare", "--out", _dangling_link(d)],
         "--out '.*link' is a symbolic link to '.*gone', which does not exist"),
        (lambda d, csv: ["compare", "--out", _folder_named(d, "compare.csv")],
         "--out '.*taken' holds a folder 'compare.csv' where the run writes a file"),
        (lambda d, csv: ["compare", _write(d / "inf.csv", _inf_table()), "--target",
                         "y"],
         "column 'x' of .*inf.csv has 1 infinite value \\(first at row 7\\)"),
        (lambda d, csv: ["compare", _write(d / "huge.csv", _huge_table()),
                         "--target", "y"],
         "column 'x' of .*huge.csv has values too large to scale"),
    ],
    ids=["missing-file", "unknown-target", "no-target", "one-class", "cost-shape",
         "cost-number", "unreadable-csv", "unreadable-parquet", "continuous",
         "unknown-strategy", "too-many-folds", "n-jobs-0", "negative-seed",
         "no-epochs", "one-fold", "empty-layer", "no-members", "members-not-int",
         "cross-fit-one-member", "cross-fit-rare-class", "repeated-decision",
         "empty-cost-matrix", "uniform-cost-weights", "out-is-a-file",
         "out-not-writable", "folds-ignore-tuning-split", "huge-header",
         "row-costs-and-matrix", "unknown-cost-column", "negative-cost-column",
         "no-cost-column", "no-false-alarm-cost", "negative-fixed-cost",
         "unknown-positive",
         "unknown-option", "binary-cost-file", "latin-1-cost-file",
         "long-cost-spec", "fifo-cost-file", "out-dangling-link",
         "out-holds-folder-named-like-output", "inf-feature",
         "feature-overflows-scaling"],
)
def test_bad_input(make_args, expected, small_csv, tmp_path, capsys):
    """Check each bad input: exit status 2, one line on stderr naming the problem,
    the caller's files unchanged, no --out folder, and a readable length."""
    args = make_args(tmp_path, str(small_csv))
    if "--out" not in args:
        args += ["--out", str(tmp_path / "out")]
    before = {p: p.read_bytes() for p in [small_csv, *tmp_path.iterdir()]
              if p.is_file()}
    status = main(args)
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("skweight: error: ")
    assert re.search(expected, lines[0]), lines[0]
    assert len(lines[0]) < 1500
    assert "Traceback" not in captured.err
    assert {p: p.read_bytes() for p in before} == before
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("content", [
    "0,hunter2;1,0", "hunter2", "0,1;1,0;hunter2,1", "0,1,2;1,0,hunter2",
    "0,nan;1,0 hunter2", "0,-1;1,0\nhunter2",
])
def test_cost_matrix_file_contents_are_never_echoed(content, tmp_path, capsys):
    """Check that an error about a --cost-matrix file names the file and the
    problem but quotes none of its content (it may be any file the user owns)."""
    path = _write(tmp_path / "costs.txt", content)
    status = main(["compare", "--cost-matrix", path])
    err = capsys.readouterr().err
    assert status == 2
    assert len(err.splitlines()) == 1 and "costs.txt" in err, err
    assert "hunter2" not in err and "nan" not in err, err


def test_fifo_as_file_is_an_error_not_a_hang(tmp_path):
    """Check that a named pipe given as FILE is refused at once (reading it would
    wait for a writer forever); a subprocess, so that a hang fails the test."""
    _fifo(tmp_path / "data.csv")
    package_parent = str(Path(skweight.__file__).resolve().parent.parent)
    result = subprocess.run(
        [sys.executable, "-m", "skweight", "compare", "data.csv", "--target", "y"],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": package_parent},
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "skweight: error: data.csv is not a regular file (a pipe, a device or a "
        "socket); pass a CSV or Parquet file"]


def test_help_explains_the_cost_matrix(capsys):
    """Check that --help shows the orientation of the cost matrix with an example."""
    assert main(["compare", "--help"]) == 0
    text = capsys.readouterr().out
    assert "rows = true class, columns = predicted class" in text
    assert '--cost-matrix "0,10;1,0"' in text


@pytest.mark.slow
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
        "compare.csv", "compare.json", "fit-command.txt", "reliability.png",
        "report.html"]


def test_bad_input_is_quiet_before_tensorflow(tmp_path):
    """Check that bad input prints its one line and no TensorFlow log line: the
    arguments are checked before Keras is imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    package_parent = str(Path(skweight.__file__).resolve().parent.parent)
    result = subprocess.run(
        [sys.executable, "-m", "skweight", "compare", "--n-jobs", "0"], cwd=tmp_path,
        env={**env, "PYTHONPATH": package_parent}, capture_output=True, text=True,
        timeout=120)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("skweight: error: argument --n-jobs: got '0'")


def test_every_fit_failing_is_an_error(tmp_path, capsys):
    """Check that when no strategy can be fitted (SMOTE with fewer minority rows
    per fold than neighbours) the command says which failed and why, exits 1 and
    writes nothing."""
    path = tmp_path / "rare.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame({"x": rng.normal(size=60),
                  "y": ["b"] * 8 + ["a"] * 52}).to_csv(path, index=False)
    status = main(["compare", str(path), "--target", "y", "--strategies", "smote",
                   "--no-baselines", "--cv", "2", "--epochs", "2", "--hidden", "4",
                   "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 1
    assert re.search(r"every strategy failed, nothing was written \(smote: "
                     r"ValueError: Expected n_neighbors <= n_samples", err), err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_some_fits_failing_are_listed(tmp_path, capsys):
    """Check that a strategy that cannot run is named with its reason, and the
    others are ranked: SMOTE needs more minority rows than a fold holds."""
    path = tmp_path / "rare.csv"
    rng = np.random.default_rng(0)
    rows = pd.DataFrame({"x": rng.normal(size=60),
                         "y": ["b"] * 8 + ["a"] * 52})
    rows.to_csv(path, index=False)
    status = main(["compare", str(path), "--target", "y", "--strategies",
                   "no-weights,smote", "--cv", "2", "--epochs", "2", "--hidden", "4"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert re.search(r"warning: strategy 'smote' failed and scores nan: "
                     r"ValueError: Expected n_neighbors <= n_samples", captured.err)
    assert "(1 failed: see the warnings)" in captured.out
    assert " no-weights " in captured.out and " smote " not in captured.out


@pytest.mark.slow
def test_ctrl_c_ends_with_one_line_and_no_output(tmp_path):
    """Check that SIGINT during the fits ends with exit 130, one line and no
    --out folder (fault injection on a real run)."""
    package_parent = str(Path(skweight.__file__).resolve().parent.parent)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": package_parent}
    process = subprocess.Popen(
        # Eight strategies left after the first: still fitting when SIGINT comes,
        # however loaded the machine is.
        [sys.executable, "-m", "skweight", "compare", "--strategies",
         "no-weights,balanced,focal,prior-bias,balanced+prior-bias,cost-weights,"
         "logit-adjusted,undersampling,smote", "--cv", "2", "--epochs", "30",
         "--hidden", "4", "--out", "out"], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        preexec_fn=_interruptible)
    for line in process.stderr:  # the progress line of the first strategy
        if line.startswith("cross-validated 1/"):
            break
    process.send_signal(signal.SIGINT)
    out, rest = process.communicate(timeout=120)
    assert process.returncode == 130
    assert rest.splitlines() == ["skweight: interrupted; nothing was written"]
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_costs_per_row_from_a_column(tmp_path, capsys, quick):
    """Check --fn-cost-column/--fp-cost: stated in the header and the report,
    ranked by savings, with total cost and savings in the table."""
    table = _small_table(n=200).dropna()
    table["amount"] = np.random.default_rng(2).uniform(0, 50, size=len(table))
    path = tmp_path / "amounts.csv"
    table.to_csv(path, index=False)
    status = main(["compare", str(path), "--target", "label", *quick,
                   "--fn-cost-column", "amount", "--fp-cost", "5",
                   "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    stated = ("costs per row: a miss (true 'stay', predicted 'churn') costs column "
              "'amount' (mean ")
    assert stated in captured.out
    assert "a false alarm (true 'churn', predicted 'stay') costs 5;" in captured.out
    assert "ranked by savings" in captured.out
    lines = captured.out.splitlines()
    head = next(line for line in lines if line.startswith("rank"))
    assert head.split()[3:8] == ["savings", "cost", "±", "std", "total"]
    rows = [line.split() for line in lines[lines.index(head) + 1:][:6]]
    savings = [float(row[-12]) for row in rows]  # counted from the right
    assert savings == sorted(savings, reverse=True)
    page = (tmp_path / "out" / "report.html").read_text()
    assert stated in page.replace("&#x27;", "'")


def test_positive_class_of_row_costs():
    """Check --positive: a miss is the positive class predicted negative, in the
    sorted order of the labels whichever label is positive."""
    import argparse

    from skweight._compare_data import row_costs

    X = pd.DataFrame({"amount": [10.0, 20.0, 30.0]})
    y = np.array(["churn", "stay", "churn"])
    args = argparse.Namespace(cost_matrix=None, fn_cost=None, fn_cost_column="amount",
                              fp_cost=5.0, fp_cost_column=None, positive=None)
    stay, text = row_costs(X, y, args)  # positive: 'stay', the second label
    assert "a miss (true 'stay', predicted 'churn') costs column 'amount'" in text
    np.testing.assert_array_equal(stay[:, 1, 0], [10, 20, 30])  # true stay, said churn
    np.testing.assert_array_equal(stay[:, 0, 1], [5, 5, 5])
    args.positive = "churn"
    churn, text = row_costs(X, y, args)
    assert "a miss (true 'churn', predicted 'stay') costs column 'amount'" in text
    np.testing.assert_array_equal(churn[:, 0, 1], [10, 20, 30])  # true churn, said stay
    np.testing.assert_array_equal(churn[:, 1, 0], [5, 5, 5])


@pytest.mark.slow
def test_no_tensorflow_log_lines(tmp_path):
    """Check that a run with TensorFlow's logging left at its defaults prints no
    C++ log line (oneDNN, absl) on stdout or stderr."""
    package_parent = str(Path(skweight.__file__).resolve().parent.parent)
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")}
    result = subprocess.run(
        [sys.executable, "-m", "skweight", "compare", "--strategies", "no-weights",
         "--decisions", "bayes", "--cv", "2", "--epochs", "1", "--hidden", "2",
         "--no-baselines"],
        cwd=tmp_path, env={**env, "PYTHONPATH": package_parent},
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert not re.search(r"I0000|oneDNN|absl|port\.cc", output), output
    assert "cross-validated 1/1" in result.stderr


@pytest.mark.slow
def test_repeats_and_drop(small_csv, tmp_path, capsys, quick):
    """Check --repeats (the paired comparison over K x N folds, in the settings)
    and --drop (the column left out, named in the fit command)."""
    status = main(["compare", str(small_csv), "--target", "label", *quick,
                   "--repeats", "2", "--decisions", "bayes", "--no-baselines",
                   "--drop", "colour", "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "over the same 4 folds" in captured.out
    assert "2 strategies x 4 folds" in captured.out
    document = json.loads((tmp_path / "out" / "compare.json").read_text())
    assert document["settings"]["repeats"] == 2
    assert document["settings"]["dropped_columns"] == ["colour"]
    assert document["settings"]["baselines"] is False
    assert "--drop colour" in document["fit_command"]
    assert "gradient-boosting" not in captured.out
    # The defaults are left out of the command, and said in the settings.
    assert "--members" not in document["fit_command"]
    assert "--cross-fit" not in document["fit_command"]
    assert (document["settings"]["members"], document["settings"]["cross_fit"]) == (
        1, False)


def test_fit_command_carries_members_for_networks_only():
    """Check that the fit command says --members/--cross-fit when they are not
    the default and the strategy is a network (a baseline is one model)."""
    import argparse

    from skweight._compare_command import fit_command

    args = argparse.Namespace(file=None, epochs=2, hidden=(4,), random_state=0,
                              members=5, cross_fit=True)
    cost = np.array([[0.0, 1.0], [20.0, 0.0]])
    assert fit_command(args, "focal", "bayes", cost).endswith(
        "--random-state 0 --members 5 --cross-fit --out model.skw")
    assert "--members" not in fit_command(args, "logistic-regression", "bayes", cost)
    args.cross_fit = False
    assert fit_command(args, "focal", "bayes", cost).endswith(
        "--random-state 0 --members 5 --out model.skw")
    args.members = 1
    assert fit_command(args, "focal", "bayes", cost).endswith(
        "--random-state 0 --out model.skw")


@pytest.mark.slow
def test_members_and_cross_fit_reach_the_fit_command(small_csv, tmp_path, capsys):
    """Check --members/--cross-fit: said in the settings, the report and the
    JSON, carried by the fit command, which trains that ensemble."""
    out = tmp_path / "out"
    status = main(["compare", str(small_csv), "--target", "label", "--strategies",
                   "balanced", "--no-baselines", "--decisions", "bayes", "--cv", "2",
                   "--epochs", "2", "--hidden", "4", "--members", "2",
                   "--cross-fit", "--out", str(out)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    said = " ".join(captured.out.split())
    assert "2 members per network strategy, cross-fitted and calibrated" in said
    assert re.search(r"Reproduce: skweight compare .* --members 2 --cross-fit", said)
    document = json.loads((out / "compare.json").read_text())
    assert (document["settings"]["members"], document["settings"]["cross_fit"]) == (
        2, True)
    command = (out / "fit-command.txt").read_text().strip()
    assert command == document["fit_command"]
    assert command.endswith("--members 2 --cross-fit --out model.skw")
    assert "strategy</td><td class=\"l\">2 (cross-fitted)</td>" in (
        out / "report.html").read_text()

    words = shlex.split(command)
    assert words[:2] == ["skweight", "fit"] and words[-2] == "--out"
    assert main([*words[1:-1], str(tmp_path / "model.skw")]) == 0
    assert "(2 cross-fitted members)" in capsys.readouterr().err
    network = skweight.load(tmp_path / "model.skw").estimator.estimator_[-1]
    assert (network.n_members, network.cross_fit, len(network.models_)) == (
        2, True, 2)
    assert network.calibrator_ is not None  # "auto" calibrates with cross_fit


@pytest.mark.slow
def test_per_row_mode_names_what_did_not_run(tmp_path, capsys):
    """Check that cost-weights, not run with costs per row, is named with why."""
    table = _small_table(n=120).dropna()
    table["amount"] = np.random.default_rng(2).uniform(0, 50, size=len(table))
    table.to_csv(tmp_path / "a.csv", index=False)
    status = main(["compare", str(tmp_path / "a.csv"), "--target", "label",
                   "--strategies", "no-weights", "--cv", "2", "--epochs", "1",
                   "--hidden", "2", "--decisions", "bayes", "--no-baselines",
                   "--fn-cost-column", "amount", "--fp-cost", "5",
                   "--out", str(tmp_path / "out")])
    assert status == 0
    document = json.loads((tmp_path / "out" / "compare.json").read_text())
    assert document["settings"]["skipped"] == {}  # strategies were chosen
    status = main(["compare", str(tmp_path / "a.csv"), "--target", "label",
                   "--cv", "2", "--epochs", "1", "--hidden", "2", "--decisions",
                   "bayes", "--no-baselines", "--fn-cost-column", "amount",
                   "--fp-cost", "5"])
    err = capsys.readouterr().err
    assert status == 0
    assert "strategy 'cost-weights' skipped: class weights need one cost matrix" \
        in err
