"""The `longtail` command line."""
