"""Notifications: templates, the SYSTEM inbox, preferences, the transactional outbox and
delivery through providers (log, SMTP, Aliyun SMS, Tencent Cloud SMS, webhook push)."""
