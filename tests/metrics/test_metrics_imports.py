"""The metrics package is layer 0: importing it must not load torch or polars."""

import subprocess
import sys


def test_import_stays_light():
    code = "import sys, longtail.metrics; print('torch' in sys.modules, 'polars' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
