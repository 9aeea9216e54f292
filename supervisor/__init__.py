"""The supervisor's pages: live dashboard, reports and satisfaction index, audit log, survey tablet."""
