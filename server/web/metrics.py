"""`GET /metrics`: the relay's numbers in the Prometheus text format.

For admins (sign-in cookie or bearer token of an admin account) and for a
scraper holding ``TANDEM_METRICS_TOKEN`` (``Authorization: Bearer ...``);
anyone else gets 401 (no credentials) or 403 (a rep who is not an admin).
Everything is read at scrape time: the hot paths only add to the plain
numbers in `server.counters`, and the live figures (sessions, queues) come
from the desk as it stands.
"""

from __future__ import annotations

import hmac

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from ..core.session import State
from ..counters import STREAM_KINDS, Histogram
from ..i18n import pick_language, translator
from ..relay import Relay
from .signin import current_account


class RelayCollector(Collector):
    """Turns one relay's counters and desk into metric families, per scrape."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    def collect(self):
        relay, c = self.relay, self.relay.counters
        g = GaugeMetricFamily("tandem_connections", "Open WebSocket connections that said hello, by kind",
                              labels=["kind"])
        for kind, n in c.connections.items():
            g.add_metric([kind], n)
        yield g

        by_state = dict.fromkeys(State, 0)
        waiting = dict.fromkeys(relay.desk.queues, 0)
        for s in relay.desk.sessions.values():
            by_state[s.state] += 1
            if s.state is State.WAITING and s.queue is not None:
                waiting[s.queue] = waiting.get(s.queue, 0) + 1
        g = GaugeMetricFamily("tandem_sessions", "Sessions on this relay by state (live: open or active)",
                              labels=["state"])
        for state, n in by_state.items():
            if state is not State.ENDED:
                g.add_metric([state.value], n)
        yield g
        yield GaugeMetricFamily("tandem_live_sessions", "Sessions with a rep (open or active)",
                                value=by_state[State.OPEN] + by_state[State.ACTIVE])
        g = GaugeMetricFamily("tandem_queue_waiting_customers", "Customers waiting in each queue", labels=["queue"])
        for queue, n in sorted(waiting.items()):
            g.add_metric([queue], n)
        yield g

        frames = CounterMetricFamily("tandem_frames_relayed", "Binary frames accepted and relayed, by stream kind",
                                     labels=["kind"])
        size = CounterMetricFamily("tandem_frame_bytes_relayed", "Bytes of binary frames accepted and relayed",
                                   labels=["kind"])
        known = set(STREAM_KINDS)
        for kind, name in STREAM_KINDS.items():
            frames.add_metric([name], c.frames[kind])
            size.add_metric([name], c.frame_bytes[kind])
        frames.add_metric(["other"], sum(n for k, n in enumerate(c.frames) if k not in known))
        size.add_metric(["other"], sum(n for k, n in enumerate(c.frame_bytes) if k not in known))
        yield frames
        yield size
        yield CounterMetricFamily("tandem_messages_received", "Protocol (text) messages received after hello",
                                  value=c.messages)
        yield CounterMetricFamily("tandem_slow_receivers_dropped",
                                  "Connections closed because they stopped reading (they may resume)",
                                  value=c.slow_receivers)
        limited = CounterMetricFamily("tandem_rate_limited", "Messages and frames refused by the per-connection "
                                      "rate limits", labels=["what"])
        for what, n in c.rate_limited.items():
            limited.add_metric([what], n)
        yield limited
        resumes = CounterMetricFamily("tandem_resumes", "Reconnections with a resume id: picked up where they "
                                      "left off, or missed more than the history keeps (gap: told to resync), "
                                      "or live frames it no longer keeps (skipped: a viewer starts afresh)",
                                      labels=["result"])
        resumes.add_metric(["resumed"], c.resumed)
        resumes.add_metric(["gap"], c.resume_gaps)
        resumes.add_metric(["skipped"], c.resume_skipped)
        yield resumes
        yield histogram("tandem_store_seconds", "Durable store: record batches written, accounts read at hello",
                        c.store_seconds)
        yield histogram("tandem_broker_seconds", "Broker: the relay's own messages published, subscriptions",
                        c.broker_seconds)
        yield histogram("tandem_loop_lag_seconds", "How long a callback made ready waits for the event loop, "
                        "sampled ten times a second: the latency this process adds to frames and messages",
                        c.loop_lag_seconds)
        pauses = HistogramMetricFamily("tandem_gc_pause_seconds", "Garbage collections, by generation: the event "
                                       "loop stops while one runs", labels=["generation"])
        for generation, h in enumerate(c.gc_seconds):
            pauses.add_metric([str(generation)], h.cumulative(), h.sum)
        yield pauses
        yield histogram("tandem_heap_trim_seconds", "Free pages of the C heap given back to the system "
                        "(glibc's malloc_trim, every TANDEM_HEAP_TRIM_INTERVAL): the event loop waits for it",
                        c.heap_trim_seconds)


def histogram(name: str, doc: str, h: Histogram) -> HistogramMetricFamily:
    return HistogramMetricFamily(name, doc, buckets=h.cumulative(), sum_value=h.sum)


def registry_for(relay: Relay) -> CollectorRegistry:
    """One registry per app (tests build many apps in one process)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RelayCollector(relay))
    ProcessCollector(registry=registry)  # CPU seconds, resident memory, open files of this process
    return registry


async def metrics(request: Request) -> Response:
    relay: Relay = request.app.state.relay
    refused = await refusal(request, relay)
    if refused is not None:
        _ = translator(pick_language(request.headers.get("accept-language")))
        status, key = refused
        headers = {"WWW-Authenticate": 'Bearer realm="metrics"'} if status == 401 else None
        return PlainTextResponse(_(key) + "\n", status, headers=headers)
    registry = getattr(request.app.state, "metrics_registry", None)
    if registry is None:
        registry = request.app.state.metrics_registry = registry_for(relay)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


async def refusal(request: Request, relay: Relay) -> tuple[int, str] | None:
    """None for the scrape token or an admin's sign-in; else the status and
    the message key: 401 without credentials, 403 for a rep who is not an admin."""
    token = relay.settings.metrics_token
    header = request.headers.get("authorization", "")
    if token and header.lower().startswith("bearer ") and hmac.compare_digest(header[7:].encode(), token.encode()):
        return None
    account = await current_account(request)
    if account is None:
        return 401, "metrics.unauthorized"
    return None if account.is_admin else (403, "metrics.forbidden")


routes = [Route("/metrics", metrics, methods=["GET"])]
