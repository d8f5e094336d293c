"""Optional registry auth probe: does each pull credential still authenticate?

Off unless ``--registry-probe``. Every interval the prober plans one probe per distinct
(credential, registry key) from the cluster state, fetches that secret from the API,
runs the Docker Registry v2 handshake with its login (and, for a GitHub token ghcr.io
accepted, asks GitHub's API when it expires), drops the login, and publishes the outcome
for every secret holding the credential (:class:`ProbeResults`), which the collector
renders (``exporter/metrics/probe.py``).
"""

from exporter.probe.outcomes import Outcome
from exporter.probe.results import ProbeResult, ProbeResults
from exporter.probe.scheduler import run_prober
from exporter.probe.settings import ProbeSettings, build_ssl_context

__all__ = [
    "Outcome",
    "ProbeResult",
    "ProbeResults",
    "ProbeSettings",
    "build_ssl_context",
    "run_prober",
]
