"""Serves the built field web app (fieldapp/, built by `make fieldapp`) at /app."""
