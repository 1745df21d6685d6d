"""Intersphinx that works offline: a small local inventory behind every remote one.

Each project in ``intersphinx_mapping`` gets two inventory locations: its published
``objects.inv`` first, then a local inventory written here from ``ENTRIES``, the
external names these pages refer to, with their addresses on the project's site.
Sphinx uses the first location that loads. Online, that is the full published
inventory. Offline, the download fails, Sphinx reports it as a message (not a
warning, because an alternative worked) and links still resolve through the local
inventory. ``SKWEIGHT_DOCS_OFFLINE=1`` skips the downloads altogether.

Keras publishes no Sphinx inventory (keras.io is not built with Sphinx), so its
links always come from the local inventory.

To link a new external name, add it to ``ENTRIES``; online builds resolve any
name of the published inventories anyway.
"""

import os
import zlib
from pathlib import Path

# project: (base URL, published inventory or None, [(name, role, path), ...]);
# a path ending in "#" is completed with the name, as in scikit-learn's pages.
ENTRIES = {
    "sklearn": ("https://scikit-learn.org/stable/", True, [
        ("sklearn.base.BaseEstimator", "py:class", "modules/generated/{}.html#"),
        ("sklearn.base.ClassifierMixin", "py:class", "modules/generated/{}.html#"),
        ("sklearn.base.clone", "py:function", "modules/generated/{}.html#"),
        ("sklearn.base.is_classifier", "py:function", "modules/generated/{}.html#"),
        ("sklearn.calibration.CalibratedClassifierCV", "py:class",
         "modules/generated/{}.html#"),
        ("sklearn.ensemble.AdaBoostClassifier", "py:class",
         "modules/generated/{}.html#"),
        ("sklearn.ensemble.VotingClassifier", "py:class",
         "modules/generated/{}.html#"),
        ("sklearn.calibration.calibration_curve", "py:function",
         "modules/generated/{}.html#"),
        ("sklearn.compose.ColumnTransformer", "py:class",
         "modules/generated/{}.html#"),
        ("sklearn.exceptions.UndefinedMetricWarning", "py:class",
         "modules/generated/{}.html#"),
        ("sklearn.linear_model.LogisticRegression", "py:class",
         "modules/generated/{}.html#"),
        ("sklearn.metrics.accuracy_score", "py:function",
         "modules/generated/{}.html#"),
        ("sklearn.metrics.average_precision_score", "py:function",
         "modules/generated/{}.html#"),
        ("sklearn.metrics.balanced_accuracy_score", "py:function",
         "modules/generated/{}.html#"),
        ("sklearn.metrics.brier_score_loss", "py:function",
         "modules/generated/{}.html#"),
        ("sklearn.metrics.confusion_matrix", "py:function",
         "modules/generated/{}.html#"),
        ("sklearn.metrics.log_loss", "py:function", "modules/generated/{}.html#"),
        ("sklearn.metrics.make_scorer", "py:function", "modules/generated/{}.html#"),
        ("sklearn.model_selection.FixedThresholdClassifier", "py:class",
         "modules/generated/{}.html#"),
        ("sklearn.model_selection.GridSearchCV", "py:class",
         "modules/generated/{}.html#"),
        ("sklearn.model_selection.StratifiedKFold", "py:class",
         "modules/generated/{}.html#"),
        ("sklearn.model_selection.TunedThresholdClassifierCV", "py:class",
         "modules/generated/{}.html#"),
        ("sklearn.model_selection.cross_val_predict", "py:function",
         "modules/generated/{}.html#"),
        ("sklearn.model_selection.cross_validate", "py:function",
         "modules/generated/{}.html#"),
        ("sklearn.model_selection.train_test_split", "py:function",
         "modules/generated/{}.html#"),
        ("sklearn.multioutput.MultiOutputClassifier", "py:class",
         "modules/generated/{}.html#"),
        ("sklearn.neural_network.MLPClassifier", "py:class",
         "modules/generated/{}.html#"),
        ("sklearn.pipeline.Pipeline", "py:class", "modules/generated/{}.html#"),
        ("sklearn.pipeline.make_pipeline", "py:function",
         "modules/generated/{}.html#"),
        ("sklearn.preprocessing.StandardScaler", "py:class",
         "modules/generated/{}.html#"),
        ("sklearn.set_config", "py:function", "modules/generated/{}.html#"),
        ("sklearn.utils.Bunch", "py:class", "modules/generated/{}.html#"),
        ("sklearn.utils.estimator_checks.check_estimator", "py:function",
         "modules/generated/{}.html#"),
        ("sklearn.utils.metadata_routing.MetadataRequest", "py:class",
         "modules/generated/{}.html#"),
        ("sklearn.utils.metadata_routing.MetadataRouter", "py:class",
         "modules/generated/{}.html#"),
        ("metadata_routing", "std:label", "metadata_routing.html"),
        ("accuracy_score", "std:label", "modules/model_evaluation.html#accuracy-score"),
        ("fit", "std:term", "glossary.html#term-fit"),
        ("meta-estimator", "std:term", "glossary.html#term-meta-estimator"),
    ]),
    "imblearn": ("https://imbalanced-learn.org/stable/", True, [
        ("imblearn.pipeline.Pipeline", "py:class", "references/generated/{}.html#"),
        ("imblearn.pipeline.make_pipeline", "py:function",
         "references/generated/{}.html#"),
        ("imblearn.over_sampling.RandomOverSampler", "py:class",
         "references/generated/{}.html#"),
        ("imblearn.under_sampling.RandomUnderSampler", "py:class",
         "references/generated/{}.html#"),
        ("imblearn.over_sampling.SMOTE", "py:class",
         "references/generated/{}.html#"),
    ]),
    "numpy": ("https://numpy.org/doc/stable/", True, [
        ("numpy.argmin", "py:function", "reference/generated/{}.html#"),
        ("numpy.ndarray", "py:class", "reference/generated/{}.html#"),
    ]),
    "joblib": ("https://joblib.readthedocs.io/en/stable/", True, [
        ("joblib.parallel_backend", "py:function", "generated/{}.html#"),
    ]),
    "keras": ("https://keras.io/", False, [
        ("keras.Model", "py:class", "api/models/model/"),
        ("keras.Model.fit", "py:method", "api/models/model_training_apis/#fit-method"),
        ("keras.Sequential", "py:class", "api/models/sequential/"),
        ("keras.layers.Dense", "py:class", "api/layers/core_layers/dense/"),
        ("keras.losses.Loss", "py:class", "api/losses/"),
        ("keras.losses.BinaryFocalCrossentropy", "py:class",
         "api/losses/probabilistic_losses/#binaryfocalcrossentropy-class"),
        ("keras.losses.CategoricalFocalCrossentropy", "py:class",
         "api/losses/probabilistic_losses/#categoricalfocalcrossentropy-class"),
        ("keras.optimizers.Optimizer", "py:class", "api/optimizers/"),
        ("keras.callbacks.Callback", "py:class", "api/callbacks/base_callback/"),
        ("keras.callbacks.EarlyStopping", "py:class",
         "api/callbacks/early_stopping/"),
        ("keras.wrappers.SKLearnClassifier", "py:class",
         "api/utils/sklearn_wrappers/#sklearnclassifier-class"),
    ]),
}


def _inventory_bytes(project, entries):
    lines = []
    for name, role, path in entries:
        uri = path.format(name)
        if uri.endswith("#"):
            uri += name
        lines.append(f"{name} {role} 1 {uri} -\n")
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        "# Version: \n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    return header.encode() + zlib.compress("".join(lines).encode())


def intersphinx_mapping(target_dir):
    """``intersphinx_mapping`` with local fallbacks written into ``target_dir``."""
    offline = os.environ.get("SKWEIGHT_DOCS_OFFLINE", "") not in ("", "0")
    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    mapping = {}
    for project, (url, published, entries) in ENTRIES.items():
        path = target_dir / f"{project}.inv"
        data = _inventory_bytes(project, entries)
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
        locations = (None, str(path)) if published and not offline else (str(path),)
        mapping[project] = (url, locations)
    return mapping
