"""CalDAV conformance suite (RFC 4791, RFC 6578, RFC 6764, RFC 5397): checks against any target that claims ``caldav``.

Each check works in a calendar of its own, ``overstap-<run id>-<check>/`` in the user's calendar home.
"""
