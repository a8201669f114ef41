"""WSGI entry point: gunicorn wsgi:app"""
import gc

from server import create_app

app = create_app()
# What the app built at start-up (routes, schemas, the parsed forms) lives as long as the worker:
# moved out of the collector's reach, a full collection no longer walks it. A request that builds
# tens of thousands of objects (a county's report by cadre) then costs a steady time, not a third
# more whenever a full collection falls inside it.
gc.freeze()
