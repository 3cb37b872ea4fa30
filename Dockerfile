FROM python:3.12-slim
WORKDIR /srv
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
COPY alembic.ini ./
RUN pip install --no-cache-dir -e .
ENV XIAOKANG_DATA_DIR=/var/lib/xiaokang
EXPOSE 8000
CMD ["xiaokang", "serve", "--host", "0.0.0.0", "--port", "8000"]
