"""`make demo` is the main job: it must run end to end, fast, and report what it promises."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_demo_runs_end_to_end_and_reports(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mmtkit.cli",
            "demo",
            "--app",
            "examples/shop_assistant.py",
            "--report",
            str(report),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    assert elapsed < 15
    data = json.loads(report.read_text())
    channels = {c["channel"] for c in data["conversations"]}
    assert channels == {"tiktok", "whatsapp", "messenger"}
    for conversation in data["conversations"]:
        assert len(conversation["texts"]) >= 2  # the customer wrote and was answered
    attributed = [c["attribution"] for c in data["conversations"] if c["attribution"]]
    assert any(a.get("ad_id") == "1790000000000042" for a in attributed)  # TikTok ad
    assert any(a.get("click_id") == "ARAkDemoClickId" for a in attributed)  # click-to-WhatsApp
    [blocked] = data["blocked"]
    assert {v["category"] for v in blocked["violations"]} == {"off_platform_diversion"}
    assert all("4.2.2" in v["policy_ref"] for v in blocked["violations"])
    assert blocked["text"] not in json.dumps(
        [c["texts"] for c in data["conversations"]]
    )  # never sent
    payment = [e for e in data["events"] if e["properties"].get("payment") is True]
    assert payment
    assert payment[0]["properties"]["ad_id"] == "1790000000000042"
    every_text = [t for c in data["conversations"] for t in c["texts"]]
    payloads = json.dumps(data["events"])
    assert not [t for t in every_text if t in payloads], "no message text in any event payload"
    kpis = data["kpis"]
    assert kpis["chats_received"] >= 4
    assert kpis["chats_responded_in_time"] == kpis["chats_received"]
    assert kpis["response_rate"] == 1.0
    labels = {label for c in data["conversations"] for label in c["labels"]}
    assert "payment-intent" in labels  # a rule-based label from the payment signal
    texts = [t for c in data["conversations"] for t in c["texts"]]
    assert any(t.startswith("Hi! Thanks for writing") for t in texts)  # welcome auto-reply
    assert "Our white sneakers are 40 USD, in every size." in texts  # keyword auto-reply
    assert "Blocked by compliance checks" in result.stdout
