"""A save format without pickle: JSON, Keras' ``.keras`` and NumPy's ``.npy``.

:func:`save` writes a fitted skweight estimator (or a scikit-learn Pipeline
ending in one) to one zip file (:mod:`skweight._archive`) holding

* ``manifest.json``: the format version, the versions of skweight, Keras,
  scikit-learn and NumPy, the Keras backend, and the estimator as a tree of
  JSON nodes: its parameters and its fitted state (``classes_`` and their
  dtype, ``class_weight_``, ``priors_``, the output bias and factors,
  ``cost_matrix_``, the thresholds or offsets of
  :class:`~skweight.CostSensitiveClassifier`, the input spec of ``meta``);
* ``networks/*.keras``: each trained network in Keras' own format (every
  member of an ensemble, ``models_``, each once), loaded with Keras'
  ``safe_mode`` (:mod:`skweight._keras_files`);
* ``arrays/*.npy``: NumPy arrays, loaded with ``allow_pickle=False``;
* ``objects/*.skops``: other scikit-learn estimators (the preprocessing of a
  Pipeline, a classifier wrapped by CostSensitiveClassifier) in skops' format,
  loaded with skops' check of trusted types.

No member is read with pickle. The builder of a network is needed to build it,
not to predict (DESIGN §10): the network is stored itself, so a loaded model
predicts in a process that cannot import the builder. Parameters that are
Python functions or other objects the format cannot hold (a builder, a metric
function, a callback) load as :class:`NotSaved` placeholders, which say what
they were and how to set them again before fitting anew.
"""

import dataclasses
import importlib
import inspect
import io
import math
import platform
from pathlib import Path

import keras
import numpy as np
import sklearn
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from ._archive import read_archive, write_archive
from ._keras_files import keras_config, load_fix, load_network, network_bytes

# Modules whose types skops may load without the caller naming them.
TRUSTED_MODULES = ("sklearn", "numpy", "skweight")
# The keras objects a parameter may hold, stored by their Keras config.
_KERAS_OBJECTS = (keras.losses.Loss, keras.metrics.Metric, keras.optimizers.Optimizer)
# Transient attributes rebuilt on load.
_TRANSIENT = ("_forward", "_fitted")


class NotSaved:
    """A parameter the save format could not hold, in a loaded estimator.

    A builder function, a metric function, a callback: the file holds the
    trained network and the fitted state, not Python code. The loaded estimator
    predicts as the saved one; to fit it again, set these parameters anew.

    Parameters
    ----------
    param : str
        The parameter's name, e.g. ``"model"``.
    description : str
        What the parameter held when saved, e.g. ``"my_module.build"``.
    """

    def __init__(self, param, description):
        self.param = param
        self.description = description

    def __repr__(self):
        return f"NotSaved({self.param!r}, {self.description!r})"

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            f"{self.param} held {self.description} when the estimator was saved; "
            "the save format stores the trained network and the fitted state, not "
            f"Python code, so it was not saved. Set it again before fitting, e.g. "
            f"estimator.set_params({self.param}=...)."
        )


def _describe(obj):
    kind = type(obj)
    if callable(obj) and hasattr(obj, "__qualname__"):
        return f"{getattr(obj, '__module__', '?')}.{obj.__qualname__}"
    return f"a {kind.__module__}.{kind.__qualname__} ({obj!r:.60})"


def _class_name(kind):
    return f"{kind.__module__}.{kind.__qualname__}"


def _pipelines():
    """scikit-learn's Pipeline and imbalanced-learn's (with samplers), by name."""
    kinds = [Pipeline]
    try:
        from imblearn.pipeline import Pipeline as ResamplingPipeline
    except ImportError:  # pragma: no cover - imbalanced-learn is a dependency
        pass
    else:
        kinds.append(ResamplingPipeline)
    return {_class_name(kind): kind for kind in kinds}


def _own_estimator(obj):
    """Whether ``obj`` is stored as parameters and state (not through skops)."""
    module = type(obj).__module__
    return isinstance(obj, BaseEstimator) and (
        module == "skweight" or module.startswith("skweight.")
        or type(obj) in _pipelines().values()
    )


def _is_value_object(obj):
    """A skweight object rebuilt by its class from its attributes (its __init__)."""
    kind = type(obj)
    if not kind.__module__.startswith("skweight.") or isinstance(obj, BaseEstimator):
        return False
    try:
        names = inspect.signature(kind).parameters
    except (TypeError, ValueError):
        return False
    return hasattr(obj, "__dict__") and set(vars(obj)) <= set(names)


class _Writer:
    """Encodes objects into JSON nodes, collecting the binary members."""

    def __init__(self):
        self.members = {}
        self._networks = {}  # id -> member name: a network shared is stored once

    def _member(self, folder, suffix, data):
        name = f"{folder}/{len(self.members)}{suffix}"
        self.members[name] = data
        return name

    def encode(self, obj, where, param=None):
        """``obj`` as a JSON node; ``where`` names it in errors.

        ``param``: the estimator parameter ``obj`` is (part of); what cannot be
        stored then becomes a :class:`NotSaved`, else raises.
        """
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int) and type(obj) is int:
            return obj
        if type(obj) is float:
            return obj if math.isfinite(obj) else {"__float__": repr(obj)}
        if isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
            return {"__scalar__": self.encode(obj.item(), where),
                    "dtype": obj.dtype.str}
        if isinstance(obj, np.str_):
            return str(obj)
        if isinstance(obj, (list, tuple)):
            items = [self.encode(item, f"{where}[{i}]", param)
                     for i, item in enumerate(obj)]
            return items if type(obj) is list else {"__tuple__": items}
        if type(obj) is dict:
            return self._dict(obj, where, param)
        if isinstance(obj, np.ndarray):
            return self._array(obj, where, param)
        if isinstance(obj, keras.Model):
            return {"__keras_model__": self._network(obj)}
        if _own_estimator(obj):
            return self._estimator(obj, where)
        if isinstance(obj, BaseEstimator):
            return {"__skops__": self._skops(obj, where)}
        if dataclasses.is_dataclass(obj) and type(obj).__module__.startswith(
                "skweight."):
            fields = {field.name: self.encode(getattr(obj, field.name),
                                              f"{where}.{field.name}")
                      for field in dataclasses.fields(obj)}
            return {"__dataclass__": _class_name(type(obj)), "fields": fields}
        if _is_value_object(obj):  # e.g. EffectiveNumber(beta=0.99)
            return {"__object__": _class_name(type(obj)),
                    "init": {key: self.encode(value, f"{where}.{key}", param)
                             for key, value in vars(obj).items()}}
        if isinstance(obj, _KERAS_OBJECTS):
            return {"__keras_object__": keras.saving.serialize_keras_object(obj)}
        if param is not None:
            return {"__not_saved__": param, "description": _describe(obj)}
        raise TypeError(
            f"{where} is {_describe(obj)}, which skweight's save format cannot "
            "store (it stores numbers, strings, NumPy arrays, Keras networks and "
            "scikit-learn estimators). Use pickle or joblib for this estimator."
        )

    def _dict(self, obj, where, param):
        pairs = [(key, self.encode(value, f"{where}[{key!r}]", param))
                 for key, value in obj.items()]
        if all(isinstance(key, str) and not key.startswith("__") for key in obj):
            return dict(pairs)
        return {"__dict__": [[self.encode(key, where), value] for key, value in pairs]}

    def _array(self, array, where, param):
        if array.dtype.kind in "biufcUS":
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            return {"__ndarray__": self._member("arrays", ".npy", buffer.getvalue())}
        if array.dtype.kind == "O" and all(isinstance(v, str) for v in array.flat):
            buffer = io.BytesIO()
            np.save(buffer, array.astype(str), allow_pickle=False)
            return {"__ndarray__": self._member("arrays", ".npy", buffer.getvalue()),
                    "dtype": "object"}
        if array.dtype.kind == "O":
            items = [self.encode(v, where, param) for v in array.flat]
            return {"__object_array__": items, "shape": list(array.shape)}
        raise TypeError(
            f"{where} is an array of dtype {array.dtype}, which skweight's save "
            "format cannot store; use pickle or joblib for this estimator."
        )

    def _network(self, keras_model):
        # model_ is models_[0] of an ensemble: one member, loaded as one object.
        name = self._networks.get(id(keras_model))
        if name is None:
            name = self._member("networks", ".keras", network_bytes(keras_model))
            self._networks[id(keras_model)] = name
        return name

    def _skops(self, obj, where):
        import skops.io

        data = skops.io.dumps(obj)
        network = [name for name in skops.io.get_untrusted_types(data=data)
                   if name.split(".")[0] in ("keras", "tensorflow", "torch", "jax")
                   or name.startswith("skweight.")]
        if network:
            raise TypeError(
                f"{where} ({type(obj).__name__}) holds {network!r}: skweight saves "
                "a network only as a skweight estimator, itself or as the last "
                "step of a Pipeline or inside CostSensitiveClassifier. Use pickle "
                "or joblib for this estimator."
            )
        return self._member("objects", ".skops", data)

    def _estimator(self, obj, where):
        state = dict(vars(obj))
        for name in _TRANSIENT:
            state.pop(name, None)
        names = obj.get_params(deep=False)
        params = {name: self.encode(state.pop(name), f"{where}.{name}", param=name)
                  for name in names if name in state}
        fitted = {name: self.encode(value, f"{where}.{name}")
                  for name, value in state.items()}
        return {"__estimator__": _class_name(type(obj)), "params": params,
                "state": fitted}


def _versions():
    import skweight

    return {"skweight": skweight.__version__, "keras": keras.__version__,
            "sklearn": sklearn.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


def save(estimator, path):
    """Save a fitted skweight estimator to one file, without pickle.

    Parameters
    ----------
    estimator : WeightedKerasClassifier, CostSensitiveClassifier or Pipeline
        A skweight estimator, or a Pipeline (scikit-learn's or
        imbalanced-learn's) whose steps are scikit-learn transformers and
        skweight estimators (e.g. a ColumnTransformer of imputers, scalers and
        encoders, then the classifier). Fitted or not.
    path : str or os.PathLike
        The file to write (replaced atomically if it exists); ``.skw`` is the
        suffix the ``skweight`` command uses.

    Raises
    ------
    TypeError
        When part of the fitted state cannot be stored without pickle (the
        error names it); nothing is written then.

    See Also
    --------
    load : Load a file written by this function.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import make_classification
    >>> import skweight
    >>> X, y = make_classification(200, weights=[0.9], random_state=0)
    >>> clf = skweight.WeightedKerasClassifier(
    ...     hidden_layer_sizes=(8,), epochs=2, class_weight="balanced",
    ...     random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skw")
    >>> skweight.save(clf, path)
    >>> loaded = skweight.load(path)
    >>> bool((loaded.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    if not (_own_estimator(estimator)):
        raise TypeError(
            f"estimator is a {type(estimator).__name__}; skweight.save takes a "
            "WeightedKerasClassifier, a CostSensitiveClassifier or a Pipeline "
            "ending in one. Save other estimators with skops or joblib."
        )
    writer = _Writer()
    root = writer.encode(estimator, "estimator")
    manifest = {"class": _class_name(type(estimator)), "versions": _versions(),
                "keras_backend": keras.backend.backend(), "estimator": root}
    write_archive(path, manifest, writer.members)


class _Reader:
    """Decodes the JSON nodes of a manifest, with the archive's members."""

    def __init__(self, path, manifest, members, custom_objects, safe_mode, trusted):
        self.path = str(path)
        self.manifest = manifest
        self.members = members
        self.saved_sklearn = manifest.get("versions", {}).get("sklearn", "unknown")
        self.custom_objects = dict(custom_objects or {})
        self.safe_mode = safe_mode
        self.trusted = list(trusted or [])
        self._networks = {}  # member name -> the network loaded from it

    def _bad(self, what):
        return ValueError(
            f"{self.path!r} is not a model file skweight can load: {what}. Load "
            "only files written by skweight.save."
        )

    def _data(self, name, folder, suffix):
        if (not isinstance(name, str) or not name.startswith(f"{folder}/")
                or not name.endswith(suffix) or name not in self.members):
            raise self._bad(f"its manifest refers to the member {name!r}, which "
                            "it does not hold")
        return self.members[name]

    def decode(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.decode(item) for item in node]
        if not isinstance(node, dict):
            raise self._bad(f"its manifest holds {node!r}")
        tags = [key for key in node if key.startswith("__")]
        if not tags:
            return {key: self.decode(value) for key, value in node.items()}
        tag = tags[0]
        decoder = getattr(self, f"_decode_{tag.strip('_')}", None)
        if decoder is None:
            raise self._bad(f"its manifest holds the unknown node {tag!r}")
        return decoder(node)

    def _decode_float(self, node):
        return float(node["__float__"])

    def _decode_scalar(self, node):
        dtype = np.dtype(node["dtype"])
        if dtype.kind not in "biuf":
            raise self._bad(f"its manifest holds a scalar of dtype {dtype}")
        return dtype.type(self.decode(node["__scalar__"]))

    def _decode_tuple(self, node):
        return tuple(self.decode(item) for item in node["__tuple__"])

    def _decode_dict(self, node):
        return {self._hashable(self.decode(key)): self.decode(value)
                for key, value in node["__dict__"]}

    @staticmethod
    def _hashable(key):
        return tuple(key) if isinstance(key, list) else key

    def _decode_ndarray(self, node):
        data = self._data(node["__ndarray__"], "arrays", ".npy")
        try:
            array = np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as exc:
            raise self._bad(f"member {node['__ndarray__']!r} is not a NumPy array "
                            f"stored without pickle ({exc})") from exc
        return array.astype(object) if node.get("dtype") == "object" else array

    def _decode_object_array(self, node):
        array = np.empty(len(node["__object_array__"]), dtype=object)
        array[:] = [self.decode(item) for item in node["__object_array__"]]
        return array.reshape(node["shape"])

    def _decode_not_saved(self, node):
        return NotSaved(node["__not_saved__"], node["description"])

    def _decode_dataclass(self, node):
        kind = self._import(node["__dataclass__"], skweight_only=True)
        if not dataclasses.is_dataclass(kind):
            raise self._bad(f"{node['__dataclass__']!r} is not a skweight dataclass")
        return kind(**{key: self.decode(value)
                       for key, value in node["fields"].items()})

    def _decode_object(self, node):
        kind = self._import(node["__object__"], skweight_only=True)
        if not isinstance(kind, type) or issubclass(kind, BaseEstimator):
            raise self._bad(f"{node['__object__']!r} is not a skweight value class")
        return kind(**{key: self.decode(value) for key, value in node["init"].items()})

    def _import(self, name, skweight_only=False):
        module, _, qualname = str(name).rpartition(".")
        if not skweight_only and name in _pipelines():
            return _pipelines()[name]
        if not (module == "skweight" or module.startswith("skweight.")):
            raise self._bad(f"its manifest names the class {name!r}, which is not "
                            "a skweight class")
        try:
            return getattr(importlib.import_module(module), qualname)
        except (ImportError, AttributeError) as exc:
            raise ValueError(
                f"{self.path!r} needs the class {name!r}, which this version of "
                f"skweight does not have ({exc}); load it with the skweight "
                "version that saved it."
            ) from exc

    def _decode_estimator(self, node):
        kind = self._import(node["__estimator__"])
        if not (isinstance(kind, type) and issubclass(kind, BaseEstimator)):
            raise self._bad(f"{node['__estimator__']!r} is not an estimator")
        state = {key: self.decode(value) for key, value in node["params"].items()}
        state.update({key: self.decode(value) for key, value in node["state"].items()})
        estimator = kind.__new__(kind)
        # As pickle does: scikit-learn warns when the versions differ.
        estimator.__setstate__({**state, "_sklearn_version": self.saved_sklearn})
        return estimator

    def _decode_keras_object(self, node):
        config = node["__keras_object__"]
        try:
            return keras.saving.deserialize_keras_object(
                config, custom_objects=self.custom_objects, safe_mode=self.safe_mode)
        except (TypeError, ValueError) as exc:
            name = config.get("class_name") if isinstance(config, dict) else config
            raise self._custom_error(f"the Keras object {name!r}", exc) from exc

    def _all_configs(self):
        """The Keras configs of the whole file: parameters and networks."""
        configs = []

        def collect(node):
            if isinstance(node, dict):
                if "__keras_object__" in node:
                    configs.append(node["__keras_object__"])
                for value in node.values():
                    collect(value)
            elif isinstance(node, list):
                for value in node:
                    collect(value)

        collect(self.manifest)
        configs += [keras_config(data) for name, data in self.members.items()
                    if name.endswith(".keras")]
        return configs

    def _custom_error(self, what, exc):
        # Every object the file needs, not only the first that failed.
        fix = load_fix(exc, self._all_configs(), self.custom_objects)
        return ValueError(f"{self.path!r} could not be loaded: {what} failed "
                          f"({str(exc).strip()[:200]}); {fix}.")

    def _decode_keras_model(self, node):
        name = node["__keras_model__"]
        data = self._data(name, "networks", ".keras")
        if name not in self._networks:
            try:
                self._networks[name] = load_network(data, self.custom_objects,
                                                    self.safe_mode)
            except (TypeError, ValueError) as exc:
                raise self._custom_error("the network", exc) from exc
        return self._networks[name]

    def _decode_skops(self, node):
        import skops.io

        data = self._data(node["__skops__"], "objects", ".skops")
        untrusted = skops.io.get_untrusted_types(data=data)
        unknown = [name for name in untrusted
                   if name.split(".")[0] not in TRUSTED_MODULES
                   and name not in self.trusted]
        if unknown and self.safe_mode:
            raise ValueError(
                f"{self.path!r} holds a scikit-learn part with the type(s) "
                f"{unknown!r}, which are not from scikit-learn, NumPy or skweight; "
                "loading them may run their code. If you trust the file, pass "
                f"skweight.load(path, trusted={unknown!r}) (or safe_mode=False)."
            )
        return skops.io.loads(data, trusted=untrusted)


def load(path, *, custom_objects=None, safe_mode=True, trusted=None):
    """Load an estimator written by :func:`save`.

    The network loads with Keras' ``safe_mode`` and every array without pickle;
    scikit-learn parts load through skops, trusting only scikit-learn, NumPy
    and skweight types. The code that built the network is not needed.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save`.
    custom_objects : dict, default=None
        Classes and functions the network or a Keras parameter needs by name
        (a custom layer, loss or metric), as for ``keras.saving.load_model``.
    safe_mode : bool, default=True
        Keras' safe mode: refuse to run Python code stored in the file (a
        ``Lambda`` layer's function). False lifts it, and trusts every type of
        the scikit-learn parts: pass it only for files you trust.
    trusted : list of str, default=None
        Further types to trust in the scikit-learn parts (e.g. the function of
        a ``FunctionTransformer``, ``"my_module.log1p"``), as skops names them.

    Returns
    -------
    estimator : WeightedKerasClassifier, CostSensitiveClassifier or Pipeline
        The saved estimator, predicting as it did when saved. Parameters the
        file could not hold (a builder or metric function, callbacks) are
        ``NotSaved`` placeholders to set again before fitting anew.

    Raises
    ------
    ValueError
        Naming ``path`` and what is wrong: not a file of this format, truncated,
        members missing, extra or outside the archive, a newer format version,
        or an object that needs ``custom_objects``, ``trusted`` or
        ``safe_mode=False`` (named in the message).
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"path={str(path)!r} is not a file; pass the file "
                                "written by skweight.save.")
    manifest, members = read_archive(path)
    reader = _Reader(path, manifest, members, custom_objects, safe_mode, trusted)
    node = manifest.get("estimator")
    if not isinstance(node, dict) or "__estimator__" not in node:
        raise reader._bad("its manifest holds no estimator")
    try:
        return reader.decode(node)
    except (KeyError, TypeError) as exc:
        if isinstance(exc, TypeError) and "custom_objects" in str(exc):
            raise
        raise reader._bad(f"its manifest is malformed ({exc!r})") from exc
