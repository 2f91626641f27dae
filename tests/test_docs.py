"""The documentation site: it builds with warnings as errors, and a newcomer can find things.

The build test executes every notebook of notebooks/ (myst-nb), so it is also the check that the
notebooks run; it takes a minute or more.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# "How do I ...?" on the landing page: each question's target page and section (None: the page).
HOW_DO_I = {
    "simulate a published protocol": ("getting-started.md", "simulate-a-preset"),
    "write my own protocol": ("protocols.md", None),
    "compare protocols": ("getting-started.md", "compare-protocols"),
    "sweep a knob": ("sweeps.md", "spaces"),
    "run a sensitivity analysis": ("sweeps.md", "sensitivity-analysis"),
    "optimise a protocol": ("sweeps.md", "optimisation"),
    "calibrate the model to my data": ("calibration.md", "fitting-ipscsimcalibrate"),
    "use the agent-based engine": ("abm.md", None),
    "model neuroprotection": ("neuroprotection.md", "secretion-and-the-culture-medium"),
    "run an MN survival assay": ("neuroprotection.md", "mn-survival"),
    "simulate a transplant": ("neuroprotection.md", "transplant"),
    "export the model to SBML": ("export.md", None),
    "scale a sweep out on Dask": ("sweeps.md", "running-anywhere"),
    "read the benchmarks": ("benchmarks.md", None),
}


def _toctree_entries() -> set[str]:
    """Every document named in a toctree of any page (globs expanded)."""
    entries: set[str] = set()
    for page in DOCS.glob("*.md"):
        for block in re.findall(
            r"```\{toctree\}\n(.*?)```", page.read_text(encoding="utf-8"), re.S
        ):
            for line in block.splitlines():
                line = line.strip()
                if not line or line.startswith(":"):
                    continue
                if any(ch in line for ch in "*?["):
                    entries |= {
                        str(p.relative_to(DOCS).with_suffix(""))
                        for p in DOCS.glob(line)
                        if p.suffix in (".md", ".ipynb")
                    }
                else:
                    entries.add(line)
    return entries


def _slug(heading: str) -> str:
    """GitHub's (and MyST's) anchor of a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    # headings inside code blocks are not headings
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}


def test_every_page_is_in_a_toctree():
    entries = _toctree_entries()
    orphans = [p.name for p in DOCS.glob("*.md") if p.stem != "index" and p.stem not in entries]
    assert not orphans, f"pages in no toctree (add them to one in docs/index.md): {orphans}"
    missing = sorted(
        e
        for e in entries
        if not any((DOCS / f"{e}{s}").exists() for s in (".md", ".ipynb", ".rst"))
    )
    assert missing == [], f"toctree entries without a page: {missing}"


def test_landing_page_answers_how_do_i_in_one_click():
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", index)
    for question, (page, anchor) in HOW_DO_I.items():
        assert (DOCS / page).exists(), f"'How do I {question}?' points to a missing page {page}"
        target = page if anchor is None else f"{page}#{anchor}"
        assert target in links, f"index.md: 'How do I {question}?' should link to {target}"
        if anchor is not None:
            assert anchor in _anchors(DOCS / page), f"{page} has no section #{anchor}"
    for link in links:
        if "://" in link:
            continue
        page, _, anchor = link.partition("#")
        assert (DOCS / page).exists(), f"index.md links to missing {page}"
        if anchor and (DOCS / page).exists():
            assert anchor in _anchors(DOCS / page), f"index.md links to missing {link}"


def test_landing_page_shows_the_readme_commands():
    readme = re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text(encoding="utf-8"))[
        :2
    ]
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for command in readme:
        assert command in index, f"docs/index.md should show the README command: {command}"


def test_docs_build_without_warnings(tmp_path):
    """``python -m sphinx -W --keep-going -b html docs OUT``: pages, API reference and notebooks."""
    out = tmp_path / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=3600,
    )
    log = proc.stdout + proc.stderr
    problems = [
        line
        for line in log.splitlines()
        if re.search(r"WARNING|ERROR|CRITICAL|Traceback|Error:", line)
        and "Kernel is running over TCP" not in line
    ]
    assert proc.returncode == 0, (
        "the docs build failed (python -m sphinx -W --keep-going -b html docs OUT):\n"
        + "\n".join(problems or log.splitlines()[-60:])
    )
    assert (out / "index.html").exists()
    assert (out / "api.html").exists()


#: Sizes shrunk so that every example runs in CI in seconds (the code is otherwise run as written).
SMALLER = {
    "n_cells=100_000": "n_cells=3_000",
    "n_cells=20_000": "n_cells=2_000",
    "n_cells=5_000": "n_cells=1_000",
    "n=256": "n=16",
    "budget=2000": "budget=30",
    "steps=400": "steps=10",
    "trajectories=20": "trajectories=3",
    "uncertainty=200": "uncertainty=10",
    "uncertainty=100": "uncertainty=10",
    "sample(200": "sample(10",
    "sample_arrays(200": "sample_arrays(10",
    '["maury2015"] * 200': '["maury2015"] * 10',
    "[p] * 100": "[p] * 10",
    "np.linspace(0.1, 0.6, 100)": "np.linspace(0.1, 0.6, 10)",
    "n_lines=20": "n_lines=3",
    "draw(20)": "draw(3)",
    '["maury2015"] * 20': '["maury2015"] * 3',
}
#: Pages whose ```python blocks run in order in one namespace (the README first).
EXAMPLE_PAGES = [
    ROOT / "README.md",
    *(DOCS / n for n in ("getting-started.md", "protocols.md", "calibration.md", "sweeps.md",
                         "abm.md", "neuroprotection.md", "export.md")),
]  # fmt: skip


def _python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("page", EXAMPLE_PAGES, ids=lambda p: p.name)
def test_every_code_example_runs(page, tmp_path, monkeypatch):
    """Each page's examples run as written (sizes shrunk), with nothing but the package's files."""
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    blocks = _python_blocks(page)
    assert blocks, f"{page.name} has no python examples"
    namespace: dict = {"__name__": "__example__"}
    for i, block in enumerate(blocks):
        for big, small in SMALLER.items():
            block = block.replace(big, small)
        try:
            exec(compile(block, f"{page.name} example {i + 1}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(f"{page.name}, example {i + 1} fails: {exc!r}") from exc
