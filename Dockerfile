# GMQ: one image for every role (server, storage, broker) and the client tools.
# Build: docker build -t gmq .      Run: docker run -p 50051:50051 gmq server

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -q package -DskipTests

FROM eclipse-temurin:17-jre
ARG GRPC_HEALTH_PROBE_VERSION=v0.4.40
ADD https://github.com/grpc-ecosystem/grpc-health-probe/releases/download/${GRPC_HEALTH_PROBE_VERSION}/grpc_health_probe-linux-amd64 /usr/local/bin/grpc_health_probe
RUN chmod +x /usr/local/bin/grpc_health_probe && useradd --system --home /var/lib/gmq gmq \
    && mkdir -p /var/lib/gmq/data && chown -R gmq /var/lib/gmq
COPY --from=build /src/gmq-net/target/gmq.jar /opt/gmq/gmq.jar
USER gmq
WORKDIR /var/lib/gmq
EXPOSE 50051 50052
# exec form: the JVM is PID 1 and gets SIGTERM, so the shutdown hook drains and commits.
ENTRYPOINT ["java", "-XX:+ExitOnOutOfMemoryError", "-jar", "/opt/gmq/gmq.jar"]
CMD ["server", "--data-dir", "/var/lib/gmq/data"]
