"""``python -m tests.iswc_standin --port N --key KEY [--rpm N] [--ipi FILE]``: serve the
stand-in of the ISWC database on 127.0.0.1 until interrupted."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

from tests.iswc_standin.app import create_app
from tests.iswc_standin.rules import read_ipis


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.iswc_standin",
        description="A stand-in of CISAC's ISWC database REST API, on 127.0.0.1 (not CISAC's).",
        epilog="example: python -m tests.iswc_standin --port 8099 --key secret --rpm 10",
    )
    parser.add_argument("--port", type=int, required=True, help="the loopback port to serve on")
    parser.add_argument("--key", required=True, help="the subscription key callers must send")
    parser.add_argument(
        "--rpm", type=int, default=10, help="requests a minute before 429 (default 10)"
    )
    parser.add_argument(
        "--ipi",
        type=Path,
        help="a file of the IPI name numbers the stand-in knows, one a line "
        "(default: every name number is known)",
    )
    parser.add_argument(
        "--auto-approve-days", type=int, default=30, help="days before a task is approved"
    )
    parser.add_argument(
        "--notifications",
        type=Path,
        help="a folder to write the CSN files (ISWC JSON) the database sends other agencies",
    )
    args = parser.parse_args(argv)
    ipis = None
    if args.ipi is not None:
        try:
            ipis = read_ipis(args.ipi.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            print(f"{args.ipi}: {exc}", file=sys.stderr)
            return 2
    app = create_app(
        args.key,
        rpm=args.rpm,
        ipis=ipis,
        auto_approve_days=args.auto_approve_days,
        notifications=args.notifications,
    )
    print(f"ISWC database stand-in on http://127.0.0.1:{args.port} (not CISAC's)", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
