# GMQ: one image for every role (server, storage, broker) and the client tools.
# Build: docker build -t gmq .      Run: docker run -p 50051:50051 -v gmq-data:/var/lib/gmq/data gmq server
# Checked statically only (no Docker engine where GMQ is built): DockerFilesTest, docs/OPERATIONS.md "Docker".

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q package -DskipTests

FROM eclipse-temurin:17-jre
RUN useradd --system --home /var/lib/gmq gmq && mkdir -p /var/lib/gmq/data && chown -R gmq /var/lib/gmq
COPY --from=build /src/gmq-net/target/gmq.jar /opt/gmq/gmq.jar
USER gmq
WORKDIR /var/lib/gmq
# The partition logs and group state: a volume, so they outlive the container.
VOLUME ["/var/lib/gmq/data"]
# 50051: clients (server, broker). 50052: storage, for brokers only: compose keeps it unpublished.
EXPOSE 50051 50052
# The jar checks itself (the standard gRPC health service; no token needed, no extra binary).
# A small, quickly started JVM: a check runs every 10 s. Storage and broker containers override
# the port (docker-compose*.yml).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss256k", "-Xmx32m", \
         "-jar", "/opt/gmq/gmq.jar", "health", "--server", "localhost:50051", "--timeout-ms", "3000"]
# Container-aware heap: 75% of the container's memory limit (the JVM reads the cgroup limit);
# override with JAVA_TOOL_OPTIONS, e.g. -XX:MaxRAMPercentage=50.
# exec form: the JVM is PID 1 and gets SIGTERM, so the shutdown hook drains and commits.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-jar", "/opt/gmq/gmq.jar"]
CMD ["server", "--data-dir", "/var/lib/gmq/data"]
