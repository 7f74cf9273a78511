# TPM for hosting: a slim Python 3.11 image, a non-root user, the database on a volume, login required.
#   docker build -t tpm .
#   docker volume create tpm-data
#   docker run -d --name tpm -p 8501:8501 -v tpm-data:/data tpm
#   docker exec -it tpm python -m tpm users add anna --role admin     (asks for the password)
# Put a reverse proxy with TLS in front of it (docs/hosting.md); with -e TPM_ALLOWED_HOSTS=tpm.example.com the
# server answers only to that name, -e FORWARDED_ALLOW_IPS=<proxy address> lets the lockout see the visitors'
# addresses, -e TPM_SESSION_HOURS=8 shortens the login (default 12 h).
#
# Pinned, so that a rebuild gives the same system (update on purpose, and after a security notice):
# - the base image by exact version and Debian release; add its digest where you build
#   (`docker buildx imagetools inspect python:3.11.14-slim-bookworm` → append `@sha256:…` to the FROM line);
# - the Debian packages by exact version (see below).
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TPM_DB=/data/tpm.duckdb \
    TPM_AUTH=password \
    TPM_SEED=0 \
    ARROW_DEFAULT_MEMORY_POOL=system

# Debian's Chromium draws the charts of the PowerPoint deck and the "chart as PNG" downloads (Kaleido);
# without it those say so and everything else works (TPM_CHROMIUM points elsewhere).
# Exact versions (bookworm, Chromium from bookworm-security). Debian drops a superseded Chromium from its
# archive, so a build that fails with "Version … not found" needs the new one: `apt-get update && apt-cache
# policy chromium fonts-dejavu-core` in the base image, then set these (or `docker build --build-arg …`).
ARG CHROMIUM_VERSION=156.0.8078.129-1~deb12u1
ARG FONTS_DEJAVU_VERSION=2.37-6
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        "chromium=${CHROMIUM_VERSION}" "chromium-common=${CHROMIUM_VERSION}" "fonts-dejavu-core=${FONTS_DEJAVU_VERSION}" \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin tpm \
    && mkdir -p /data && chown tpm:tpm /data && chmod 700 /data
# the code belongs to root and is read-only for the server's user; only /data is writable
COPY app.py serve.py ./
COPY .streamlit/config.toml .streamlit/config.toml
COPY pages pages
COPY tpm tpm
COPY sample_surveys sample_surveys

USER tpm
VOLUME ["/data"]
EXPOSE 8501
# healthy = the server answers AND the database reads end to end (/_tpm/health runs tpm.store.health: a damaged
# file is unhealthy, a file busy with an import is not; `python -m tpm health` is the same check from a shell)
HEALTHCHECK --interval=30s --timeout=10s --start-period=40s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_tpm/health', timeout=8)" || exit 1
CMD ["streamlit", "run", "serve.py", "--server.address", "0.0.0.0", "--server.port", "8501"]
