"""The topic scheme (pure): ``sandan/v1/<company_id>/<source>/readings`` with a JSON batch.

``<company_id>`` is the company's numeric id; ``<source>`` names the sender (a gateway's name)
and becomes the readings' ``source_ref``.  Subscribers share the load through MQTT 5 shared
subscriptions (``$share/<group>/…``).  Sparkplug B lives in its own namespace (``spBv1.0/#``).
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "sandan/v1"
READINGS_FILTER = f"{PREFIX}/+/+/readings"
SPARKPLUG_FILTER = "spBv1.0/#"


class BadTopic(ValueError):
    pass


@dataclass(frozen=True)
class ReadingsTopic:
    company_id: int
    source: str


def readings_topic(company_id: int, source: str) -> str:
    return f"{PREFIX}/{company_id}/{source}/readings"


def parse_readings_topic(topic: str) -> ReadingsTopic:
    parts = topic.split("/")
    if len(parts) != 5 or f"{parts[0]}/{parts[1]}" != PREFIX or parts[4] != "readings":
        raise BadTopic(f"'{topic[:120]}' is not {PREFIX}/<company_id>/<source>/readings")
    if not parts[2].isdigit() or len(parts[2]) > 9 or int(parts[2]) == 0:
        raise BadTopic(f"'{parts[2][:40]}' in {topic[:120]} is not a company id")
    if not parts[3]:
        raise BadTopic(f"{topic[:120]} names no source")
    return ReadingsTopic(int(parts[2]), parts[3])


def shared(filter_: str, group: str | None) -> str:
    """``$share/<group>/<filter>``, or the filter itself without a group."""
    return f"$share/{group}/{filter_}" if group else filter_


__all__ = ["PREFIX", "READINGS_FILTER", "SPARKPLUG_FILTER", "BadTopic", "ReadingsTopic", "parse_readings_topic",
           "readings_topic", "shared"]
