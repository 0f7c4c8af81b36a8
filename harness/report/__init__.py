"""Reports: the run model (report.json, the canonical record) and what is derived from it.

- :func:`build_report` assembles report.json from targets and results (schema ``overstap-report/1.0``,
  described in docs/report.md and shipped as ``harness/report/schema/report-1.0.json``);
- :func:`validate` checks a report against that schema;
- :func:`write_outputs` writes report.json, junit.xml and index.html into a folder.
"""

from harness.report.model import SCHEMA_ID, build_report, load_report, schema, validate, write_outputs

__all__ = ["SCHEMA_ID", "build_report", "load_report", "schema", "validate", "write_outputs"]
