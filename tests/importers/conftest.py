"""The throwaway PostgreSQL cluster of the analytics tests, for the import store tests."""

from tests.analytics.conftest import postgres_dsn, postgres_server

__all__ = ["postgres_dsn", "postgres_server"]
