"""The production entry point: the application loads, and what it loaded at start is out of the garbage
collector's view (config/wsgi.py), so a full collection during a request does not walk it."""

from __future__ import annotations

import gc
import importlib


def test_the_wsgi_application_loads_and_freezes_what_it_loaded():
    gc.unfreeze()
    try:
        module = importlib.reload(importlib.import_module("config.wsgi"))
        assert callable(module.application)
        assert gc.get_freeze_count() > 10_000  # Django, the apps, every view module
    finally:
        gc.unfreeze()
