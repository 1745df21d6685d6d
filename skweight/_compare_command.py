"""``skweight compare``: what the command does once its arguments are parsed.

Reads the data, checks everything that can be checked before a fit, runs
:func:`~skweight.compare_strategies` on the strategies and the baselines,
recommends a strategy and a decision (:mod:`skweight._recommend`), prints the
ranked table and, with ``--out``, writes the report and the ``skweight fit``
command of the recommendation.
"""

import shlex
import sys
import textwrap
import time
import warnings

from ._compare import TUNE_SIZE
from ._compare_data import InputError, first_line
from ._quiet import import_backend_quietly

FIT_COMMAND_FILE = "fit-command.txt"


def check_run(args, y, cost_matrix):
    """The checks that need the data, before anything is fitted."""
    import numpy as np

    from ._compare import check_folds
    from ._compare_data import check_out_entries

    if args.out is not None and (problem := check_out_entries(args.out)):
        raise InputError(problem)

    classes, counts = np.unique(y, return_counts=True)
    try:
        check_folds(args.cv, classes, counts, args.decisions)
    except ValueError as exc:
        raise InputError(f"--cv {args.cv}: {first_line(exc)}") from exc
    if getattr(args, "cross_fit", False):
        check_cross_fit_rows(args, classes, counts)
    if "cost-weights" not in (args.strategies or ()):
        return
    if cost_matrix.ndim == 3:
        raise InputError("--strategies cost-weights: class weights need one cost "
                         "matrix, not costs per row; leave cost-weights out")
    sums = cost_matrix.sum(axis=1)
    if np.allclose(sums, sums[0]):
        raise InputError("--strategies cost-weights: every class has the same "
                         "total cost, so cost weights are no weights; give unequal "
                         "costs with --cost-matrix, or leave cost-weights out")


def check_cross_fit_rows(args, classes, counts):
    """--cross-fit: every network must train on 2 rows of every class.

    A network trains on a training fold, ``floor(count (cv - 1) / cv)`` rows of a
    class, less the tuning split's share when the tuned decision is asked for;
    its members then train on all of their folds but one, which needs 2 rows.
    """
    import numpy as np

    fit_rows = np.floor(counts * (args.cv - 1) / args.cv)
    if "tuned" in args.decisions:
        fit_rows -= np.ceil(fit_rows * TUNE_SIZE)
    short = {c: int(n) for c, n, rows in zip(classes.tolist(), counts, fit_rows,
                                             strict=True) if rows < 2}
    if short:
        raise InputError(
            f"--cross-fit: a network's members each train on all of its rows but "
            f"one fold, so every class needs 2 rows where the network trains; the "
            f"classes {short!r} (rows in all) leave fewer in a training fold of "
            f"--cv {args.cv}" + (" after the tuning split" if "tuned"
                                 in args.decisions else "")
            + "; lower --cv, leave out the tuned decision, or leave out --cross-fit"
        )


def prepare_features(data, args):
    """Leave out ``--drop`` and identifier columns; return the warning lines."""
    X = data["X"]
    if not hasattr(X, "columns"):
        return []
    from ._columns import drop_columns

    protected = tuple(c for c in (args.fn_cost_column, args.fp_cost_column) if c)
    data["X"], lines, data["dropped_columns"] = drop_columns(
        X, getattr(args, "drop", None), protected)
    return lines


def not_run_reasons(args, cost_matrix, strategies):
    """Why a default strategy is not among ``strategies`` (when none was chosen)."""
    if args.strategies is not None or "cost-weights" in strategies:
        return {}
    if cost_matrix.ndim == 3:
        why = ("class weights need one cost matrix, and the costs are per row "
               "(the per-row costs train every strategy through the Bayes rule)")
    else:
        why = ("every class has the same total cost, so cost weights would equal "
               "no weights")
    return {"cost-weights": why}


def network_params(args):
    """The settings of every network strategy from the options (not the baselines).

    With ``--cross-fit`` and no early stopping, ``calibration="auto"`` calibrates
    every network on the members' out-of-fold probabilities.
    """
    return {"epochs": args.epochs, "hidden_layer_sizes": args.hidden,
            "n_members": args.members, "cross_fit": args.cross_fit}


def members_options(args):
    """``--members``/``--cross-fit`` as words of a command, when not the default."""
    return ([] if args.members == 1 else ["--members", str(args.members)]) + (
        ["--cross-fit"] if args.cross_fit else [])


def strategies_of(args, data, cost_matrix):
    """The networks and (unless ``--no-baselines``) the baselines to compare."""
    from ._baselines import baseline_strategies
    from ._strategies import default_strategies

    strategies = default_strategies(cost_matrix, args.random_state,
                                    preprocessor=data["preprocessor"],
                                    network_params=network_params(args))
    if args.strategies is not None:
        strategies = {name: strategies[name] for name in args.strategies}
    if not args.no_baselines:
        strategies |= baseline_strategies(args.random_state,
                                          preprocessor=data["preprocessor"])
    return strategies


def versions():
    """The versions of the packages a result depends on."""
    import platform
    from importlib import metadata

    from . import __version__

    found = {"python": platform.python_version(), "skweight": __version__}
    for package in ("numpy", "pandas", "scikit-learn", "imbalanced-learn", "keras",
                    "tensorflow", "tensorflow-cpu", "jax", "torch"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    try:
        import keras

        found["keras backend"] = keras.backend.backend()
    except ImportError:  # pragma: no cover - compare imports keras before
        pass
    return found


def _spec(matrix):
    return ";".join(",".join(f"{v:g}" for v in row) for row in matrix)


def fit_command(args, strategy, decision, cost_matrix, dropped=()):
    """The ``skweight fit`` command that trains ``strategy`` on every row."""
    from ._baselines import BASELINE_NAMES

    words = ["skweight", "fit"]
    if args.file is not None:
        words += [args.file, "--target", args.target]
    words += ["--strategy", strategy, "--decision", decision]
    if cost_matrix.ndim == 2:
        words += ["--cost-matrix", _spec(cost_matrix)]
    else:
        for option in ("fn_cost", "fn_cost_column", "fp_cost", "fp_cost_column",
                       "positive"):
            value = getattr(args, option)
            if value is not None:
                words += [f"--{option.replace('_', '-')}", f"{value:g}"
                          if isinstance(value, float) else str(value)]
    if dropped:
        words += ["--drop", ",".join(map(str, dropped))]
    words += ["--epochs", str(args.epochs), "--hidden",
              ",".join(map(str, args.hidden)), "--random-state",
              str(args.random_state)]
    if strategy not in BASELINE_NAMES:  # a baseline is one model whatever these say
        words += members_options(args)
    words += ["--out", "model.skw"]
    return shlex.join(words)


def _wrapped(lines):
    return "\n".join(textwrap.fill(line, width=80, break_on_hyphens=False)
                     for line in lines)


def run(args, argv):
    """Run ``skweight compare``; ``argv`` are the words after the program name."""
    from . import _compare_data, _report

    if args.out is not None and (problem := _report.check_out(args.out)):
        raise InputError(problem)
    data = _compare_data.load(args)
    data.setdefault("dropped_columns", [])
    column_warnings = prepare_features(data, args)
    y, cost_matrix = data["y"], data["cost_matrix"]
    check_run(args, y, cost_matrix)
    for line in column_warnings:
        print(f"skweight: warning: {line}", file=sys.stderr)
    import_backend_quietly()
    from sklearn.model_selection import RepeatedStratifiedKFold

    from ._compare import compare_strategies
    from ._recommend import group_rows, identical_groups, recommend

    strategies = strategies_of(args, data, cost_matrix)
    not_run = not_run_reasons(args, cost_matrix, strategies)
    header = _report.header(data["about"], data["costs"], y)
    print(header)
    cv = args.cv if args.repeats == 1 else RepeatedStratifiedKFold(
        n_splits=args.cv, n_repeats=args.repeats, random_state=args.random_state)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught, _report.Progress() as progress:
        warnings.simplefilter("always")
        table, details = compare_strategies(
            data["X"], y, cost_matrix=cost_matrix, strategies=strategies,
            decisions=args.decisions, cv=cv, n_jobs=args.n_jobs,
            random_state=args.random_state, error_score=float("nan"),
            progress=progress, return_predictions=True,
        )
    wall = time.perf_counter() - start
    failed, skipped = table.attrs["failed"], {**not_run, **table.attrs["skipped"]}
    _report.show_warnings(caught, skipped)
    if len(failed) + len(table.attrs["skipped"]) == len(strategies):
        reasons = "; ".join(f"{name}: {why}" for name, why in {**failed,
                                                              **skipped}.items())
        print(f"skweight: error: every strategy failed, nothing was written "
              f"({reasons[:1000]})", file=sys.stderr)
        return 1
    per_row = cost_matrix.ndim == 3
    table = table.dropna(subset=["cost_mean"]).sort_values(
        "normalized_cost_mean", kind="stable", ignore_index=True)
    for name in list(details.proba):  # failed strategies have no probabilities
        if name not in set(table["strategy"]):
            details.proba.pop(name)
    shown = group_rows(table, identical_groups(details))
    advice = recommend(shown, details, per_row)
    command = fit_command(args, advice["strategy"], advice["decision"], cost_matrix,
                          data["dropped_columns"])
    settings = {
        "command": shlex.join(["skweight", *argv]), "folds": args.cv,
        "repeats": args.repeats, "random_state": args.random_state,
        "epochs": args.epochs, "hidden_layer_sizes": list(args.hidden),
        "members": args.members, "cross_fit": args.cross_fit,
        "decisions": list(args.decisions), "strategies": list(strategies),
        "baselines": not args.no_baselines,
        "dropped_columns": list(map(str, data["dropped_columns"])),
        "failed": failed, "skipped": skipped, "versions": versions()}
    recommendation = _wrapped(advice["lines"])
    print("\n" + recommendation + "\n")
    n_folds = args.cv * args.repeats
    measured = _report.measured(len(strategies), n_folds, wall, failed, skipped,
                                per_row)
    print(measured + "\n")
    _report.print_table(shown, per_row=per_row, tied=advice["tied"])
    legend = _report.legend(args.decisions, TUNE_SIZE, per_row,
                            baselines=not args.no_baselines)
    print("\n" + legend)
    print("\n" + _report.settings_line(settings))
    print(f"\nTrain the recommendation on every row:\n  {command}")
    if args.out is not None:
        meta = {"data": data["about"], "n_rows": len(y),
                "n_dropped_missing_target": data["dropped"],
                "classes": details.classes.tolist(), "costs": data["costs"],
                "cost_matrix": None if per_row else cost_matrix.tolist(),
                "cv": args.cv, "repeats": args.repeats,
                "random_state": args.random_state, "epochs": args.epochs,
                "hidden_layer_sizes": list(args.hidden), "members": args.members,
                "cross_fit": args.cross_fit, "failed": failed,
                "skipped": skipped, "wall_time_seconds": round(wall, 1),
                "header": header, "measured": measured, "legend": legend,
                "recommendation": advice, "settings": settings,
                "fit_command": command}
        written = _report.write_outputs(args.out, table, meta, details,
                                        extra={FIT_COMMAND_FILE: command + "\n"},
                                        shown=shown)
        print(f"wrote {', '.join(written)} to {args.out}")
    return 0
