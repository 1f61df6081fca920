"""Starts `headway serve` on the real model for the end-to-end tests (the OpenAI client, the dashboard in Chromium).

HEADWAY_BIN (default .build/release/headway) and HEADWAY_MODEL (default models/SmolLM2-135M-Instruct.Q4_1.gguf)
name the binary and the model."""
import json
import os
import re
import subprocess
import time
import urllib.request

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def server():
    binary = os.environ.get("HEADWAY_BIN", os.path.join(REPO, ".build/release/headway"))
    model = os.environ.get("HEADWAY_MODEL", os.path.join(REPO, "models/SmolLM2-135M-Instruct.Q4_1.gguf"))
    proc = subprocess.Popen([binary, "serve", "--model", model, "--port", "0"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = ""
    match = None
    while not match:  # "headway serve: MODEL on http://127.0.0.1:PORT/ (...)"
        line = proc.stderr.readline()
        if not line:
            proc.kill()
            raise RuntimeError(f"headway serve did not start: {seen}")
        seen += line
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    url = f"http://127.0.0.1:{match.group(1)}"
    deadline = time.time() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/health", timeout=5) as r:
                health = json.load(r)
                break
        except OSError:
            if time.time() > deadline:
                proc.kill()
                raise
            time.sleep(0.2)
    yield {"url": url, "model": health["model"]}
    proc.terminate()
    assert proc.wait(timeout=30) == 0, "headway serve should exit 0 on SIGTERM"
