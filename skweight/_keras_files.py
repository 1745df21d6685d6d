"""The Keras network inside a saved file: its bytes, and what loading it needs.

A network is stored in Keras' ``.keras`` format, with its config rewritten so
that every backend can import the classes it names (:func:`network_bytes`), and
loaded from a temporary directory with Keras' ``safe_mode``
(:func:`load_network`). When loading fails for want of a custom class or
function, :func:`load_fix` names every one the file needs, from the configs of
all its networks and Keras parameters, with the ``custom_objects`` to pass.
"""

import io
import json
import tempfile
import zipfile
from pathlib import Path

import keras


def _backend_free(config):
    """``config`` with backend optimizer classes named by their public class.

    On torch, Keras names the optimizer by its torch class
    (``keras.src.backend.torch.optimizers.torch_adam.Adam``), which another
    backend cannot import; ``keras.optimizers.Adam`` is the same optimizer there.
    """
    if isinstance(config, list):
        return [_backend_free(item) for item in config]
    if not isinstance(config, dict):
        return config
    config = {key: _backend_free(value) for key, value in config.items()}
    module, name = config.get("module"), config.get("class_name")
    if (isinstance(module, str) and module.startswith("keras.src.backend.")
            and isinstance(name, str)
            and isinstance(getattr(keras.optimizers, name, None), type)):
        config.update(module="keras.optimizers", registered_name=None)
    return config


def _portable(data):
    """The bytes of a ``.keras`` file, its config free of backend classes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "config.json":
                config = _backend_free(json.loads(content))
                content = json.dumps(config).encode("utf-8")
            target.writestr(info.filename, content)
    return buffer.getvalue()


def network_bytes(keras_model):
    """``keras_model`` in Keras' ``.keras`` format, free of backend classes.

    Parameters
    ----------
    keras_model : keras.Model

    Returns
    -------
    data : bytes
    """
    with tempfile.TemporaryDirectory(prefix="skweight-save-") as directory:
        path = Path(directory) / "network.keras"
        keras_model.save(path)
        return _portable(path.read_bytes())


def load_network(data, custom_objects, safe_mode):
    """The network stored in ``data`` (the bytes of a ``.keras`` file).

    Parameters
    ----------
    data : bytes
    custom_objects : dict
    safe_mode : bool

    Returns
    -------
    keras_model : keras.Model
        Compiled as it was saved, with its optimizer state.
    """
    with tempfile.TemporaryDirectory(prefix="skweight-load-") as directory:
        path = Path(directory) / "network.keras"
        path.write_bytes(data)
        return keras.saving.load_model(path, custom_objects=custom_objects,
                                       safe_mode=safe_mode)


def keras_config(data):
    """The model config inside a ``.keras`` file's bytes, or None."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, ValueError):
        return None


def _unknown(config, custom_objects):
    """``(module, name)`` of the custom classes in a Keras config not given."""
    found = []
    if isinstance(config, dict):
        module, name = config.get("module"), config.get("class_name")
        registered = config.get("registered_name") or name
        if name == "function" and isinstance(config.get("config"), str):
            registered = name = config["config"]  # a function, by its name
        if (isinstance(module, str) and isinstance(name, str)
                and not module.startswith("keras")
                and keras.saving.get_registered_object(
                    registered, custom_objects) is None
                and name not in custom_objects):
            found.append((module, registered))
        for value in config.values():
            found += _unknown(value, custom_objects)
    elif isinstance(config, list):
        for value in config:
            found += _unknown(value, custom_objects)
    return list(dict.fromkeys(found))


def load_fix(exc, configs, custom_objects):
    """What to pass to load, after Keras failed to load with ``exc``.

    Parameters
    ----------
    exc : Exception
        Keras' error.
    configs : list
        The Keras configs of the whole file.
    custom_objects : dict
        What the caller passed.

    Returns
    -------
    fix : str
        A sentence naming ``custom_objects=`` (with every missing name) or
        ``safe_mode=False``.
    """
    message = str(exc)
    unknown = _unknown(configs, custom_objects)
    if unknown:
        names = ", ".join(
            f"{name!r}" + (f" (from {module})" if module != "builtins" else "")
            for module, name in unknown)
        objects = ", ".join(f"{name!r}: {name.rpartition('>')[2]}"
                            for _, name in unknown)
        return (f"it needs {names}, not registered with Keras here; import them "
                f"and pass skweight.load(path, custom_objects={{{objects}}})")
    if "safe_mode" in message or "lambda" in message.lower():
        return ("it runs Python code stored in the file (e.g. a Lambda layer's "
                "function); if you trust the file, pass safe_mode=False to "
                "skweight.load")
    return ("if it needs a class or function not registered with Keras, pass "
            "skweight.load(path, custom_objects={'Name': object})")
