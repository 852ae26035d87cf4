"""The overview poller: who we are and what runs where, one card per service.

Each card is fetched on its own, so a missing permission or a disabled service shows up on that
card with what to do, while the others stay live. The Security Hub card is not polled here: the pane
draws it from the Findings feed (one GetFindings stream for the whole console, on its 3-calls-a-second
quota), so its numbers are the Findings pane's.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tui.aws.clients import ClientFactory
from tui.aws.errors import AwsProblem, classify
from tui.aws.identity import Identity, caller_identity
from tui.aws.inventory import Inventory, InventoryCache, aggregated_inventory
from tui.aws.outcome import Outcome, gather_outcome, utcnow
from tui.aws.overview_math import count_states, standard_vcpus
from tui.aws.scope import Place, each_place

VCPU_QUOTA_CODE = "L-1216C47A"


@dataclass(frozen=True)
class Ec2Card:
    states: dict[str, int]
    standard_vcpus: int | None
    vcpu_quota: Outcome[float]


@dataclass(frozen=True)
class EbsCard:
    volumes: int
    by_type: dict[str, int]
    unattached: int
    total_gib: int


@dataclass(frozen=True)
class KinesisCard:
    streams: int
    open_shards: int
    consumers: int


@dataclass(frozen=True)
class SessionsCard:
    by_ping: dict[str, int]
    hybrid: int


@dataclass(frozen=True)
class RegionOverview:
    region: str
    ec2: Outcome[Ec2Card]
    ebs: Outcome[EbsCard]
    kinesis: Outcome[KinesisCard]
    sessions: Outcome[SessionsCard]
    account_id: str = ""
    """The account ("" for the credential's own, before its id is known)."""
    account_name: str = ""

    @property
    def key(self) -> str:
        """Unique among a poll's regions: the region, with the account when one is named."""
        return f"{self.account_id}-{self.region}" if self.account_id else self.region

    @property
    def label(self) -> str:
        """``payments-prod · us-east-1``, or the region alone for the credential's own account."""
        name = self.account_name or self.account_id
        return f"{name} · {self.region}" if name else self.region


@dataclass(frozen=True)
class OverviewSnapshot:
    fetched_at: datetime
    identity: Identity | None
    regions: tuple[RegionOverview, ...]
    error: AwsProblem | None = None


async def _paginate(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    items: list[Any] = []
    async for page in client.get_paginator(operation).paginate(**params):
        items.extend(page.get(key, []))
    return items


async def _ec2_card(factory: ClientFactory, place: Place, given: Inventory | None = None) -> Ec2Card:
    """``given``: the place's instances as an aggregator counted them (not described again)."""
    ec2 = await place.client(factory, "ec2")
    if given is not None:
        instances = given.instances
    else:
        reservations = await _paginate(ec2, "describe_instances", "Reservations")
        instances = [i for r in reservations for i in r.get("Instances", [])]
    types = sorted({i["InstanceType"] for i in instances if i.get("State", {}).get("Name") == "running"})
    vcpus: dict[str, int] = {}
    if types:
        for info in await _paginate(ec2, "describe_instance_types", "InstanceTypes", InstanceTypes=types):
            vcpus[info["InstanceType"]] = int(info["VCpuInfo"]["DefaultVCpus"])
    quota = await gather_outcome(_vcpu_quota(factory, place), profile=factory.target.profile)
    return Ec2Card(count_states(instances), standard_vcpus(instances, vcpus), quota)


async def _vcpu_quota(factory: ClientFactory, place: Place) -> float:
    quotas = await place.client(factory, "service-quotas")
    reply = await quotas.get_service_quota(ServiceCode="ec2", QuotaCode=VCPU_QUOTA_CODE)
    return float(reply["Quota"]["Value"])


async def _ebs_card(factory: ClientFactory, place: Place, given: Inventory | None = None) -> EbsCard:
    """``given``: the place's volumes as an aggregator counted them (not described again)."""
    if given is not None:
        volumes = given.volumes
    else:
        ec2 = await place.client(factory, "ec2")
        volumes = await _paginate(ec2, "describe_volumes", "Volumes")
    by_type: dict[str, int] = {}
    for vol in volumes:
        by_type[vol["VolumeType"]] = by_type.get(vol["VolumeType"], 0) + 1
    return EbsCard(
        volumes=len(volumes),
        by_type=dict(sorted(by_type.items())),
        unattached=sum(1 for v in volumes if v.get("State") == "available"),
        total_gib=sum(int(v.get("Size", 0)) for v in volumes),
    )


async def _kinesis_card(factory: ClientFactory, place: Place) -> KinesisCard:
    kinesis = await place.client(factory, "kinesis")
    names = await _paginate(kinesis, "list_streams", "StreamNames")
    summaries = await asyncio.gather(*(kinesis.describe_stream_summary(StreamName=n) for n in names))
    shards = sum(int(s["StreamDescriptionSummary"].get("OpenShardCount", 0)) for s in summaries)
    consumer_lists = await asyncio.gather(
        *(
            _paginate(
                kinesis,
                "list_stream_consumers",
                "Consumers",
                StreamARN=s["StreamDescriptionSummary"]["StreamARN"],
            )
            for s in summaries
        )
    )
    consumers = sum(len(c) for c in consumer_lists)
    return KinesisCard(streams=len(names), open_shards=shards, consumers=consumers)


async def _sessions_card(factory: ClientFactory, place: Place) -> SessionsCard:
    ssm = await place.client(factory, "ssm")
    nodes = await _paginate(ssm, "describe_instance_information", "InstanceInformationList")
    by_ping: dict[str, int] = {}
    for node in nodes:
        by_ping[node.get("PingStatus", "Unknown")] = by_ping.get(node.get("PingStatus", "Unknown"), 0) + 1
    hybrid = sum(1 for n in nodes if str(n.get("InstanceId", "")).startswith("mi-"))
    return SessionsCard(by_ping=dict(sorted(by_ping.items())), hybrid=hybrid)


async def _region(factory: ClientFactory, place: Place, given: Inventory | None = None) -> RegionOverview:
    profile = factory.target.profile
    ec2, ebs, kinesis, sessions = await asyncio.gather(
        gather_outcome(_ec2_card(factory, place, given), profile=profile),
        gather_outcome(_ebs_card(factory, place, given), profile=profile),
        gather_outcome(_kinesis_card(factory, place), profile=profile),
        gather_outcome(_sessions_card(factory, place), profile=profile),
    )
    return RegionOverview(place.region, ec2, ebs, kinesis, sessions, place.account_id, place.account_name)


async def poll(factory: ClientFactory, cache: InventoryCache | None = None) -> OverviewSnapshot:
    """One poll of the overview: identity, then every region's cards concurrently.

    Watching an organization, the instances and volumes are counted from the credential's AWS Config
    aggregator when it has one (``aggregated_inventory``: two small queries for every account and
    region, which ``cache`` spares parsing again) instead of described in every place: at 2,000
    instances and 3,650 volumes over 10 places, the describe calls' answers cost about 2.5 s of CPU
    to parse, every poll. Without one, or when it fails, each place is described as before."""
    try:
        identity = await caller_identity(factory)
    except Exception as exc:  # shown on the pane; the next poll retries
        return OverviewSnapshot(utcnow(), None, (), classify(exc, profile=factory.target.profile))
    places = factory.places
    given: dict[tuple[str, str], Inventory] = {}
    if any(not p.home for p in places):
        found = await aggregated_inventory(factory, places, cache or InventoryCache(), counted=True)
        given = found.inventory or {}
    regions = await each_place(
        places, lambda place: _region(factory, place, given.get((place.account_id, place.region)))
    )
    return OverviewSnapshot(utcnow(), identity, tuple(regions))


class OverviewPoller:
    """The overview's poller: each ``poll()`` is one cycle; it keeps only what the aggregator's
    answers were parsed into, so that an unchanged count is not parsed again."""

    def __init__(self, factory: ClientFactory, *_: object) -> None:
        self.factory = factory
        self._inventory = InventoryCache()

    async def poll(self) -> OverviewSnapshot:
        return await poll(self.factory, self._inventory)
