# tronwatch daemon image (docker-compose.yml builds it). The embedded PostgreSQL wheel is a
# dependency but unused here: compose passes database.url.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY daemon ./daemon
COPY migrations ./migrations
COPY rules ./rules
RUN pip install --no-cache-dir .
# A fixed numeric uid, which Kubernetes' runAsNonRoot can verify (docs/deploy.md, "Container
# image"); deploy/kubernetes/deployment.yaml runs as it.
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/tronwatch --create-home tronwatch
ENV TRONWATCH_DATA_DIR=/var/lib/tronwatch
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --retries=5 CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["tronwatch"]
CMD ["run", "-c", "/etc/tronwatch/tronwatch.yml"]
