package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeAnswersWhileTheIndexLoads holds start-up where the
// deduplicator's index loads and checks what a request sees meanwhile: the
// merged feed as stored, the status page and /healthz, all at once; and no
// feed is fetched until the index is loaded.
func TestServeAnswersWhileTheIndexLoads(t *testing.T) {
	fx := newFixtureServer(t, map[string]string{"/a/feed.rss": "outlet-a.rss", "/b/feed.atom": "outlet-b.atom", "/c/feed.json": "outlet-c-1.json"})
	cfgPath := writeTestConfig(t, fx.srv.URL, map[string]string{"Outlet A": "/a/feed.rss", "Outlet B": "/b/feed.atom", "Outlet C": "/c/feed.json"})
	if code, out, errOut := cli(t, "fetch", "-config", cfgPath); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s\n%s", code, out, errOut)
	}
	fx.counts() // forget the first fetch's requests
	loading, release, loaded := make(chan struct{}), make(chan struct{}), make(chan struct{})
	defer func(f func(context.Context, *app) error) { loadIndex = f }(loadIndex)
	real := loadIndex
	loadIndex = func(ctx context.Context, a *app) error {
		close(loading)
		select {
		case <-release:
		case <-ctx.Done():
		}
		defer close(loaded)
		return real(ctx, a)
	}
	addr := startTestDaemon(t, cfgPath).addr
	<-loading
	if body, code := get(t, "http://"+addr+"/healthz"); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz while the index loads: %d %q", code, body)
	}
	if body, code := get(t, "http://"+addr+"/feed.json"); code != http.StatusOK || strings.Count(body, `"cluster_id"`) != 4 {
		t.Errorf("/feed.json while the index loads: %d, %d stories, want the 4 stored:\n%.300s", code, strings.Count(body, `"cluster_id"`), body)
	}
	if _, code := get(t, "http://"+addr+"/"); code != http.StatusOK {
		t.Errorf("status page while the index loads: %d", code)
	}
	time.Sleep(100 * time.Millisecond)
	if hits := fx.counts(); len(hits) != 0 {
		t.Errorf("feeds fetched before the index loaded: %v", hits)
	}
	close(release)
	<-loaded
	// On PostgreSQL the feeds are shared work: the fetch above claimed
	// them moments ago, so the daemon's cycle leaves them to it (the
	// store's conformance and the instances test check that); on SQLite
	// it fetches them again.
	deadline := time.Now().Add(10 * time.Second)
	for !onPostgres() && len(fx.counts()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no feed fetched after the index loaded")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
