package fetcher

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
)

// TestRetryAfterMessagesTellThePauseApplied: a server that asks for 30
// days, or for a date in the year 9999, is paused for max_retry_after
// (24h), and every message says 24h, not 720h or 2562047h47m.
func TestRetryAfterMessagesTellThePauseApplied(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter func(now time.Time) string
		want       string // in the error, the recorded last error and the skip reason
		pause      time.Duration
	}{
		{"seconds over the cap", 429, func(time.Time) string { return "2592000" }, "(retry after 24h; the server asked for 720h)", 24 * time.Hour},
		{"date in the year 9999", 503, func(time.Time) string { return "Fri, 31 Dec 9999 23:59:59 GMT" }, "(retry after 24h; the server asked for 720h)", 24 * time.Hour},
		{"date three hours ahead", 429, func(now time.Time) string { return now.Add(3 * time.Hour).Format(http.TimeFormat) }, "(retry after 3h)", 3 * time.Hour},
		{"huge number of seconds", 429, func(time.Time) string { return "99999999999999999" }, "(retry after 24h; the server asked for 720h)", 24 * time.Hour},
		// A Retry-After shorter than the backoff: the backoff (5m, no
		// jitter here) is the real pause.
		{"shorter than the backoff", 503, func(time.Time) string { return "30" }, "(retry after 5m; the server asked for 30s)", 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				now := time.Now().UTC().Truncate(time.Second)
				w.Header().Set("Date", now.Format(http.TimeFormat))
				w.Header().Set("Retry-After", tt.retryAfter(now))
				w.WriteHeader(tt.status)
			}))
			defer srv.Close()
			st := wirefeedtest.NewStore(nil)
			client := NewClient(ClientOptions{AllowPrivate: true})
			defer client.CloseIdleConnections()
			r := NewRunner(client, st, RunnerOptions{Logger: quietLogger, Rand: func() float64 { return 1 }, MaxRetryAfter: 24 * time.Hour,
				Backoff: Backoff{Min: 5 * time.Minute, Max: 6 * time.Hour}})
			feeds := []wirefeed.Feed{{Name: "Busy", URL: srv.URL + "/feed"}}
			rep, err := r.Run(context.Background(), feeds, false)
			if err != nil {
				t.Fatal(err)
			}
			res := resultOf(t, rep, "Busy")
			if res.Err == nil || !strings.Contains(res.Err.Error(), tt.want) {
				t.Fatalf("error %v, want it to say %q", res.Err, tt.want)
			}
			fs := feedStates(t, st)["Busy"]
			if !strings.Contains(fs.LastError, tt.want) {
				t.Errorf("recorded last error %q, want it to say %q", fs.LastError, tt.want)
			}
			if got := fs.NextDue.Sub(fs.LastAttempt); got < tt.pause-2*time.Second || got > tt.pause+2*time.Second {
				t.Errorf("next attempt %s after the last, want %s", got, tt.pause)
			}
			for _, bad := range []string{"2562047h", "720h0m0s", "retry after 720h"} {
				if strings.Contains(fs.LastError, bad) {
					t.Errorf("recorded last error %q says %q", fs.LastError, bad)
				}
			}
			// The next run skips the feed and says why, with the same pause.
			rep, err = r.Run(context.Background(), feeds, false)
			if err != nil {
				t.Fatal(err)
			}
			if res := resultOf(t, rep, "Busy"); res.Status != Skipped || strings.Contains(res.Reason, "720h") {
				t.Errorf("second run: %+v, want skipped without 720h", res)
			}
		})
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "24h", 90 * time.Minute: "1h30m", 90 * time.Second: "1m30s", 30 * time.Second: "30s",
		2*time.Hour + 59*time.Minute + 58600*time.Millisecond: "2h59m59s", 720 * time.Hour: "720h", 5 * time.Minute: "5m",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
