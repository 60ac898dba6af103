"""Which shops are leased on a day — the vacancy rule shared by `shop list --vacant`,
contract statistics and reports.

A shop is leased on a day when an APPROVED contract covers it (up to its termination
date, when terminated early). EXPIRED and TERMINATED contracts leave the shop vacant.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from mallctl.contracts.selectors import leased_shop_ids as _leased


def leased_shop_ids(session: Session, *, on: date) -> set[int]:
    """Ids of the shops leased on `on`."""
    return _leased(session, on=on)
