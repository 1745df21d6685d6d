"""Peak memory of fit and predict_proba on 1M x 30 float32 rows, against the peers.

Each candidate runs in a fresh process that loads X (120 MB) from a .npy file and
fits 2,000 of its rows first, so the framework's own start-up is part of the
baseline. The figures are the growth of the resident memory beyond that baseline
(sampled every 10 ms), during a fit on all of X and then during ``predict_proba``
on all of X (``predict`` for keras.wrappers, which has no ``predict_proba``), in
multiples of the size of X. The network, batch size and epochs are those of
``benchmarks/speed.py`` (one epoch here).

Run: python benchmarks/memory.py [--rows 1000000]
     [--candidates "skweight,bare Keras,scikeras,MLPClassifier"]
Needs: pip install ".[tensorflow-cpu]" -r benchmarks/requirements.txt
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))

CHILD = """
import os, sys, threading, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, {bench_dir!r})
warnings.filterwarnings("ignore")
import numpy as np
import speed

def rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

def peak_growth(task):
    baseline = peak = rss_bytes()
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.wait(0.01):
            peak = max(peak, rss_bytes())

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = task()
    finally:
        done.set()
        sampler.join()
    return max(peak, rss_bytes()) - baseline, result

X = np.load({x_path!r})
y = np.load({y_path!r})
speed.CANDIDATES[{name!r}](epochs=1).fit(X[:2000], y[:2000])
fit_growth, estimator = peak_growth(
    lambda: speed.CANDIDATES[{name!r}](epochs=1).fit(X, y))
predict_growth, _ = peak_growth(lambda: speed.predict_function(estimator)(X))
print(fit_growth / X.nbytes, predict_growth / X.nbytes)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--candidates",
                        default="skweight,bare Keras,scikeras,keras.wrappers,"
                                "MLPClassifier")
    args = parser.parse_args()
    sys.path.insert(0, BENCH_DIR)
    import speed

    X, y = speed.make_data(args.rows)
    print(f"{args.rows} x {X.shape[1]} float32 rows, X = {X.nbytes / 1e6:.0f} MB; "
          "peak resident memory growth in multiples of the size of X")
    print(f"{'candidate':16} {'fit':>8} {'predict':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        x_path, y_path = os.path.join(tmp, "X.npy"), os.path.join(tmp, "y.npy")
        np.save(x_path, X)
        np.save(y_path, y)
        del X, y
        for name in (n.strip() for n in args.candidates.split(",")):
            code = CHILD.format(bench_dir=BENCH_DIR, name=name, x_path=x_path,
                                y_path=y_path)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                 text=True, check=False)
            if out.returncode != 0:
                tail = out.stderr.strip().splitlines()[-1:] or ["no output"]
                print(f"{name:16} failed: {tail[0]}")
                continue
            fit, predict = map(float, out.stdout.strip().splitlines()[-1].split())
            print(f"{name:16} {fit:8.2f} {predict:8.2f}")


if __name__ == "__main__":
    main()
