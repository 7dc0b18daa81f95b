"""Truceline as a service: a JSON API over the same pipeline as the command line.

`create_app(settings)` in `truceline.service.app` builds the ASGI application; `truceline
serve` runs it with uvicorn. See docs/service.md.
"""
