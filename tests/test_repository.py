"""The repository's own promises: README commands, CI, docs tables, code style."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.+?)\n```", text)


def test_readme_opens_with_the_two_commands():
    run, test = _readme_commands()[:2]
    assert "pip install -e ." in run
    assert "ipscsim run maury2015 --plot" in run
    assert 'pip install -e ".[test]"' in test
    assert test.endswith("python -m pytest")


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    test = _readme_commands()[1]
    assert ci[-1] == test.split(" && ")[-1]
    assert 'pip install -e ".[test]"' in ci


def test_docs_tables_are_generated_from_the_data():
    out = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "generate_tables.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, "docs/model.md tables are stale: run python docs/generate_tables.py"


@pytest.mark.skipif(
    shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(),
    reason="ruff is not installed (pip install -e '.[test]' installs it)",
)
def test_code_is_ruff_clean():
    ruff = (
        str(Path(sys.executable).parent / "ruff")
        if (Path(sys.executable).parent / "ruff").exists()
        else "ruff"
    )
    lint = subprocess.run([ruff, "check", str(ROOT)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    fmt = subprocess.run([ruff, "format", "--check", str(ROOT)], capture_output=True, text=True)
    assert fmt.returncode == 0, fmt.stdout


#: Dependency floors below which a published advisory applies (the floor must exclude it).
ADVISORY_FLOORS = {
    "pyarrow": ("14.0.1", "CVE-2023-47248: code execution when reading crafted Parquet/IPC files"),
    "tqdm": ("4.66.3", "CVE-2024-34062: code injection through tqdm's CLI arguments"),
}


def test_dependency_floors_exclude_versions_with_known_advisories():
    from packaging.requirements import Requirement

    from ipscsim._toml import loads_toml

    deps = loads_toml((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = {Requirement(d).name: Requirement(d) for d in deps["dependencies"]}
    for name, (floor, advisory) in ADVISORY_FLOORS.items():
        spec = reqs[name].specifier
        assert not spec.contains(_below(floor)), f"{name} {_below(floor)} is allowed: {advisory}"
        assert spec.contains(floor), f"{name}: the floor {floor} itself should be allowed"


def _below(version: str) -> str:
    """The release just below ``version`` (its last component minus one, or .0 dropped)."""
    parts = [int(p) for p in version.split(".")]
    i = max(j for j, p in enumerate(parts) if p > 0)
    parts[i] -= 1
    return ".".join(map(str, parts))
