"""Imports every area's tables so that the metadata Alembic compares against is complete."""

from jianguan.accounts import models as accounts  # noqa: F401
from jianguan.audit import models as audit  # noqa: F401
from jianguan.catalogue import models as catalogue  # noqa: F401
from jianguan.codes import models as codes  # noqa: F401
from jianguan.enterprises import models as enterprises  # noqa: F401
from jianguan.merchants import models as merchants  # noqa: F401
from jianguan.printers import models as printers  # noqa: F401
from jianguan.regions import models as regions  # noqa: F401
from jianguan.storage.base import Base

metadata = Base.metadata
