"""Contracts (入驻合约): leases with charge terms and a review workflow."""
