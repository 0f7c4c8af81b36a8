"""Start unoserver with documents loaded as bare models (run by the system Python, which has ``uno``).

Usage: ``/usr/bin/python3 _unoserver_start.py UNOSERVER-ARGS...`` with unoserver importable.

Why: unoserver (3.7) loads each document through ``Desktop.loadComponentFromURL``, which builds a
frame and a view. Debian's LibreOffice 7.4 ``-nogui`` build has no UI builder files, and views abort
the whole process (measured here): Calc in ``ScTabViewShell::GetClipData`` on the first spreadsheet
(even a CSV), Writer in ``InterimItemWindow`` (``NoSuchElementException``) for any document with a
comment. One crash takes the warm instance down. ``soffice --convert-to`` never builds those views.

This wrapper replaces the Desktop that unoserver's converter uses with one whose
``loadComponentFromURL`` creates the document service's model and calls ``XLoadable.load`` on it
(deep type detection, the type's preferred import filter): no frame, no view, no UI. unoserver's own
``main()`` then runs unchanged; when the model route fails the real Desktop is used (hidden).
"""

import sys

from unoserver import converter, server  # imports uno, which makes the com.sun.star modules importable

from com.sun.star.beans import PropertyValue  # noqa: E402


def _props(**values):
    return tuple(PropertyValue(Name=k, Value=v) for k, v in values.items())


def _as_dict(values):
    return {p.Name: p.Value for p in values}


class _ModelDesktop:
    """The Desktop, loading documents as models without a view."""

    def __init__(self, desktop, service, context, types, filters):
        self._desktop, self._service, self._context = desktop, service, context
        self._types, self._filters = types, filters

    def __getattr__(self, name):
        return getattr(self._desktop, name)

    def _filter_for(self, url, given):
        if given.get("FilterName"):
            return given["FilterName"]
        result = self._types.queryTypeByDescriptor(_props(URL=url), True)
        type_name = result[0] if isinstance(result, tuple) else result
        if not type_name:
            return None
        return _as_dict(self._types.getByName(type_name)).get("PreferredFilter")

    def loadComponentFromURL(self, url, frame, flags, props):  # noqa: N802 - UNO name
        given = _as_dict(props)
        try:
            filter_name = self._filter_for(url, given)
            if not filter_name:
                return None
            service_name = _as_dict(self._filters.getByName(filter_name))["DocumentService"]
            model = self._service.createInstanceWithContext(service_name, self._context)
            given.update(URL=url, FilterName=filter_name, Hidden=True)
            model.load(_props(**given))
            return model
        except Exception as exc:  # fall back to unoserver's own way, hidden
            print(f"overstap: model load of {url} failed ({exc}); using the Desktop", file=sys.stderr, flush=True)
            given = _as_dict(props)
            given["Hidden"] = True
            return self._desktop.loadComponentFromURL(url, frame, flags, _props(**given))


_original_init = converter.UnoConverter.__init__


def _init(self, *args, **kwargs):
    _original_init(self, *args, **kwargs)
    self.desktop = _ModelDesktop(self.desktop, self.service, self.context, self.type_service, self.filter_service)


converter.UnoConverter.__init__ = _init

if __name__ == "__main__":
    sys.argv[0] = "unoserver"
    sys.exit(server.main())
