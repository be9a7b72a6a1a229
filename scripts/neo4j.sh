#!/usr/bin/env bash
# A real Neo4j 5.26 (community, from Maven Central jars, Java 17) for tests and development.
#   bash scripts/neo4j.sh fetch                      jars into neo4j/lib + compile the launcher (idempotent)
#   bash scripts/neo4j.sh start [--port P] [--data DIR]   run it in the foreground (Ctrl-C stops it)
#   NEO4J_PASSWORD=... turns auth on (user neo4j); NEO4J_JAVA_OPTS adds JVM flags.
# Production uses the neo4j:5.26-community image from compose.yaml instead.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
LIB="$ROOT/neo4j/lib"
CLASSES="$ROOT/neo4j/target/classes"
SRC="$ROOT/neo4j/src/main/java/org/kgsynth/neo4j/Launcher.java"

java17_home() {
  # Neo4j 5.26 runs on Java 17 (2025.x needs 21); prefer OpenJDK 17 over any newer default JDK.
  for d in /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/openjdk-17 /usr/lib/jvm/java-1.17.0-openjdk-*; do
    [ -x "$d/bin/javac" ] && { echo "$d"; return; }
  done
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then echo "$JAVA_HOME"; fi
}

need_tools() {
  # A fresh machine: install JDK 17 and Maven when we can (root + apt), else say what to install.
  local missing=()
  [ -n "$(java17_home)" ] || missing+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null || missing+=(maven)
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "neo4j.sh: installing ${missing[*]}..." >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "neo4j.sh: missing ${missing[*]}; install them (apt-get install ${missing[*]})" >&2
    exit 1
  fi
}

fetch() {
  local version
  version=$(sed -n 's:.*<neo4j.version>\(.*\)</neo4j.version>.*:\1:p' "$ROOT/neo4j/pom.xml")
  if [ ! -f "$LIB/neo4j-$version.jar" ] || [ ! -f "$CLASSES/org/kgsynth/neo4j/Launcher.class" ]; then
    need_tools
  fi
  JAVA_HOME="$(java17_home)"
  export JAVA_HOME
  if [ ! -f "$LIB/neo4j-$version.jar" ]; then
    echo "neo4j.sh: downloading Neo4j jars into neo4j/lib (once)..." >&2
    (cd "$ROOT/neo4j" && mvn -q -B dependency:copy-dependencies -DoutputDirectory=lib -DincludeScope=runtime)
  fi
  if [ ! -f "$CLASSES/org/kgsynth/neo4j/Launcher.class" ] || [ "$SRC" -nt "$CLASSES/org/kgsynth/neo4j/Launcher.class" ]; then
    mkdir -p "$CLASSES"
    "$JAVA_HOME/bin/javac" -nowarn --release 17 -cp "$LIB/*" -d "$CLASSES" "$SRC"
  fi
}

start() {
  local port=7687 data="$ROOT/workspace/neo4j-data"
  while [ $# -gt 0 ]; do
    case "$1" in
      --port) port="$2"; shift 2 ;;
      --data) data="$2"; shift 2 ;;
      *) echo "neo4j.sh start: unknown option $1 (use --port P --data DIR)" >&2; exit 2 ;;
    esac
  done
  fetch
  cat >&2 <<EOF
neo4j.sh: starting Neo4j 5.26 on bolt://127.0.0.1:$port (data: $data).
Point kgsynth at it with, in <workspace>/kgsynth.toml:
  [store]
  kind = "neo4j"
  [store.neo4j]
  uri = "bolt://127.0.0.1:$port"
  user = "neo4j"
  password_env = "NEO4J_PASSWORD"
and export NEO4J_PASSWORD=... before starting both (auth is off when it is unset here;
then any non-empty password works for kgsynth). Ctrl-C stops the server.
EOF
  # shellcheck disable=SC2086  # NEO4J_JAVA_OPTS is a list of JVM flags
  exec "$JAVA_HOME/bin/java" -Xmx512m -XX:+UseSerialGC ${NEO4J_JAVA_OPTS:-} -cp "$LIB/*:$CLASSES" \
    org.kgsynth.neo4j.Launcher --port "$port" --data "$data"
}

case "${1:-}" in
  fetch) fetch ;;
  start) shift; start "$@" ;;
  classpath) fetch >/dev/null; echo "$LIB/*:$CLASSES" ;;
  *) echo "usage: bash scripts/neo4j.sh fetch | start [--port P] [--data DIR] | classpath" >&2; exit 2 ;;
esac
