"""Prometheus metrics the classroom reads from the database when /metrics is scraped, so any
web process reports the whole platform's figure (alerts take the max over processes)."""

from collections.abc import Iterator

from django.db.models import Min
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

OLDEST_PENDING = "inkwell_attempts_unrecognized_oldest_seconds"
OLDEST_PENDING_HELP = "Age of the oldest submitted attempt without a recognition (dead letters)"


class PendingAttempts(Collector):
    """One indexed query a scrape (the partial index `attempt_pending`)."""

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(OLDEST_PENDING, OLDEST_PENDING_HELP)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from classroom.models import Attempt

        try:
            oldest = Attempt.objects.filter(status=Attempt.Status.PENDING).aggregate(
                oldest=Min("created_at")
            )["oldest"]
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database did
            yield GaugeMetricFamily(OLDEST_PENDING, OLDEST_PENDING_HELP)  # no value: unknown
            return
        age = 0.0 if oldest is None else (timezone.now() - oldest).total_seconds()
        yield GaugeMetricFamily(OLDEST_PENDING, OLDEST_PENDING_HELP, value=max(age, 0.0))


_registered: list[Collector] = []


def register() -> None:
    """Add the collector to the default registry once per process."""
    if not _registered:
        _registered.append(PendingAttempts())
        REGISTRY.register(_registered[0])
