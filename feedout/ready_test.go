package feedout

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestReadyz: /readyz answers 503 with the reason when the daemon's
// readiness check fails (a write does not commit), while /healthz still
// answers 200; the reason is redacted.
func TestReadyz(t *testing.T) {
	var readyErr error
	st, h := newTestHandler(t, HandlerOptions{Ready: func(context.Context) error { return readyErr }})
	if w := get(t, h, "GET", "/readyz"); w.Code != 200 || w.Body.String() != "ready\n" {
		t.Errorf("GET /readyz = %d %q", w.Code, w.Body)
	}
	readyErr = errors.New(`store: write probe: commit: database or disk is full (13); fetching https://u:secret-pw@x.example/f`)
	w := get(t, h, "GET", "/readyz")
	if w.Code != 503 || !strings.Contains(w.Body.String(), "disk is full") || strings.Contains(w.Body.String(), "secret-pw") {
		t.Errorf("GET /readyz with the disk full = %d %q", w.Code, w.Body)
	}
	if w := get(t, h, "GET", "/healthz"); w.Code != 200 {
		t.Errorf("GET /healthz = %d: the process still answers", w.Code)
	}
	readyErr = nil
	st.Close()
	if w := get(t, h, "GET", "/readyz"); w.Code != 503 {
		t.Errorf("GET /readyz with the database closed = %d, want 503", w.Code)
	}
}
