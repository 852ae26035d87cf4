"""The SSM extension: managed nodes and Session Manager sessions, through boto3 against the simulator.

Region eu-west-2 is this module's own: nothing else registers nodes or opens sessions there.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tui.sim.extensions import ssm
from tui.sim.extensions.ssm import ManagedNode, clear_nodes, register_node, set_ping_status

ACCOUNT = "123456789012"
REGION = "eu-west-2"

ClientMaker = Callable[..., Any]


@pytest.fixture(autouse=True)
def _clean_region() -> Iterator[None]:
    clear_nodes(ACCOUNT, REGION)
    yield
    clear_nodes(ACCOUNT, REGION)


@pytest.fixture
def ssm_client(client: ClientMaker) -> Any:
    return client("ssm", region=REGION)


def _ec2_id(n: int) -> str:
    return f"i-{n:017x}"


def _mi_id(n: int) -> str:
    return f"mi-{n:017x}"


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    err = excinfo.value.response
    return err["Error"]["Code"], err["Error"].get("Message", ""), err["ResponseMetadata"]["HTTPStatusCode"]


def _all_nodes(ssm_client: Any, **params: Any) -> list[dict[str, Any]]:
    pages = ssm_client.get_paginator("describe_instance_information").paginate(**params)
    return [node for page in pages for node in page["InstanceInformationList"]]


def _unvalidated_client(sim_url: str) -> Any:
    """A client that sends out-of-range values, so the server's own validation answers."""
    return boto3.client(
        "ssm",
        region_name=REGION,
        endpoint_url=sim_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(parameter_validation=False),
    )


def _ids(nodes: list[dict[str, Any]]) -> list[str]:
    return [node["InstanceId"] for node in nodes]


# --------------------------------------------------------------------------------------------
# What this module patches in moto
# --------------------------------------------------------------------------------------------


def test_moto_objects_the_extension_relies_on_are_still_there(ssm_client: Any) -> None:
    from moto.core.responses import BaseResponse
    from moto.core.utils import camelcase_to_underscores, method_names_from_class
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.instances import InstanceBackend
    from moto.ssm.models import Documents, ssm_backends
    from moto.ssm.responses import SimpleSystemManagerResponse
    from moto.sts.models import STSBackend

    ssm.install()
    for name, function in ssm.ADDED_METHODS.items():
        assert ssm.moto_originals.get(name) is None, (
            f"moto now implements SimpleSystemManagerResponse.{name}: review tui/sim/extensions/ssm.py "
            "before shadowing it"
        )
        assert SimpleSystemManagerResponse.__dict__.get(name) is function
        assert name in method_names_from_class(SimpleSystemManagerResponse), (
            f"moto no longer finds {name} by inspecting the response class: its dispatch changed"
        )
    for operation in ("DescribeInstanceInformation", "StartSession", "DescribeSessions", "TerminateSession"):
        assert camelcase_to_underscores(operation) in ssm.ADDED_METHODS, (
            f"moto maps {operation} to another name"
        )
    assert callable(getattr(BaseResponse, "call_action", None)), "moto's BaseResponse.call_action is gone"
    assert isinstance(SimpleSystemManagerResponse.__dict__.get("ssm_backend"), property), (
        "SimpleSystemManagerResponse.ssm_backend is no longer a property"
    )
    assert list(inspect.signature(STSBackend.get_caller_identity).parameters) == [
        "self",
        "access_key_id",
        "region",
    ], "STSBackend.get_caller_identity changed its signature"
    assert "filters" in inspect.signature(InstanceBackend.all_instances).parameters, (
        "moto's InstanceBackend.all_instances changed its signature"
    )
    assert isinstance(ec2_backends, dict), "moto's ec2_backends is no longer a dict of accounts"
    ssm_client.describe_instance_information()
    backend = ssm_backends[ACCOUNT][REGION]
    assert isinstance(backend._documents, dict), "SimpleSystemManagerBackend._documents is gone"
    assert callable(getattr(Documents, "get_default_version", None)), "Documents.get_default_version is gone"


def test_install_is_idempotent() -> None:
    from moto.ssm.responses import SimpleSystemManagerResponse

    ssm.install()
    ssm.install()
    for name, function in ssm.ADDED_METHODS.items():
        assert getattr(SimpleSystemManagerResponse, name) is function
        assert ssm.moto_originals.get(name) is None


# --------------------------------------------------------------------------------------------
# register_node and friends
# --------------------------------------------------------------------------------------------


def test_register_node_rejects_what_ssm_could_not_report() -> None:
    with pytest.raises(ValueError, match="instance id"):
        register_node(ACCOUNT, REGION, ManagedNode("host-1"))
    with pytest.raises(ValueError, match="ping_status"):
        register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(1), ping_status="Offline"))
    with pytest.raises(ValueError, match="timezone-aware"):
        register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(1), last_ping=datetime(2026, 1, 1)))  # noqa: DTZ001
    with pytest.raises(ValueError, match="resource_type"):
        register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(1), resource_type="Server"))
    with pytest.raises(KeyError):
        set_ping_status(ACCOUNT, REGION, _ec2_id(99), "Online")
    register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(1)))
    with pytest.raises(ValueError, match="ping status"):
        set_ping_status(ACCOUNT, REGION, _ec2_id(1), "Lost")


def test_register_node_copies_the_node(ssm_client: Any) -> None:
    node = ManagedNode(_ec2_id(1))
    register_node(ACCOUNT, REGION, node)
    node.ping_status = "ConnectionLost"
    (listed,) = _all_nodes(ssm_client)
    assert listed["PingStatus"] == "Online"


# --------------------------------------------------------------------------------------------
# DescribeInstanceInformation
# --------------------------------------------------------------------------------------------


def test_nodes_are_answered_with_aws_fields(ssm_client: Any) -> None:
    registered = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    register_node(
        ACCOUNT,
        REGION,
        ManagedNode(
            _ec2_id(1),
            iam_role="warroom-ssm",
            ip_address="10.0.1.15",
            computer_name="ip-10-0-1-15.eu-west-2.compute.internal",
        ),
    )
    register_node(
        ACCOUNT,
        REGION,
        ManagedNode(
            _mi_id(0xABC),
            ping_status="ConnectionLost",
            last_ping=datetime(2026, 3, 2, 8, 30, 0, tzinfo=UTC),
            agent_version="3.2.582.0",
            is_latest_version=False,
            platform_type="Windows",
            platform_name="Microsoft Windows Server 2019 Datacenter",
            platform_version="10.0.17763",
            resource_type="ManagedInstance",
            iam_role="service-role/AmazonEC2RunCommandRoleForManagedInstances",
            name="dc-rack-7",
            ip_address="192.168.7.20",
            computer_name="RACK7-DC",
            activation_id="0c2f1c5e-1b2a-4c3d-9e8f-0123456789ab",
            registration_date=registered,
        ),
    )
    before = datetime.now(UTC)
    ec2_node, hybrid = _all_nodes(ssm_client)

    assert set(ec2_node) - {"ResponseMetadata"} == {
        "InstanceId",
        "PingStatus",
        "LastPingDateTime",
        "AgentVersion",
        "IsLatestVersion",
        "PlatformType",
        "PlatformName",
        "PlatformVersion",
        "ResourceType",
        "IamRole",
        "IPAddress",
        "ComputerName",
        "SourceId",
        "SourceType",
    }
    assert ec2_node["InstanceId"] == _ec2_id(1)
    assert ec2_node["PingStatus"] == "Online"
    assert ec2_node["AgentVersion"] == "3.3.1142.0"
    assert ec2_node["IsLatestVersion"] is True
    assert (ec2_node["PlatformType"], ec2_node["PlatformName"], ec2_node["PlatformVersion"]) == (
        "Linux",
        "Amazon Linux",
        "2023",
    )
    assert ec2_node["ResourceType"] == "EC2Instance"
    assert ec2_node["SourceType"] == "AWS::EC2::Instance"
    assert ec2_node["SourceId"] == _ec2_id(1)
    assert ec2_node["IamRole"] == "warroom-ssm"
    assert ec2_node["IPAddress"] == "10.0.1.15"
    assert ec2_node["LastPingDateTime"].tzinfo is not None
    assert before - timedelta(minutes=1) <= ec2_node["LastPingDateTime"] <= before + timedelta(minutes=1)

    assert hybrid == {
        "InstanceId": _mi_id(0xABC),
        "PingStatus": "ConnectionLost",
        "LastPingDateTime": datetime(2026, 3, 2, 8, 30, 0, tzinfo=hybrid["LastPingDateTime"].tzinfo),
        "AgentVersion": "3.2.582.0",
        "IsLatestVersion": False,
        "PlatformType": "Windows",
        "PlatformName": "Microsoft Windows Server 2019 Datacenter",
        "PlatformVersion": "10.0.17763",
        "ActivationId": "0c2f1c5e-1b2a-4c3d-9e8f-0123456789ab",
        "IamRole": "service-role/AmazonEC2RunCommandRoleForManagedInstances",
        "RegistrationDate": registered.astimezone(hybrid["RegistrationDate"].tzinfo),
        "ResourceType": "ManagedInstance",
        "Name": "dc-rack-7",
        "IPAddress": "192.168.7.20",
        "ComputerName": "RACK7-DC",
        "SourceId": _mi_id(0xABC),
        "SourceType": "AWS::SSM::ManagedInstance",
    }


def test_online_nodes_ping_every_five_minutes(ssm_client: Any) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(1), last_ping=now - timedelta(minutes=12)))
    register_node(
        ACCOUNT,
        REGION,
        ManagedNode(_ec2_id(2), ping_status="ConnectionLost", last_ping=now - timedelta(hours=2)),
    )
    online, lost = _all_nodes(ssm_client)
    assert online["LastPingDateTime"] == now - timedelta(minutes=2)
    assert lost["LastPingDateTime"] == now - timedelta(hours=2)

    set_ping_status(ACCOUNT, REGION, _ec2_id(1), "ConnectionLost")
    later = _all_nodes(ssm_client)[0]
    assert later["PingStatus"] == "ConnectionLost"
    assert later["LastPingDateTime"] == now - timedelta(minutes=2)


def test_paginator_walks_every_node_in_order(ssm_client: Any) -> None:
    ids = [_ec2_id(n) for n in range(1, 24)]
    for instance_id in ids:
        register_node(ACCOUNT, REGION, ManagedNode(instance_id))

    pages = list(
        ssm_client.get_paginator("describe_instance_information").paginate(PaginationConfig={"PageSize": 5})
    )
    assert [len(page["InstanceInformationList"]) for page in pages] == [5, 5, 5, 5, 3]
    assert [n["InstanceId"] for page in pages for n in page["InstanceInformationList"]] == ids
    assert "NextToken" not in pages[-1]

    first = ssm_client.describe_instance_information()
    assert len(first["InstanceInformationList"]) == 10
    second = ssm_client.describe_instance_information(NextToken=first["NextToken"], MaxResults=50)
    assert _ids(second["InstanceInformationList"]) == ids[10:]
    assert "NextToken" not in second


def test_max_results_and_next_token_are_validated(sim_url: str, ssm_client: Any) -> None:
    register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(1)))
    unchecked = _unvalidated_client(sim_url)
    for bad in (4, 51):
        with pytest.raises(ClientError) as excinfo:
            unchecked.describe_instance_information(MaxResults=bad)
        code, message, status = _error(excinfo)
        assert (code, status) == ("ValidationException", 400)
        assert "maxResults" in message
    with pytest.raises(ClientError) as excinfo:
        ssm_client.describe_instance_information(NextToken="not-a-token")
    assert _error(excinfo)[0] == "InvalidNextToken"


def test_filters_select_nodes(ssm_client: Any) -> None:
    register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(1), iam_role="web"))
    register_node(
        ACCOUNT, REGION, ManagedNode(_ec2_id(2), ping_status="ConnectionLost", agent_version="3.1.0.0")
    )
    register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(3), platform_type="Windows", platform_name="Windows"))
    register_node(
        ACCOUNT,
        REGION,
        ManagedNode(
            _mi_id(4), resource_type="ManagedInstance", activation_id="0c2f1c5e-1b2a-4c3d-9e8f-0123456789ab"
        ),
    )
    register_node(
        ACCOUNT, REGION, ManagedNode(_mi_id(5), resource_type="ManagedInstance", ping_status="Inactive")
    )

    def ids(**params: Any) -> list[str]:
        return _ids(_all_nodes(ssm_client, **params))

    assert ids(Filters=[{"Key": "PingStatus", "Values": ["ConnectionLost", "Inactive"]}]) == [
        _ec2_id(2),
        _mi_id(5),
    ]
    assert ids(Filters=[{"Key": "ResourceType", "Values": ["ManagedInstance"]}]) == [_mi_id(4), _mi_id(5)]
    assert ids(Filters=[{"Key": "PlatformTypes", "Values": ["Windows"]}]) == [_ec2_id(3)]
    assert ids(Filters=[{"Key": "InstanceIds", "Values": [_ec2_id(3), _mi_id(4), _ec2_id(77)]}]) == [
        _ec2_id(3),
        _mi_id(4),
    ]
    assert ids(Filters=[{"Key": "AgentVersion", "Values": ["3.1.0.0"]}]) == [_ec2_id(2)]
    assert ids(Filters=[{"Key": "IamRole", "Values": ["web"]}]) == [_ec2_id(1)]
    assert ids(Filters=[{"Key": "ActivationIds", "Values": ["0c2f1c5e-1b2a-4c3d-9e8f-0123456789ab"]}]) == [
        _mi_id(4)
    ]
    assert ids(Filters=[{"Key": "SourceTypes", "Values": ["AWS::SSM::ManagedInstance"]}]) == [
        _mi_id(4),
        _mi_id(5),
    ]
    assert ids(Filters=[{"Key": "AssociationStatus", "Values": ["Success"]}]) == []
    assert ids(
        Filters=[
            {"Key": "ResourceType", "Values": ["EC2Instance"]},
            {"Key": "PingStatus", "Values": ["Online"]},
        ]
    ) == [_ec2_id(1), _ec2_id(3)]
    assert ids(InstanceInformationFilterList=[{"key": "PingStatus", "valueSet": ["Online"]}]) == [
        _ec2_id(1),
        _ec2_id(3),
        _mi_id(4),
    ]
    assert ids(
        InstanceInformationFilterList=[
            {"key": "ResourceType", "valueSet": ["ManagedInstance"]},
            {"key": "InstanceIds", "valueSet": [_mi_id(5)]},
        ]
    ) == [_mi_id(5)]


def test_bad_filters_are_refused(ssm_client: Any) -> None:
    register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(1)))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"Filters": [{"Key": "Colour", "Values": ["red"]}]}, "InvalidFilterKey"),
        ({"InstanceInformationFilterList": [{"key": "SourceIds", "valueSet": ["x"]}]}, "InvalidFilterKey"),
        ({"Filters": [{"Key": "PingStatus", "Values": ["Asleep"]}]}, "InvalidInstanceInformationFilterValue"),
        ({"Filters": [{"Key": "InstanceIds", "Values": ["web-1"]}]}, "InvalidInstanceId"),
        (
            {
                "Filters": [{"Key": "PingStatus", "Values": ["Online"]}],
                "InstanceInformationFilterList": [{"key": "PingStatus", "valueSet": ["Online"]}],
            },
            "ValidationException",
        ),
        (
            {
                "Filters": [
                    {"Key": "tag:Role", "Values": ["web"]},
                    {"Key": "PingStatus", "Values": ["Online"]},
                ]
            },
            "ValidationException",
        ),
    ]
    for params, code in cases:
        with pytest.raises(ClientError) as excinfo:
            ssm_client.describe_instance_information(**params)
        assert _error(excinfo)[0] == code, params
        assert _error(excinfo)[2] == 400


def _launch(client: ClientMaker, count: int, tags: dict[str, str]) -> list[str]:
    ec2 = client("ec2", region=REGION)
    reply = ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=count,
        MaxCount=count,
        InstanceType="t3.micro",
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]},
        ],
    )
    return [instance["InstanceId"] for instance in reply["Instances"]]


def test_tag_filters_read_the_instances_ec2_tags(client: ClientMaker, ssm_client: Any) -> None:
    (web,) = _launch(client, 1, {"Role": "web", "Team": "edge"})
    (db,) = _launch(client, 1, {"Role": "db"})
    for instance_id in (web, db):
        register_node(ACCOUNT, REGION, ManagedNode(instance_id))
    register_node(ACCOUNT, REGION, ManagedNode(_mi_id(9), resource_type="ManagedInstance"))

    assert _ids(_all_nodes(ssm_client, Filters=[{"Key": "tag:Role", "Values": ["web"]}])) == [web]
    assert _ids(_all_nodes(ssm_client, Filters=[{"Key": "tag:Role", "Values": ["web", "db"]}])) == [web, db]
    assert _ids(_all_nodes(ssm_client, Filters=[{"Key": "tag-key", "Values": ["Team"]}])) == [web]


def test_stopped_and_terminated_instances_are_not_listed(client: ClientMaker, ssm_client: Any) -> None:
    ec2 = client("ec2", region=REGION)
    kept, stopped, gone = _launch(client, 3, {"Purpose": "lifecycle"})
    for instance_id in (kept, stopped, gone):
        register_node(ACCOUNT, REGION, ManagedNode(instance_id))
    assert _ids(_all_nodes(ssm_client)) == [kept, stopped, gone]

    ec2.stop_instances(InstanceIds=[stopped])
    ec2.terminate_instances(InstanceIds=[gone])
    assert _ids(_all_nodes(ssm_client)) == [kept]
    for target in (stopped, gone):
        with pytest.raises(ClientError) as excinfo:
            ssm_client.start_session(Target=target)
        assert _error(excinfo)[0] == "TargetNotConnected"
    assert ssm_client.start_session(Target=kept)["SessionId"]


# --------------------------------------------------------------------------------------------
# StartSession
# --------------------------------------------------------------------------------------------


def test_start_session_answers_id_token_and_stream_url(
    ssm_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(1)))
    reply = ssm_client.start_session(Target=_ec2_id(1))

    session_id = reply["SessionId"]
    assert re.fullmatch(r"warroom-[0-9a-f]{17}", session_id)
    assert len(reply["TokenValue"]) >= 64
    assert re.fullmatch(
        rf"wss://ssmmessages\.{REGION}\.amazonaws\.com/v1/data-channel/{session_id}"
        r"\?role=publish_subscribe&cell-number=[A-Za-z0-9_-]+",
        reply["StreamUrl"],
    )
    again = ssm_client.start_session(Target=_ec2_id(1))
    assert again["SessionId"] != session_id
    assert again["TokenValue"] != reply["TokenValue"]
    # botocore logs response bodies on the client side at DEBUG; the server side must never log the token.
    server_side = [r.getMessage() for r in caplog.records if not r.name.startswith(("botocore", "urllib3"))]
    assert any(session_id in message for message in server_side)
    assert not any(reply["TokenValue"] in m or again["TokenValue"] in m for m in server_side)


def test_target_not_connected(ssm_client: Any) -> None:
    register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(1)))
    register_node(ACCOUNT, REGION, ManagedNode(_mi_id(2), resource_type="ManagedInstance"))
    set_ping_status(ACCOUNT, REGION, _mi_id(2), "ConnectionLost")
    for target in (_mi_id(2), _ec2_id(404)):
        with pytest.raises(ClientError) as excinfo:
            ssm_client.start_session(Target=target)
        assert _error(excinfo) == ("TargetNotConnected", f"{target} is not connected.", 400)

    set_ping_status(ACCOUNT, REGION, _mi_id(2), "Online")
    assert ssm_client.start_session(Target=_mi_id(2))["SessionId"]


def test_session_documents_and_their_parameters(ssm_client: Any) -> None:
    register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(1)))
    target = _ec2_id(1)

    accepted: list[dict[str, Any]] = [
        {},
        {"DocumentName": "SSM-SessionManagerRunShell"},
        {"DocumentName": "AWS-StartSSHSession"},
        {"DocumentName": "AWS-StartSSHSession", "Parameters": {"portNumber": ["2222"]}},
        {"DocumentName": "AWS-StartPortForwardingSession", "Parameters": {"portNumber": ["5432"]}},
        {
            "DocumentName": "AWS-StartPortForwardingSession",
            "Parameters": {"portNumber": ["5432"], "localPortNumber": ["0"]},
        },
        {
            "DocumentName": "AWS-StartPortForwardingSessionToRemoteHost",
            "Parameters": {"host": ["db.internal"], "portNumber": ["5432"], "localPortNumber": ["15432"]},
        },
        {"DocumentName": "AWS-StartInteractiveCommand", "Parameters": {"command": ["top"]}},
        {"DocumentName": f"arn:aws:ssm:{REGION}::document/AWS-StartSSHSession"},
    ]
    for params in accepted:
        assert ssm_client.start_session(Target=target, **params)["SessionId"], params

    refused: list[tuple[dict[str, Any], str, str]] = [
        ({"DocumentName": "AWS-NoSuchDocument"}, "InvalidDocument", "does not exist"),
        (
            {
                "DocumentName": "AWS-StartPortForwardingSessionToRemoteHost",
                "Parameters": {"portNumber": ["80"]},
            },
            "ValidationException",
            "'host'",
        ),
        ({"DocumentName": "AWS-StartInteractiveCommand"}, "ValidationException", "'command'"),
        (
            {"DocumentName": "AWS-StartPortForwardingSession", "Parameters": {"portNumber": ["70000"]}},
            "ValidationException",
            "portNumber",
        ),
        (
            {"DocumentName": "AWS-StartSSHSession", "Parameters": {"portNumber": ["22", "23"]}},
            "ValidationException",
            "one string value",
        ),
        (
            {"DocumentName": "AWS-StartSSHSession", "Parameters": {"user": ["root"]}},
            "ValidationException",
            "'user'",
        ),
        ({"Parameters": {"command": ["id"]}}, "ValidationException", "SSM-SessionManagerRunShell"),
    ]
    for params, code, fragment in refused:
        with pytest.raises(ClientError) as excinfo:
            ssm_client.start_session(Target=target, **params)
        got_code, message, status = _error(excinfo)
        assert (got_code, status) == (code, 400), params
        assert fragment in message, (params, message)


def test_custom_documents_must_be_session_documents(ssm_client: Any) -> None:
    register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(1)))
    ssm_client.create_document(
        Name="Warroom-RunScript",
        DocumentType="Command",
        Content=(
            '{"schemaVersion": "2.2", "description": "x", "mainSteps": [{"action": "aws:runShellScript",'
            ' "name": "run", "inputs": {"runCommand": ["id"]}}]}'
        ),
    )
    ssm_client.create_document(
        Name="Warroom-Tunnel",
        DocumentType="Session",
        Content=(
            '{"schemaVersion": "1.0", "description": "tunnel", "sessionType": "Port",'
            ' "parameters": {"portNumber": {"type": "String", "allowedPattern": "^(5432|6379)$"}},'
            ' "properties": {"portNumber": "{{ portNumber }}", "type": "LocalPortForwarding"}}'
        ),
    )
    with pytest.raises(ClientError) as excinfo:
        ssm_client.start_session(Target=_ec2_id(1), DocumentName="Warroom-RunScript")
    assert _error(excinfo)[:2] == (
        "InvalidDocument",
        "Document type: 'Command' is not supported. Only type: 'Session' is supported for Session Manager.",
    )
    with pytest.raises(ClientError) as excinfo:
        ssm_client.start_session(Target=_ec2_id(1), DocumentName="Warroom-Tunnel")
    assert _error(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        ssm_client.start_session(
            Target=_ec2_id(1), DocumentName="Warroom-Tunnel", Parameters={"portNumber": ["22"]}
        )
    assert _error(excinfo)[0] == "ValidationException"
    reply = ssm_client.start_session(
        Target=_ec2_id(1), DocumentName="Warroom-Tunnel", Parameters={"portNumber": ["6379"]}
    )
    (session,) = ssm_client.describe_sessions(
        State="Active", Filters=[{"key": "SessionId", "value": reply["SessionId"]}]
    )["Sessions"]
    assert session["DocumentName"] == "Warroom-Tunnel"


def test_an_assumed_role_owns_its_sessions(client: ClientMaker, sim_url: str) -> None:
    sts = client("sts", region=REGION)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/oncall", RoleSessionName="alice@example.com"
    )["Credentials"]
    as_alice = boto3.client(
        "ssm",
        region_name=REGION,
        endpoint_url=sim_url,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(1)))
    reply = as_alice.start_session(Target=_ec2_id(1), Reason="INC-123 disk full")
    assert re.fullmatch(r"alice@example\.com-[0-9a-f]{17}", reply["SessionId"])
    (session,) = as_alice.describe_sessions(State="Active")["Sessions"]
    assert session["Owner"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/oncall/alice@example.com"
    assert session["Reason"] == "INC-123 disk full"


# --------------------------------------------------------------------------------------------
# DescribeSessions / TerminateSession
# --------------------------------------------------------------------------------------------


def test_session_lifecycle_active_to_history(ssm_client: Any) -> None:
    register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(1)))
    register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(2)))
    first = ssm_client.start_session(Target=_ec2_id(1), Reason="look at the disk")["SessionId"]
    second = ssm_client.start_session(
        Target=_ec2_id(2), DocumentName="AWS-StartPortForwardingSession", Parameters={"portNumber": ["8080"]}
    )["SessionId"]

    active = ssm_client.describe_sessions(State="Active")["Sessions"]
    assert [s["SessionId"] for s in active] == [second, first]
    by_id = {s["SessionId"]: s for s in active}
    assert set(by_id[first]) == {
        "SessionId",
        "Target",
        "Status",
        "StartDate",
        "DocumentName",
        "Owner",
        "Reason",
    }
    assert by_id[first]["Status"] == "Connected"
    assert by_id[first]["Target"] == _ec2_id(1)
    assert by_id[first]["DocumentName"] == "SSM-SessionManagerRunShell"
    assert by_id[first]["Owner"] == f"arn:aws:iam::{ACCOUNT}:user/moto"
    assert by_id[first]["Reason"] == "look at the disk"
    assert by_id[second]["DocumentName"] == "AWS-StartPortForwardingSession"
    assert "EndDate" not in by_id[second]
    assert ssm_client.describe_sessions(State="History")["Sessions"] == []

    assert ssm_client.terminate_session(SessionId=first)["SessionId"] == first
    assert [s["SessionId"] for s in ssm_client.describe_sessions(State="Active")["Sessions"]] == [second]
    (ended,) = ssm_client.describe_sessions(State="History")["Sessions"]
    assert ended["SessionId"] == first
    assert ended["Status"] == "Terminated"
    assert ended["EndDate"] >= ended["StartDate"]

    assert ssm_client.terminate_session(SessionId=first)["SessionId"] == first
    assert ssm_client.terminate_session(SessionId="warroom-00000000000000000")["SessionId"] == (
        "warroom-00000000000000000"
    )
    assert len(ssm_client.describe_sessions(State="History")["Sessions"]) == 1


def test_describe_sessions_filters_and_pages(ssm_client: Any) -> None:
    register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(1)))
    register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(2)))
    started = [ssm_client.start_session(Target=_ec2_id(1 + n % 2))["SessionId"] for n in range(7)]

    def active(**params: Any) -> list[str]:
        pages = ssm_client.get_paginator("describe_sessions").paginate(State="Active", **params)
        return [s["SessionId"] for page in pages for s in page["Sessions"]]

    pages = list(
        ssm_client.get_paginator("describe_sessions").paginate(
            State="Active", PaginationConfig={"PageSize": 3}
        )
    )
    assert [len(page["Sessions"]) for page in pages] == [3, 3, 1]
    assert sorted(s["SessionId"] for page in pages for s in page["Sessions"]) == sorted(started)

    assert sorted(active(Filters=[{"key": "Target", "value": _ec2_id(2)}])) == sorted(started[1::2])
    assert active(Filters=[{"key": "SessionId", "value": started[3]}]) == [started[3]]
    assert len(active(Filters=[{"key": "Status", "value": "Connected"}])) == 7
    assert active(Filters=[{"key": "Status", "value": "Disconnected"}]) == []
    assert len(active(Filters=[{"key": "Owner", "value": f"arn:aws:iam::{ACCOUNT}:user/moto"}])) == 7
    assert active(Filters=[{"key": "Owner", "value": f"arn:aws:iam::{ACCOUNT}:user/bob"}]) == []
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert active(Filters=[{"key": "InvokedAfter", "value": tomorrow}]) == []
    assert len(active(Filters=[{"key": "InvokedAfter", "value": yesterday}])) == 7
    assert len(active(Filters=[{"key": "InvokedBefore", "value": tomorrow}])) == 7
    assert active(
        Filters=[{"key": "InvokedBefore", "value": tomorrow}, {"key": "Target", "value": _ec2_id(1)}]
    ) == active(Filters=[{"key": "Target", "value": _ec2_id(1)}])


def test_describe_sessions_refuses_bad_requests(sim_url: str) -> None:
    unchecked = _unvalidated_client(sim_url)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"State": "Sleeping"}, "ValidationException"),
        ({"State": "Active", "Filters": [{"key": "Colour", "value": "red"}]}, "InvalidFilterKey"),
        (
            {"State": "Active", "Filters": [{"key": "InvokedAfter", "value": "last tuesday"}]},
            "ValidationException",
        ),
        ({"State": "Active", "MaxResults": 201}, "ValidationException"),
        ({"State": "Active", "MaxResults": 0}, "ValidationException"),
        ({"State": "Active", "NextToken": "bogus"}, "InvalidNextToken"),
    ]
    for params, code in cases:
        with pytest.raises(ClientError) as excinfo:
            unchecked.describe_sessions(**params)
        assert _error(excinfo)[0] == code, params


def test_losing_the_agent_disconnects_its_sessions(ssm_client: Any) -> None:
    register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(1)))
    session_id = ssm_client.start_session(Target=_ec2_id(1))["SessionId"]
    set_ping_status(ACCOUNT, REGION, _ec2_id(1), "ConnectionLost")
    (session,) = ssm_client.describe_sessions(State="Active")["Sessions"]
    assert (session["SessionId"], session["Status"]) == (session_id, "Disconnected")
    ssm_client.terminate_session(SessionId=session_id)
    assert ssm_client.describe_sessions(State="Active")["Sessions"] == []
    (ended,) = ssm_client.describe_sessions(State="History")["Sessions"]
    assert ended["Status"] == "Terminated"


def test_clear_nodes_forgets_nodes_and_sessions(ssm_client: Any) -> None:
    register_node(ACCOUNT, REGION, ManagedNode(_ec2_id(1)))
    ssm_client.start_session(Target=_ec2_id(1))
    clear_nodes(ACCOUNT, REGION)
    assert _all_nodes(ssm_client) == []
    assert ssm_client.describe_sessions(State="Active")["Sessions"] == []
