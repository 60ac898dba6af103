"""Every table of mallctl, gathered so `metadata` is complete (Alembic, drift test).

Each business area adds its models module here.
"""

from mallctl import audit as _audit  # noqa: F401
from mallctl.db import Base
from mallctl.directory import models as _directory  # noqa: F401
from mallctl.notifications import models as _notifications  # noqa: F401

metadata = Base.metadata
