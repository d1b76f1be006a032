"""The interactive dashboard (`crimecast serve`): a Dash app over a read-only store snapshot, with
JSON endpoints under /api/. Needs the `dashboard` extra (dash)."""
