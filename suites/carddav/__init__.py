"""CardDAV suite (RFC 6352, with RFC 5689 extended MKCOL, RFC 6764 discovery, RFC 6578 sync)."""
