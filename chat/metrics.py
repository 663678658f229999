"""Prometheus metrics of the rooms and the Discord relay (for the ops dashboard and alerts).

Counters and the latency histogram count in the process that does the work (web or
worker); the deliveries-by-status gauge is read from the database when /metrics is
scraped, so any web process reports the whole platform's backlog and dead letters."""

from collections.abc import Iterator

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

MESSAGES = Counter("inkwell_chat_messages_total", "Messages stored in class rooms", ["kind"])
DELIVERIES = Counter(
    "inkwell_discord_delivery_events_total",
    "Discord deliveries queued, delivered, retried, rate limited or dead-lettered",
    ["status"],
)
DEAD_LETTERS = Counter("inkwell_discord_dead_letters_total", "Deliveries that gave up")
DELIVERY_SECONDS = Histogram(
    "inkwell_discord_delivery_seconds",
    "From a delivery queued to Discord accepting it",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900),
)


class DeliveryBacklog(Collector):
    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "inkwell_discord_deliveries", "Deliveries by status", labels=["status"]
        )

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from chat.selectors import delivery_counts

        family = GaugeMetricFamily(
            "inkwell_discord_deliveries", "Deliveries by status", labels=["status"]
        )
        try:
            counts = delivery_counts()
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database did
            return
        for status, n in counts.items():
            family.add_metric([status], n)
        yield family


_registered = False


def register_backlog() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(DeliveryBacklog())
        _registered = True
