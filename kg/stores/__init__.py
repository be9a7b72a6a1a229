"""Built-in graph stores; importing this package registers them in ``kgsynth.store.STORES``.

- ``embedded`` (default): networkx in the workspace, no server (:mod:`kg.stores.embedded`).
- ``neo4j``: a Neo4j 5.26 server over Bolt (:mod:`kg.stores.neo4j`; the driver is imported lazily).
"""

from kg.stores.embedded import EmbeddedStore
from kg.stores.neo4j import Neo4jStore

__all__ = ["EmbeddedStore", "Neo4jStore"]
