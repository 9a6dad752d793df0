FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY config ./config
# monitor/web/help/queries.md links to the docs: the wheel built here takes the file itself.
COPY docs ./docs
RUN pip install --no-cache-dir . && useradd --create-home newsmon
USER newsmon
ENTRYPOINT ["newsmon"]
CMD ["run"]
