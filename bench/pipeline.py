"""Pipeline benchmark: messages per second through `rpmw demo` with the sandbox rate limit off.

Builds an input file by repeating the bundled 50-message sample, runs the demo in a child
process, and reads messages/s from its report (conversation creation, webhook, ingress,
queue, worker with classification and Richpanel calls, all on loopback).

Usage: python bench/pipeline.py [--messages 400] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    sample = resources.files("richpanel_middleware.demo").joinpath("sample_messages.jsonl")
    lines = [line for line in sample.read_text("utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as scratch:
        messages = Path(scratch) / "messages.jsonl"
        repeated = [lines[i % len(lines)] for i in range(args.messages)]
        messages.write_text("\n".join(repeated) + "\n", encoding="utf-8")
        report_path = Path(scratch) / "report.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "richpanel_middleware",
                "demo",
                "--messages",
                str(messages),
                "--report",
                str(report_path),
                "--concurrency",
                str(args.concurrency),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        report = json.loads(report_path.read_text(encoding="utf-8"))
    rate = report["messages"] / report["duration_s"]
    print(
        f"| {report['messages']} | {args.concurrency} | {report['duration_s']:.1f} | {rate:.1f} | "
        f"{report['failed']} | {report['dead_lettered']} |"
    )


if __name__ == "__main__":
    main()
