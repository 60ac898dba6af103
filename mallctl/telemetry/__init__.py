"""Telemetry (运营数据): device readings and their rollups."""
