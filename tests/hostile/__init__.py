"""Misbehaving servers and malicious office files for the harness's own safety tests.

- :mod:`tests.hostile.server`: a real HTTP server on loopback whose fault is chosen per path
  (hang, drip, close mid-response, 500s, malformed or entity-laden multistatus, huge body, gzip bomb,
  redirect loop, redirect to another host, wrong Content-Length, garbage), plus a listener that
  records every connection (for "was a network entity fetched?").
- :mod:`tests.hostile.odf`: stand-ins for what a hostile office tool could hand us (zip bomb,
  path-traversal entries, non-UTF-8 XML, absurdly nested XML).
"""
