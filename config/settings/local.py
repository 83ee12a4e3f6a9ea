from .base import *  # noqa: F403

DEBUG = True
# Issue 17: runserver serves each request on its own thread; a persistent connection would stay open per
# thread after the request (50 parallel sessions exhausted PostgreSQL's slots). Close it every request.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
