package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"

	"github.com/pelletier/go-toml/v2"
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
	// DSN, when set, is a postgres:// URL: the database is PostgreSQL
	// instead of the SQLite file in data_dir, and several `wirefeed serve`
	// instances may share it (issue 11). Its password is a secret: it is
	// redacted wherever the DSN is shown.
	DSN string `toml:"dsn"`
	// LeaseTTL, on PostgreSQL, is how long an instance's claim on a feed
	// lasts without renewal: how soon the other instances take over the
	// feeds of one that died (default store.DefaultLeaseTTL).
	LeaseTTL string `toml:"lease_ttl"`
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
		red := redact.New(cfg.SecretQueryParams, cfg.secretURLs()...)
		for i, p := range ce.Problems {
			ce.Problems[i] = red.Text(p)
		}
	}
	if err != nil {
		return nil, err
	}
	cfg.redact = redact.New(cfg.SecretQueryParams, cfg.secretURLs()...)
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
