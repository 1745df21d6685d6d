"""What ``skweight compare`` shows: progress, the ranked table, figures, HTML.

The table and the progress go through `rich` on a terminal, as plain text
otherwise (a pipe, a file, a CI log). Figures use scikit-learn's displays where
one fits (see :mod:`skweight._figures`). :func:`write_outputs` writes
``compare.csv``, ``compare.json``, the figures and a self-contained
``report.html`` (figures embedded, no network needed) into a folder that
appears only once everything is written.
"""

import base64
import html
import io
import json
import os
import shutil
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

from ._figures import figures

COLUMNS = (  # (metric, title, format of mean and std)
    ("cost", "cost ± std", "{:.4f} ± {:.4f}"),
    ("normalized_cost", "norm.", "{:.3f}"),
    ("average_precision", "avg prec", "{:.3f}"),
    ("roc_auc", "ROC AUC", "{:.3f}"),
    ("log_loss", "log loss", "{:.4f}"),
    ("brier", "Brier", "{:.4f}"),
    ("ece", "ECE", "{:.4f}"),
    ("balanced_accuracy", "bal. acc", "{:.3f}"),
    ("fit_time", "fit s", "{:.1f}"),
)
# With costs per row: ranked by savings, shown first; then the mean cost and the
# total per fold, instead of norm.
ROW_COST_COLUMNS = (("savings", "savings", "{:.3f}"), COLUMNS[0],
                    ("total_cost", "total", "{:.1f}"), *COLUMNS[2:])


def _is_terminal(stream):
    return hasattr(stream, "isatty") and stream.isatty()


class Progress:
    """``progress(n_done, n_total)`` for :func:`compare_strategies`, on stderr.

    A rich progress bar on a terminal, one line per strategy otherwise. Use as a
    context manager; the bar is removed on exit.
    """

    def __init__(self, stream=None):
        self.stream = sys.stderr if stream is None else stream
        self._bar = None

    def __enter__(self):
        if _is_terminal(self.stream):
            from rich.console import Console
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(console=Console(file=self.stream),
                                     transient=True)
            self._bar.start()
            self._task = self._bar.add_task("cross-validating strategies",
                                            total=None)
        return self

    def __call__(self, n_done, n_total):
        if self._bar is not None:
            self._bar.update(self._task, completed=n_done, total=n_total)
        else:
            print(f"cross-validated {n_done}/{n_total} strategies", file=self.stream,
                  flush=True)

    def __exit__(self, *exc_info):
        if self._bar is not None:
            self._bar.stop()
        return False


def cells(table, per_row=False, tied=None):
    """``(header, rows)`` of the ranked table as strings.

    With ``tied`` (the recommendation's ties), a column marks the recommended
    row ``best`` and the rows statistically tied with it ``tied``.
    """
    columns = ROW_COST_COLUMNS if per_row else COLUMNS
    marks = {} if tied is None else {(t["strategy"], t["decision"]): "tied"
                                     for t in tied}
    header = ["rank", "strategy", "decision", *(title for _, title, _ in columns)]
    if tied is not None:
        header.insert(1, "")
    rows = []
    for rank, row in enumerate(table.to_dict(orient="records"), start=1):
        mark = ["best" if rank == 1 else marks.get((row["strategy"], row["decision"]),
                                                   "")] if tied is not None else []
        rows.append([str(rank), *mark, row.get("shown", row["strategy"]),
                     row["decision"], *(
            fmt.format(row[f"{metric}_mean"], row[f"{metric}_std"])
            for metric, _, fmt in columns)])
    return header, rows


def _left(header):
    """Indices of the left-aligned columns: the mark, strategy and decision."""
    return tuple(i for i, t in enumerate(header) if t in ("", "strategy", "decision"))


def plain_table(table, per_row=False, tied=None):
    """The ranked table as aligned plain text (strategy and decision left)."""
    header, rows = cells(table, per_row, tied)
    left = _left(header)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) if i in left else c.rjust(w)
                  for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
        for r in [header, *rows]
    )


def print_table(table, stream=None, per_row=False, tied=None):
    """Print the ranked table: rich on a terminal, plain text otherwise."""
    stream = sys.stdout if stream is None else stream
    if not _is_terminal(stream):
        print(plain_table(table, per_row, tied), file=stream)
        return
    from rich.console import Console
    from rich.table import Table

    header, rows = cells(table, per_row, tied)
    left = _left(header)
    shown = Table(box=None, header_style="bold", pad_edge=False)
    for i, title in enumerate(header):
        shown.add_column(title, justify="left" if i in left else "right",
                         no_wrap=True)
    for row in rows:
        shown.add_row(*row)
    # A narrow terminal wraps long lines, as with the plain table, rather than
    # rich squeezing the columns into cut-off names.
    needed = max(map(len, plain_table(table, per_row, tied).splitlines())) + 2
    console = Console(file=stream)
    Console(file=stream, width=max(console.width, needed)).print(shown)


def header(about, costs, y):
    """The lines printed before the run: the data, the costs, the positive class."""
    classes = np.unique(y).tolist()
    lines = [about, costs]
    if len(classes) == 2:
        lines.append(f"positive class (average precision, figures): "
                     f"{classes[1]!r}, the second in sorted order")
    return "\n".join(lines)


def measured(n_strategies, n_folds, wall, failed, skipped, per_row=False):
    """The line above the table: what ran, how long, what is missing."""
    noun = "strategy" if n_strategies == 1 else "strategies"
    missing = [f"{len(names)} {kind}" for kind, names in
               (("failed", failed), ("skipped", skipped)) if names]
    note = f" ({', '.join(missing)}: see the warnings)" if missing else ""
    rank = "savings" if per_row else "normalised cost"
    return (f"{n_strategies} {noun} x {n_folds} folds in {wall:.0f} s{note}; "
            f"ranked by {rank}, mean ± std over folds:")


def show_warnings(caught, skipped=None, stream=None):
    """Print, once each, the warnings worth a user's attention, one line each."""
    from sklearn.exceptions import FitFailedWarning

    from ._cost_matrix import UnreasonableCostWarning

    stream = sys.stderr if stream is None else stream
    lines = [str(w.message).strip().splitlines()[0][:500] for w in caught
             if issubclass(w.category, FitFailedWarning | UnreasonableCostWarning)]
    lines += [f"strategy {name!r} skipped: {why}" for name, why in
              (skipped or {}).items()]
    for line in dict.fromkeys(lines):
        print(f"skweight: warning: {line}", file=stream)


def _members_text(settings):
    """The networks per strategy, said only when more than one."""
    members = settings.get("members", 1)
    if members == 1:
        return ""
    crossed = ", cross-fitted and calibrated" if settings.get("cross_fit") else ""
    return f", {members} members per network strategy{crossed}"


def settings_line(settings):
    """The run's settings in two lines: how to reproduce it, and the versions."""
    versions = ", ".join(f"{k} {v}" for k, v in settings["versions"].items())
    text = textwrap.fill(
        f"Settings: {settings['folds']} folds x {settings['repeats']} repeat(s), "
        f"seed {settings['random_state']}, at most {settings['epochs']} epochs, "
        f"hidden layers {settings['hidden_layer_sizes']}{_members_text(settings)}; "
        f"{versions}.", width=80,
        break_on_hyphens=False)
    return f"{text}\nReproduce:\n  {settings['command']}"


def legend(decisions, tune_size, per_row=False, baselines=False):
    """The sentence of what was measured, wrapped at 80 columns."""
    tune = round(100 * tune_size)
    shared = (f"tuned = the threshold of least cost on {tune}% of each training "
              f"fold; all decisions share one fit per fold, on the other "
              f"{100 - tune}%." if "tuned" in decisions
              else "each fit uses the whole training fold.")
    scores = ("norm.: cost / cost of the best constant prediction (below 1 beats "
              "always predicting one class)")
    if per_row:
        scores = ("total: summed over a test fold; savings: 1 - cost / cost of the "
                  "best constant prediction (above 0 beats always predicting one "
                  "class)")
        shared = shared.replace("the threshold of least cost", "a correction of "
                                "least cost on top of each row's Bayes rule")
    text = (f"cost: mean cost per row; {scores}. Decisions: argmax = the model's "
            "own predict; bayes = least expected cost"
            f"{' under each row' + chr(39) + 's costs' if per_row else ''}; "
            f"{shared} avg prec, ROC AUC, log loss, Brier, ECE: of the "
            "probabilities (predict_proba); ECE: expected calibration error, the "
            "mean gap between probability and frequency over deciles of "
            "p(positive) (with more classes, of the top label's probability).")
    if baselines:
        text += (" Baselines: logistic-regression and gradient-boosting "
                 "(HistGradientBoostingClassifier calibrated by a temperature), "
                 "decided the same three ways.")
    text += (" best: the recommendation; tied: not distinguishable from it by a "
             "paired t-test over the folds.")
    return textwrap.fill(text, width=80)


# ---------------------------------------------------------------- files

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 72em;
       padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: .25em .7em; border-bottom: 1px solid #ddd; text-align: right; }
table.ranked td { white-space: nowrap; }
th { background: #f3f3f3; } td.l, th.l { text-align: left; }
table.ranked tbody tr:first-child td { font-weight: bold; }
.note { color: #555; max-width: 60em; } img { max-width: 100%; }
.failed { color: #a00; }
.advice { background: #eef6ee; border-left: 4px solid #3a7d44; padding: .6em 1em; }
.advice p { margin: .35em 0; } .warn { color: #8a5300; }
code { background: #f3f3f3; padding: .1em .3em; word-break: break-all; }
td.best { color: #3a7d44; font-weight: bold; } td.tied { color: #555; }
"""


FIGURE_TITLES = {"precision_recall.png": "Precision and recall",
                 "cost_vs_threshold.png": "Cost against the threshold",
                 "reliability.png": "Reliability of the probabilities"}


def _html_table(header, rows, left=(), corner=None, css=""):
    def cell(tag, i, text):
        marks = (" best" if text == "best" else " tied" if text == "tied" else "")
        cls = f' class="l{marks}"' if i in left else ""
        return f"<{tag}{cls}>{html.escape(str(text))}</{tag}>"

    head = "".join(cell("th", i, t) for i, t in enumerate(header))
    body = "".join("<tr>" + "".join(cell("th" if corner and i == 0 else "td", i, t)
                                    for i, t in enumerate(row)) + "</tr>"
                   for row in rows)
    return (f'<table class="{css}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def report_html(table, meta, made):
    """The self-contained HTML report: header, costs, table, figures."""
    classes = [str(c) for c in meta["classes"]]
    per_row = meta.get("cost_matrix") is None
    costs = f"<p>{html.escape(meta.get('costs', ''))}</p>" if per_row else _html_table(
        ["true \\ predicted", *classes],
        [[c, *row] for c, row in zip(classes, meta["cost_matrix"], strict=True)],
        left=(0,), corner=True)
    costs_title = ("Costs per row" if per_row else
                   "Costs (rows = true class, columns = predicted class)")
    advice = meta.get("recommendation")
    header, rows = cells(table, per_row, advice["tied"] if advice else None)
    data = "<br>".join(html.escape(line) for line in meta["header"].splitlines()
                       if line != meta.get("costs"))  # shown below
    problems = "".join(
        f'<p class="failed">{html.escape(kind)} {html.escape(name)}: '
        f"{html.escape(reason)}</p>"
        for kind, entries in (("failed:", meta.get("failed", {})),
                              ("skipped:", meta.get("skipped", {})))
        for name, reason in entries.items())
    images = "".join(
        f"<h2>{html.escape(FIGURE_TITLES.get(name, name))}</h2>"
        f'<img alt="{html.escape(name)}" src="data:image/png;base64,{_png(f)}">'
        for name, f in made.items())
    ranked = "savings" if per_row else "cost"
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>skweight compare</title><style>{STYLE}</style></head><body>"
        f"<h1>skweight compare: imbalance strategies ranked by {ranked}</h1>"
        f"{_advice_html(meta)}"
        f"<h2>Data</h2><p>{data}"
        f"</p><h2>{costs_title}</h2>"
        f"{costs}<h2>Strategies, ranked by {ranked}</h2>"
        f"<p>{html.escape(meta['measured'])}</p>"
        f"{problems}{_html_table(header, rows, left=_left(header), css='ranked')}"
        f'<p class="note">{html.escape(meta["legend"])}</p>{images}'
        f"{_settings_html(meta)}</body></html>\n"
    )


def _advice_html(meta):
    """The recommendation box: its sentences and the fit command."""
    advice = meta.get("recommendation")
    if not advice:
        return ""
    lines = "".join(
        f'<p class="{"warn" if line.startswith("Warning") else ""}">'
        f"{html.escape(line)}</p>" for line in advice["lines"])
    command = meta.get("fit_command")
    fit = (f"<p>Train it on every row: <code>{html.escape(command)}</code> "
           "(also in fit-command.txt)</p>" if command else "")
    return f'<div class="advice">{lines}{fit}</div>'


def _settings_html(meta):
    """The run's settings: the command, folds, seed, versions, what did not run."""
    settings = meta.get("settings")
    if not settings:
        return ""
    rows = [["command", settings["command"]],
            ["folds x repeats", f"{settings['folds']} x {settings['repeats']}"],
            ["seed", settings["random_state"]],
            ["epochs (at most)", settings["epochs"]],
            ["hidden layers", settings["hidden_layer_sizes"]],
            ["members per network strategy", f"{settings.get('members', 1)}"
             f"{' (cross-fitted)' if settings.get('cross_fit') else ''}"],
            ["decisions", ", ".join(settings["decisions"])],
            ["strategies", ", ".join(settings["strategies"])],
            ["columns left out", ", ".join(settings["dropped_columns"]) or "none"],
            *([f"not run: {k}", v] for k, v in settings["skipped"].items()),
            *([f"failed: {k}", v] for k, v in settings["failed"].items()),
            *([k, v] for k, v in settings["versions"].items())]
    return "<h2>Run settings</h2>" + _html_table(["setting", "value"], rows,
                                                 left=(0, 1))


def check_out(path):
    """Check, before any fit, that ``path`` can receive the outputs.

    Returns an error message, or None. Nothing is created.
    """
    out = Path(path)
    if str(path) == "":
        return "--out '': pass a folder name"
    if out.exists() and not out.is_dir():
        return f"--out {str(path)[:200]!r} exists and is not a folder"
    existing = out if out.exists() else next(p for p in out.absolute().parents
                                             if p.exists())
    problem = None if existing.is_dir() else "is not a folder"
    if problem is None:
        try:  # a real probe: permissions, read-only mounts, special file systems
            tempfile.TemporaryFile(dir=existing).close()
        except OSError as exc:
            problem = f"is not writable ({exc.strerror})"
    if problem:
        return (f"--out {str(path)[:200]!r}: {str(existing)[:200]!r} {problem}; "
                "pick another folder")
    return None


def write_outputs(out, table, meta, details, extra=None, shown=None):
    """Write every output into ``out``; it appears only when all are written.

    The files are written into a temporary folder beside ``out`` and moved in
    at the end, so a failure or Ctrl-C leaves nothing behind.

    Parameters
    ----------
    out : str or Path
    table : DataFrame
        Every row, written to ``compare.csv`` and ``compare.json``.
    meta : dict
        The run's description (with ``recommendation`` and ``settings``).
    details : Bunch
        The predictions, for the figures.
    extra : dict, default=None
        ``{file name: text}`` of further files.
    shown : DataFrame, default=None
        The table shown in the report (identical strategies grouped); None:
        ``table``.

    Returns
    -------
    written : list of str
        The file names written.
    """
    out = Path(out).absolute()
    parent = out if out.is_dir() else out.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=".skweight-compare-"))
    try:
        advice = meta.get("recommendation")
        made = figures(details, None if not advice else featured(advice))
        _write_files(staging, table, meta, made, table if shown is None else shown)
        for name, text in (extra or {}).items():
            (staging / name).write_text(text, encoding="utf-8")
        written = sorted(p.name for p in staging.iterdir())
        umask = os.umask(0)
        os.umask(umask)
        for name in written:  # mkstemp-like folders are owner-only; files are not
            os.chmod(staging / name, 0o666 & ~umask)
        if out.is_dir():
            for name in written:
                os.replace(staging / name, out / name)
        else:
            os.chmod(staging, 0o777 & ~umask)
            os.replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return written


def featured(advice):
    """The strategies a figure shows: the recommendation, its ties, the baselines."""
    from ._baselines import BASELINE_NAMES

    tied = [t["strategy"] for t in advice["tied"]
            if t["strategy"] not in (advice["strategy"], *BASELINE_NAMES)]
    # At most 4 tied strategies, so the baselines always fit in a figure.
    return list(dict.fromkeys([advice["strategy"], *list(dict.fromkeys(tied))[:4],
                               *BASELINE_NAMES]))


def _write_files(folder, table, meta, made, shown):
    def json_value(value):
        return None if isinstance(value, float) and not np.isfinite(value) else value

    records = [{k: json_value(v) for k, v in row.items()}
               for row in table.to_dict(orient="records")]
    table.to_csv(folder / "compare.csv", index=False)
    (folder / "compare.json").write_text(
        json.dumps({**meta, "results": records}, indent=2) + "\n")
    for name, figure in made.items():
        figure.savefig(folder / name, format="png", dpi=110)
    (folder / "report.html").write_text(report_html(shown, meta, made),
                                        encoding="utf-8")
