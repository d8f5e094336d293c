"""One-shot audit of a cluster's image pull credentials (``imagepull-exporter check``).

:func:`build_report` turns a :class:`~exporter.metrics.view.ClusterView` into a
:class:`Report`; :func:`render_text` and :func:`render_json` print it. Reports hold only
what the records hold: names, registries, kinds and times, never secret material.
"""

from exporter.audit.render import render_json, render_text
from exporter.audit.report import Report, build_report, workload_of

__all__ = ["Report", "build_report", "render_json", "render_text", "workload_of"]
