"""Every table of mallctl, gathered so `metadata` is complete (Alembic, drift test).

Each business area adds its models module here.
"""

from mallctl import audit as _audit  # noqa: F401
from mallctl.billing import models as _billing  # noqa: F401
from mallctl.contracts import models as _contracts  # noqa: F401
from mallctl.db import Base
from mallctl.directory import models as _directory  # noqa: F401
from mallctl.notifications import models as _notifications  # noqa: F401
from mallctl.reports import models as _reports  # noqa: F401
from mallctl.scheduler import models as _scheduler  # noqa: F401
from mallctl.telemetry import models as _telemetry  # noqa: F401
from mallctl.tenant_requests import models as _tenant_requests  # noqa: F401

metadata = Base.metadata
