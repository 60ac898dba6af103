"""Billing (费用核算): bills from charge terms, turnover, late fees, payments."""
