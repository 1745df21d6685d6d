"""A quiet start for the ``skweight`` commands: no TensorFlow start-up log lines.

TensorFlow 2.16+ writes its C++ log lines (``I0000 ... port.cc] oneDNN custom
operations are on ...``) while it is imported, before absl's logging is set
up, so ``TF_CPP_MIN_LOG_LEVEL`` alone does not hide them. The commands set that
variable (unless the user did) and import the backend with the process's
standard error captured, then write back every line that is not an
information or warning line of that log. Python's absl logging is set to
errors only. Library users (``import skweight``) keep TensorFlow's defaults.
"""

import os
import re
import sys
import tempfile

# absl's C++ prefix "I1206 10:00:00.123456   1234 file.cc:12] ": info and warnings.
_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are "
    r"written to STDERR$|[IW]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w./-]+:\d+\] )")


def quiet_environment():
    """Set ``TF_CPP_MIN_LOG_LEVEL=2`` (errors only) unless the user set it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def import_backend_quietly():
    """Import Keras (and its backend) without TensorFlow's start-up log lines.

    Call after the command's input checks, before the first fit. Lines of
    standard error other than TensorFlow's information and warnings are kept.
    """
    quiet_environment()
    if "keras" in sys.modules:
        return
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 (an embedded interpreter)
        import keras  # noqa: F401
        return
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import keras  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", errors="replace")
            kept = [line for line in text.splitlines() if not _NOISE.match(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr, flush=True)
    try:
        from absl import logging as absl_logging
    except ImportError:  # absl comes with TensorFlow only
        return
    absl_logging.set_verbosity(absl_logging.ERROR)
