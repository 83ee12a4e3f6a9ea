"""SPEC §6: monthly settlements (built in the settlement issue)."""
