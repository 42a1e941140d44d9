"""`python -m server` (or `tandem-relay`): run the relay."""

from __future__ import annotations

import argparse
import sys

from . import logs
from .backends import check as check_backends
from .backends import shown
from .config import Settings


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    from .web.app import create_app
    from .web.http_limits import header_timeout_protocol

    parser = argparse.ArgumentParser(prog="tandem-relay", description="Run the Tandem relay.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    problem = check_backends(settings)
    if problem:
        print(f"tandem-relay: {problem}", file=sys.stderr, flush=True)
        raise SystemExit(1)
    log_config = logs.configure(args.log_level, settings.log_format)
    base = f"http://{args.host}:{args.port}"
    if settings.public_url == Settings.public_url:
        settings.public_url = base
        if args.host in ("0.0.0.0", "::", ""):
            print("\n  Set TANDEM_PUBLIC_URL to the address people open (https://support.example.com):\n"
                  "  the relay's pages and extension accept requests from that origin only.", flush=True)
    print(f"""
  Tandem relay starting on {base}
  database: {shown(settings.database_url)}
  broker: {shown(settings.broker_url)}

  Open next:
    {base}/signin        sign in as {settings.admin_email} (admin: reps, queues, policies)
    {base}/demo          the demo shop: click its help link to wait in a queue as a customer
    {base}/join          join a session by its 9-digit number
    {base}/download      the Support Manager (native agent): desktop, applications, files
    {base}/reports/sessions   reports (sessions, rep activity; charts and CSV), recordings linked
    {base}/api/docs      the REST API (OpenAPI at /api/openapi.json); live work goes over {base.replace('http', 'ws')}/ws
""", flush=True)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level=args.log_level, log_config=log_config,
                ws_max_size=max(settings.max_message_bytes, settings.max_binary_bytes) + 64,
                ws="websockets-sansio", ws_per_message_deflate=False,  # frames are mostly compressed already; saves relay CPU
                http=header_timeout_protocol(settings.header_timeout),
                # X-Forwarded-For only from the configured proxies (uvicorn's default trusts any local peer)
                proxy_headers=bool(settings.trusted_proxies), forwarded_allow_ips=list(settings.trusted_proxies))


if __name__ == "__main__":
    main()
