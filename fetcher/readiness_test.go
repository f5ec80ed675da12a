package fetcher

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed"
	"github.com/wirefeed/wirefeed/internal/wirefeedtest"
)

// TestCheckCycles: a scheduler is ready while its cycles run on time, and
// not once a cycle is overdue by more than an interval (a stuck cycle, a
// scheduler that stopped ticking).
func TestCheckCycles(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(rssDoc("Ticking", "t", 1)) }))
	defer srv.Close()
	client := NewClient(ClientOptions{AllowPrivate: true})
	defer client.CloseIdleConnections()
	r := NewRunner(client, wirefeedtest.NewStore(nil), RunnerOptions{Logger: quietLogger})
	feeds := []wirefeed.Feed{{Name: "Ticking", URL: srv.URL}, {Name: "Hourly", URL: srv.URL + "/h", Schedule: "@hourly"}}
	cycled := make(chan struct{}, 1)
	s, err := NewScheduler(r, feeds, "@every 10m", quietLogger, func(context.Context, Report) {
		select {
		case cycled <- struct{}{}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	created := time.Now()
	if err := s.CheckCycles(created.Add(5 * time.Minute)); err != nil {
		t.Errorf("before the first tick is due: %v", err)
	}
	// The fastest schedule decides: ticks every 10m, so a sign of life is
	// due 10m after the last, and late one interval after that.
	if err := s.CheckCycles(created.Add(19 * time.Minute)); err != nil {
		t.Errorf("one tick late: %v", err)
	}
	err = s.CheckCycles(created.Add(21 * time.Minute))
	if !errors.Is(err, ErrCyclesStalled) {
		t.Fatalf("two ticks late: %v, want ErrCyclesStalled", err)
	}
	t.Logf("stalled: %v", err)

	s.Start()
	defer s.Stop(time.Second)
	select {
	case <-cycled:
	case <-time.After(10 * time.Second):
		t.Fatal("the start-up cycle did not run")
	}
	// The cycle that just ended counts as the last sign of life.
	if err := s.CheckCycles(time.Now().Add(15 * time.Minute)); err != nil {
		t.Errorf("after a cycle: %v", err)
	}
}
