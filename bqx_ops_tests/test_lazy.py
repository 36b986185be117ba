"""bqx_ops.lazy: pandas and numpy imported on the first attribute read, then the module's own objects."""

import subprocess
import sys

PROBE = """
import sys
from bqx_ops.lazy import np, pd
before = 'pandas' in sys.modules, 'numpy' in sys.modules
frame = pd.DataFrame({'a': [1, 2]})
import pandas
print(before, 'pandas' in sys.modules, pd.DataFrame is pandas.DataFrame, pd.isna is pandas.isna,
      type(frame) is pandas.DataFrame, np.int64 is sys.modules['numpy'].int64, repr(pd))
"""


def test_nothing_is_imported_until_an_attribute_is_read_then_the_real_objects_are_given():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(False, False) True True True True True <lazy module 'pandas', imported>"


def test_a_missing_attribute_is_an_attribute_error_as_on_the_module():
    from bqx_ops.lazy import pd

    try:
        pd.no_such_thing
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("no AttributeError")
