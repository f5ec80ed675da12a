package main

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/wirefeed/wirefeed/internal/redact"
)

// TestLogsAreRedacted: whatever logs a URL or an error quoting one (here
// as a string, an error, a group and a logger's own attributes), the line
// carries no credentials and no secret parameter; a reload that adds a
// feed teaches the log that feed's secrets.
func TestLogsAreRedacted(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		rv := new(redactorVar)
		rv.Store(redact.New(nil, "https://feeds.example/a?token=Old-Secret-1"))
		logger := newLeveledLogger(&buf, new(slog.LevelVar), "debug", format, rv)
		logger.With(slog.String("feed_url", "https://bob:Pw-1234@feeds.example/x")).
			Info("fetching https://u:Pw-5678@feeds.example/y?api_key=K-9999",
				slog.Any("err", errors.New(`Get "https://feeds.example/a?token=Old-Secret-1": EOF`)),
				slog.Group("req", slog.String("url", "http://h.example/?sig=S-1111&x=1")),
				slog.String("said", "the server echoed Old-Secret-1"))
		rv.Store(redact.New(nil, "https://feeds.example/b?lang=en&auth=New-Secret-2"))
		logger.Warn("feed failed", slog.String("body", "bad auth New-Secret-2"))
		out := buf.String()
		for _, secret := range []string{"Pw-1234", "Pw-5678", "K-9999", "S-1111", "Old-Secret-1", "New-Secret-2", "bob", "u:"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s log carries %q:\n%s", format, secret, out)
			}
		}
		if !strings.Contains(out, "https://feeds.example/x") || !strings.Contains(out, "api_key=REDACTED") {
			t.Errorf("%s log lost the URLs themselves:\n%s", format, out)
		}
	}
}
