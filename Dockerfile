# Lexicon production image: gunicorn for the web, the same image for Celery worker/beat.
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    LEXICON_VAR_DIR=/var/lib/lexicon STATIC_ROOT=/opt/lexicon/staticfiles

WORKDIR /opt/lexicon
COPY pyproject.toml README.md ./
COPY config ./config
COPY catalog ./catalog
COPY lineage ./lineage
COPY governance ./governance
COPY metrics_dictionary ./metrics_dictionary
RUN pip install .
COPY . .
# collectstatic needs settings but no database or real secret.
RUN DEBUG=false SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && useradd --system --home /var/lib/lexicon lexicon && mkdir -p /var/lib/lexicon \
    && chown -R lexicon /var/lib/lexicon
USER lexicon
EXPOSE 8000
# Worker class, processes and threads: gunicorn.conf.py (GUNICORN_* variables override them).
CMD ["gunicorn", "config.wsgi:application", "-c", "gunicorn.conf.py"]
