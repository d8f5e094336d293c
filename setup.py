"""Package the alerting rules with the exporter, so a wheel carries what ``demo`` loads.

The rules are generated into and tested in ``alerts/``; rather than committing a second
copy inside the package, ``build_py`` copies them into the wheel's ``exporter/bundle/``.
An editable install reads them from the checkout instead (exporter.cli.demo_monitoring).
Everything else about the project is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# (folder of the checkout, files to ship) -> exporter/bundle/<folder>/
BUNDLE = (("alerts", "*.rules.yml"),)


class BuildPyWithBundle(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for folder, pattern in BUNDLE:
            sources = sorted((ROOT / folder).glob(pattern))
            if not sources:
                raise SystemExit(f"setup.py: nothing matches {folder}/{pattern} to bundle")
            target = Path(self.build_lib) / "exporter" / "bundle" / folder
            self.mkpath(str(target))
            for source in sources:
                self.copy_file(str(source), str(target / source.name))


setup(cmdclass={"build_py": BuildPyWithBundle})
