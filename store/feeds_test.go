package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
)

func mustStates(t *testing.T, s *Store) map[string]wirefeed.FeedState {
	t.Helper()
	m, err := s.FeedStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFeedHealthIsRecorded(t *testing.T) {
	s := openStoriesStore(t)
	ctx := context.Background()
	feed := wirefeed.Feed{Name: "World Desk", URL: "https://old.example.com/feed"}
	if _, err := s.SyncFeeds(ctx, []wirefeed.Feed{feed}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2023, 6, 14, 12, 0, 0, 0, time.UTC)
	item := wirefeed.Item{GUID: "g1", URL: "https://old.example.com/a", Title: "A", Text: "a", Published: t0, Updated: t0}
	steps := []struct {
		name    string
		outcome wirefeed.Outcome
		check   func(t *testing.T, st wirefeed.FeedState)
	}{
		{"success with validators and a ttl", wirefeed.Outcome{
			Feed: feed, Attempted: t0, Status: 200, ETag: `"e1"`, LastMod: "Wed, 14 Jun 2023 11:00:00 GMT", BodyHash: "h1",
			Meta: wirefeed.FeedMeta{Title: "The World Desk"}, Items: []wirefeed.Item{item},
			NextDue: t0.Add(30 * time.Minute), NextDueReason: wirefeed.NextDueCache, MinInterval: 30 * time.Minute,
		}, func(t *testing.T, st wirefeed.FeedState) {
			if st.ETag != `"e1"` || st.LastModified == "" || st.BodyHash != "h1" || st.Title != "The World Desk" || st.Items != 1 ||
				!st.LastSuccess.Equal(t0) || !st.LastAttempt.Equal(t0) || st.LastStatus != 200 || st.ConsecutiveErrors != 0 ||
				st.NextDueReason != wirefeed.NextDueCache || !st.NextDue.Equal(t0.Add(30*time.Minute)) || st.MinInterval != 30*time.Minute {
				t.Errorf("state %+v", st)
			}
		}},
		{"first failure", wirefeed.Outcome{
			Feed: feed, Attempted: t0.Add(time.Hour), Status: 500, Err: errors.New(`feed "World Desk": HTTP 500`),
			NextDue: t0.Add(time.Hour + 5*time.Minute), NextDueReason: wirefeed.NextDueBackoff,
		}, func(t *testing.T, st wirefeed.FeedState) {
			if st.ConsecutiveErrors != 1 || st.LastError != `feed "World Desk": HTTP 500` || st.LastStatus != 500 ||
				!st.LastSuccess.Equal(t0) || !st.LastAttempt.Equal(t0.Add(time.Hour)) || st.NextDueReason != wirefeed.NextDueBackoff ||
				st.ETag != `"e1"` || st.MinInterval != 30*time.Minute {
				t.Errorf("state %+v; want 1 error, validators and ttl kept, last success unchanged", st)
			}
		}},
		{"second failure with a very long error", wirefeed.Outcome{
			Feed: feed, Attempted: t0.Add(2 * time.Hour), Err: errors.New(strings.Repeat("é", 2000)),
			NextDue: t0.Add(2*time.Hour + 10*time.Minute), NextDueReason: wirefeed.NextDueBackoff,
		}, func(t *testing.T, st wirefeed.FeedState) {
			if st.ConsecutiveErrors != 2 || st.LastStatus != 0 || len(st.LastError) > maxErrorLen+len("…") || !strings.HasSuffix(st.LastError, "…") {
				t.Errorf("state %+v; want 2 errors, status 0 and the error cut", st)
			}
		}},
		{"410 Gone", wirefeed.Outcome{
			Feed: feed, Attempted: t0.Add(3 * time.Hour), Status: 410, Err: errors.New("HTTP 410"), Gone: true,
		}, func(t *testing.T, st wirefeed.FeedState) {
			if !st.Gone || st.ConsecutiveErrors != 3 {
				t.Errorf("state %+v; want gone", st)
			}
		}},
		{"success after a permanent move", wirefeed.Outcome{
			Feed: feed, Attempted: t0.Add(4 * time.Hour), Status: 200, MovedTo: "https://new.example.com/feed", NotModified: true,
			ETag: `"e2"`,
		}, func(t *testing.T, st wirefeed.FeedState) {
			if st.URL != "https://new.example.com/feed" || st.ConfigURL != feed.URL || st.Gone || st.ConsecutiveErrors != 0 ||
				st.LastError != "" || st.ETag != `"e2"` || !st.NextDue.IsZero() || st.NextDueReason != "" || st.Title != "The World Desk" {
				t.Errorf("state %+v; want the new URL, healthy, title kept", st)
			}
		}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			o := step.outcome
			if _, err := s.Record(ctx, &o); err != nil {
				t.Fatal(err)
			}
			step.check(t, mustStates(t, s)["World Desk"])
		})
	}

	t.Run("a config URL change starts afresh", func(t *testing.T) {
		o := wirefeed.Outcome{Feed: feed, Attempted: t0.Add(5 * time.Hour), Err: errors.New("x"), Gone: true,
			NextDue: t0.Add(6 * time.Hour), NextDueReason: wirefeed.NextDueBackoff}
		if _, err := s.Record(ctx, &o); err != nil {
			t.Fatal(err)
		}
		changed := wirefeed.Feed{Name: "World Desk", URL: "https://elsewhere.example.com/rss"}
		if _, err := s.SyncFeeds(ctx, []wirefeed.Feed{changed}); err != nil {
			t.Fatal(err)
		}
		st := mustStates(t, s)["World Desk"]
		if st.URL != changed.URL || st.ConfigURL != changed.URL || st.Gone || st.ETag != "" || st.BodyHash != "" ||
			!st.NextDue.IsZero() || st.NextDueReason != "" || st.ConsecutiveErrors != 0 || st.MinInterval != 0 {
			t.Errorf("state %+v; want a fresh start at the new URL", st)
		}
		// Syncing the same config again changes nothing.
		o = wirefeed.Outcome{Feed: changed, Attempted: t0.Add(7 * time.Hour), Status: 200, ETag: `"e3"`}
		if _, err := s.Record(ctx, &o); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SyncFeeds(ctx, []wirefeed.Feed{changed}); err != nil {
			t.Fatal(err)
		}
		if st := mustStates(t, s)["World Desk"]; st.ETag != `"e3"` {
			t.Errorf("ETag = %q after a no-op sync, want it kept", st.ETag)
		}
	})
}

func TestHostPauses(t *testing.T) {
	s := openStoriesStore(t)
	ctx := context.Background()
	t0 := time.Date(2023, 6, 14, 12, 0, 0, 0, time.UTC)
	record := func(name, host string, at, until time.Time) {
		t.Helper()
		o := wirefeed.Outcome{Feed: wirefeed.Feed{Name: name, URL: "https://" + host + "/" + name}, Attempted: at, Status: 429,
			Err: errors.New("HTTP 429"), NextDue: until, NextDueReason: wirefeed.NextDueRetryAfter, PauseHost: host, PauseUntil: until, PauseReason: "HTTP 429 for feed " + name}
		if _, err := s.Record(ctx, &o); err != nil {
			t.Fatal(err)
		}
	}
	record("a", "busy.example", t0, t0.Add(time.Hour))
	record("b", "busy.example", t0, t0.Add(30*time.Minute)) // an earlier end does not shorten the pause
	record("c", "other.example:8443", t0, t0.Add(10*time.Minute))

	tests := []struct {
		at   time.Time
		want map[string]time.Time
	}{
		{t0, map[string]time.Time{"busy.example": t0.Add(time.Hour), "other.example:8443": t0.Add(10 * time.Minute)}},
		{t0.Add(20 * time.Minute), map[string]time.Time{"busy.example": t0.Add(time.Hour)}},
		{t0.Add(2 * time.Hour), map[string]time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.at.Format(time.Kitchen), func(t *testing.T) {
			got, err := s.HostPauses(ctx, tt.at)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("HostPauses(%v) = %v, want %v", tt.at, got, tt.want)
			}
			for host, until := range tt.want {
				if p := got[host]; !p.Until.Equal(until) || p.Host != host || !strings.HasPrefix(p.Reason, "HTTP 429 for feed ") {
					t.Errorf("pause of %s = %+v, want until %v", host, p, until)
				}
			}
		})
	}

	// Expired pauses are dropped by the next recording.
	record("d", "third.example", t0.Add(3*time.Hour), t0.Add(4*time.Hour))
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM host_pauses`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d host pauses kept, want only the live one", n)
	}
}
