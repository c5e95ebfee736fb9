# The real Celery worker of the re-screening tests, for the outbox's broker-down test.
from tests.compliance.conftest import no_eager_tasks, redis_queue, start_worker  # noqa: F401
