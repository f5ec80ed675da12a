package main

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/wirefeed/wirefeed/fetcher"
	"github.com/wirefeed/wirefeed/store"
)

// problem formats a problem with key, found at line (0 when unknown),
// naming the config file.
func (c *Config) problem(line int, key, msg string) string {
	if line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", c.path, line, key, msg)
	}
	return fmt.Sprintf("%s: %s: %s", c.path, key, msg)
}

// at reports a problem with the value of key (a path such as
// "feeds[2].url").
func (c *Config) at(key, format string, args ...any) string {
	return c.problem(c.lines[key], key, fmt.Sprintf(format, args...))
}

// validate returns every problem with the config's values, each naming
// its line and key. It checks the file table by table, in this order, and
// the names [dedupe] preferred_sources gives against the feeds last.
func (c *Config) validate() []string {
	ps := c.validateGeneral()
	ps = append(ps, c.validateServer()...)
	ps = append(ps, c.validateFetch()...)
	ps = append(ps, c.validateDedupe()...)
	ps = append(ps, c.validateStore()...)
	ps = append(ps, c.validateOutputs()...)
	feedProblems, names := c.validateFeeds()
	ps = append(ps, feedProblems...)
	return append(ps, c.validatePreferredSources(names)...)
}

// validateGeneral checks the keys outside any table.
func (c *Config) validateGeneral() []string {
	var ps []string
	if strings.TrimSpace(c.DataDir) == "" {
		ps = append(ps, c.at("data_dir", "must not be empty"))
	}
	if msg := checkSchedule(c.Schedule); msg != "" {
		ps = append(ps, c.at("schedule", "%s", msg))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		ps = append(ps, c.at("log_level", "must be debug, info, warn or error, not %q", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		ps = append(ps, c.at("log_format", "must be text or json, not %q", c.LogFormat))
	}
	for i, p := range c.SecretQueryParams {
		if p == "" || strings.ContainsAny(p, "&=;#? \t") || len(p) > 100 {
			ps = append(ps, c.at("secret_query_params", "bad parameter name %q (entry %d): want a query parameter name, without & = ; # ? or spaces", p, i+1))
		}
	}
	return ps
}

// validateServer checks [server].
func (c *Config) validateServer() []string {
	var ps []string
	if _, _, err := net.SplitHostPort(c.Server.Listen); err != nil {
		ps = append(ps, c.at("server.listen", "bad address %q: want host:port", c.Server.Listen))
	}
	if c.Server.BaseURL != "" {
		if u, err := url.Parse(c.Server.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			ps = append(ps, c.at("server.base_url", "bad URL %q: want an absolute http or https URL", c.Server.BaseURL))
		}
	}
	if c.Server.DefaultLimit < 1 || c.Server.DefaultLimit > 1000 {
		ps = append(ps, c.at("server.default_limit", "must be between 1 and 1000, not %d", c.Server.DefaultLimit))
	}
	c.checkDuration(&ps, "server.max_age", c.Server.MaxAge, 0)
	if c.Server.CacheBytes < 0 || c.Server.CacheBytes > 4<<30 {
		ps = append(ps, c.at("server.cache_bytes", "must be between 0 (no cache) and 4294967296 (4 GiB), not %d", c.Server.CacheBytes))
	}
	if c.Server.MaxResponseBytes < 64<<10 || c.Server.MaxResponseBytes > 256<<20 {
		ps = append(ps, c.at("server.max_response_bytes", "must be between 65536 (64 KiB) and 268435456 (256 MiB), not %d", c.Server.MaxResponseBytes))
	}
	return ps
}

// validateFetch checks [fetch].
func (c *Config) validateFetch() []string {
	var ps []string
	c.checkDuration(&ps, "fetch.timeout", c.Fetch.Timeout, time.Second)
	c.checkDuration(&ps, "fetch.backoff_min", c.Fetch.BackoffMin, time.Second)
	c.checkDuration(&ps, "fetch.backoff_max", c.Fetch.BackoffMax, time.Second)
	if c.Fetch.Concurrency < 1 || c.Fetch.Concurrency > 256 {
		ps = append(ps, c.at("fetch.concurrency", "must be between 1 and 256, not %d", c.Fetch.Concurrency))
	}
	// Upper bounds too: a document is held in memory and parsed at a few
	// times its size, and an absurd value would overflow (9223372036854775807
	// made every feed fail as an empty document).
	if c.Fetch.MaxBodyBytes < 1024 || c.Fetch.MaxBodyBytes > maxBodyBytesLimit {
		ps = append(ps, c.at("fetch.max_body_bytes", "must be between 1024 and %d (256 MiB), not %d", maxBodyBytesLimit, c.Fetch.MaxBodyBytes))
	}
	if c.Fetch.MaxItemsPerFeed < 1 || c.Fetch.MaxItemsPerFeed > 100_000 {
		ps = append(ps, c.at("fetch.max_items_per_feed", "must be between 1 and 100000, not %d", c.Fetch.MaxItemsPerFeed))
	}
	if c.Fetch.MaxDepth < 32 || c.Fetch.MaxDepth > 4096 {
		ps = append(ps, c.at("fetch.max_depth", "must be between 32 and 4096, not %d", c.Fetch.MaxDepth))
	}
	if c.Fetch.MaxElements < fetcher.MinElements || c.Fetch.MaxElements > 5_000_000 {
		ps = append(ps, c.at("fetch.max_elements", "must be between %d and 5000000, not %d", fetcher.MinElements, c.Fetch.MaxElements))
	}
	if c.Fetch.PerHost < 1 || c.Fetch.PerHost > 64 {
		ps = append(ps, c.at("fetch.per_host_concurrency", "must be between 1 and 64, not %d", c.Fetch.PerHost))
	}
	if c.Fetch.MaxRedirects < 1 || c.Fetch.MaxRedirects > 20 {
		ps = append(ps, c.at("fetch.max_redirects", "must be between 1 and 20, not %d", c.Fetch.MaxRedirects))
	}
	c.checkDuration(&ps, "fetch.jitter", c.Fetch.Jitter, 0)
	c.checkDuration(&ps, "fetch.max_retry_after", c.Fetch.MaxRetryAfter, time.Minute)
	c.checkDuration(&ps, "fetch.max_cache_interval", c.Fetch.MaxCacheInterval, 0)
	if duration(c.Fetch.BackoffMax) < duration(c.Fetch.BackoffMin) {
		ps = append(ps, c.at("fetch.backoff_max", "must not be shorter than fetch.backoff_min (%s), not %s", c.Fetch.BackoffMin, c.Fetch.BackoffMax))
	}
	return ps
}

// validateDedupe checks [dedupe], all but preferred_sources
// (validatePreferredSources).
func (c *Config) validateDedupe() []string {
	var ps []string
	// Bodies under 8 cleaned words count as title-only whatever this says,
	// so a smaller value would be silently ignored.
	if c.Dedupe.MinBodyWords != 0 && c.Dedupe.MinBodyWords < 8 {
		ps = append(ps, c.at("dedupe.min_body_words", "must be at least 8 (bodies shorter than that count as title-only), not %d", c.Dedupe.MinBodyWords))
	}
	c.checkDuration(&ps, "dedupe.window", c.Dedupe.Window, time.Hour)
	c.checkDuration(&ps, "dedupe.title_window", c.Dedupe.TitleWindow, time.Minute)
	if d := duration(c.Dedupe.Window); d > 30*24*time.Hour {
		ps = append(ps, c.at("dedupe.window", "must be at most 720h (30 days), not %s", c.Dedupe.Window))
	}
	for _, t := range []struct {
		key string
		v   float64
	}{{"dedupe.jaccard", c.Dedupe.Jaccard}, {"dedupe.containment", c.Dedupe.Containment}, {"dedupe.title_similarity", c.Dedupe.TitleSimilarity}} {
		if t.v <= 0 || t.v > 1 {
			ps = append(ps, c.at(t.key, "must be above 0 and at most 1, not %g", t.v))
		}
	}
	if c.Dedupe.BoilerplateStories < 2 {
		ps = append(ps, c.at("dedupe.boilerplate_stories", "must be at least 2, not %d", c.Dedupe.BoilerplateStories))
	}
	return ps
}

// validateStore checks [store], whose retention must outlast the
// deduplicator's window.
func (c *Config) validateStore() []string {
	var ps []string
	c.checkDuration(&ps, "store.retention", c.Store.Retention, time.Hour)
	if c.Store.DSN != "" {
		// The DSN is not quoted: it holds a password.
		if !store.IsPostgres(c.Store.DSN) {
			ps = append(ps, c.at("store.dsn", "must be a postgres:// or postgresql:// URL (leave it out to use the SQLite file in data_dir)"))
		} else if u, err := url.Parse(c.Store.DSN); err != nil || u.Host == "" {
			ps = append(ps, c.at("store.dsn", "is not a valid URL with a host: want postgres://user:password@host:5432/database"))
		}
	}
	if c.Store.LeaseTTL != "" {
		if c.Store.DSN == "" {
			ps = append(ps, c.at("store.lease_ttl", "applies only with store.dsn (PostgreSQL): on SQLite one process fetches"))
		}
		c.checkDuration(&ps, "store.lease_ttl", c.Store.LeaseTTL, time.Second)
	}
	// The deduplicator verifies candidates against their stored text; items
	// pruned inside its window could no longer be compared.
	// The deduplicator's window is kept in whole UTC days, rounded up, and
	// reaches back into the day before its oldest: items that old are still
	// compared against.
	if ret, win := duration(c.Store.Retention), duration(c.Dedupe.Window); ret > 0 && win > 0 {
		need := (time.Duration((win+24*time.Hour-1)/(24*time.Hour)) + 1) * 24 * time.Hour
		if ret < need {
			ps = append(ps, c.at("store.retention", "must be at least %s for a dedupe.window of %s (the window in whole days, plus one), not %s", need, c.Dedupe.Window, c.Store.Retention))
		}
	}
	return ps
}

var feedNameRE = regexp.MustCompile(`^[^\x00-\x1f]{1,100}$`)

// validateFeeds checks [[feeds]]. It also returns the valid feed names,
// lower-cased, with the index of the entry that gives each.
func (c *Config) validateFeeds() (ps []string, names map[string]int) {
	if len(c.Feeds) == 0 {
		ps = append(ps, c.problem(0, "feeds", "no [[feeds]] configured"))
	}
	names = map[string]int{}
	for i, f := range c.Feeds {
		key := fmt.Sprintf("feeds[%d]", i)
		if strings.TrimSpace(f.Name) == "" {
			ps = append(ps, c.problem(c.lines.entry(key), key+".name", "missing; every feed needs a name"))
		} else if !feedNameRE.MatchString(f.Name) {
			ps = append(ps, c.at(key+".name", "must be 1 to 100 printable characters"))
		} else if strings.TrimSpace(f.Name) != f.Name {
			ps = append(ps, c.at(key+".name", "%q has leading or trailing spaces", f.Name))
		} else if j, dup := names[strings.ToLower(f.Name)]; dup {
			ps = append(ps, c.at(key+".name", "duplicate feed name %q (also feeds[%d], line %d)", f.Name, j, c.lines[fmt.Sprintf("feeds[%d].name", j)]))
		} else {
			names[strings.ToLower(f.Name)] = i
		}
		if f.URL == "" {
			ps = append(ps, c.problem(c.lines.entry(key), key+".url", "missing"))
		} else if u, err := url.Parse(f.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			ps = append(ps, c.at(key+".url", "bad URL %q: want an absolute http or https URL", f.URL))
		}
		if f.Schedule != "" {
			if msg := checkSchedule(f.Schedule); msg != "" {
				ps = append(ps, c.at(key+".schedule", "%s", msg))
			}
		}
	}
	return ps, names
}

// validatePreferredSources checks that [dedupe] preferred_sources names
// feeds of the config (names as validateFeeds returns them).
func (c *Config) validatePreferredSources(names map[string]int) []string {
	var ps []string
	for i, name := range c.Dedupe.PreferredSources {
		if _, ok := names[strings.ToLower(name)]; !ok {
			ps = append(ps, c.at("dedupe.preferred_sources", "%q (entry %d) is not the name of a configured feed", name, i+1))
		}
	}
	return ps
}

// checkSchedule returns what is wrong with a cron spec, or "". Fast
// schedules are allowed (tests against local fixtures use @every 1s); the
// sources are protected by cache hints, backoff and the per-host limit.
func checkSchedule(spec string) string {
	if _, err := fetcher.CronParser.Parse(spec); err != nil {
		return fmt.Sprintf("bad cron spec %q: %v", spec, err)
	}
	// cron turns an @every shorter than a second (zero, negative, 1ns)
	// into every second, silently; read the duration as cron does (after
	// an optional TZ= or CRON_TZ= prefix) and refuse it.
	rest := spec
	if strings.HasPrefix(rest, "TZ=") || strings.HasPrefix(rest, "CRON_TZ=") {
		if i := strings.Index(rest, " "); i > 0 {
			rest = strings.TrimSpace(rest[i:])
		}
	}
	if v, ok := strings.CutPrefix(rest, "@every "); ok {
		if d, err := time.ParseDuration(v); err == nil && d < time.Second {
			return fmt.Sprintf("bad cron spec %q: @every needs a duration of at least 1s, not %s", spec, v)
		}
	}
	return ""
}

// checkDuration adds a problem to ps unless v is a duration of at least
// atLeast.
func (c *Config) checkDuration(ps *[]string, key, v string, atLeast time.Duration) {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		*ps = append(*ps, c.at(key, "bad duration %q: want a number with a unit, such as 90s, 15m or 6h", v))
	case d < atLeast:
		*ps = append(*ps, c.at(key, "must be at least %s, not %s", atLeast, v))
	}
}
