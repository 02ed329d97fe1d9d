-- Version 13: Admin > Audit filters the log by staff member and by action, newest first.

CREATE INDEX audit_log_staff ON audit_log(staff_id, created_at);
CREATE INDEX audit_log_action ON audit_log(action, created_at);
