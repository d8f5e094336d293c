"""A Kubernetes API server simulator speaking the real REST wire protocol.

The official ``kubernetes`` client and ``kubectl`` work against it unchanged. It serves
namespaces, pods, core/v1 events, secrets and service accounts with list (pagination,
selectors), watch (bookmarks, 410 Gone), create, replace, patch, delete and the status
subresource; faults can be injected (:mod:`exporter.simulator.faults`), one at a time or
at random (:mod:`exporter.simulator.chaos`). See
``docs/simulator.md``.

>>> sim = Simulator(token="t")   # then: url = await sim.start(); sim.load_scenario("demo")
"""

from exporter.simulator.errors import ApiError
from exporter.simulator.faults import (
    DisconnectMidLine,
    ErrorEvent,
    ExpireContinue,
    Fault,
    Gone,
    Stall,
    StatusFault,
    TooManyRequests,
    TruncatedLine,
    fault_from_json,
)
from exporter.simulator.scenarios import ScenarioError, list_scenarios
from exporter.simulator.server import Simulator

__all__ = [
    "ApiError",
    "DisconnectMidLine",
    "ErrorEvent",
    "ExpireContinue",
    "Fault",
    "Gone",
    "ScenarioError",
    "Simulator",
    "Stall",
    "StatusFault",
    "TooManyRequests",
    "TruncatedLine",
    "fault_from_json",
    "list_scenarios",
]
