"""Docs that the tests keep honest: every route, setting, error code, site-file key and message type is documented."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from starlette.routing import Route

from queue_server.common import messages
from queue_server.domain.events import EVENT_TYPES
from queue_server.settings.config import Config
from queue_server.web.api import ROUTES
from queue_server.web.app import page_openapi, page_routes
from queue_server.web.openapi import openapi_document

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SOURCE = ROOT / "queue_server"


def doc(name: str) -> str:
    return (DOCS / name).read_text()


def test_every_route_is_in_openapi_and_api_md() -> None:
    paths = openapi_document(page_openapi())["paths"]
    api_md = doc("api.md")
    for route in ROUTES:
        for method in sorted(route.methods - {"HEAD"}):  # type: ignore[attr-defined]
            assert method.lower() in paths[route.path], f"{method} {route.path} missing from OpenAPI"
            assert f"`{method} {route.path}`" in api_md, f"{method} {route.path} missing from docs/api.md"


def test_every_page_api_route_is_in_openapi() -> None:
    paths = openapi_document(page_openapi())["paths"]
    for route in page_routes():
        if isinstance(route, Route) and "/api/" in route.path:
            for method in sorted((route.methods or set()) - {"HEAD"}):
                assert method.lower() in paths.get(route.path, {}), f"{method} {route.path} missing from OpenAPI"


def test_every_page_route_is_in_api_md() -> None:
    api_md = doc("api.md")
    for route in page_routes():
        if isinstance(route, Route) and "/api/" not in route.path:
            for method in sorted((route.methods or set()) - {"HEAD"}):
                assert f"`{method} {route.path}`" in api_md, f"{method} {route.path} missing from docs/api.md"


def test_every_operation_declares_the_statuses_of_its_refusals() -> None:
    document = openapi_document(page_openapi())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = {int(s) for s in operation["responses"] if s.isdigit() and int(s) >= 400}
            assert "x-refusals" not in operation
            if path.startswith(("/api/v1/sites/{site}", "/citizen/api/{site}")):
                assert 404 in statuses, f"{method} {path}: unknown_site"
            if operation.get("security"):
                assert {401, 403} <= statuses, f"{method} {path}: unauthenticated, forbidden"
            if "requestBody" in operation:
                assert {400, 413, 415, 422} <= statuses, f"{method} {path}: body refusals"
    csv = document["paths"]["/api/v1/sites/{site}/reports.csv"]["get"]["responses"]
    assert {"401", "403", "404", "422"} <= set(csv)


def test_every_setting_is_documented() -> None:
    configuration = doc("configuration.md")
    for field in dataclasses.fields(Config):
        assert f"`{field.name}`" in configuration, f"setting {field.name} missing from docs/configuration.md"


def _error_codes() -> set[str]:
    """Every code a refusal can carry: the keys of the message catalogue, up to their first dot."""
    return {key.split(".", 1)[0] for key in messages.catalogue()["refusal"]}


def test_every_http_error_code_is_documented() -> None:
    codes = _error_codes() - {
        "http_error",
        "internal_error",
        "hello_expected",
        "bad_frame",
        "unknown_type",
        "wrong_screen",
        "unknown_screen",
        "unknown_agency",
        "not_your_counter",
        "duplicate_ticket_id",
        "duplicate_booking_code",
        "hello_timeout",
        "too_slow",
        # the citizen pages' own codes are in citizen.md (tests/test_citizen_docs.py)
        "not_a_kiosk",
        "wrong_site",
        "not_an_escpos_printer",
        "printer_fault",
    }  # fmt: skip  (websocket-only codes are in protocol.md)
    assert len(codes) > 25
    api_md = doc("api.md")
    missing = sorted(code for code in codes if f"`{code}`" not in api_md)
    assert not missing, f"error codes missing from docs/api.md: {missing}"


def test_every_site_file_setting_is_documented() -> None:
    source = (SOURCE / "settings" / "sitefile.py").read_text()
    keys = set()
    for block in re.findall(r"reader\.unknown\(\s*\w+,\s*\{([^}]*)\}", source):
        keys |= set(re.findall(r'"([a-z_]+)"', block))
    site_md = doc("site-file.md")
    example = "".join(re.findall(r"```toml\n(.*?)```", site_md, re.S))
    missing = sorted(k for k in keys if not re.search(rf"(^|[\[.])\s*{k}\b", example, re.M))
    assert not missing, f"site-file settings missing from docs/site-file.md: {missing}"


def test_every_websocket_message_type_is_documented() -> None:
    protocol = doc("protocol.md")
    ws_source = (SOURCE / "web" / "websocket.py").read_text()
    types = set(re.findall(r'"type":\s*"([a-z_.]+)"', ws_source)) | set(EVENT_TYPES) | {"hello", "command"}
    missing = sorted(t for t in types if f"`{t}`" not in protocol)
    assert not missing, f"websocket message types missing from docs/protocol.md: {missing}"
    codes = {"hello_expected", "bad_frame", "unknown_type", "wrong_screen", "unknown_screen", "not_your_counter",
             "too_slow"}  # fmt: skip
    assert not sorted(c for c in codes if f"`{c}`" not in protocol)


def test_every_server_module_is_in_the_architecture_module_table() -> None:
    architecture = doc("architecture.md")
    for path in sorted(SOURCE.rglob("*.py")):
        if path.name == "__init__.py":
            continue
        relative = path.relative_to(SOURCE).as_posix()
        assert f"`{relative}`" in architecture or f"`{path.name}`" in architecture, f"{relative} missing"


def test_upgrading_is_a_procedure_and_quotes_the_old_release_s_refusal() -> None:
    """An outside review: upgrading was not documented. The rollback's reason is the old release's own words."""
    from queue_server.persistence.schema import SchemaTooNew

    deployment = " ".join(doc("deployment.md").split())
    section = deployment[deployment.index("## Upgrading") : deployment.index("## 6.")]
    for step in ("systemctl stop", "queue-server backup", "git checkout", "make install", "queue-server migrate",
                 "systemctl start", "queue-server restore", "--replace"):  # fmt: skip
        assert step in section, step
    refusal = str(SchemaTooNew("...", 8, 7)).replace("version 8", "version N").replace("up to 7", "up to M")
    assert f"error: {refusal}" in section


def _cells(row: str) -> int:
    """The cells of a table row as GitHub counts them: split at every | not escaped (a code span does not protect
    one), the outer ones dropped."""
    row = row.strip().removeprefix("|")
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return len(re.split(r"(?<!\\)\|", row))


def test_every_markdown_table_is_whole() -> None:
    """A paragraph between two rows ends the table: the rows after it showed as a line of pipes (the alerts of
    docs/supervisor.md, a counter command of docs/api.md). Every line that begins with | is a row of a table, as
    CommonMark with GitHub's tables reads it, and every row has as many cells as its header (more are dropped)."""
    parser = MarkdownIt("commonmark").enable("table")
    faults = []
    for path in sorted([*DOCS.glob("*.md"), ROOT / "README.md", *ROOT.glob("*/README.md")]):
        text = path.read_text()
        lines = text.splitlines()
        tables = [t.map for t in parser.parse(text) if t.type == "table_open" and t.map]
        kept = {i for t in parser.parse(text) if t.type in ("fence", "code_block", "html_block") and t.map
                for i in range(*t.map)}  # fmt: skip
        in_table = {i for start, end in tables for i in range(start, end)}
        name = path.relative_to(ROOT)
        faults += [f"{name}:{i + 1}: a row outside any table: {line[:60]}" for i, line in enumerate(lines)
                   if line.lstrip().startswith("|") and i not in in_table | kept]  # fmt: skip
        for start, end in tables:
            header = _cells(lines[start])
            faults += [f"{name}:{i + 1}: {_cells(lines[i])} cells, its header {header}" for i in range(start + 2, end)
                       if _cells(lines[i]) != header]  # fmt: skip
    assert not faults, "\n".join(faults)


def test_every_systemd_unit_of_the_deployment_page_is_whole() -> None:
    """An installer's walk: the SQLite box's unit was given as "the differences from the unit above", without
    Restart= and without [Install], so copied as shown `systemctl enable` refused it. Every unit shown is a whole
    file: a service says what it runs, and one that is started by itself (not a timer's oneshot) restarts and says
    where it is installed; a timer says when and where it is installed."""
    blocks = re.findall(r"```ini\n(.*?)```", doc("deployment.md"), re.S)
    assert blocks
    for block in blocks:
        name = block.splitlines()[0]
        assert name.startswith("# /etc/systemd/system/") and "differences" not in name, name
        sections = set(re.findall(r"^\[(\w+)\]$", block, re.M))
        if ".service" in name.split()[1]:
            assert {"Unit", "Service"} <= sections and "\nExecStart=" in block, name
            if "Type=oneshot" not in block:
                assert "Install" in sections and "\nRestart=always" in block, name
            hardening = {line.split("=", 1)[0] for line in block.splitlines() if "=" in line}
            missing = SERVICE_HARDENING - hardening
            assert not missing, (name, sorted(missing))
        else:
            assert {"Unit", "Timer", "Install"} <= sections, name


# What a careful Debian admin adds to every service unit of the deployment page (docs/deployment.md, "What the unit
# allows"); each is checked against what the server needs there.
SERVICE_HARDENING = {
    "NoNewPrivileges", "ProtectSystem", "ReadWritePaths", "ProtectHome", "PrivateTmp", "PrivateDevices",
    "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups",
    "RestrictAddressFamilies", "RestrictSUIDSGID", "RestrictNamespaces", "LockPersonality", "MemoryDenyWriteExecute",
    "UMask", "CapabilityBoundingSet",
}  # fmt: skip


def test_systemd_verifies_every_unit_of_the_deployment_page(tmp_path: Path) -> None:
    """`systemd-analyze verify` on each unit as shown, with its paths pointed at this checkout's command (verify
    refuses an ExecStart that is not there): an unknown key, a misspelt value or a wrong section fails it. Skipped
    where systemd is not installed."""
    import shutil
    import subprocess
    import sys

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    command = Path(sys.executable).parent / "queue-server"
    units = tmp_path / "units"
    units.mkdir()
    names = []
    for block in re.findall(r"```ini\n(.*?)```", doc("deployment.md"), re.S):
        name = block.splitlines()[0].split()[1].rsplit("/", 1)[1]
        text = block.replace("/srv/antrean/app/.venv/bin/queue-server", str(command))
        if name in names:  # the same unit shown twice (PostgreSQL, then SQLite): each is verified
            name = name.replace(".service", "-sqlite.service")
        (units / name).write_text(text)
        names.append(name)
    for name in names:
        done = subprocess.run([analyze, "verify", "--man=no", str(units / name)], capture_output=True, text=True,
                              timeout=60, check=False)  # fmt: skip
        said = [line for line in done.stderr.splitlines() if "/units/" in line or name in line]
        assert done.returncode == 0 and not said, (name, done.stderr)


MDWE = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN (Linux 6.3+): kept across execve
    sys.exit(77)
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""

UNDER_MDWE = """
import mmap, sys
try:
    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    sys.exit("the rule does not hold here")
except PermissionError:
    pass
import argon2, uvloop, cryptography.fernet
from sounds.tts import Renderer
argon2.PasswordHasher().hash("sandi-yang-panjang")
cryptography.fernet.Fernet(cryptography.fernet.Fernet.generate_key()).encrypt(b"0812")
with Renderer() as r:
    clip = r.render_clip("k", "Loket Kependudukan", "id", sys.argv[1])
print(clip.duration_ms)
"""


def test_the_server_s_libraries_need_no_memory_both_writable_and_executable(tmp_path: Path) -> None:
    """The unit's MemoryDenyWriteExecute=yes (docs/deployment.md, "What the unit allows"), checked with the kernel's
    own form of the rule (prctl PR_SET_MDWE, which refuses such a mapping as systemd's filter does): espeak-ng through
    ctypes renders a spoken word, argon2 hashes, cryptography encrypts, uvloop loads. Skipped on a kernel without it."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", MDWE, "-c", UNDER_MDWE, str(tmp_path / "clip.wav")],
                          capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)  # fmt: skip
    if done.returncode == 77:
        pytest.skip("this kernel has no PR_SET_MDWE (Linux 6.3+)")
    assert done.returncode == 0 and float(done.stdout) > 500, done.stderr
    assert (tmp_path / "clip.wav").stat().st_size > 10_000
