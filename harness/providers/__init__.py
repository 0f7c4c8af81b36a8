"""Providers: how a target comes to exist.

- :mod:`harness.providers.local`: a process on 127.0.0.1, with a private folder, started and stopped by us.
- :mod:`harness.providers.remote`: an existing deployment named in a targets file (TOML).

Every provider hands out a :class:`harness.target.Target` and takes it down again (remote: nothing to do).
"""
