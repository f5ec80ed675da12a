// Package storetest is the store's conformance suite: tests that every
// backend of package store (SQLite, PostgreSQL) must pass with the same
// answers. Each test opens empty databases through a Backend and uses only
// the store's exported API, so what it checks is what the rest of wirefeed
// sees: recorded feeds and items, stories and their order, search, feed
// health, retention, generations, several writers on one database, and
// shared work.
//
// store's own tests run the suite on every backend (store/conformance_test.go);
// a backend whose server is not configured is skipped with a message.
package storetest

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/pgtest"
	"github.com/wirefeed/wirefeed/store"
)

// Backend is a kind of database the store runs on.
type Backend struct {
	Name string
	// DSN returns what store.Open takes for a new, empty database of the
	// test's own (it skips the test when the backend is not available).
	DSN func(t testing.TB) string
}

// SQLite is the embedded backend: a file in the test's temporary directory.
func SQLite() Backend {
	return Backend{Name: "sqlite", DSN: func(t testing.TB) string { return filepath.Join(t.TempDir(), "wirefeed.db") }}
}

// Postgres is the PostgreSQL backend: a database of its own on the server
// named by pgtest.EnvVar; without it the test is skipped.
func Postgres() Backend { return Backend{Name: "postgres", DSN: pgtest.DSN} }

// Backends returns every backend.
func Backends() []Backend { return []Backend{SQLite(), Postgres()} }

// Test is one conformance test.
type Test struct {
	Name string
	Run  func(t *testing.T, b Backend)
}

// Tests is the suite.
var Tests = []Test{
	{"RecordAndUpdate", testRecordAndUpdate},
	{"RecordBatchIsolatesAFailingFeed", testRecordBatchIsolates},
	{"FeedHealth", testFeedHealth},
	{"HostPauses", testHostPauses},
	{"StoriesQueries", testStoriesQueries},
	{"StoriesPaging", testStoriesPaging},
	{"SearchFollowsItems", testSearchFollowsItems},
	{"SearchTerms", testSearchTerms},
	{"OddText", testOddText},
	{"NearDuplicatesAcrossFeeds", testNearDuplicates},
	{"ReissuedGUIDs", testReissuedGUIDs},
	{"PruneKeepsStoryIDs", testPruneKeepsIDs},
	{"SyncAndPruneFeeds", testSyncAndPruneFeeds},
	{"Generation", testGeneration},
	{"WritersCatchUp", testWritersCatchUp},
	{"SharedWork", testSharedWork},
}

// Run runs the whole suite on b, each test as a subtest.
func Run(t *testing.T, b Backend) {
	for _, tc := range Tests {
		t.Run(tc.Name, func(t *testing.T) { tc.Run(t, b) })
	}
}

// Open opens a store on dsn, closed when t ends.
func Open(t testing.TB, dsn string, opts store.Options) *store.Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	st, err := store.Open(context.Background(), dsn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// t0 is the suite's epoch: items are published and fetched around it.
var t0 = time.Date(2023, 6, 14, 10, 0, 0, 0, time.UTC)

// feedOf is the feed called name, at a URL made from it.
func feedOf(name string) wirefeed.Feed {
	return wirefeed.Feed{Name: name, URL: "https://" + slug(name) + ".example/feed"}
}

func slug(s string) string {
	b := []byte{}
	for _, c := range []byte(s) {
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
		}
	}
	return string(b)
}

// item is an item with a URL made from its GUID.
func item(guid, title, text string, published time.Time) wirefeed.Item {
	return wirefeed.Item{GUID: guid, URL: "https://news.example/" + guid, Title: title, Text: text, Summary: text,
		ContentHTML: "<p>" + text + "</p>", Published: published, Updated: published}
}

// record stores items for feed, each in a fetch of its own made a minute
// after it was published, so stories are first seen in the order of their
// dates.
func record(t testing.TB, s *store.Store, feed string, items ...wirefeed.Item) {
	t.Helper()
	for _, it := range items {
		_, err := s.Record(context.Background(), &wirefeed.Outcome{Feed: feedOf(feed), Attempted: it.Published.Add(time.Minute), Status: 200,
			Items: []wirefeed.Item{it}})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func stories(t testing.TB, s *store.Store, q wirefeed.StoryQuery) []wirefeed.Story {
	t.Helper()
	got, err := s.Stories(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func titles(stories []wirefeed.Story) []string {
	var out []string
	for _, s := range stories {
		out = append(out, s.Representative.Title)
	}
	return out
}

func states(t testing.TB, s *store.Store) map[string]wirefeed.FeedState {
	t.Helper()
	m, err := s.FeedStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m
}
