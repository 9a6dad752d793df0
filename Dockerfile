FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY config ./config
RUN pip install --no-cache-dir . && useradd --create-home newsmon
USER newsmon
ENTRYPOINT ["newsmon"]
CMD ["run"]
