package main

import (
	"strings"
	"testing"
)

// TestConfigRefusesAbsurdSchedulesAndLimits: cron turns an @every under a
// second into every second, and a body cap of 2^63-1 overflowed into
// "empty document" for every feed; both are errors naming key and line.
func TestConfigRefusesAbsurdSchedulesAndLimits(t *testing.T) {
	tests := []struct {
		name string
		toml string
		want string // "" means valid
	}{
		{"every minus 15m", "schedule = \"@every -15m\"\n", `c.toml:1: schedule: bad cron spec "@every -15m": @every needs a duration of at least 1s, not -15m`},
		{"every 0s", "schedule = \"@every 0s\"\n", `c.toml:1: schedule: bad cron spec "@every 0s": @every needs a duration of at least 1s`},
		{"every 1ns", "schedule = \"@every 1ns\"\n", `c.toml:1: schedule: bad cron spec "@every 1ns"`},
		{"every 999ms", "schedule = \"@every 999ms\"\n", `c.toml:1: schedule: bad cron spec "@every 999ms"`},
		{"every 1ns behind a time zone", "schedule = \"CRON_TZ=UTC @every 1ns\"\n", `c.toml:1: schedule: bad cron spec`},
		{"every 1s", "schedule = \"@every 1s\"\n", ""},
		{"every 1.5s", "schedule = \"@every 1.5s\"\n", ""},
		{"every 15m", "schedule = \"TZ=Europe/Berlin @every 15m\"\n", ""},
		{"feed schedule 0s", "PLACEHOLDER", `c.toml:10: feeds[1].schedule: bad cron spec "@every 0s"`},
		{"max_body_bytes overflowing", "[fetch]\nmax_body_bytes = 9223372036854775807\n", "c.toml:2: fetch.max_body_bytes: must be between 1024 and 268435456 (256 MiB), not 9223372036854775807"},
		{"max_body_bytes negative", "[fetch]\nmax_body_bytes = -1\n", "c.toml:2: fetch.max_body_bytes: must be between 1024"},
		{"max_body_bytes 256 MiB", "[fetch]\nmax_body_bytes = 268435456\n", ""},
		{"max_items_per_feed absurd", "[fetch]\nmax_items_per_feed = 10000000\n", "c.toml:2: fetch.max_items_per_feed: must be between 1 and 100000"},
		{"max_depth too small", "[fetch]\nmax_depth = 4\n", "c.toml:2: fetch.max_depth: must be between 32 and 4096, not 4"},
		{"max_depth absurd", "[fetch]\nmax_depth = 3000000\n", "c.toml:2: fetch.max_depth: must be between 32 and 4096"},
		{"max_elements absurd", "[fetch]\nmax_elements = 9223372036854775807\n", "c.toml:2: fetch.max_elements: must be between 10000 and 5000000"},
		{"max_elements zero", "[fetch]\nmax_elements = 0\n", "c.toml:2: fetch.max_elements: must be between 10000"},
		{"bounds raised within reason", "[fetch]\nmax_depth = 1000\nmax_elements = 1000000\n", ""},
		{"secret_query_params", "secret_query_params = [\"session\", \"X-Amz-Credential\"]\n", ""},
		{"bad secret_query_params", "secret_query_params = [\"a=b\"]\n", `c.toml:1: secret_query_params: bad parameter name "a=b" (entry 1)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := tt.toml + validFeeds
			if tt.toml == "PLACEHOLDER" {
				doc = strings.Replace(validFeeds, "@every 30m", "@every 0s", 1)
			}
			_, err := ParseConfig("c.toml", []byte(doc))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("ParseConfig: %v", err)
			case tt.want != "" && err == nil:
				t.Fatalf("ParseConfig accepted:\n%s", doc)
			case tt.want != "" && !strings.Contains(err.Error(), tt.want):
				t.Errorf("error\n%s\ndoes not contain %q", err, tt.want)
			}
		})
	}
}

// TestConfigErrorsHideFeedSecrets: check-config quotes a bad feed URL,
// but not its credentials or secret parameters.
func TestConfigErrorsHideFeedSecrets(t *testing.T) {
	doc := validFeeds + "[[feeds]]\nname = \"Private\"\nurl = \"ftp://bob:Hunter2pass@private.example/feed?token=T0k3nValue\"\n"
	_, err := ParseConfig("c.toml", []byte(doc))
	if err == nil {
		t.Fatal("ParseConfig accepted an ftp URL")
	}
	msg := err.Error()
	if !strings.Contains(msg, "feeds[2].url: bad URL") || strings.Contains(msg, "Hunter2pass") || strings.Contains(msg, "T0k3nValue") || strings.Contains(msg, "bob") {
		t.Errorf("error %q: want the problem named without the credentials", msg)
	}
}
