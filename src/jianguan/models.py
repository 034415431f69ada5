"""Imports every area's tables so that the metadata Alembic compares against is complete."""

from jianguan.accounts import models as accounts  # noqa: F401
from jianguan.alerts import models as alerts  # noqa: F401
from jianguan.applications import models as applications  # noqa: F401
from jianguan.audit import models as audit  # noqa: F401
from jianguan.cases import models as cases  # noqa: F401
from jianguan.catalogue import models as catalogue  # noqa: F401
from jianguan.codes import models as codes  # noqa: F401
from jianguan.enterprises import models as enterprises  # noqa: F401
from jianguan.merchants import models as merchants  # noqa: F401
from jianguan.messaging import models as messaging  # noqa: F401
from jianguan.printers import models as printers  # noqa: F401
from jianguan.promotions import models as promotions  # noqa: F401
from jianguan.recalls import models as recalls  # noqa: F401
from jianguan.receipts import models as receipts  # noqa: F401
from jianguan.regions import models as regions  # noqa: F401
from jianguan.reports import models as reports  # noqa: F401
from jianguan.rosters import models as rosters  # noqa: F401
from jianguan.schemes import models as schemes  # noqa: F401
from jianguan.stats import models as stats  # noqa: F401
from jianguan.storage.base import Base
from jianguan.terminals import models as terminals  # noqa: F401
from jianguan.trace import models as trace  # noqa: F401
from jianguan.verify import models as verify  # noqa: F401

metadata = Base.metadata
