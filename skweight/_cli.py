"""The ``skweight`` command (also ``python -m skweight``): parsing and main().

``skweight compare [FILE] --target COL ...`` cross-validates the imbalance strategies
of :func:`skweight.compare_strategies` on a CSV or Parquet table (or, with no FILE,
on the yeast data shipped with the package), prints a table ranked by normalised
cost and, with ``--out``, writes the table, figures and an HTML report. Bad input
ends with a one-line message on stderr and exit status 2, before anything is
fitted (and before Keras is imported); Ctrl-C with one line and status 130.
"""

import argparse
import os
import sys
import time
import warnings

from ._compare import DECISIONS, TUNE_SIZE
from ._compare_data import InputError, first_line
from ._messages import short_repr as quote
from ._strategies import NETWORK_DEFAULTS, STRATEGY_NAMES

EPILOG = """\
cost matrix:
  C[i][j] is the cost of predicting class j when the true class is i:
  rows = true class, columns = predicted class, both in sorted label order
  (the order of sklearn's confusion_matrix). Rows are separated by ';', entries
  by ','. Labels "fraud" and "legit" sort as [fraud, legit]; if a missed fraud
  costs 10 false alarms:
    --cost-matrix "0,10;1,0"    row fraud: 0 (say fraud), 10 (say legit)
                                row legit: 1 (say fraud),  0 (say legit)
  PATH: a text file with one row per line. Default: the 0-1 cost (1 - identity);
  without FILE, missing an EXC protein costs 20 false alarms ("0,1;20,0").

decisions (each strategy is fitted once per fold):
  argmax  the model's own predict (a class-weighted network: its weighted output)
  bayes   the class of least expected cost under the cost matrix
  tuned   the threshold of least cost, tuned on {tune:.0%} of each training fold

examples:
  skweight compare                                   # the embedded yeast data
  skweight compare data.csv --target churn --cost-matrix "0,1;5,0" --out report
  skweight compare data.parquet --target y --strategies balanced,smote --cv 3
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise InputError(f"{message[:400]} (see '{self.prog} --help')")


def _integer(low, high=None, *, forbid=None, hint=""):
    """An argparse type: an int in [low, high], other than ``forbid``."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high) \
                or value == forbid:
            raise argparse.ArgumentTypeError(f"got {quote(text)}; {hint}")
        return value
    return parse


def _choices(names, what):
    """An argparse type: a comma-separated selection of ``names``."""
    def parse(text):
        chosen = [n.strip() for n in text.split(",") if n.strip()]
        unknown = [n for n in chosen if n not in names]
        if unknown or not chosen or len(set(chosen)) != len(chosen):
            raise argparse.ArgumentTypeError(
                f"got {quote(text)}: unknown or repeated {quote(unknown)}; choose "
                f"{what} among {','.join(names)}")
        return chosen
    return parse


def _cost(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"got {quote(text)}; pass a finite cost "
                                         ">= 0, such as 5")
    return value


def _sizes(text):
    try:
        sizes = tuple(int(h) for h in text.split(","))
    except ValueError:
        sizes = ()
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"got {quote(text)}; pass layer sizes "
                                         "such as 32 or 64,32")
    return sizes


def _build_parser():
    parser = _Parser(prog="skweight", description="Imbalanced classification with "
                     "Keras: class weights, output bias and cost-based decisions.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND",
                                     parser_class=_Parser)
    compare = commands.add_parser(
        "compare",
        help="compare imbalance strategies on a table, ranked by cost",
        description="Cross-validate imbalance strategies (class weights, output\n"
        "bias, focal and logit-adjusted losses, resampling), each decided by argmax,\n"
        "by the Bayes rule and by a tuned threshold; rank them by normalised cost\n"
        "(cost / cost of the best constant prediction).",
        epilog=EPILOG.format(tune=TUNE_SIZE),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = compare.add_argument
    add("file", nargs="?", metavar="FILE", help="CSV or Parquet table; none: the "
        "embedded yeast data (EXC proteins vs the rest, 35 of 1484 rows)")
    add("--target", metavar="COL", help="the column of class labels (required with "
        "FILE); rows where it is missing are dropped")
    add("--cost-matrix", metavar="SPEC|PATH", help='costs as "0,10;1,0" or a file; '
        "see below")
    add("--fn-cost-column", metavar="COL", help="cost of a miss (true positive "
        "class, predicted negative) on each row: this column's value, e.g. the "
        "amount of a fraud (the column stays a feature)")
    add("--fn-cost", type=_cost, metavar="X", help="cost of a miss, the same on "
        "every row")
    add("--fp-cost-column", metavar="COL", help="cost of a false alarm (true "
        "negative class, predicted positive) on each row: this column's value")
    add("--fp-cost", type=_cost, metavar="X", help="cost of a false alarm, the same "
        "on every row, e.g. a review fee. Per-row costs need two classes, a column "
        "for at least one outcome, and no --cost-matrix")
    add("--positive", metavar="LABEL", help="with per-row costs, the positive "
        "class (default: the second label in sorted order)")
    add("--cv", type=_integer(2, hint="pass at least 2 folds"), default=5,
        metavar="K", help="stratified folds (default: 5)")
    add("--strategies", type=_choices(STRATEGY_NAMES, "strategies"),
        metavar="A,B,...", help="strategies to compare, among "
        f"{', '.join(STRATEGY_NAMES)} (cost-weights only with unequal costs; "
        "default: all)")
    add("--decisions", type=_choices(DECISIONS, "decisions"), default=list(DECISIONS),
        metavar="D,...", help=f"decisions among {','.join(DECISIONS)} (default: all)")
    add("--out", metavar="DIR", help="write compare.csv, compare.json, PNG figures "
        "and report.html to DIR (created at the end, only if the run succeeds)")
    add("--n-jobs", type=_integer(-(2**15), forbid=0, hint="pass a number of "
        "parallel fits, e.g. 2, or -1 for every core (0 is not a number of jobs)"),
        default=None, metavar="N", help="folds fitted in parallel (default: 1)")
    add("--random-state", type=_integer(0, 2**32 - 1, hint="pass a seed between 0 "
        "and 2**32 - 1"), default=0, metavar="N",
        help="seed of folds, networks and resamplers (default: 0)")
    add("--epochs", type=_integer(1, hint="pass at least 1"),
        default=NETWORK_DEFAULTS["epochs"], metavar="N",
        help=f"maximum epochs per network (default: {NETWORK_DEFAULTS['epochs']}; "
        "training also stops when the loss is flat for 10 epochs)")
    add("--hidden", type=_sizes, default=NETWORK_DEFAULTS["hidden_layer_sizes"],
        metavar="N,...", help="hidden layer sizes (default: "
        f"{','.join(map(str, NETWORK_DEFAULTS['hidden_layer_sizes']))})")
    return parser


def main(argv=None):
    """Run the ``skweight`` command.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after the program name; None reads ``sys.argv[1:]`` (and,
        being the command's own process, quietens TensorFlow's C++ log).

    Returns
    -------
    status : int
        0 on success, 1 when every strategy failed, 2 on bad input (after a
        one-line message on stderr), 130 on Ctrl-C.
    """
    if argv is None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        return _compare(args)
    except InputError as exc:
        print(f"skweight: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("skweight: interrupted; nothing was written", file=sys.stderr)
        return 130
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0


def _check_run(args, y, cost_matrix):
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


def _compare(args):
    from . import _compare_data, _report

    if args.out is not None and (problem := _report.check_out(args.out)):
        raise InputError(problem)
    data = _compare_data.load(args)
    y, cost_matrix = data["y"], data["cost_matrix"]
    _check_run(args, y, cost_matrix)
    from ._compare import compare_strategies
    from ._strategies import default_strategies

    network = {"epochs": args.epochs, "hidden_layer_sizes": args.hidden}
    strategies = default_strategies(cost_matrix, args.random_state,
                                    preprocessor=data["preprocessor"],
                                    network_params=network)
    if args.strategies is not None:
        strategies = {name: strategies[name] for name in args.strategies}
    header = _report.header(data["about"], data["costs"], y)
    print(header)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught, _report.Progress() as progress:
        warnings.simplefilter("always")
        table, details = compare_strategies(
            data["X"], y, cost_matrix=cost_matrix, strategies=strategies,
            decisions=args.decisions, cv=args.cv, n_jobs=args.n_jobs,
            random_state=args.random_state, error_score=float("nan"),
            progress=progress, return_predictions=True,
        )
    wall = time.perf_counter() - start
    failed, skipped = table.attrs["failed"], table.attrs["skipped"]
    _report.show_warnings(caught, skipped)
    if len(failed) + len(skipped) == len(strategies):
        reasons = "; ".join(f"{name}: {why}" for name, why in {**failed,
                                                              **skipped}.items())
        print(f"skweight: error: every strategy failed, nothing was written "
              f"({reasons[:1000]})", file=sys.stderr)
        return 1
    per_row = cost_matrix.ndim == 3
    table = table.dropna(subset=["cost_mean"]).sort_values(
        "normalized_cost_mean", kind="stable", ignore_index=True)
    measured = _report.measured(len(strategies), args.cv, wall, failed, skipped,
                                per_row)
    print(measured + "\n")
    _report.print_table(table, per_row=per_row)
    legend = _report.legend(args.decisions, TUNE_SIZE, per_row)
    print("\n" + legend)
    if args.out is not None:
        meta = {"data": data["about"], "n_rows": len(y),
                "n_dropped_missing_target": data["dropped"],
                "classes": details.classes.tolist(), "costs": data["costs"],
                "cost_matrix": None if per_row else cost_matrix.tolist(),
                "cv": args.cv, "random_state": args.random_state,
                "epochs": args.epochs, "hidden_layer_sizes": list(args.hidden),
                "failed": failed, "skipped": skipped,
                "wall_time_seconds": round(wall, 1), "header": header,
                "measured": measured, "legend": legend}
        written = _report.write_outputs(args.out, table, meta, details)
        print(f"wrote {', '.join(written)} to {args.out}")
    return 0
