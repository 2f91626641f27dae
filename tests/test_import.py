import subprocess
import sys


def test_import_compiles_nothing_and_loads_no_heavy_modules():
    code = (
        "import sys, ipscsim; p = ipscsim.protocols.get('maury2015');"
        "print('numba' in sys.modules, 'pandas' in sys.modules, 'matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False", "False"]
