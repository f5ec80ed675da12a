package store

import (
	"errors"
	"strings"
	"testing"
)

func TestDSNRedaction(t *testing.T) {
	const dsn = "postgres://wf:Pa55-w0rd@db.example:5432/wirefeed?sslmode=require"
	if got := RedactDSN(dsn); strings.Contains(got, "Pa55-w0rd") || !strings.Contains(got, "db.example:5432/wirefeed") {
		t.Errorf("RedactDSN = %q", got)
	}
	if got := RedactDSN("postgres://db.example/wf?password=Pa55-w0rd"); strings.Contains(got, "Pa55-w0rd") {
		t.Errorf("RedactDSN with a password parameter = %q", got)
	}
	err := redactErr(errors.New("connect "+dsn+" as user=wf failed: Pa55-w0rd"), dsn)
	if msg := err.Error(); strings.Contains(msg, "Pa55-w0rd") || !strings.Contains(msg, "user=wf") {
		t.Errorf("redactErr = %q: want the password masked, the user name kept", msg)
	}
	plain := errors.New("connection refused")
	if got := redactErr(plain, dsn); got != plain {
		t.Errorf("redactErr changed an error without secrets: %v", got)
	}
	for dsn, want := range map[string]bool{"postgres://h/db": true, "postgresql://h/db": true, "/var/lib/wirefeed/wirefeed.db": false, "mysql://h/db": false} {
		if IsPostgres(dsn) != want {
			t.Errorf("IsPostgres(%q) = %v", dsn, !want)
		}
	}
}
