import sys
from pathlib import Path

# The numpy references sit beside the tests; make them importable under any pytest import mode.
sys.path.insert(0, str(Path(__file__).parent))
