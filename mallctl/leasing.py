"""Which shops are leased on a day — the vacancy seam between directory and contracts.

A shop is leased on a day when an APPROVED contract covers it. Until the contracts area
exists there are no contracts, so every shop is vacant; the contracts issue replaces the
body of `leased_shop_ids` with a query over its table (and its tests cover it).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session


def leased_shop_ids(session: Session, *, on: date) -> set[int]:
    """Ids of the shops leased on `on` (none yet: contracts are not built)."""
    return set()
