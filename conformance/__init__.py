"""Overstap's judges: pure functions over bytes and XML.

Each module here turns what a system produced (a multistatus body, a header value, later an
iCalendar object, a vCard or an ODF package) into a small model and answers whether it follows
the standard, naming the clause it enforces. Nothing here opens a socket, reads a file on its
own or imports ``harness``: the modules work as a library on any bytes. See DESIGN.md.

- :mod:`conformance.xml` -- safe XML parsing (no entities, no DTDs, no network, no file system).
- :mod:`conformance.multistatus` -- RFC 4918 multistatus model and parser (whole or streamed).
- :mod:`conformance.dav` -- DAV header, HTTP dates and entity tags.
"""
