"""The API reference, from the public names of the package at build time.

``SECTIONS`` groups the names of ``skweight.__all__`` and ``skweight.datasets.__all__``
for reading. At build time, :func:`write_api_pages` keeps the names that exist,
puts any public name missing from ``SECTIONS`` under "Other public names" (so a
newly exported name is documented at once; move it to its section when convenient),
and writes into ``docs/generated/``:

* ``api_sections.inc``, the autosummary tables that ``api.rst`` includes;
* one page per name (``skweight.<name>.rst``), with autodoc and the gallery
  examples that use it; pages of names no longer public are removed.
"""

import importlib
import inspect
from pathlib import Path

SECTIONS = [
    ("Estimators",
     "Scikit-learn classifiers: the Keras network with the three knobs, and the "
     "cost-based decision for any probabilistic classifier.",
     "skweight", ["WeightedKerasClassifier", "CostSensitiveClassifier"]),
    ("Class weights",
     "The weighting schemes, computed outside an estimator.",
     "skweight", ["compute_class_weights", "EffectiveNumber", "row_cost_weights"]),
    ("Costs and scoring",
     "Cost matrices have the true class in rows and the predicted class in columns, "
     "in the order of ``classes_``.",
     "skweight", ["check_cost_matrix", "binary_cost_matrix", "mean_cost",
                  "normalized_cost", "savings_score", "make_cost_scorer",
                  "make_savings_scorer", "CostScorer", "UnreasonableCostWarning"]),
    ("Probabilities",
     "How far predicted probabilities are from the frequencies they claim.",
     "skweight", ["expected_calibration_error"]),
    ("Resampling",
     "Random under- and over-sampling of rows of any input form, as a step of "
     "an imbalanced-learn pipeline.",
     "skweight", ["RowSampler"]),
    ("Saving",
     "A file format without pickle: JSON, Keras' ``.keras`` and NumPy's ``.npy`` "
     "in one zip (see :ref:`saving`).",
     "skweight", ["save", "load"]),
    ("Comparing strategies",
     "Cross-validated comparison of imbalance strategies under the user's costs.",
     "skweight", ["compare_strategies", "default_strategies"]),
    ("Datasets",
     "Real imbalanced data shipped inside the package: no download.",
     "skweight.datasets", ["load_yeast"]),
]

_PAGE = """{title}
{underline}

.. currentmodule:: {module}

{directive}

.. minigallery:: {module}.{name}
   :add-heading: Examples using ``{name}``
   :heading-level: -
"""


def _public_names(module_name):
    module = importlib.import_module(module_name)
    return [name for name in getattr(module, "__all__", [])
            if not name.startswith("_") and hasattr(module, name)]


def _directive(module_name, name):
    obj = getattr(importlib.import_module(module_name), name)
    if inspect.isclass(obj):
        options = ["   :members:"]
        if issubclass(obj, Exception):
            options = []
        elif any(base.__module__.startswith("sklearn.") for base in obj.__mro__[1:]):
            # get_params, set_params, score, set_*_request: part of the API
            options.append("   :inherited-members:")
        return "\n".join([f".. autoclass:: {name}", *options])
    return f".. autofunction:: {name}"


def sections():
    """``[(title, intro, module, names)]`` of the names public at build time."""
    result = []
    listed = {}
    for title, intro, module, names in SECTIONS:
        public = _public_names(module)
        listed.setdefault(module, set()).update(names)
        kept = [name for name in names if name in public]
        if kept:
            result.append((title, intro, module, kept))
    for module in ("skweight", "skweight.datasets"):
        others = [name for name in _public_names(module)
                  if name not in listed.get(module, set())]
        if others:
            result.append(("Other public names", "", module, others))
    return result


def write_api_pages(srcdir):
    """Write ``generated/api_sections.inc`` and one page per public name."""
    out = Path(srcdir) / "generated"
    out.mkdir(exist_ok=True)
    table = []
    pages = {}
    declared = set()
    for title, intro, module, names in sections():
        table += [title, "-" * len(title), ""]
        if intro:
            table += [intro, ""]
        # The first section of a module declares it (the target of :mod:).
        directive = "currentmodule" if module in declared else "module"
        declared.add(module)
        table += [f".. {directive}:: {module}", "", ".. autosummary::",
                  "   :toctree: generated", "   :nosignatures:", ""]
        table += [f"   {name}" for name in names] + [""]
        for name in names:
            full = f"{module}.{name}"
            pages[f"{full}.rst"] = _PAGE.format(
                title=full, underline="=" * len(full), module=module, name=name,
                directive=_directive(module, name),
            )
    pages["api_sections.inc"] = "\n".join(table)
    for filename, text in pages.items():
        path = out / filename
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for stale in out.glob("skweight.*.rst"):
        if stale.name not in pages:
            stale.unlink()
