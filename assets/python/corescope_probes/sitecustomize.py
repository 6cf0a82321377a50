# Written by corescope for one run of a Python program, in a directory of its
# own that is removed when the run ends. It installs corescope's probes (see
# _corescope_probes.py beside it), then runs the sitecustomize the program
# would have run without corescope, if any. Kept to syntax every Python 3
# parses: an interpreter too old for the probes runs without them, with a
# one-line notice for corescope.
import os
import sys


def _corescope_install():
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        if sys.version_info < (3, 8):
            raise RuntimeError("Python %d.%d is older than 3.8" % sys.version_info[:2])
        import _corescope_probes

        _corescope_probes.install(here)
    except Exception as err:
        try:
            path = os.path.join(here, "notice-%d.txt" % os.getpid())
            with open(path, "w") as notice:
                notice.write("probes off in process %d: %s" % (os.getpid(), err))
        except Exception:
            pass
    return here


def _corescope_chain(here):
    ours = sys.modules.pop("sitecustomize", None)
    kept = list(sys.path)
    sys.path[:] = [p for p in kept if os.path.abspath(p or ".") != here]
    try:
        __import__("sitecustomize")
    except ImportError as err:
        if getattr(err, "name", None) != "sitecustomize":
            raise
        if ours is not None:
            sys.modules["sitecustomize"] = ours


_corescope_chain(_corescope_install())
