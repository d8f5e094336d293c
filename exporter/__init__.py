"""imagepull-exporter: image pull credentials and failures as Prometheus metrics."""

__version__ = "0.1.0"
