"""The zoo's demo: every task on samples that ship with the package (``affectzoo demo``).

:mod:`.music` synthesises the clips, :mod:`.run` runs the models through the public API and
:mod:`.report` writes the HTML report. The pictures under ``samples/`` are public-domain
paintings and BASS shapes (CC BY 4.0); ``samples/samples.csv`` credits each.
"""

from affectzoo.demo.run import DemoResult, run_demo

__all__ = ["DemoResult", "run_demo"]
