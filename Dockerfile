# Production image: gunicorn serving Django, the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

# WeasyPrint renders PDFs with Pango; fonts with Vietnamese diacritics ship with the project.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY dti dti
COPY indicators indicators
COPY assessments assessments
COPY councils councils
COPY rankings rankings
RUN pip install .

COPY . .
RUN DEBUG=1 python manage.py collectstatic --noinput \
    && useradd --create-home --uid 1000 dti \
    && mkdir -p /data/private && chown -R dti /data /app/var

USER dti
ENV STATIC_ROOT=/app/var/static \
    PRIVATE_STORAGE_ROOT=/data/private
EXPOSE 8000
CMD ["gunicorn", "dti.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
