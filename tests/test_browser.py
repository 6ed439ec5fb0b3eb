"""The sliders work where learners use them: JupyterLab in a real browser (headless Chromium).

Starts JupyterLab on a temporary copy of notebooks/, opens notebook 01, runs every cell, moves the
first explorer's learning-rate slider with the keyboard and checks that the picture changes.
nbval cannot see any of this: it ignores widget views and never talks to a browser.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
FIRST_EXPLORER_NOTEBOOK = "01_*.ipynb"
INSTALL_HINT = "install chromium (apt-get install chromium) to run the browser test"

TEST_BUDGET = 170.0  # seconds for the whole test, server start to shutdown
SERVER_START = 90.0  # seconds for JupyterLab to answer
RUN_ALL = 120.0  # seconds for the notebook to run (its budget is 30 s headless)
PICTURE_UPDATE = 15.0  # seconds for the picture to follow the slider (its budget is 50 ms)

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# User settings for this JupyterLab only: no news/update toasts, and every cell attached to the
# page (the default windowing leaves cells far below the fold out of the DOM).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}

pytestmark = pytest.mark.browser


def missing(what):
    """In CI a missing browser is a broken set-up (fail); on a laptop it is a choice (skip)."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing, and CI must run the browser test: {INSTALL_HINT}")
    pytest.skip(INSTALL_HINT)


@pytest.fixture
def chromium():
    for path in (shutil.which("chromium"), "/usr/bin/chromium"):
        if path and os.access(path, os.X_OK):
            return path
    missing("Chromium")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a copy of notebooks/, isolated from the user's own Jupyter set-up.

    Yields ``(base_url, token, root)``; the server and its kernels are always shut down.
    """
    root = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = tmp_path / "lab-settings"
    for plugin, values in LAB_SETTINGS.items():
        file = settings / f"{plugin}.jupyterlab-settings"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(values))
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lab-workspaces"),
    )
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log_path = tmp_path / "jupyterlab.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            stdin=subprocess.DEVNULL,
            cwd=root,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_server(server, f"{base_url}/api/status?token={token}", log_path)
        yield base_url, token, root
    finally:
        stop(server)


def wait_for_server(server, url, log_path):
    deadline = time.monotonic() + SERVER_START
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(
                f"JupyterLab exited with status {server.returncode}:\n"
                f"{log_path.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(
        f"JupyterLab did not answer within {SERVER_START:.0f} s:\n{log_path.read_text()[-3000:]}"
    )


def stop(server):
    """SIGTERM lets JupyterLab shut its kernels down; whatever is left of its group is killed."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(server.pid, signal.SIGKILL)  # the server's own session: it and its kernels
    server.wait(timeout=10)


# ------------------------------------------------------------------------------- the page


def remaining_ms(deadline, cap):
    """A timeout for the next wait: at most ``cap`` seconds, never past the test's deadline."""
    left = deadline - time.monotonic()
    if left <= 0:
        pytest.fail(f"the browser test ran out of its {TEST_BUDGET:.0f} s budget")
    return min(left, cap) * 1000


def dismiss_dialogs(page):
    """Accept whatever JupyterLab asks on a first launch (e.g. which kernel to start)."""
    dialogs = page.locator(".jp-Dialog")
    for _ in range(3):
        if not dialogs.count():
            return
        dialogs.first.locator(".jp-mod-accept").first.click(timeout=5000)
        page.wait_for_timeout(300)


def menu_command(page, menu, command, timeout):
    """Click a command in the main menu bar, as a learner would (e.g. Run > Run All Cells)."""
    page.locator("#jp-MainMenu .lm-MenuBar-item", has_text=re.compile(f"^{menu}$")).click(
        timeout=timeout
    )
    page.locator(f'.lm-Menu-item[data-command="{command}"]').click(timeout=timeout)


# The notebook's kernel is connected and idle (before that, the status bar says "No Kernel",
# "Connecting" or "Unknown", and cells run then may find no widget manager to talk to).
KERNEL_READY = """() => [...document.querySelectorAll('#jp-main-statusbar .jp-StatusBar-TextItem')]
    .some(item => /^(?!No Kernel).+ \\| Idle$/.test(item.textContent.trim()))"""

# Every code cell has an execution count and the kernel is idle: the notebook has run.
ALL_CELLS_RAN = """() => {
    const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
    const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
    return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent))
        && (!indicator || indicator.dataset.status === 'idle');
}"""

# The bytes of the picture the browser shows (the Image widget's src is a blob: or data: URL).
IMAGE_DIGEST = """async (img) => {
    const bytes = await (await fetch(img.src)).arrayBuffer();
    const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return {src: img.src, size: bytes.byteLength,
            sha256: [...hash].map(b => b.toString(16).padStart(2, '0')).join('')};
}"""


def test_moving_the_learning_rate_slider_redraws_the_picture(chromium, lab):
    started = time.monotonic()
    deadline = started + TEST_BUDGET
    found = sorted(NOTEBOOKS.glob(FIRST_EXPLORER_NOTEBOOK))
    assert found, f"notebooks/{FIRST_EXPLORER_NOTEBOOK} is missing: the browser test opens it"
    name = found[0].name
    try:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright (pip install -e '.[test]')")
    base_url, token, root = lab

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(root.parent / "chromium-profile"),  # a fresh profile: no state from earlier runs
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(remaining_ms(deadline, 60))
            page.goto(f"{base_url}/lab/tree/{name}?token={token}")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=remaining_ms(deadline, 60))
            dismiss_dialogs(page)
            page.wait_for_function(KERNEL_READY, timeout=remaining_ms(deadline, 60))

            # Show every cell's prompt (solutions start collapsed), and clear the saved outputs,
            # so every picture found later comes from the kernel.
            menu_command(page, "View", "notebook:show-all-cell-code", remaining_ms(deadline, 20))
            menu_command(page, "Edit", "editmenu:clear-all", remaining_ms(deadline, 20))
            menu_command(page, "Run", "runmenu:run-all", remaining_ms(deadline, 20))
            dismiss_dialogs(page)
            page.wait_for_function(ALL_CELLS_RAN, timeout=remaining_ms(deadline, RUN_ALL))
            ran = time.monotonic()

            errors = page.locator('.jp-OutputArea-output[data-mime-type*="stderr"]')
            assert not errors.count(), f"{name} printed errors:\n" + "\n".join(
                errors.all_inner_texts()
            )
            assert "Error displaying widget" not in page.inner_text(".jp-Notebook"), (
                "a widget did not display: the JupyterLab widget front end does not match "
                "ipywidgets (see python -m lrcourse doctor)"
            )

            explorer = page.locator(".widget-vbox:has(.widget-image)").first
            try:
                explorer.wait_for(timeout=remaining_ms(deadline, 30))
            except PlaywrightTimeout:
                pytest.fail(f"no explorer (a box with an image widget) appeared in {name}")
            explorer.scroll_into_view_if_needed()
            slider = explorer.locator(".widget-slider", has_text=re.compile("learning rate", re.I))
            assert slider.count(), f"the first explorer in {name} has no 'learning rate' slider"
            slider = slider.first
            image = explorer.locator("img.widget-image, .widget-image img").first
            readout = slider.locator(".widget-readout")
            before, label_before = image.evaluate(IMAGE_DIGEST), readout.inner_text()

            handle = slider.locator(".noUi-handle").first
            handle.focus()
            for key in ("ArrowRight", "ArrowLeft"):  # left only if it started at the far right
                for _ in range(10):
                    page.keyboard.press(key)
                if readout.inner_text() != label_before:
                    break
            moved, label_after = time.monotonic(), readout.inner_text()
            after = image.evaluate(IMAGE_DIGEST)
            while after["sha256"] == before["sha256"] and time.monotonic() - moved < PICTURE_UPDATE:
                page.wait_for_timeout(250)  # the kernel redraws, then the browser gets the PNG
                after = image.evaluate(IMAGE_DIGEST)
            redrawn = time.monotonic() - moved
        except BaseException:  # also pytest.fail: a picture of the page helps to see why
            shot = root.parent / "failure.png"
            with contextlib.suppress(Exception):
                context.pages[0].screenshot(path=str(shot), timeout=10_000)
                print(f"screenshot of the page at the failure: {shot}")
            raise
        finally:
            context.close()

    print(
        f"{name}: opened and ran in {ran - started:.1f} s; picture redrawn "
        f"{redrawn:.1f} s after the slider moved"
    )
    assert label_after != label_before, f"the slider did not move (readout {label_before})"
    assert before["size"] > 1000 and after["size"] > 1000, "the explorer shows no real picture"
    assert after["sha256"] != before["sha256"], (
        f"the picture did not change within {PICTURE_UPDATE:.0f} s when the learning rate went "
        f"from {label_before} to {label_after}"
    )
