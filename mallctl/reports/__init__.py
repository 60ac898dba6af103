"""Reports (报表生成): daily, weekly and monthly operations reports."""
