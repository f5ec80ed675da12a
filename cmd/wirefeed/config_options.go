package main

import (
	"log/slog"
	"net/url"
	"path/filepath"
	"regexp"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/dedupe"
	"github.com/wirefeed/wirefeed/feedout"
	"github.com/wirefeed/wirefeed/fetcher"
	"github.com/wirefeed/wirefeed/internal/redact"
	"github.com/wirefeed/wirefeed/store"
)

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
		c.redact = redact.New(c.SecretQueryParams, c.secretURLs()...)
	}
	return c.redact
}

// secretURLs are the URLs whose secrets are redacted from every text: the
// feeds' and the database's.
func (c *Config) secretURLs() []string {
	urls := c.feedURLs()
	if c.Store.DSN != "" {
		urls = append(urls, dsnSecrets(c.Store.DSN))
	}
	return urls
}

// dsnSecrets is the DSN as the redactor should learn its secrets: without
// the user name, which is no secret (a database user called "wirefeed"
// would otherwise be masked in every log line), but with the password and
// the query's secret parameters.
func dsnSecrets(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if pw, ok := u.User.Password(); ok {
		u.User = url.UserPassword("", pw)
	} else {
		u.User = nil
	}
	return u.String()
}

// DBPath is the database file inside the data directory.
func (c *Config) DBPath() string { return filepath.Join(c.DataDir, "wirefeed.db") }

// Database is what store.Open takes: [store] dsn when set (PostgreSQL),
// else DBPath.
func (c *Config) Database() string {
	if c.Store.DSN != "" {
		return c.Store.DSN
	}
	return c.DBPath()
}

// DatabaseName names the database in messages and logs: DBPath, or the
// DSN without its secrets.
func (c *Config) DatabaseName() string {
	if c.Store.DSN != "" {
		return store.RedactDSN(c.Store.DSN)
	}
	return c.DBPath()
}

// storeOptions are the options every command opens the database with.
func (c *Config) storeOptions(m wirefeed.Matcher, logger *slog.Logger) store.Options {
	return store.Options{Matcher: m, Logger: logger, LeaseTTL: duration(c.Store.LeaseTTL)}
}

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

// feedMeta returns the [server] table's titles as the merged feed's metadata.
func (c *Config) feedMeta() feedout.Meta {
	return feedout.Meta{Title: c.Server.Title, Description: c.Server.Description, BaseURL: c.Server.BaseURL, Path: "feed", Redact: c.Redactor()}
}

// feedRules turns a validated rules table into feedout's form.
func feedRules(r RulesConfig) feedout.Rules {
	out := feedout.Rules{Keywords: r.Keywords, Categories: r.Categories, Tags: r.Tags}
	for _, p := range r.Patterns {
		if re, err := regexp.Compile(p); err == nil { // validated already
			out.Patterns = append(out.Patterns, re)
		}
	}
	return out
}

// FeedOutputs returns the configured named outputs in feedout's form.
func (c *Config) FeedOutputs() []feedout.Output {
	out := make([]feedout.Output, 0, len(c.Outputs))
	for _, o := range c.Outputs {
		out = append(out, feedout.Output{
			Name: o.Name, Title: o.Title, Description: o.Description, MaxItems: o.MaxItems,
			Include: feedRules(o.Include), Exclude: feedRules(o.Exclude),
		})
	}
	return out
}
