"""Exports: coverage lists and submissions as streamed CSV, XLSX and GeoJSON."""
