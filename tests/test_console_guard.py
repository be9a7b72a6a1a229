"""The query console lets no write, file read, URL fetch or admin command through, however it is
written: 60+ obfuscated queries against the embedded store and a real Neo4j (whose dev server also
refuses file URLs and every address itself), while ordinary reads keep working."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kg.stores.cypher_guard import check_plan, check_read_only
from kg.stores.embedded import EmbeddedStore
from kgsynth.errors import KgsynthError, StoreError
from tests.fixtures.graph_data import small_batch

FILE = "file:///etc/passwd"
HOSTILE = [
    # files and URLs
    f"LOAD CSV FROM '{FILE}' AS l RETURN l",
    f"WITH '//' AS x LOAD CSV FROM '{FILE}' AS l RETURN l LIMIT 2",
    f'WITH "//" AS x LOAD CSV FROM "{FILE}" AS l RETURN l',
    f"load csv from '{FILE}' as l return l",
    f"LOAD/**/CSV FROM '{FILE}' AS l RETURN l",
    f"LOAD\nCSV WITH HEADERS FROM '{FILE}' AS l RETURN l",
    f"WITH '{FILE}' AS u LOAD CSV FROM u AS l RETURN l",
    "MATCH (n) WITH n LIMIT 1 LOAD CSV FROM 'file:///etc/hosts' AS l RETURN l",
    f"CALL {{ LOAD CSV FROM '{FILE}' AS l RETURN l }} RETURN l",
    f"UNWIND ['{FILE}'] AS u LOAD CSV FROM u AS l RETURN l",
    f"/* x */ LOAD CSV FROM '{FILE}' AS l RETURN l",
    f"RETURN '' AS l UNION LOAD CSV FROM '{FILE}' AS r RETURN r[0] AS l",
    f"LOAD CSV FROM '{FILE}' AS l FIELDTERMINATOR ':' RETURN l",
    f"CYPHER 5 LOAD CSV FROM '{FILE}' AS l RETURN l",
    f"EXPLAIN LOAD CSV FROM '{FILE}' AS l RETURN l",
    f"PROFILE LOAD CSV FROM '{FILE}' AS l RETURN l",
    f"WITH 'it\\'s // not a comment' AS x LOAD CSV FROM '{FILE}' AS l RETURN l",
    f"MATCH (e:`Entity`) // comment\nWITH e LIMIT 1 LOAD CSV FROM '{FILE}' AS l RETURN l",
    "LOAD CSV FROM 'http://URL/x.csv' AS l RETURN l",
    "LOAD CSV WITH HEADERS FROM 'http://URL/y.csv' AS l RETURN l.a",
    # writes
    "CREATE (n:Entity {id: 'x'})",
    "cReAtE (n)",
    "CREATE\u00a0(n:X)",
    "CREATE\t(n:X) RETURN n",
    "MATCH (n) DETACH DELETE n",
    "MATCH (n) DELETE n",
    "MATCH (n:Entity) SET n.name = 'x'",
    "match (n) set n.name='x' return n",
    "MATCH (n:Entity) SET n += {name: 'x'}",
    "MATCH (n:Entity) SET n:Hacked",
    "MATCH (n:Entity) REMOVE n.name",
    "MERGE (n:Entity {id: 'y'})",
    "OPTIONAL MATCH (n) MERGE (m:X) RETURN m",
    "MATCH (n) FOREACH (x IN [1] | CREATE ())",
    "MATCH (n) CALL { WITH n DELETE n } IN TRANSACTIONS",
    "CALL { CREATE (:X) } RETURN 1",
    "MATCH (n) WITH n LIMIT 1 CALL (n) { SET n.x = 1 } RETURN n",
    "WITH 1 AS x /* no */ CREATE (:X)",
    "RETURN 1 AS a UNION MATCH (n) SET n.x = 1 RETURN 1 AS a",
    "INSERT (n:X)",
    "MATCH (n) WITH n // comment\nDETACH DELETE n",
    "RETURN 1; CREATE (n)",
    # procedures and plugin functions
    "CALL dbms.security.createUser('a', 'b')",
    "CALL dbms.listConfig()",
    "CALL `dbms`.`listConfig`()",
    "CALL db.createLabel('X')",
    "CALL db.clearQueryCaches()",
    "CALL dbms.killQuery('x')",
    "CALL tx.setMetaData({a: 1})",
    "CALL dbms.showCurrentUser()",
    "CALL apoc.load.json('file:///etc/passwd')",
    "RETURN apoc.util.sha1(['x'])",
    "CALL db.index.fulltext.createNodeIndex('x', ['X'], ['y'])",
    # administration
    "SHOW USERS",
    "USE system SHOW USERS",
    "SHOW DATABASES",
    "CREATE USER x SET PASSWORD 'secret123'",
    "ALTER USER neo4j SET PASSWORD 'x12345678'",
    "DROP INDEX kgsynth_entity_name",
    "CREATE INDEX x FOR (n:X) ON (n.y)",
    "SHOW INDEXES",
    "TERMINATE TRANSACTIONS 'neo4j-transaction-1'",
    "SHOW TRANSACTIONS",
    "GRANT ROLE admin TO x",
    "STOP DATABASE neo4j",
    "SHOW SETTINGS",
    "CREATE DATABASE x",
    "/* MATCH (n) RETURN n",
    "MATCH (n) WHERE n.name = 'unterminated RETURN n",
]
READS = [
    "MATCH (e:Entity) WHERE e.name = 'CREATE' RETURN count(*) AS n // DELETE",
    "MATCH (e:Entity) RETURN e.name AS `set` ORDER BY `set` LIMIT 1",
    "CALL db.labels() YIELD label RETURN label",
    "RETURN point.distance(point({x: 0, y: 0}), point({x: 3, y: 4})) AS d",
    "MATCH (a)-[r]->(b) RETURN startNode(r).id STARTS WITH 'ent' AS s LIMIT 1",
    "RETURN date.truncate('month', date('2020-05-17')) AS d",
    "MATCH p = shortestPath((a:Entity)-[*..3]-(b:Entity)) WHERE a <> b RETURN length(p) LIMIT 1",
]


class _Trap(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        _Trap.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"a,b\n1,2\n")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def trap():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trap)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def loaded(request, tmp_path):
    if request.param == "neo4j":
        store = request.getfixturevalue("neo4j_store")
    else:
        store = EmbeddedStore(tmp_path / "graph")
    store.write(small_batch())
    yield store
    if request.param == "embedded":
        store.close()


def test_no_hostile_query_gets_through(loaded, trap):
    before = loaded.stats()
    tried = refused = 0
    for q in HOSTILE:
        tried += 1
        with pytest.raises(KgsynthError) as err:
            loaded.query(q.replace("URL", trap))
        refused += 1
        assert "\n" not in str(err.value) and "root:" not in str(err.value), q
    assert (tried, refused) == (len(HOSTILE), len(HOSTILE)) and tried >= 50
    assert _Trap.hits == []  # no URL was fetched
    assert loaded.stats() == before


@pytest.mark.neo4j
def test_reads_still_run_on_neo4j(neo4j_store):
    neo4j_store.write(small_batch())
    for q in READS:
        neo4j_store.query(q)
    assert neo4j_store.query(READS[0]) == [{"n": 0}]
    assert neo4j_store.query(READS[3]) == [{"d": 5.0}]


def test_text_check_needs_a_real_tokenizer():
    for q in READS:
        check_read_only(q)
    check_read_only("MATCH (e) WHERE e.name = 'DELETE me' RETURN e // SET later")
    check_read_only("MATCH (e) RETURN e.name AS `create`, startNode(r) STARTS WITH 'x'")
    for q in (f"WITH '//' AS x LOAD CSV FROM '{FILE}' AS l RETURN l", "RETURN apoc.x.y(1)"):
        with pytest.raises(StoreError, match="read-only console"):
            check_read_only(q)


def test_plan_check_refuses_write_file_admin_and_procedure_operators():
    def plan(*ops: str, details: str = "") -> dict:
        node: dict = {"operatorType": "AllNodesScan@neo4j", "children": []}
        for op in reversed(ops):
            node = {"operatorType": op, "args": {"Details": details}, "children": [node]}
        return node

    check_plan(plan("ProduceResults@neo4j", "Limit@neo4j"))
    check_plan(plan("ProduceResults@neo4j", "ProcedureCall@neo4j", details="db.labels() :: x"))
    for ops in (
        ("ProduceResults@neo4j", "LoadCSV@neo4j"),
        ("ProduceResults@neo4j", "EmptyResult@neo4j", "SetProperty@neo4j"),
        ("ProduceResults@neo4j", "TransactionForeach@neo4j", "Create@neo4j"),
        ("AdministrationCommand@system",),
        ("ProduceResults@neo4j", "ShowIndexes@neo4j"),
        ("ProduceResults@neo4j", "ProcedureCall@neo4j"),
    ):
        with pytest.raises(StoreError, match="read-only console"):
            check_plan(plan(*ops, details="dbms.listConfig() :: x"))


@pytest.mark.neo4j
def test_dev_server_itself_refuses_file_urls_and_addresses(neo4j_server, trap):
    """Defence in depth: a query that reached the server directly still reads and fetches nothing."""
    import neo4j

    driver = neo4j.GraphDatabase.driver(neo4j_server.uri, auth=("neo4j", neo4j_server.password))
    try:
        for url in (FILE, f"http://{trap}/z.csv"):
            with driver.session() as s, pytest.raises(neo4j.exceptions.ClientError) as err:
                s.run(f"LOAD CSV FROM '{url}' AS l RETURN l").consume()
            assert "ExternalResourceFailed" in str(err.value.code)
    finally:
        driver.close()
    assert _Trap.hits == []
