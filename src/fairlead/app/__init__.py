"""The command line, the demo and the files it reads and writes."""

from fairlead.app._cli import main
from fairlead.app._demo import DemoReport, DemoRun, run_demo, write_demo_report
from fairlead.app._files import assign_files, render_records, write_plan, write_records

__all__ = [
    "DemoReport",
    "DemoRun",
    "assign_files",
    "main",
    "render_records",
    "run_demo",
    "write_demo_report",
    "write_plan",
    "write_records",
]
