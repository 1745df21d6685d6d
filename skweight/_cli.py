"""The ``skweight`` command (also ``python -m skweight``): parsing and main().

``skweight compare [FILE] --target COL ...`` cross-validates the imbalance strategies
of :func:`skweight.compare_strategies` and baselines on a CSV or Parquet table (or,
with no FILE, on the yeast data shipped with the package), recommends one, prints
a table ranked by normalised cost and, with ``--out``, writes the table, figures,
an HTML report and the ``skweight fit`` command of the recommendation.
``skweight fit`` trains one strategy and saves it; ``skweight predict`` applies
it to new rows. Each command's work lives in its own module
(``_compare_command``, ``_fit_command``, ``_predict_command``). Bad input ends
with a one-line message on stderr and exit status 2, before anything is fitted
(and before Keras is imported); Ctrl-C with one line and status 130."""

import argparse
import sys

from ._compare import DECISIONS, TUNE_SIZE
from ._compare_data import InputError
from ._messages import short_repr as quote
from ._quiet import quiet_environment
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
  skweight compare data.csv --target y --members 5 --cross-fit
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


def _names(text):
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"got {quote(text)}; pass column names "
                                         "separated by commas")
    return names


def _build_parser():
    parser = _Parser(prog="skweight", description="Imbalanced classification with "
                     "Keras: class weights, output bias and cost-based decisions.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND",
                                     parser_class=_Parser)
    compare = commands.add_parser(
        "compare",
        help="compare imbalance strategies on a table, ranked by cost",
        description="Cross-validate imbalance strategies (class weights, output\n"
        "bias, calibration, focal and logit-adjusted losses, resampling), each\n"
        "decided by argmax, by the Bayes rule and by a tuned threshold; rank them\n"
        "by normalised cost (cost / cost of the best constant prediction).",
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
    add("--repeats", type=_integer(1, hint="pass at least 1"), default=1,
        metavar="N", help="repeat the K folds N times, reshuffled (default: 1); "
        "more repeats make the paired comparison behind the recommendation "
        "surer")
    add("--no-baselines", action="store_true", help="leave out the baselines "
        "(logistic regression, calibrated gradient boosting)")
    add("--drop", type=_names, metavar="COL,...", help="feature columns to leave "
        "out (columns unique per row, such as ids, are left out anyway)")
    add("--hidden", type=_sizes, default=NETWORK_DEFAULTS["hidden_layer_sizes"],
        metavar="N,...", help="hidden layer sizes (default: "
        f"{','.join(map(str, NETWORK_DEFAULTS['hidden_layer_sizes']))})")
    _add_members(add)
    _add_fit(commands)
    _add_predict(commands)
    return parser


def _add_members(add):
    """The ensemble options, as compare and fit have them."""
    add("--members", type=_integer(1, hint="pass a number of networks, at least "
        "1, e.g. 5"), default=1, metavar="N", help="networks per strategy, each "
        "from its own seed, their probabilities averaged (default: 1); applies "
        "to every network strategy, not to the baselines")
    add("--cross-fit", action="store_true", help="with --members 2 or more: "
        "member k trains on all folds but fold k of the training rows, and every "
        "network strategy is calibrated (temperature scaling) on each row's "
        "out-of-fold probability, so balanced+calibrated equals balanced; not "
        "applied to the baselines")


def _check_members(args):
    """Raise :class:`InputError` when ``--cross-fit`` has too few ``--members``."""
    if getattr(args, "cross_fit", False) and args.members < 2:
        raise InputError(
            f"--cross-fit needs --members 2 or more (got --members {args.members}):"
            " member k holds out fold k of the rows; pass e.g. --members 5, or "
            "leave out --cross-fit")


def _add_row_costs(add):
    """The per-row cost options, as compare has them."""
    add("--fn-cost-column", metavar="COL", help="cost of a miss on each row: this "
        "column's value (the column stays a feature)")
    add("--fn-cost", type=_cost, metavar="X", help="cost of a miss, every row")
    add("--fp-cost-column", metavar="COL", help="cost of a false alarm on each row: "
        "this column's value")
    add("--fp-cost", type=_cost, metavar="X", help="cost of a false alarm, every "
        "row")
    add("--positive", metavar="LABEL", help="with per-row costs, the positive "
        "class (default: the second label in sorted order)")


def _add_fit(commands):
    from ._baselines import BASELINE_NAMES

    names = (*STRATEGY_NAMES, *BASELINE_NAMES)
    fit = commands.add_parser(
        "fit", help="train one strategy on every row and save it",
        description="Train one strategy of 'skweight compare' (the same "
        "preprocessing, network and seed) on every row, decided as chosen, and "
        "save it for 'skweight predict'. 'skweight compare' prints this command "
        "for its recommendation.",
        epilog="example:\n  skweight fit data.csv --target churn --strategy "
        'balanced --decision bayes --cost-matrix "0,1;5,0" --out model.skw',
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add = fit.add_argument
    add("file", nargs="?", metavar="FILE", help="CSV or Parquet table; none: the "
        "embedded yeast data")
    add("--target", metavar="COL", help="the column of class labels (required with "
        "FILE)")
    add("--strategy", required=True, choices=names, metavar="NAME",
        help=f"one of {', '.join(names)}")
    # argparse %-formats help texts: a percent sign is written %%.
    add("--decision", choices=DECISIONS, default="bayes", metavar="D",
        help="argmax, bayes (default) or tuned (threshold tuned on "
        f"{TUNE_SIZE:.0%}% of the rows, the network fitted on the rest)")
    add("--cost-matrix", metavar="SPEC|PATH", help='costs as "0,10;1,0" (rows = '
        "true class, columns = predicted, sorted labels) or a file")
    _add_row_costs(add)
    add("--drop", type=_names, metavar="COL,...", help="feature columns to leave out")
    add("--out", required=True, metavar="PATH", help="the model file to write "
        "(e.g. model.skw; replaced only once the model is saved)")
    add("--random-state", type=_integer(0, 2**32 - 1, hint="pass a seed between 0 "
        "and 2**32 - 1"), default=0, metavar="N", help="seed (default: 0)")
    add("--epochs", type=_integer(1, hint="pass at least 1"),
        default=NETWORK_DEFAULTS["epochs"], metavar="N", help="maximum epochs")
    add("--hidden", type=_sizes, default=NETWORK_DEFAULTS["hidden_layer_sizes"],
        metavar="N,...", help="hidden layer sizes")
    _add_members(add)


def _add_predict(commands):
    predict = commands.add_parser(
        "predict", help="decide new rows with a model saved by 'skweight fit'",
        description="Decide each row of a table with a model saved by 'skweight "
        "fit': the decision, the probability of each class and the expected cost "
        "of the decision, one output row per input row, in order.",
        epilog="example:\n  skweight predict model.skw new.csv --out decisions.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add = predict.add_argument
    add("model", metavar="MODEL", help="a file written by 'skweight fit'")
    add("file", metavar="FILE", help="CSV or Parquet table with the training "
        "columns (the target column, if present, is ignored)")
    add("--out", required=True, metavar="PATH", help="the CSV to write (replaced "
        "only once complete)")
    _add_row_costs(add)


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
        quiet_environment()
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        return _dispatch(args, sys.argv[1:] if argv is None else list(argv))
    except InputError as exc:
        print(f"skweight: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("skweight: interrupted; nothing was written", file=sys.stderr)
        return 130
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0


def _dispatch(args, argv):
    """Run the parsed command; its work lives in its own module."""
    _check_members(args)
    if args.command == "compare":
        from ._compare_command import run
    elif args.command == "fit":
        from ._fit_command import run
    else:
        from ._predict_command import run
    return run(args, argv)
