# Xiaokang's production image. Build: docker build -t xiaokang .
# Stage 1 builds the wheel (migrations and alembic.ini travel inside it, see pyproject's
# data-files); stage 2 installs the locked dependencies (requirements/prod.txt: exact versions
# with hashes, no embedded PostgreSQL) and that wheel into a venv, and runs as an unprivileged user.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir --upgrade pip
COPY requirements/prod.txt requirements/prod.txt
RUN /opt/venv/bin/pip install --no-cache-dir --require-hashes -r requirements/prod.txt
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN /opt/venv/bin/pip wheel --no-cache-dir --no-deps -w /dist . \
 && /opt/venv/bin/pip install --no-cache-dir --no-deps /dist/xiaokang-*.whl

FROM python:3.11-slim
# psycopg's binary build carries libpq; curl-free health checks use Python.
RUN groupadd --system --gid 10001 xiaokang \
 && useradd --system --uid 10001 --gid xiaokang --home-dir /var/lib/xiaokang --create-home xiaokang \
 && chmod 700 /var/lib/xiaokang
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    XIAOKANG_DATA_DIR=/var/lib/xiaokang
USER xiaokang
WORKDIR /var/lib/xiaokang
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=6 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["xiaokang", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-migrate", "--no-worker"]
