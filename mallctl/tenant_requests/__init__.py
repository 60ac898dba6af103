"""Tenant affairs requests (事务申请): renovation, maintenance, events, extended hours,
signage and other asks a tenant brings to the mall, from submission to completion."""
