"""Save on one Keras backend, load on another: the largest difference in probabilities.

Two steps, each run with the backend under test (a Python that has it installed)::

    KERAS_BACKEND=tensorflow python benchmarks/saving_backends.py save DIR
    KERAS_BACKEND=jax python benchmarks/saving_backends.py load DIR

``save`` fits a dense network (two hidden layers, dropout, balanced class
weights) on a table and a small convolutional network (convolution, pooling,
batch normalisation) on 8x8 images, saves both with :func:`skweight.save` and
their probabilities as ``.npy``; ``load`` loads both files and prints the
largest absolute difference to the saved probabilities.
"""

import sys
from pathlib import Path

import keras
import numpy as np
from sklearn.datasets import make_classification

import skweight
from skweight import WeightedKerasClassifier


def _data():
    X, y = make_classification(300, 6, weights=[0.85], random_state=0)
    rng = np.random.default_rng(0)
    images = rng.normal(size=(120, 8, 8, 1)).astype("float32")
    labels = (images.mean(axis=(1, 2, 3)) > 0).astype(int)
    return {"dense": (X, y), "cnn": (images, labels)}


def _cnn(meta):
    return keras.Sequential([
        keras.Input(meta["input_shapes_"]),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.BatchNormalization(),
        keras.layers.Flatten(),
        keras.layers.Dense(meta["n_outputs_"], activation="sigmoid"),
    ])


def save(directory):
    data = _data()
    models = {
        "dense": WeightedKerasClassifier(hidden_layer_sizes=(8, 4), dropout=0.1,
                                         class_weight="balanced", epochs=3,
                                         random_state=0),
        "cnn": WeightedKerasClassifier(_cnn, epochs=2, random_state=0),
    }
    for name, model in models.items():
        X, y = data[name]
        model.fit(X, y).save(directory / f"{name}.skw")
        np.save(directory / f"{name}.npy", model.predict_proba(X))
    print(f"saved on {keras.backend.backend()} in {directory}")


def load(directory):
    for name, (X, _) in _data().items():
        loaded = skweight.load(directory / f"{name}.skw")
        diff = np.abs(loaded.predict_proba(X) - np.load(directory / f"{name}.npy"))
        print(f"{name}: loaded on {keras.backend.backend()}, largest difference "
              f"{diff.max():.2g}")


if __name__ == "__main__":
    step, directory = sys.argv[1], Path(sys.argv[2])
    directory.mkdir(parents=True, exist_ok=True)
    {"save": save, "load": load}[step](directory)
