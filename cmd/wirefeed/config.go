package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/feedout"
	"github.com/wirefeed/wirefeed/fetcher"
	"github.com/wirefeed/wirefeed/internal/redact"
)

// Config is the TOML configuration file. Durations are Go duration strings
// ("90s", "15m", "6h"); schedules are cron specs ("*/15 * * * *", "@hourly",
// "@every 15m").
type Config struct {
	DataDir               string `toml:"data_dir"`
	Schedule              string `toml:"schedule"`
	AllowPrivateAddresses bool   `toml:"allow_private_addresses"`
	LogLevel              string `toml:"log_level"`
	LogFormat             string `toml:"log_format"`
	// SecretQueryParams are query parameter names, besides
	// redact.DefaultParams, whose values in feed URLs are secret: they are
	// used to fetch and shown nowhere.
	SecretQueryParams []string `toml:"secret_query_params"`

	Server ServerConfig `toml:"server"`
	Fetch  FetchConfig  `toml:"fetch"`
	Dedupe DedupeConfig `toml:"dedupe"`
	Store  StoreConfig  `toml:"store"`
	Feeds  []FeedConfig `toml:"feeds"`

	// Exclude keeps matching stories out of every output, the main feed
	// included.
	Exclude RulesConfig    `toml:"exclude"`
	Outputs []OutputConfig `toml:"outputs"`
	Static  StaticConfig   `toml:"static"`

	path  string
	lines keyLines

	redact *redact.Redactor // built from SecretQueryParams and the feeds' URLs
}

// ServerConfig is the [server] table.
type ServerConfig struct {
	Listen       string `toml:"listen"`
	BaseURL      string `toml:"base_url"`
	Title        string `toml:"title"`
	Description  string `toml:"description"`
	DefaultLimit int    `toml:"default_limit"`
	MaxAge       string `toml:"max_age"`
	// Metrics serves Prometheus metrics at /metrics.
	Metrics bool `toml:"metrics"`

	// CacheBytes bounds the rendering cache; 0 keeps nothing.
	CacheBytes int64 `toml:"cache_bytes"`
	// MaxResponseBytes bounds one feed response: a fuller one is served
	// with fewer entries and a next link.
	MaxResponseBytes int `toml:"max_response_bytes"`
}

// FetchConfig is the [fetch] table.
type FetchConfig struct {
	Timeout         string `toml:"timeout"`
	Concurrency     int    `toml:"concurrency"`
	MaxBodyBytes    int64  `toml:"max_body_bytes"`
	MaxItemsPerFeed int    `toml:"max_items_per_feed"`
	UserAgent       string `toml:"user_agent"`
	BackoffMin      string `toml:"backoff_min"`
	BackoffMax      string `toml:"backoff_max"`
	// PerHost is how many feeds on one host are fetched at once.
	PerHost int `toml:"per_host_concurrency"`
	// Jitter spreads the feeds of one schedule over this window (at most
	// half the schedule's interval); `wirefeed fetch` does not spread.
	Jitter       string `toml:"jitter"`
	MaxRedirects int    `toml:"max_redirects"`
	// MaxRetryAfter caps how long a 429/503 Retry-After pauses a host.
	MaxRetryAfter string `toml:"max_retry_after"`
	// MaxCacheInterval caps how long Cache-Control max-age, Expires or RSS
	// <ttl> may hold back a feed's next fetch; "0s" ignores them.
	MaxCacheInterval string `toml:"max_cache_interval"`

	// MaxDepth and MaxElements bound a document's nesting and its elements
	// and attributes (JSON: values and keys) before it is parsed.
	MaxDepth    int `toml:"max_depth"`
	MaxElements int `toml:"max_elements"`
}

// DedupeConfig is the [dedupe] table.
type DedupeConfig struct {
	PreferredSources   []string `toml:"preferred_sources"`
	MinBodyWords       int      `toml:"min_body_words"`
	Window             string   `toml:"window"`
	Jaccard            float64  `toml:"jaccard"`
	Containment        float64  `toml:"containment"`
	TitleSimilarity    float64  `toml:"title_similarity"`
	TitleWindow        string   `toml:"title_window"`
	BoilerplateStories int      `toml:"boilerplate_stories"`
}

// StoreConfig is the [store] table.
type StoreConfig struct {
	Retention string `toml:"retention"`
}

// RulesConfig selects stories by topic: the [exclude] table and the
// include and exclude tables of an [[outputs]] entry. A story matches when
// any outlet's copy has a keyword (whole words, any case) or a pattern (RE2
// regular expression) in its title, summary or categories, one of the
// categories, or comes from a feed with one of the tags.
type RulesConfig struct {
	Keywords   []string `toml:"keywords"`
	Patterns   []string `toml:"patterns"`
	Categories []string `toml:"categories"`
	Tags       []string `toml:"tags"`
}

// OutputConfig is one [[outputs]] entry: a merged feed of its own at
// /feeds/<name>.rss|.atom|.json.
type OutputConfig struct {
	Name        string      `toml:"name"`
	Title       string      `toml:"title"`
	Description string      `toml:"description"`
	MaxItems    int         `toml:"max_items"`
	Include     RulesConfig `toml:"include"`
	Exclude     RulesConfig `toml:"exclude"`
}

// StaticConfig is the [static] table: static export after every cycle.
type StaticConfig struct {
	// Dir, when not empty, receives every output in every format and
	// sources.opml after each fetch cycle of the daemon, and after
	// `wirefeed fetch` unless --out names another directory.
	Dir string `toml:"dir"`
}

// FeedConfig is one [[feeds]] entry.
type FeedConfig struct {
	Name     string   `toml:"name"`
	URL      string   `toml:"url"`
	Tags     []string `toml:"tags"`
	Schedule string   `toml:"schedule"`
}

// maxBodyBytesLimit is the largest fetch.max_body_bytes accepted.
const maxBodyBytesLimit = 256 << 20

// defaults are applied before the file is decoded, so a key left out keeps
// its default.
func defaultConfig() Config {
	return Config{
		DataDir:   "./data",
		Schedule:  "@every 15m",
		LogLevel:  "info",
		LogFormat: "text",
		Server: ServerConfig{
			Listen:       "127.0.0.1:8080",
			Title:        "wirefeed",
			Description:  "One entry per story, with every outlet that carried it.",
			DefaultLimit: 50,
			MaxAge:       "5m",
			Metrics:      true,

			CacheBytes:       feedout.DefaultCacheBytes,
			MaxResponseBytes: feedout.DefaultMaxResponseBytes,
		},
		Fetch: FetchConfig{
			Timeout:          "30s",
			Concurrency:      fetcher.DefaultConcurrency,
			MaxBodyBytes:     fetcher.DefaultMaxBodyBytes,
			MaxItemsPerFeed:  fetcher.DefaultMaxItems,
			MaxDepth:         fetcher.DefaultMaxDepth,
			MaxElements:      fetcher.DefaultMaxElements,
			BackoffMin:       fetcher.DefaultBackoffMin.String(),
			BackoffMax:       fetcher.DefaultBackoffMax.String(),
			PerHost:          fetcher.DefaultPerHost,
			Jitter:           "2m",
			MaxRedirects:     fetcher.DefaultMaxRedirects,
			MaxRetryAfter:    fetcher.DefaultMaxRetryAfter.String(),
			MaxCacheInterval: fetcher.DefaultMaxCacheInterval.String(),
		},
		Dedupe: DedupeConfig{
			Window:             dedupe.DefaultWindow.String(),
			Jaccard:            dedupe.DefaultJaccard,
			Containment:        dedupe.DefaultContainment,
			TitleSimilarity:    dedupe.DefaultTitleSimilarity,
			TitleWindow:        dedupe.DefaultTitleWindow.String(),
			BoilerplateStories: dedupe.DefaultBoilerplateStories,
		},
		Store: StoreConfig{Retention: "720h"},
	}
}

// ConfigError lists every problem found in a config file, each naming the
// file, the line and the key.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string { return strings.Join(e.Problems, "\n") }

// LoadConfig reads and validates a config file.
func LoadConfig(path string) (*Config, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("config: %s is a directory, not a config file (Docker creates a directory when the file it should mount does not exist: create the config file first, then mount it)", path)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("config: no config file at %s (create one, e.g. from config.example.toml; in Docker, mount it with -v \"$PWD/config.toml:/etc/wirefeed/config.toml:ro\")", path)
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig decodes and validates config data read from path. Every
// problem names the file, the line and the key: unknown keys (all of them),
// a syntax or type error (the first), and every value validate rejects.
// A problem may quote a feed URL: its credentials and secret parameters
// are redacted, to keep them off the terminal and out of cron's mail.
func ParseConfig(path string, data []byte) (*Config, error) {
	cfg := defaultConfig()
	err := parseConfig(&cfg, path, data)
	var ce *ConfigError
	if errors.As(err, &ce) {
		red := redact.New(cfg.SecretQueryParams, cfg.feedURLs()...)
		for i, p := range ce.Problems {
			ce.Problems[i] = red.Text(p)
		}
	}
	if err != nil {
		return nil, err
	}
	cfg.redact = redact.New(cfg.SecretQueryParams, cfg.feedURLs()...)
	return &cfg, nil
}

func parseConfig(cfg *Config, path string, data []byte) error {
	cfg.path = path
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(cfg)
	var strict *toml.StrictMissingError
	var de *toml.DecodeError
	switch {
	case err == nil:
	case errors.As(err, &strict):
		// Only unknown keys: everything else decoded, so validate too.
		cfg.lines = scanKeyLines(data)
		var problems []string
		for _, e := range strict.Errors {
			row, _ := e.Position()
			key, line := cfg.lines.locate(e.Key(), row)
			problems = append(problems, cfg.problem(line, key, "unknown key"))
		}
		return &ConfigError{Problems: append(problems, cfg.validate()...)}
	case errors.As(err, &de):
		row, _ := de.Position()
		if len(de.Key()) == 0 {
			return &ConfigError{Problems: []string{fmt.Sprintf("%s:%d: %s", path, row, strings.TrimPrefix(de.Error(), "toml: "))}}
		}
		key, line := scanKeyLines(data).locate(de.Key(), row)
		return &ConfigError{Problems: []string{cfg.problem(line, key, decodeProblem(de.Error()))}}
	default:
		return &ConfigError{Problems: []string{fmt.Sprintf("%s: %v", path, err)}}
	}
	cfg.lines = scanKeyLines(data)
	if problems := cfg.validate(); len(problems) > 0 {
		return &ConfigError{Problems: problems}
	}
	return nil
}

// typeErrRE matches go-toml's type errors ("toml: cannot decode TOML
// string into struct field main.FetchConfig.Concurrency of type int").
var typeErrRE = regexp.MustCompile(`cannot decode TOML (\w+) into .* of type (\S+)$`)

// decodeProblem rewrites a decoder's message for the operator.
func decodeProblem(msg string) string {
	m := typeErrRE.FindStringSubmatch(msg)
	if m == nil {
		return strings.TrimPrefix(msg, "toml: ")
	}
	want := map[string]string{"int": "a whole number", "int64": "a whole number", "float64": "a number",
		"string": "a string", "bool": "true or false", "[]string": "an array of strings"}[m[2]]
	if want == "" {
		want = m[2]
	}
	return fmt.Sprintf("wrong type: want %s, not a TOML %s", want, m[1])
}

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

var feedNameRE = regexp.MustCompile(`^[^\x00-\x1f]{1,100}$`)

func (c *Config) validate() []string {
	var ps []string
	add := func(p string) { ps = append(ps, p) }

	if strings.TrimSpace(c.DataDir) == "" {
		add(c.at("data_dir", "must not be empty"))
	}
	if msg := checkSchedule(c.Schedule); msg != "" {
		add(c.at("schedule", "%s", msg))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		add(c.at("log_level", "must be debug, info, warn or error, not %q", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		add(c.at("log_format", "must be text or json, not %q", c.LogFormat))
	}
	for i, p := range c.SecretQueryParams {
		if p == "" || strings.ContainsAny(p, "&=;#? \t") || len(p) > 100 {
			add(c.at("secret_query_params", "bad parameter name %q (entry %d): want a query parameter name, without & = ; # ? or spaces", p, i+1))
		}
	}

	if _, _, err := net.SplitHostPort(c.Server.Listen); err != nil {
		add(c.at("server.listen", "bad address %q: want host:port", c.Server.Listen))
	}
	if c.Server.BaseURL != "" {
		if u, err := url.Parse(c.Server.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			add(c.at("server.base_url", "bad URL %q: want an absolute http or https URL", c.Server.BaseURL))
		}
	}
	if c.Server.DefaultLimit < 1 || c.Server.DefaultLimit > 1000 {
		add(c.at("server.default_limit", "must be between 1 and 1000, not %d", c.Server.DefaultLimit))
	}
	c.checkDuration(&ps, "server.max_age", c.Server.MaxAge, 0)
	if c.Server.CacheBytes < 0 || c.Server.CacheBytes > 4<<30 {
		add(c.at("server.cache_bytes", "must be between 0 (no cache) and 4294967296 (4 GiB), not %d", c.Server.CacheBytes))
	}
	if c.Server.MaxResponseBytes < 64<<10 || c.Server.MaxResponseBytes > 256<<20 {
		add(c.at("server.max_response_bytes", "must be between 65536 (64 KiB) and 268435456 (256 MiB), not %d", c.Server.MaxResponseBytes))
	}

	c.checkDuration(&ps, "fetch.timeout", c.Fetch.Timeout, time.Second)
	c.checkDuration(&ps, "fetch.backoff_min", c.Fetch.BackoffMin, time.Second)
	c.checkDuration(&ps, "fetch.backoff_max", c.Fetch.BackoffMax, time.Second)
	if c.Fetch.Concurrency < 1 || c.Fetch.Concurrency > 256 {
		add(c.at("fetch.concurrency", "must be between 1 and 256, not %d", c.Fetch.Concurrency))
	}
	// Upper bounds too: a document is held in memory and parsed at a few
	// times its size, and an absurd value would overflow (9223372036854775807
	// made every feed fail as an empty document).
	if c.Fetch.MaxBodyBytes < 1024 || c.Fetch.MaxBodyBytes > maxBodyBytesLimit {
		add(c.at("fetch.max_body_bytes", "must be between 1024 and %d (256 MiB), not %d", maxBodyBytesLimit, c.Fetch.MaxBodyBytes))
	}
	if c.Fetch.MaxItemsPerFeed < 1 || c.Fetch.MaxItemsPerFeed > 100_000 {
		add(c.at("fetch.max_items_per_feed", "must be between 1 and 100000, not %d", c.Fetch.MaxItemsPerFeed))
	}
	if c.Fetch.MaxDepth < 32 || c.Fetch.MaxDepth > 4096 {
		add(c.at("fetch.max_depth", "must be between 32 and 4096, not %d", c.Fetch.MaxDepth))
	}
	if c.Fetch.MaxElements < fetcher.MinElements || c.Fetch.MaxElements > 5_000_000 {
		add(c.at("fetch.max_elements", "must be between %d and 5000000, not %d", fetcher.MinElements, c.Fetch.MaxElements))
	}
	if c.Fetch.PerHost < 1 || c.Fetch.PerHost > 64 {
		add(c.at("fetch.per_host_concurrency", "must be between 1 and 64, not %d", c.Fetch.PerHost))
	}
	if c.Fetch.MaxRedirects < 1 || c.Fetch.MaxRedirects > 20 {
		add(c.at("fetch.max_redirects", "must be between 1 and 20, not %d", c.Fetch.MaxRedirects))
	}
	c.checkDuration(&ps, "fetch.jitter", c.Fetch.Jitter, 0)
	c.checkDuration(&ps, "fetch.max_retry_after", c.Fetch.MaxRetryAfter, time.Minute)
	c.checkDuration(&ps, "fetch.max_cache_interval", c.Fetch.MaxCacheInterval, 0)
	if duration(c.Fetch.BackoffMax) < duration(c.Fetch.BackoffMin) {
		add(c.at("fetch.backoff_max", "must not be shorter than fetch.backoff_min (%s), not %s", c.Fetch.BackoffMin, c.Fetch.BackoffMax))
	}
	// Bodies under 8 cleaned words count as title-only whatever this says,
	// so a smaller value would be silently ignored.
	if c.Dedupe.MinBodyWords != 0 && c.Dedupe.MinBodyWords < 8 {
		add(c.at("dedupe.min_body_words", "must be at least 8 (bodies shorter than that count as title-only), not %d", c.Dedupe.MinBodyWords))
	}
	c.checkDuration(&ps, "dedupe.window", c.Dedupe.Window, time.Hour)
	c.checkDuration(&ps, "dedupe.title_window", c.Dedupe.TitleWindow, time.Minute)
	if d := duration(c.Dedupe.Window); d > 30*24*time.Hour {
		add(c.at("dedupe.window", "must be at most 720h (30 days), not %s", c.Dedupe.Window))
	}
	for _, t := range []struct {
		key string
		v   float64
	}{{"dedupe.jaccard", c.Dedupe.Jaccard}, {"dedupe.containment", c.Dedupe.Containment}, {"dedupe.title_similarity", c.Dedupe.TitleSimilarity}} {
		if t.v <= 0 || t.v > 1 {
			add(c.at(t.key, "must be above 0 and at most 1, not %g", t.v))
		}
	}
	if c.Dedupe.BoilerplateStories < 2 {
		add(c.at("dedupe.boilerplate_stories", "must be at least 2, not %d", c.Dedupe.BoilerplateStories))
	}
	c.checkDuration(&ps, "store.retention", c.Store.Retention, time.Hour)
	// The deduplicator verifies candidates against their stored text; items
	// pruned inside its window could no longer be compared.
	// The deduplicator's window is kept in whole UTC days, rounded up, and
	// reaches back into the day before its oldest: items that old are still
	// compared against.
	if ret, win := duration(c.Store.Retention), duration(c.Dedupe.Window); ret > 0 && win > 0 {
		need := (time.Duration((win+24*time.Hour-1)/(24*time.Hour)) + 1) * 24 * time.Hour
		if ret < need {
			add(c.at("store.retention", "must be at least %s for a dedupe.window of %s (the window in whole days, plus one), not %s", need, c.Dedupe.Window, c.Store.Retention))
		}
	}
	ps = append(ps, c.validateOutputs()...)

	if len(c.Feeds) == 0 {
		add(c.problem(0, "feeds", "no [[feeds]] configured"))
	}
	names := map[string]int{}
	for i, f := range c.Feeds {
		key := fmt.Sprintf("feeds[%d]", i)
		if strings.TrimSpace(f.Name) == "" {
			add(c.problem(c.lines.entry(key), key+".name", "missing; every feed needs a name"))
		} else if !feedNameRE.MatchString(f.Name) {
			add(c.at(key+".name", "must be 1 to 100 printable characters"))
		} else if strings.TrimSpace(f.Name) != f.Name {
			add(c.at(key+".name", "%q has leading or trailing spaces", f.Name))
		} else if j, dup := names[strings.ToLower(f.Name)]; dup {
			add(c.at(key+".name", "duplicate feed name %q (also feeds[%d], line %d)", f.Name, j, c.lines[fmt.Sprintf("feeds[%d].name", j)]))
		} else {
			names[strings.ToLower(f.Name)] = i
		}
		if f.URL == "" {
			add(c.problem(c.lines.entry(key), key+".url", "missing"))
		} else if u, err := url.Parse(f.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			add(c.at(key+".url", "bad URL %q: want an absolute http or https URL", f.URL))
		}
		if f.Schedule != "" {
			if msg := checkSchedule(f.Schedule); msg != "" {
				add(c.at(key+".schedule", "%s", msg))
			}
		}
	}
	for i, name := range c.Dedupe.PreferredSources {
		if _, ok := names[strings.ToLower(name)]; !ok {
			add(c.at("dedupe.preferred_sources", "%q (entry %d) is not the name of a configured feed", name, i+1))
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

func (c *Config) checkDuration(ps *[]string, key, v string, atLeast time.Duration) {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		*ps = append(*ps, c.at(key, "bad duration %q: want a number with a unit, such as 90s, 15m or 6h", v))
	case d < atLeast:
		*ps = append(*ps, c.at(key, "must be at least %s, not %s", atLeast, v))
	}
}

// duration returns a validated duration value.
func duration(v string) time.Duration {
	d, _ := time.ParseDuration(v)
	return d
}

// runnerOptions turns the [fetch] table into the fetcher's options.
func (c *Config) runnerOptions(logger *slog.Logger) fetcher.RunnerOptions {
	maxCache := duration(c.Fetch.MaxCacheInterval)
	if maxCache == 0 {
		maxCache = -1 // "0s" in the config: ignore the servers' hints
	}
	return fetcher.RunnerOptions{
		Concurrency:      c.Fetch.Concurrency,
		PerHost:          c.Fetch.PerHost,
		Limits:           fetcher.Limits{MaxItems: c.Fetch.MaxItemsPerFeed, MaxDepth: c.Fetch.MaxDepth, MaxElements: c.Fetch.MaxElements},
		Backoff:          fetcher.Backoff{Min: duration(c.Fetch.BackoffMin), Max: duration(c.Fetch.BackoffMax)},
		MaxCacheInterval: maxCache,
		MaxRetryAfter:    duration(c.Fetch.MaxRetryAfter),
		Jitter:           duration(c.Fetch.Jitter),
		Logger:           logger,
		Redact:           c.Redactor(),
	}
}

// feedURLs returns the configured feed URLs.
func (c *Config) feedURLs() []string {
	urls := make([]string, len(c.Feeds))
	for i, f := range c.Feeds {
		urls[i] = f.URL
	}
	return urls
}

// Redactor returns what hides the secrets of the configured feed URLs
// (userinfo, secret query parameters) wherever text leaves the process.
func (c *Config) Redactor() *redact.Redactor {
	if c.redact == nil {
		c.redact = redact.New(c.SecretQueryParams, c.feedURLs()...)
	}
	return c.redact
}

// DBPath is the database file inside the data directory.
func (c *Config) DBPath() string { return filepath.Join(c.DataDir, "wirefeed.db") }

// DomainFeeds returns the configured feeds as domain values.
func (c *Config) DomainFeeds() []wirefeed.Feed {
	out := make([]wirefeed.Feed, len(c.Feeds))
	for i, f := range c.Feeds {
		out[i] = wirefeed.Feed{Name: f.Name, URL: f.URL, Tags: f.Tags, Schedule: f.Schedule}
	}
	return out
}

// dedupeOptions returns the [dedupe] table as the deduplicator's options.
func (c *Config) dedupeOptions(logger *slog.Logger) dedupe.Options {
	return dedupe.Options{
		PreferredSources:   c.Dedupe.PreferredSources,
		MinBodyWords:       c.Dedupe.MinBodyWords,
		Window:             duration(c.Dedupe.Window),
		Jaccard:            c.Dedupe.Jaccard,
		Containment:        c.Dedupe.Containment,
		TitleSimilarity:    c.Dedupe.TitleSimilarity,
		TitleWindow:        duration(c.Dedupe.TitleWindow),
		BoilerplateStories: c.Dedupe.BoilerplateStories,
		Logger:             logger,
	}
}
