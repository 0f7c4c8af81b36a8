"""The suites: pytest modules that drive targets and ask ``conformance/`` for verdicts, one folder per standard."""
