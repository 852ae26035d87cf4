"""Fault Injection Service experiments that start and stop the simulator's faults.

``install()`` patches moto's FIS in place:

* StartExperiment on a template tagged ``warroom:fault`` asks the fault handler registered for the
  account and region (``register``; the simulator's ``tui.sim.faults.FaultEngine``) to start that
  fault; the handler creates the experiment (``start_managed_experiment``) and the answer is
  moto's, for that experiment. Templates without the tag, or with no handler, behave as moto does.
* StopExperiment on an experiment of a fault that is still active clears the fault.
* GetExperiment and ListExperiments first let the handler catch up (faults whose duration is over,
  faults people fixed), so what they report is current.
* moto moves an experiment through pending, initiating, running and completed by itself as it is
  read (``ManagedState``); an experiment marked managed (``start_managed_experiment``) keeps the
  state its handler sets (``set_experiment_state``), with the start and end times it gives.

The backend helpers below work on moto's backend objects in this process, so a handler can call
them while it answers an HTTP request of its own.
"""

# moto is imported inside the functions, for start-up time: see tui/sim/extensions/__init__.py.
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from tui.common.catalogue import FAULT_TAG
from tui.sim.extensions._common import service_error

logger = logging.getLogger(__name__)

MANAGED_ATTR = "warroom_managed"
"""Set on an experiment whose state its handler sets (moto leaves it alone)."""
TERMINAL_STATES = ("completed", "stopped", "failed", "cancelled")


class FaultHandler(Protocol):
    """What the FIS extension asks of the simulator's fault engine."""

    def start_from_template(self, template_id: str, tags: Mapping[str, str], client_token: str | None) -> str:
        """Start the template's fault; return the id of the experiment that stands for it.

        Raises ValueError (with a ``code`` attribute naming the FIS error, when it is not
        ValidationException) when the fault cannot start."""
        ...

    def stop_experiment(self, experiment_id: str) -> bool:
        """Clear the fault of an experiment; False when no active fault has that experiment."""
        ...

    def refresh(self) -> object:
        """End faults whose time is over and notice the ones people fixed."""
        ...


REFRESH_EVERY_S = 1.0
"""FIS reads let the handler catch up at most this often (a poll reads many experiments)."""

_lock = threading.Lock()
_handlers: dict[tuple[str, str], list[FaultHandler]] = {}
_refreshed: dict[int, float] = {}


def register(account_id: str, region: str, handler: FaultHandler) -> None:
    """Route warroom experiments of an account and region to ``handler``; it answers until it is
    unregistered, and the handler registered before it answers again then."""
    with _lock:
        stack = _handlers.setdefault((account_id, region), [])
        if handler in stack:
            stack.remove(handler)
        stack.append(handler)


def unregister(account_id: str, region: str, handler: FaultHandler) -> None:
    """Stop routing to ``handler``."""
    with _lock:
        stack = _handlers.get((account_id, region), [])
        if handler in stack:
            stack.remove(handler)
        _refreshed.pop(id(handler), None)


def reset() -> None:
    """Forget every handler, in every account and region."""
    with _lock:
        _handlers.clear()
        _refreshed.clear()


def handler_for(account_id: str, region: str) -> FaultHandler | None:
    with _lock:
        stack = _handlers.get((account_id, region))
        return stack[-1] if stack else None


# --------------------------------------------------------------------------------------------
# The backend, in this process
# --------------------------------------------------------------------------------------------


def backend(account_id: str, region: str) -> Any:
    """moto's FIS backend of an account and region."""
    from moto.fis.models import fis_backends

    return fis_backends[account_id][region]


def template_tags(fis: Any, template_id: str) -> dict[str, str]:
    """The tags of a template ({} when there is no such template)."""
    template = fis.experiment_templates.get(template_id)
    if template is None:
        return {}
    return dict(fis.tagger.get_tag_dict_for_resource(template.arn))


def create_template(
    fis: Any,
    *,
    client_token: str,
    description: str,
    targets: Mapping[str, Any],
    actions: Mapping[str, Any],
    role_arn: str,
    tags: Mapping[str, str],
) -> str:
    """Create an experiment template (or find the one created with ``client_token``); its id."""
    created = fis.create_experiment_template(
        client_token=client_token,
        description=description,
        stop_conditions=[{"source": "none"}],
        targets=dict(targets),
        actions=dict(actions),
        role_arn=role_arn,
        tags=dict(tags),
    )
    return str(created["id"])


def start_managed_experiment(
    fis: Any,
    template_id: str,
    *,
    tags: Mapping[str, str],
    start_time: float,
    targets: Mapping[str, Any] | None = None,
    client_token: str | None = None,
) -> str:
    """Start an experiment of ``template_id`` that stays ``running`` until ``set_experiment_state``
    ends it; it started at ``start_time`` (epoch seconds) and names ``targets`` when given."""
    created = fis.start_experiment(
        client_token=client_token,
        experiment_template_id=template_id,
        experiment_options=None,
        tags=dict(tags),
    )
    experiment = fis.experiments[created["id"]]
    setattr(experiment, MANAGED_ATTR, True)
    experiment.creation_time = start_time
    experiment.start_time = start_time
    if targets is not None:
        experiment.targets = json.loads(json.dumps(targets))
    experiment.status = "running"
    for action in experiment.actions.values():
        action["startTime"] = start_time
    return str(experiment.id)


def set_experiment_state(fis: Any, experiment_id: str, status: str, end_time: float | None = None) -> None:
    """Move a managed experiment to ``status``; a terminal status ends it at ``end_time``."""
    experiment = fis.experiments.get(experiment_id)
    if experiment is None:
        return
    setattr(experiment, MANAGED_ATTR, True)
    if status in TERMINAL_STATES:
        experiment.end_time = end_time
    experiment.status = status


def experiment_json(fis: Any, experiment_id: str) -> dict[str, Any]:
    """GetExperiment's ``experiment`` for one experiment."""
    experiment = fis.experiments[experiment_id]
    result: dict[str, Any] = experiment.to_dict(tags=fis.tagger.get_tag_dict_for_resource(experiment.arn))
    return result


# --------------------------------------------------------------------------------------------
# moto glue
# --------------------------------------------------------------------------------------------


def _managed_status(original: Any) -> property:
    def get(self: Any) -> str | None:
        if self.__dict__.get(MANAGED_ATTR):
            status: str | None = self._status
            return status
        value: str | None = original.fget(self)
        return value

    get.__dict__["warroom_original"] = original
    return property(get, original.fset)


def _refresh(account_id: str, region: str) -> None:
    handler = handler_for(account_id, region)
    if handler is None:
        return
    now = time.monotonic()
    with _lock:
        if now - _refreshed.get(id(handler), -REFRESH_EVERY_S) < REFRESH_EVERY_S:
            return
        _refreshed[id(handler)] = now
    try:
        handler.refresh()
    except Exception:
        logger.debug("refreshing the faults before a FIS read failed", exc_info=True)


def _wrap_start(original: Callable[[Any], str]) -> Callable[[Any], str]:
    def start_experiment(self: Any) -> str:
        handler = handler_for(self.current_account, self.region)
        template_id = str(self._get_param("experimentTemplateId") or "")
        fis = self.fis_backend
        if handler is None or not template_tags(fis, template_id).get(FAULT_TAG):
            return original(self)
        token = self._get_param("clientToken")
        known = fis._client_token_to_experiment_id.get(token) if token else None
        if known is not None and known in fis.experiments:
            return json.dumps({"experiment": experiment_json(fis, known)})
        raw_tags = self._get_param("tags") or {}
        tags = {str(k): str(v) for k, v in raw_tags.items()} if isinstance(raw_tags, Mapping) else {}
        try:
            experiment_id = handler.start_from_template(template_id, tags, token)
        except ValueError as exc:
            raise service_error(str(getattr(exc, "code", "ValidationException")), str(exc)) from exc
        return json.dumps({"experiment": experiment_json(fis, experiment_id)})

    start_experiment.__dict__["warroom_original"] = original
    return start_experiment


def _wrap_stop(original: Callable[[Any], str]) -> Callable[[Any], str]:
    def stop_experiment(self: Any) -> str:
        handler = handler_for(self.current_account, self.region)
        experiment_id = str(self._get_param("id") or "")
        if handler is not None and handler.stop_experiment(experiment_id):
            return json.dumps({"experiment": experiment_json(self.fis_backend, experiment_id)})
        return original(self)

    stop_experiment.__dict__["warroom_original"] = original
    return stop_experiment


def _wrap_read(original: Callable[[Any], str]) -> Callable[[Any], str]:
    def read(self: Any) -> str:
        _refresh(self.current_account, self.region)
        return original(self)

    read.__dict__["warroom_original"] = original
    read.__name__ = original.__name__
    return read


RESPONSE_WRAPPERS: dict[str, Callable[[Callable[[Any], str]], Callable[[Any], str]]] = {
    "start_experiment": _wrap_start,
    "stop_experiment": _wrap_stop,
    "get_experiment": _wrap_read,
    "list_experiments": _wrap_read,
}

_install_lock = threading.Lock()


def install() -> None:
    """Patch moto's FIS response class and experiment state (idempotent)."""
    from moto.fis.models import Experiment
    from moto.fis.responses import FISResponse
    from moto.moto_api._internal.managed_state_model import ManagedState

    with _install_lock:
        for name, wrap in RESPONSE_WRAPPERS.items():
            current = FISResponse.__dict__.get(name)
            if current is None:
                raise RuntimeError(f"moto's FISResponse has no {name}(): the FIS extension needs updating")
            if "warroom_original" in getattr(current, "__dict__", {}):
                continue
            setattr(FISResponse, name, wrap(current))
        status = Experiment.__dict__.get("status")
        if status is None or "warroom_original" not in getattr(status.fget, "__dict__", {}):
            inherited = ManagedState.__dict__.get("status")
            if not isinstance(inherited, property) or inherited.fset is None:
                raise RuntimeError("moto's ManagedState.status is no longer a settable property")
            setattr(Experiment, "status", _managed_status(inherited))  # noqa: B010
    logger.debug("FIS extension installed")
