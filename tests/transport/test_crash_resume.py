"""Kill -9 a sending process mid-run, restart it: no accepted message is lost, and every
duplicate the platform received is one the outbox recorded as possible."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from mmtkit.outbox import OutboxState
from mmtkit.sandbox.process import SandboxProcess
from mmtkit.store.sqlite import SqliteStore

SENDER = Path(__file__).with_name("sender_process.py")
COUNT = 600


def start(
    database: Path, sandbox: SandboxProcess, spec: dict[str, object]
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SENDER), str(database), sandbox.tiktok_base_url, json.dumps(spec)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_kill_9_mid_run_then_resume(tmp_path: Path) -> None:
    database = tmp_path / "outbox.sqlite3"
    config = {
        "tiktok": {"rate": "100000/second", "messages_per_window": 10**7, "echo_sends": False},
        "faults": {
            "tiktok.send": {
                "server_error": 0.05,
                "processed_then_timeout": 0.02,
                "late_answer_seconds": 0.5,
            }
        },
    }
    with SandboxProcess(config) as sandbox:
        opened = sandbox.customer("tiktok_message", text="hi")
        spec = {
            "conversation_id": opened["conversation_id"],
            "customer": opened["customer"],
            "account": opened["account"],
            "count": COUNT,
        }
        first = start(database, sandbox, spec)
        assert first.stdout is not None
        accepted = -1
        for line in first.stdout:
            if line.startswith("accepted"):
                accepted = int(line.split()[1])
                if accepted >= COUNT // 3:
                    break
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert 0 < accepted < COUNT - 1, "the kill must land in the middle of the run"

        second = start(database, sandbox, spec)
        output, _ = second.communicate(timeout=240)
        assert second.returncode == 0, output[-2000:]
        assert output.rstrip().endswith("done")

        entries = sandbox.ledger(
            platform="tiktok", direction="outbound", conversation=opened["conversation_id"]
        )
    counts = Counter(e["payload"]["text"]["body"] for e in entries)
    records = {r.idempotency_key: r for r in SqliteStore(database).outbox.list(limit=COUNT + 1)}
    assert len(records) == COUNT
    lost = [key for key in records if counts[key] == 0]
    assert lost == [], f"lost: {lost[:5]}"
    assert all(r.state is OutboxState.SENT for r in records.values())
    unrecorded = [key for key, n in counts.items() if n > 1 and not records[key].possible_duplicate]
    assert unrecorded == []
