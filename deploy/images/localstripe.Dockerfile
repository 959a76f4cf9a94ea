# The Stripe API emulator for the compose stack: `localstripe` from PyPI, the version locks/workspace.txt pins.
#
#   docker build -f deploy/images/localstripe.Dockerfile -t billing-localstripe deploy/images
FROM python:3.11-slim-bookworm
ARG LOCALSTRIPE_VERSION=1.15.10
RUN pip install --no-cache-dir --disable-pip-version-check "localstripe==${LOCALSTRIPE_VERSION}" \
 && useradd --system --uid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin localstripe
USER 10001
WORKDIR /tmp
EXPOSE 8420
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD ["python", "-c", "import urllib.request, urllib.error\ntry: urllib.request.urlopen('http://127.0.0.1:8420/v1/customers', timeout=2)\nexcept urllib.error.HTTPError: pass"]
ENTRYPOINT ["localstripe", "--port", "8420"]
