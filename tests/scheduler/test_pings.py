"""Monitoring pings of scheduled jobs (`[schedule] ping_urls`, healthchecks-style): a job
with a URL pings `<url>/start` before its command, then `<url>` on success or `<url>/fail`
on failure. A ping that cannot be made is a warning on stderr, never a failed job.

The monitor is a real HTTP server on 127.0.0.1 started by the test; the URLs reach mallctl
as the environment variable MALLCTL_SCHEDULE__PING_URLS (JSON)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import Cli, one_line_error


@dataclass
class Monitor:
    """A healthchecks-like server: records (method, path) of every request it is sent."""

    url: str
    status: int = 200  # what it answers
    seen: list[tuple[str, str]] = field(default_factory=list)

    def paths(self) -> list[str]:
        return [path for _, path in self.seen]


@pytest.fixture
def monitor() -> Iterator[Monitor]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = Monitor(f"http://127.0.0.1:{server.server_address[1]}")

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            state.seen.append((self.command, self.path))
            self.send_response(state.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        do_GET = do_POST = do_HEAD = _answer

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

    server.RequestHandlerClass = Handler
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def pings(urls: dict[str, str]) -> dict[str, str]:
    return {"MALLCTL_SCHEDULE__PING_URLS": json.dumps(urls)}


def a_port_nobody_listens_on() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_successful_job_pings_start_then_its_url(cli: Cli, monitor: Monitor):
    env = pings({"contracts.expire": f"{monitor.url}/abc"})

    ran = cli("schedule", "run-job", "contracts.expire", "--json", env=env)

    assert ran.json()["status"] == "SUCCEEDED"
    assert monitor.paths() == ["/abc/start", "/abc"]
    assert "warning" not in ran.stderr


def test_a_trailing_slash_in_the_url_makes_no_double_slash(cli: Cli, monitor: Monitor):
    cli(
        "schedule",
        "run-job",
        "contracts.expire",
        env=pings({"contracts.expire": f"{monitor.url}/abc/"}),
    )
    assert monitor.paths() == ["/abc/start", "/abc"]


def test_a_failed_job_pings_start_then_fail(cli: Cli, monitor: Monitor):
    env = pings({"backup.verify": f"{monitor.url}/hc"})

    ran = cli("schedule", "run-job", "backup.verify", "--json", env=env, code=1)  # no backup

    assert ran.json()["status"] == "FAILED"
    assert monitor.paths() == ["/hc/start", "/hc/fail"]
    assert "no backups in" in one_line_error(ran.stderr)


def test_only_the_job_that_has_a_url_pings(cli: Cli, monitor: Monitor):
    env = pings({"backup.run": f"{monitor.url}/weekly"})

    cli("schedule", "run-job", "contracts.expire", env=env)

    assert monitor.seen == []


def test_a_ping_nobody_answers_is_a_warning_and_the_job_still_succeeds(cli: Cli):
    url = f"http://127.0.0.1:{a_port_nobody_listens_on()}/abc"

    ran = cli(
        "schedule", "run-job", "contracts.expire", "--json", env=pings({"contracts.expire": url})
    )

    outcome = ran.json()
    assert (outcome["status"], outcome["error"]) == ("SUCCEEDED", None)
    warnings = [line for line in ran.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2, ran.stderr
    assert f"monitoring ping {url}/start failed" in warnings[0]
    assert f"monitoring ping {url} failed" in warnings[1]
    assert "error:" not in ran.stderr
    (run,) = cli.json("schedule", "history", "--job", "contracts.expire")
    assert (run["status"], run["error"]) == ("SUCCEEDED", None)


def test_a_monitor_answering_with_an_error_is_a_warning_too(cli: Cli, monitor: Monitor):
    monitor.status = 500

    ran = cli(
        "schedule",
        "run-job",
        "contracts.expire",
        "--json",
        env=pings({"contracts.expire": f"{monitor.url}/abc"}),
    )

    assert ran.json()["status"] == "SUCCEEDED"
    assert monitor.paths() == ["/abc/start", "/abc"]
    assert ran.stderr.count("warning: ") == 2 and "500" in ran.stderr


def test_a_monitor_that_never_answers_times_out_as_a_warning(cli: Cli):
    silent = socket.socket()  # accepts connections (the backlog) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/abc"
        env = {**pings({"contracts.expire": url}), "MALLCTL_SCHEDULE__PING_TIMEOUT_S": "0.3"}

        ran = cli("schedule", "run-job", "contracts.expire", "--json", env=env)
    finally:
        silent.close()

    assert ran.json()["status"] == "SUCCEEDED"
    assert ran.stderr.count("warning: ") == 2 and url in ran.stderr
