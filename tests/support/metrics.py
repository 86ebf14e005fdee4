"""Reading GET /metrics as Prometheus would: `await scrape(url)` -> Samples; `samples.value(name, **labels)`."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from prometheus_client.parser import text_string_to_metric_families


@dataclass(frozen=True)
class Samples:
    values: dict[tuple[str, frozenset[tuple[str, str]]], float]
    content_type: str

    def value(self, name: str, **labels: str) -> float:
        """The sample `name` with exactly `labels` (KeyError when there is none: a missing metric fails)."""
        return self.values[(name, frozenset(labels.items()))]

    def total(self, name: str, **labels: str) -> float:
        """The sum of the samples `name` whose labels include `labels`."""
        wanted = set(labels.items())
        return sum(v for (n, have), v in self.values.items() if n == name and wanted <= have)


async def scrape(base_url: str) -> Samples:
    async with aiohttp.ClientSession() as session, session.get(f"{base_url}/metrics") as response:
        assert response.status == 200, await response.text()
        text = await response.text()
        content_type = response.headers["Content-Type"]
    values = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return Samples(values, content_type)
