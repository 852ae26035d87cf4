"""Extensions registered into moto to fill the gaps the console relies on.

Each module exposes ``install()``; it must be idempotent and must run before the server
builds its per-service WSGI apps (that is, before the first request).

The modules import moto inside their functions, and this package imports them inside
``install`` and ``reset``: every warroom command imports the server, which imports this package,
and moto costs about 0.2 s of start-up (and reads AWS_DEFAULT_REGION when imported, which the
server sets first), the modules themselves about 35 ms.
"""

from __future__ import annotations

import threading

from tui.sim import control

_lock = threading.Lock()
_installed = False


def install() -> None:
    """Register every extension into moto (once per process)."""
    global _installed
    with _lock:
        if _installed:
            return
        # For start-up time: see the note at the top.
        from tui.sim.extensions import (
            alarms,
            cloudwatch,
            config_aggregator,
            ec2,
            fis,
            kinesis,
            kms,
            oam,
            offerings,
            securityhub,
            securityhub_aggregation,
            servicequotas,
            ssm,
            sts,
        )

        # offerings first: it works only if it imports moto.ec2 itself.
        for module in (
            offerings,
            securityhub,
            securityhub_aggregation,
            ssm,
            servicequotas,
            cloudwatch,
            alarms,
            fis,
            kinesis,
            ec2,
            kms,
            oam,
            config_aggregator,
            sts,
        ):
            module.install()
        _installed = True


def reset() -> None:
    """Forget everything the simulators of this process held: moto's backends (and what the
    extensions keep on them) and the extensions' own stores (managed nodes and sessions, reshard
    history, applied quota values, FIS handlers, kept AWS Config items, the organization's member
    list, Security Hub's organization settings).

    moto keeps its state per process, so a process that runs several seeded simulators one after
    the other (the tests) resets between them; refused while a simulator still answers here.
    """
    from moto.moto_api._internal.models import moto_api_backend

    from tui.sim.extensions import (
        config_aggregator,
        fis,
        kinesis,
        securityhub_aggregation,
        servicequotas,
        ssm,
        sts,
    )

    running = control.registered_ports()
    if running:
        ports = ", ".join(str(port) for port in running)
        raise RuntimeError(f"a simulator still answers on port {ports}: stop it before resetting")
    with _lock:
        moto_api_backend.reset()
        for module in (ssm, kinesis, servicequotas, fis, config_aggregator, securityhub_aggregation, sts):
            module.reset()
