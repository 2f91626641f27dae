"""Render ``ips.designer`` in a real headless browser and save the screenshot the docs show.

A maintenance script, not part of the test suite: it needs voila (serves the notebook's widgets with
their JavaScript) and playwright driving Debian's chromium (``apt install chromium``)::

    pip install voila playwright && python docs/screenshot_designer.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
OUT = HERE / "images" / "designer.png"
CODE = '%matplotlib inline\nimport ipscsim as ips\nips.designer("maury2015")'


def main(port: int = 8890) -> int:
    """Serve the designer notebook with voila, screenshot it in chromium, write docs/images."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell(CODE)]
        nbformat.write(nb, Path(tmp) / "designer.ipynb")
        server = subprocess.Popen(
            [sys.executable, "-m", "voila", "designer.ipynb", "--no-browser", f"--port={port}",
             "--Voila.ip=127.0.0.1"],
            cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            time.sleep(10)  # voila starts its server
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path="/usr/bin/chromium", args=["--no-sandbox"]
                )
                page = browser.new_page(viewport={"width": 1300, "height": 1480})
                page.goto(f"http://127.0.0.1:{port}/", timeout=180_000)
                page.wait_for_selector(".widget-output img", timeout=180_000)
                page.wait_for_timeout(2_000)
                OUT.parent.mkdir(exist_ok=True)
                page.screenshot(path=str(OUT), full_page=True)
                browser.close()
        finally:
            server.terminate()
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
