package main

import (
	"strings"
	"testing"
)

// TestStoreDSN: [store] dsn selects PostgreSQL; check-config validates it
// and never shows its password, in its problems or in the name the logs
// give the database.
func TestStoreDSN(t *testing.T) {
	const secret = "s3cr3t-pw"
	tests := []struct {
		name    string
		store   string
		problem string // "" when valid
	}{
		{"postgres url", `dsn = "postgres://wf:` + secret + `@db.example:5432/wirefeed?sslmode=require"`, ""},
		{"postgresql url with lease", `dsn = "postgresql://wf:` + secret + `@db.example/wirefeed"` + "\nlease_ttl = \"30s\"", ""},
		{"not postgres", `dsn = "mysql://wf:` + secret + `@db.example/wirefeed"`, "c.toml:2: store.dsn: must be a postgres:// or postgresql:// URL"},
		{"no host", `dsn = "postgres://wf:` + secret + `@/wirefeed"`, "c.toml:2: store.dsn: is not a valid URL with a host"},
		{"lease without dsn", `lease_ttl = "30s"`, "c.toml:2: store.lease_ttl: applies only with store.dsn"},
		{"lease too short", `dsn = "postgres://wf:` + secret + `@db.example/wirefeed"` + "\nlease_ttl = \"10ms\"", "c.toml:3: store.lease_ttl: must be at least 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig("c.toml", []byte("[store]\n"+tt.store+"\n"+validFeeds))
			if tt.problem == "" {
				if err != nil {
					t.Fatal(err)
				}
				if name := cfg.DatabaseName(); strings.Contains(name, secret) || !strings.Contains(name, "db.example") {
					t.Errorf("DatabaseName() = %q: want the host without the password", name)
				}
				if got := cfg.Database(); !strings.Contains(got, secret) {
					t.Errorf("Database() = %q: the store must get the real DSN", got)
				}
				if got := cfg.Redactor().Text("connect " + cfg.Store.DSN + " failed: password " + secret); strings.Contains(got, secret) {
					t.Errorf("the redactor leaves the password in %q", got)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %s", tt.store)
			}
			if !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("error\n%s\ndoes not contain %q", err, tt.problem)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error shows the password:\n%s", err)
			}
		})
	}
}
