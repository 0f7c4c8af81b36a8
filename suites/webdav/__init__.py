"""WebDAV conformance suite (RFC 4918): checks against any target that claims ``webdav``."""
