"""A live Jianguan server for functional and browser tests, and the demo network's credentials."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx


@dataclass
class DemoSeed:
    """What ``jianguan demo seed`` printed: logins, API keys and sample codes by role or state."""

    logins: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    apikeys: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    samples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    cases: list[tuple[str, str]] = field(default_factory=list)  # (number, secret), the overdue one first
    output: str = ""

    def password(self, username: str) -> str:
        for entries in self.logins.values():
            for name, password in entries:
                if name == username:
                    return password
        raise KeyError(username)


def parse_seed_output(output: str) -> DemoSeed:
    seed = DemoSeed(output=output)
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == "login":
            seed.logins[parts[1]].append((parts[2], parts[3]))
        elif len(parts) == 3 and parts[0] == "apikey":
            seed.apikeys[parts[1]].append(parts[2])
        elif len(parts) == 3 and parts[0] == "sample":
            seed.samples[parts[1]].append(parts[2])
        elif len(parts) == 3 and parts[0] == "case":
            seed.cases.append((parts[1], parts[2]))
    return seed


def cli_env(database_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "JIANGUAN_DATABASE_URL": database_url, **extra}


def demo_seed(database_url: str) -> DemoSeed:
    result = subprocess.run([sys.executable, "-m", "jianguan.cli", "demo", "seed"], capture_output=True,
                            text=True, env=cli_env(database_url), timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"demo seed failed:\n{result.stdout}\n{result.stderr}")
    return parse_seed_output(result.stdout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    base_url: str
    database_url: str
    seed: DemoSeed
    process: subprocess.Popen[bytes]
    log_path: Path

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30, **kwargs)  # type: ignore[arg-type]  # any Client option

    def key_client(self, key: str) -> httpx.Client:
        return self.client(headers={"Authorization": f"Bearer {key}"})

    def login(self, username: str, password: str | None = None) -> httpx.Client:
        """A client logged in through the login form, sending the CSRF header on every request."""
        client = self.client()
        client.get("/login")
        csrf = client.cookies["jg_csrf"]
        response = client.post("/login", data={"username": username, "password": password or
                                               self.seed.password(username), "csrf_token": csrf,
                                               "next": "/dashboard"})
        assert response.status_code == 303, response.text
        client.headers["X-CSRF-Token"] = csrf
        return client

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(database_url: str, workdir: Path, seed: DemoSeed, *, healthy: bool = True, **env: str) -> LiveServer:
    """Serve ``database_url`` with ``jianguan serve`` and the environment ``env``; return once the
    health check answers 200 (or, with ``healthy`` False, once it answers at all: a server started
    with a part away, to see how it says so)."""
    port = free_port()
    log_path = workdir / "server.log"
    # The server's own schedules (audit checkpoints, early-warning rules) stay off unless a test
    # asks for them: they would write audit rows while a test counts the rows requests wrote.
    # The per-address guards stay out of the way too: every test speaks from 127.0.0.1, so the
    # unknown codes of many tests would add up to a block that depends on their order. The tests
    # of the guards (test_abuse, test_rate_limit, test_workers) start their own servers with
    # their own limits.
    defaults = {"JIANGUAN_PUBLIC_RATE_LIMIT_PER_MINUTE": "100000", "JIANGUAN_CASE_LOOKUP_LIMIT": "100000",
                "JIANGUAN_ABUSE_SLOW_AFTER": "100000", "JIANGUAN_ABUSE_BLOCK_AFTER": "100000",
                "JIANGUAN_AUDIT_CHECKPOINT_MINUTES": "0", "JIANGUAN_ALERTS_EVALUATE_INTERVAL_SECONDS": "0",
                "JIANGUAN_CASE_PHOTO_DIR": str(workdir / "case-photos"),
                "JIANGUAN_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    environment = cli_env(database_url, **{**defaults, **env})
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "jianguan.cli", "serve", "--port", str(port)],
                                   stdout=log, stderr=subprocess.STDOUT, env=environment)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base_url}/api/v1/health", timeout=2).status_code == 200 or not healthy:
                return LiveServer(base_url, database_url, seed, process, log_path)
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not start:\n{log_path.read_text()}")
