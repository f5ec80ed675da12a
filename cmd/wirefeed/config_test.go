package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wirefeed/wirefeed/fetcher"
)

const validFeeds = `
[[feeds]]
name = "One"
url = "https://one.example/feed.xml"

[[feeds]]
name = "Two"
url = "https://two.example/feed.xml"
tags = ["asia"]
schedule = "@every 30m"
`

func TestParseConfigValid(t *testing.T) {
	cfg, err := ParseConfig("ok.toml", []byte("schedule = \"*/10 * * * *\"\n"+validFeeds))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	if cfg.Schedule != "*/10 * * * *" || len(cfg.Feeds) != 2 || cfg.Feeds[1].Schedule != "@every 30m" {
		t.Errorf("decoded %+v", cfg)
	}
	// Defaults survive for keys the file leaves out.
	if cfg.Server.Listen != "127.0.0.1:8080" || cfg.AllowPrivateAddresses || cfg.Fetch.Concurrency != fetcher.DefaultConcurrency || cfg.Fetch.PerHost != fetcher.DefaultPerHost {
		t.Errorf("defaults not applied: listen %q, allow_private %v, concurrency %d", cfg.Server.Listen, cfg.AllowPrivateAddresses, cfg.Fetch.Concurrency)
	}
	if got := cfg.DomainFeeds()[1]; got.Name != "Two" || got.Tags[0] != "asia" {
		t.Errorf("DomainFeeds()[1] = %+v", got)
	}
}

func TestParseConfigErrorsNameLineAndKey(t *testing.T) {
	tests := []struct {
		name string
		toml string
		want []string // each must appear in the error
	}{
		{"unknown top-level key", "schedul = \"@hourly\"\n" + validFeeds, []string{"c.toml:1: schedul: unknown key"}},
		{"unknown key in a feed", validFeeds + "colour = \"red\"\n", []string{"c.toml:11: feeds[1].colour: unknown key"}},
		{"unknown table", "[sever]\nlisten = \"x\"\n" + validFeeds, []string{"c.toml:1: sever: unknown key"}},
		{"bad global cron", "schedule = \"every day\"\n" + validFeeds, []string{"c.toml:1: schedule: bad cron spec"}},
		{"bad feed cron", strings.Replace(validFeeds, "@every 30m", "61 * * * *", 1), []string{"c.toml:10: feeds[1].schedule: bad cron spec \"61 * * * *\""}},
		{"bad every", strings.Replace(validFeeds, "@every 30m", "@every soon", 1), []string{"feeds[1].schedule: bad cron spec"}},
		{"bad url scheme", strings.Replace(validFeeds, "https://one.example/feed.xml", "ftp://one.example/feed.xml", 1), []string{"c.toml:4: feeds[0].url: bad URL"}},
		{"url without host", strings.Replace(validFeeds, "https://one.example/feed.xml", "http://:8080/feed.xml", 1), []string{"c.toml:4: feeds[0].url: bad URL"}},
		{"relative url", strings.Replace(validFeeds, "https://one.example/feed.xml", "/feed.xml", 1), []string{"c.toml:4: feeds[0].url: bad URL"}},
		{"duplicate names", strings.Replace(validFeeds, `"Two"`, `"one"`, 1), []string{"c.toml:7: feeds[1].name: duplicate feed name \"one\" (also feeds[0], line 3)"}},
		{"missing name", strings.Replace(validFeeds, "name = \"One\"\n", "", 1), []string{"c.toml:2: feeds[0].name: missing"}},
		{"bad duration", "[fetch]\ntimeout = \"30\"\n" + validFeeds, []string{"c.toml:2: fetch.timeout: bad duration \"30\""}},
		{"duration too short", "[fetch]\nbackoff_min = \"1ms\"\n" + validFeeds, []string{"c.toml:2: fetch.backoff_min: must be at least 1s"}},
		{"retention shorter than the window", "[store]\nretention = \"48h\"\n" + validFeeds, []string{"c.toml:2: store.retention: must be at least 96h0m0s for a dedupe.window of 72h"}},
		{"retention inside the rounded window", "[store]\nretention = \"84h\"\n[dedupe]\nwindow = \"60h\"\n" + validFeeds, []string{"c.toml:2: store.retention: must be at least 96h0m0s"}},
		{"name with spaces around it", strings.Replace(validFeeds, `"Two"`, `"Two "`, 1), []string{"c.toml:7: feeds[1].name: \"Two \" has leading or trailing spaces"}},
		{"unknown preferred source", "[dedupe]\npreferred_sources = [\"One\", \"Reuters\"]\n" + validFeeds, []string{"c.toml:2: dedupe.preferred_sources: \"Reuters\" (entry 2) is not the name of a configured feed"}},
		{"min_body_words below the floor", "[dedupe]\nmin_body_words = 5\n" + validFeeds, []string{"c.toml:2: dedupe.min_body_words: must be at least 8"}},
		{"bad listen", "[server]\nlisten = \"8080\"\n" + validFeeds, []string{"c.toml:2: server.listen: bad address"}},
		{"wrong type", "[fetch]\nconcurrency = \"many\"\n" + validFeeds, []string{"c.toml:2: fetch.concurrency: wrong type: want a whole number, not a TOML string"}},
		{"syntax error", "schedule = \n" + validFeeds, []string{"c.toml:1:"}},
		{"no feeds", "schedule = \"@hourly\"\n", []string{"no [[feeds]] configured"}},
		{"several problems at once", "schedul = 1\n[fetch]\ntimeout = \"x\"\n" + validFeeds, []string{"c.toml:1: schedul", "c.toml:3: fetch.timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig("c.toml", []byte(tt.toml))
			if err == nil {
				t.Fatalf("ParseConfig accepted:\n%s", tt.toml)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *ConfigError: %v", err, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%s\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

// TestConfigKeyLinesPerTableShape checks that a problem is reported on the
// line of its key in every shape TOML allows: one test per table shape.
func TestConfigKeyLinesPerTableShape(t *testing.T) {
	tests := []struct {
		name string
		toml string
		want []string // each must appear in the error, and nothing else
	}{
		{"unknown key in two array-table entries",
			"[[feeds]]\nname = \"One\"\nurl = \"https://one.example/\"\ncolour = \"red\"\n\n[[feeds]]\nname = \"Two\"\ncolour = \"blue\"\nurl = \"https://two.example/\"\n",
			[]string{"c.toml:4: feeds[0].colour: unknown key", "c.toml:8: feeds[1].colour: unknown key"}},
		{"top-level key", "schedul = \"@hourly\"\n" + validFeeds, []string{"c.toml:1: schedul: unknown key"}},
		{"table key after a multi-line string and array",
			"[server]\ndescription = \"\"\"\nline\n[fetch]\nx = 1\n\"\"\"\n[exclude]\nkeywords = [\n  \"a\",\n  \"]\",\n]\nkeyword = [\"b\"]\n" + validFeeds,
			[]string{"c.toml:12: exclude.keyword: unknown key"}},
		{"dotted key at top level", "server.listn = \"x\"\n" + validFeeds, []string{"c.toml:1: server.listn: unknown key"}},
		{"dotted table header", "[ \"fetch\" ]\n'timeout' = \"soon\"\n" + validFeeds, []string{"c.toml:2: fetch.timeout: bad duration \"soon\""}},
		{"inline table in an array-table entry",
			"[[outputs]]\nname = \"a\"\n[[outputs]]\nname = \"b\"\ninclude = { tags = [\"x\"],\n  patterns = [\"(\"] }\n" + validFeeds,
			[]string{"c.toml:6: outputs[1].include.patterns: bad regular expression"}},
		{"sub-table of an array-table entry",
			"[[outputs]]\nname = \"a\"\n[[outputs]]\nname = \"b\"\n[outputs.exclude]\npaterns = [\"x\"]\n" + validFeeds,
			[]string{"c.toml:6: outputs[1].exclude.paterns: unknown key"}},
		{"array of inline tables",
			"feeds = [\n  { name = \"One\", url = \"https://one.example/\" },\n  { name = \"Two\", url = \"ftp://two.example/\" },\n]\n",
			[]string{"c.toml:3: feeds[1].url: bad URL"}},
		{"unknown key in an inline table of an array",
			"feeds = [\n  { name = \"One\", url = \"https://one.example/\" },\n  { name = \"Two\", url = \"https://two.example/\", colour = 1 },\n]\n",
			[]string{"c.toml:3: feeds[1].colour: unknown key"}},
		{"missing name points at the entry's header",
			validFeeds + "\n[[feeds]]\nurl = \"https://three.example/\"\n",
			[]string{"c.toml:12: feeds[2].name: missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig("c.toml", []byte(tt.toml))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("ParseConfig = %v, want a *ConfigError", err)
			}
			if len(ce.Problems) != len(tt.want) {
				t.Errorf("problems:\n%s\nwant %d", err, len(tt.want))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%s\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestExampleConfigIsValid(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "..", "config.example.toml"))
	if err != nil {
		t.Fatalf("config.example.toml: %v", err)
	}
	if len(cfg.Feeds) < 25 {
		t.Errorf("config.example.toml lists %d feeds, want at least 25", len(cfg.Feeds))
	}
	if cfg.AllowPrivateAddresses {
		t.Error("config.example.toml allows private addresses; the default must be off")
	}
	overrides := 0
	for _, f := range cfg.Feeds {
		if f.Schedule != "" {
			overrides++
		}
	}
	if overrides == 0 {
		t.Error("config.example.toml shows no per-feed schedule override")
	}
}

func TestCheckConfigCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.toml")
	bad := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(good, []byte(validFeeds), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("nope = 1\n"+validFeeds), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := cli(t, "check-config", good); code != exitOK || strings.TrimSpace(out) != "ok" {
		t.Errorf("check-config good: exit %d, output %q", code, out)
	}
	if code, out, _ := cli(t, "check-config", bad); code != exitFailure || !strings.Contains(out, "bad.toml:1: nope: unknown key") {
		t.Errorf("check-config bad: exit %d, output %q", code, out)
	}
	if code, _, _ := cli(t, "check-config", filepath.Join(dir, "missing.toml")); code != exitFailure {
		t.Errorf("check-config on a missing file: exit %d, want %d", code, exitFailure)
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			code, out, _ := cli(t, c.name, "-h")
			if code != exitOK || !strings.Contains(out, "Usage: wirefeed "+c.name) {
				t.Errorf("%s -h: exit %d, output %q", c.name, code, out)
			}
		})
	}
	if code, out, _ := cli(t, "-h"); code != exitOK || !strings.Contains(out, "serve") {
		t.Errorf("-h: exit %d, output %q", code, out)
	}
	if code, _, _ := cli(t, "frobnicate"); code != exitUsage {
		t.Errorf("unknown command: exit %d, want %d", code, exitUsage)
	}
}
