"""`python -m server` (or `tandem-relay`): run the relay."""

from __future__ import annotations

import argparse
import sys

from . import logs, workers
from .backends import check as check_backends
from .backends import shown
from .config import Settings
from .private_redis import NotStarted, PrivateRedis


def _stop(problem: str) -> None:
    print(f"tandem-relay: {problem}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="tandem-relay", description="Run the Tandem relay.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="relay processes serving the port, to use N cores (default 1); "
                             "more than one needs TANDEM_BROKER_URL=redis://...")
    parser.add_argument("--start-redis", action="store_true",
                        help="with --workers above 1 and no TANDEM_BROKER_URL: run a private redis-server "
                             "from var/redis while the relay runs (what `make run WORKERS=N` does)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers takes 1 or more")
    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a TANDEM_* setting that cannot be: say which, in one line
        _stop(str(exc))
    redis = None
    if args.workers > 1 and workers.needs_shared_broker(settings):
        if not args.start_redis:
            _stop(f"--workers {args.workers} runs {args.workers} processes, which share live sessions through "
                  "Redis: set TANDEM_BROKER_URL=redis://HOST:PORT/0 (`make run WORKERS=N` starts one for you)")
        redis = PrivateRedis(settings.var_dir / "redis")
        try:
            settings.broker_url = redis.start()
        except NotStarted as exc:
            _stop(str(exc))
    try:
        _serve(settings, args)
    finally:
        if redis is not None:
            redis.stop()


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from .web.fastws import relay_protocol

    problem = check_backends(settings)
    if problem:
        _stop(problem)
    several = args.workers > 1
    log_config = logs.configure(args.log_level, settings.log_format, pid=several)
    base = f"http://{args.host}:{args.port}"
    if settings.public_url == Settings.public_url:
        settings.public_url = base
        if args.host in ("0.0.0.0", "::", ""):
            print("\n  Set TANDEM_PUBLIC_URL to the address people open (https://support.example.com):\n"
                  "  the relay's pages and extension accept requests from that origin only.", flush=True)
    processes = f"  processes: {args.workers}, sharing port {args.port}\n" if several else ""
    print(f"""
  Tandem relay starting on {base}
  database: {shown(settings.database_url)}
  broker: {shown(settings.broker_url)}
{processes}
  Open next:
    {base}/signin        sign in as {settings.admin_email} (admin: reps, queues, policies)
    {base}/demo          the demo shop: click its help link to wait in a queue as a customer
    {base}/join          join a session by its 9-digit number
    {base}/download      the Support Manager (native agent): desktop, applications, files
    {base}/reports/sessions   reports (sessions, rep activity; charts and CSV), recordings linked
    {base}/api/docs      the REST API (OpenAPI at /api/openapi.json); live work goes over {base.replace('http', 'ws')}/ws
""", flush=True)
    options = dict(host=args.host, port=args.port, log_level=args.log_level, log_config=log_config,
                   ws_max_size=max(settings.max_message_bytes, settings.max_binary_bytes) + 64,
                   ws="websockets-sansio", ws_per_message_deflate=False,  # frames are mostly compressed already; saves relay CPU
                   ws_ping_interval=settings.ping_interval, ws_ping_timeout=settings.ping_interval,
                   # X-Forwarded-For only from the configured proxies (uvicorn's default trusts any local peer)
                   proxy_headers=bool(settings.trusted_proxies), forwarded_allow_ips=list(settings.trusted_proxies))
    if not several:
        from .web.app import create_app

        app = create_app(settings)
        workers.tune_gc()
        uvicorn.run(app, http=relay_protocol(settings.header_timeout), **options)
        return
    password = workers.prepare(settings)  # the first admin, once, before the workers race for it
    if password:
        print(f"\n  First admin account: {settings.admin_email}\n  Password (shown once): {password}\n", flush=True)
    if not workers.run(settings, args.workers, **options):
        _stop("a relay process could not start (its log above says why)")


if __name__ == "__main__":
    main()
