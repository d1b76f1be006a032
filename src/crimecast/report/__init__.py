"""The self-contained HTML report of `crimecast run` (see build.py) and the steps that feed it."""
