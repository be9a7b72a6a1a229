package org.kgsynth.neo4j;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * Starts a real Neo4j 5.26 community DBMS (embedded, with the Bolt connector) for tests and
 * development.
 *
 * <p>Usage: {@code java -cp 'neo4j/lib/*:neo4j/target/classes' org.kgsynth.neo4j.Launcher --data
 * DIR [--port 7687] [--host 127.0.0.1] [--watch-stdin]}. Auth is enabled with the password in
 * $NEO4J_PASSWORD when that is set (at least 8 characters, Neo4j's minimum), and disabled
 * otherwise. Prints one line {@code READY bolt://host:port} when Bolt accepts connections; shuts
 * down cleanly on SIGTERM, and also when stdin closes if {@code --watch-stdin} is given (so a
 * crashed parent never leaves it running). Any failure to start prints one line {@code error:
 * ...} and exits 1: the JVM never lingers. LOAD CSV can read no local file and reach no address.
 */
public final class Launcher {
  private static final int MIN_PASSWORD = 8; // dbms.security.auth_minimum_password_length

  private Launcher() {}

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable e) {
      System.err.println("error: Neo4j did not start: " + e.getMessage());
      System.err.flush();
      Runtime.getRuntime().halt(1); // the DBMS's own threads must not keep the JVM alive
    }
  }

  private static void run(String[] args) throws Exception {
    Path data = Path.of("neo4j-data");
    String host = "127.0.0.1";
    int port = 7687;
    boolean watchStdin = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--data" -> data = Path.of(args[++i]);
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--host" -> host = args[++i];
        case "--watch-stdin" -> watchStdin = true;
        default -> {
          System.err.println("unknown argument " + args[i]);
          System.exit(2);
        }
      }
    }
    String password = System.getenv("NEO4J_PASSWORD");
    boolean auth = password != null && !password.isEmpty();
    if (auth && password.length() < MIN_PASSWORD) {
      System.err.println(
          "error: NEO4J_PASSWORD is too short: Neo4j needs at least " + MIN_PASSWORD + " characters");
      System.exit(2);
    }
    Path home = data.toAbsolutePath();
    Files.createDirectories(home);
    Path conf = writeConf(home);

    DatabaseManagementService dbms =
        new DatabaseManagementServiceBuilder(home)
            .loadPropertiesFromFile(conf)
            .setConfig(BoltConnector.enabled, true)
            .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
            .setConfig(
                BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
            .setConfig(GraphDatabaseSettings.auth_enabled, auth)
            .build();
    Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown, "neo4j-shutdown"));
    if (auth) {
      try {
        dbms.database("system")
            .executeTransactionally(
                "ALTER USER neo4j SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
      } catch (RuntimeException e) {
        // a restart on the same data with the same password: nothing to change
        if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
          throw e;
        }
      }
    }
    dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).isAvailable(60_000);
    System.out.println("READY bolt://" + host + ":" + port + (auth ? " auth=neo4j" : " auth=none"));
    System.out.flush();
    if (watchStdin) {
      waitForEof(System.in);
      System.exit(0);
    }
    Thread.currentThread().join();
  }

  private static Path writeConf(Path home) throws IOException {
    Path conf = home.resolve("neo4j.conf");
    Path noImports = Files.createDirectories(home.resolve("import-empty"));
    String text =
        String.join(
            "\n",
            "server.memory.pagecache.size=64m",
            "db.memory.transaction.total.max=256m",
            "db.tx_log.rotation.retention_policy=2 files",
            "dbms.usage_report.enabled=false",
            // LOAD CSV: no file URLs, an empty import folder, and no address reachable by URL
            "dbms.security.allow_csv_import_from_file_urls=false",
            "server.directories.import=" + noImports,
            "internal.dbms.cypher_ip_blocklist=0.0.0.0/0,::/0",
            "");
    Files.writeString(conf, text);
    return conf;
  }

  private static void waitForEof(InputStream in) throws IOException {
    byte[] buf = new byte[256];
    while (in.read(buf) >= 0) {
      // keep reading until the parent closes our stdin
    }
  }
}
