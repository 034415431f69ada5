"""Storage: the engine, the declarative base, portable types, transactions and migrations."""

from jianguan.storage.base import Base, utcnow
from jianguan.storage.engine import make_engine, normalise_url
from jianguan.storage.tx import reading, session_factory, transaction

__all__ = ["Base", "make_engine", "normalise_url", "reading", "session_factory", "transaction", "utcnow"]
