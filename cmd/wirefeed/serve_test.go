package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wirefeed/wirefeed/store"
)

// TestMain lets the test binary stand in for the wirefeed binary: with
// WIREFEED_RUN_MAIN=1 it runs main() with the remaining arguments, so tests
// can send real signals to a real process.
func TestMain(m *testing.M) {
	if os.Getenv("WIREFEED_RUN_MAIN") == "1" {
		os.Args = append([]string{"wirefeed"}, os.Args[1:]...)
		if peak := os.Getenv("WIREFEED_PEAK_FILE"); peak != "" {
			// As main, then leave the process's peak resident memory
			// (VmHWM; a parent's rusage would count the memory of the
			// process it forked from) for the test that started it.
			code := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)
			if status, err := os.ReadFile("/proc/self/status"); err == nil {
				for _, line := range strings.Split(string(status), "\n") {
					if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						_ = os.WriteFile(peak, []byte(strings.TrimSpace(v)), 0o644)
					}
				}
			}
			os.Exit(code)
		}
		main()
		return
	}
	os.Exit(m.Run())
}

func TestServeServesAndShutsDown(t *testing.T) {
	fx := newFixtureServer(t, map[string]string{"/a/feed.rss": "outlet-a.rss", "/b/feed.atom": "outlet-b.atom", "/c/feed.json": "outlet-c-1.json"})
	cfgPath := writeTestConfig(t, fx.srv.URL, map[string]string{"Outlet A": "/a/feed.rss", "Outlet B": "/b/feed.atom", "Outlet C": "/c/feed.json"})
	cfg, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, newLogger(io.Discard, "error", "text", nil), ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve returned early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}

	// The start-up cycle fetches every feed; wait until the shared story is served.
	deadline := time.Now().Add(10 * time.Second)
	for {
		body, code := get(t, "http://"+addr+"/feed.json")
		if code == http.StatusOK && strings.Count(body, `"cluster_id"`) == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("merged feed never had 4 stories; last response %d:\n%s", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if body, code := get(t, "http://"+addr+"/healthz"); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if body, code := get(t, "http://"+addr+"/"); code != http.StatusOK || !strings.Contains(body, "Outlet B") {
		t.Errorf("status page: %d", code)
	}
	if code, out, errOut := cli(t, "healthcheck", "-url", "http://"+addr+"/healthz"); code != exitOK || strings.TrimSpace(out) != "ok" {
		t.Errorf("healthcheck: exit %d, %q %q", code, out, errOut)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down")
	}
	// Closed cleanly: the database opens and holds the stories.
	st, err := store.Open(context.Background(), cfg.Database(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if tot, err := st.Totals(context.Background()); err != nil || tot.Items != 5 {
		t.Errorf("items after shutdown: %d (%v), want 5", tot.Items, err)
	}
	if code, _, _ := cli(t, "healthcheck", "-url", "http://"+addr+"/healthz", "-timeout", "2s"); code != exitFailure {
		t.Errorf("healthcheck against a stopped daemon: exit %d, want %d", code, exitFailure)
	}
}

func get(t *testing.T, url string) (string, int) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return err.Error(), 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

// TestServeStopsOnSIGTERM runs the daemon as a real process and stops it
// with SIGTERM, as Docker and systemd do.
func TestServeStopsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	fx := newFixtureServer(t, map[string]string{"/a/feed.rss": "outlet-a.rss", "/b/feed.atom": "outlet-b.atom", "/c/feed.json": "outlet-c-1.json"})
	cfgPath := writeTestConfig(t, fx.srv.URL, map[string]string{"Outlet A": "/a/feed.rss", "Outlet B": "/b/feed.atom", "Outlet C": "/c/feed.json"})
	// Log at info so the listening address and the shutdown are visible.
	raw, _ := os.ReadFile(cfgPath)
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(string(raw), `log_level = "warn"`, `log_level = "info"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "serve", "-config", cfgPath)
	cmd.Env = append(os.Environ(), "WIREFEED_RUN_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	addrRE := regexp.MustCompile(`msg="wirefeed serving" addr=(\S+)`)
	var addr string
	var log []string
	timeout := time.After(15 * time.Second)
	for addr == "" || !strings.Contains(strings.Join(log, "\n"), "fetch cycle done") {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("daemon exited early:\n%s", strings.Join(log, "\n"))
			}
			log = append(log, l)
			if m := addrRE.FindStringSubmatch(l); m != nil {
				addr = m[1]
			}
		case <-timeout:
			t.Fatalf("daemon did not start and fetch:\n%s", strings.Join(log, "\n"))
		}
	}
	if _, code := get(t, "http://"+addr+"/feed.atom"); code != http.StatusOK {
		t.Fatalf("/feed.atom: %d", code)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for l := range lines {
		log = append(log, l)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("daemon exited with %v after SIGTERM:\n%s", err, strings.Join(log, "\n"))
	}
	if !strings.Contains(strings.Join(log, "\n"), "stopped cleanly") {
		t.Errorf("no clean-stop message:\n%s", strings.Join(log, "\n"))
	}
}
