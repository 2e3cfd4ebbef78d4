"""The console's browser tests: a real ``exchange serve`` and Debian's Chromium.

Fixtures: ``console_node`` (a node on a loopback port, in a subprocess, with an
operator and a viewer made through the CLI), ``browser`` (Chromium driven by
Playwright; missing, the test is skipped, or fails in CI), ``page`` (a fresh
1,366-pixel-wide tab), ``operator_page`` and ``viewer_page`` (signed in).
``check_page(page, name)`` saves a screenshot and checks nothing is wider than the
viewport. Nothing downloads a browser: Playwright starts ``/usr/bin/chromium``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from exchange.subprocesses import end
from tests.http_server import free_port
from tests.services import missing_service

CHROMIUM = Path(os.environ.get("EXCHANGE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1366, "height": 900}
#: Accounts every console node has, made with ``exchange operators add``.
OPERATOR = ("olivia", "operator password 1")
VIEWER = ("victor", "viewer password 1")


@dataclass
class ConsoleNode:
    """A node served by ``exchange serve``: its URL, configuration and store."""

    url: str
    config: Path
    data_dir: Path

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """``exchange --config ... ARGS`` in a subprocess (stdin: ``input``)."""
        return subprocess.run(
            [sys.executable, "-m", "exchange", "--config", str(self.config), *args],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            timeout=120,
        )

    def at(self, path: str = "/") -> str:
        """The URL of a console page (``/exchanges`` is ``.../console/exchanges``)."""
        return f"{self.url}/console{path}"


@pytest.fixture(scope="module")
def console_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleNode]:
    """The demo's node (``exchange demo``: partners, ledger, conflicts) served on a
    loopback port, with the accounts OPERATOR and VIEWER."""
    folder = tmp_path_factory.mktemp("console") / "demo"
    made = subprocess.run(
        [sys.executable, "-m", "exchange", "demo", "--dir", str(folder)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    config = folder / "our-node" / "exchange.toml"
    node = ConsoleNode(f"http://127.0.0.1:{free_port()}", config, config.parent / "data")
    for (name, password), role in ((OPERATOR, "operator"), (VIEWER, "viewer")):
        done = node.cli("operators", "add", name, "--role", role, input=password + "\n")
        assert done.returncode == 0, done.stderr
    with serving(node):
        yield node


@contextmanager
def serving(node: ConsoleNode) -> Iterator[None]:
    """``exchange serve`` for ``node`` until the block ends."""
    log = (node.config.parent / "serve.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "exchange",
            "--config",
            str(node.config),
            "serve",
            "--port",
            node.url.rsplit(":", 1)[1],
        ],  # fmt: skip
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90  # a busy machine starts a server slowly
        while True:
            if process.poll() is not None:
                pytest.fail(f"exchange serve stopped: {_log(node)}")
            try:
                if httpx.get(f"{node.url}/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"exchange serve did not start: {_log(node)}")
            time.sleep(0.1)
        yield
    finally:
        end(process, 20)
        log.close()


def _log(node: ConsoleNode) -> str:
    return (node.config.parent / "serve.log").read_text("utf-8", "replace")[-2000:]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_service("the playwright package (pip install playwright)")
    if not CHROMIUM.is_file():
        missing_service(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    manager = sync_playwright().start()
    try:
        launched = manager.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    except Exception as exc:  # a Chromium that does not start
        manager.stop()
        missing_service(f"Chromium at {CHROMIUM} does not start: {exc}")
    yield launched
    launched.close()
    manager.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT)
    tab = context.new_page()
    tab.set_default_timeout(60_000)  # a busy machine
    yield tab
    context.close()


def sign_in(page: Any, node: ConsoleNode, name: str, password: str) -> Any:
    """Sign in through the form; gives the response of the page reached."""
    page.goto(node.at("/login"))
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page


@pytest.fixture
def operator_page(page: Any, console_node: ConsoleNode) -> Any:
    sign_in(page, console_node, *OPERATOR)
    assert page.url == console_node.at("/"), page.content()
    return page


@pytest.fixture
def viewer_page(page: Any, console_node: ConsoleNode) -> Any:
    sign_in(page, console_node, *VIEWER)
    assert page.url == console_node.at("/"), page.content()
    return page


def screenshot_dir() -> Path:
    """Where ``check_page`` saves screenshots: ``$EXCHANGE_SCREENSHOT_DIR`` (docs/console/
    to refresh the documentation's), else a folder of the temporary directory."""
    configured = os.environ.get("EXCHANGE_SCREENSHOT_DIR")
    folder = (
        Path(configured)
        if configured
        else Path(os.environ.get("TMPDIR", "/tmp")) / ("exchange-console-screenshots")
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


_WIDTHS = """() => {
  const width = window.innerWidth;
  const wide = [];
  document.querySelectorAll('table').forEach((table, i) => {
    const box = table.getBoundingClientRect();
    if (box.right > width + 0.5 || table.scrollWidth > table.clientWidth + 1) {
      wide.push(`table ${table.id || i}: right edge ${Math.round(box.right)} px`);
    }
  });
  const page = document.documentElement.scrollWidth;
  if (page > width) wide.push(`the page: ${page} px wide`);
  // every resource the page loaded (styles, images, scripts, fonts) came from the node
  const elsewhere = performance.getEntriesByType('resource').map(entry => entry.name)
    .filter(url => !url.startsWith('data:') && new URL(url).host !== location.host);
  return {width, wide, elsewhere};
}"""


def check_page(page: Any, name: str) -> Path:
    """Screenshot the whole page as ``<name>.png`` and assert that no table (nor the page)
    is wider than the 1,366-pixel viewport and that the page loaded nothing from another
    host; gives the screenshot's path."""
    path = screenshot_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    measured = page.evaluate(_WIDTHS)
    assert measured["width"] == VIEWPORT["width"], measured
    assert not measured["wide"], f"{name}: wider than {VIEWPORT['width']} px: {measured['wide']}"
    assert not measured["elsewhere"], f"{name}: asked another host: {measured['elsewhere']}"
    return path
