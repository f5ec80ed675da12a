package main

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// daemonProc is a `wirefeed serve` running as a child process.
type daemonProc struct {
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	log  []string
}

func (d *daemonProc) logs() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.log, "\n")
}

// startDaemon runs `wirefeed serve -config cfgPath` (the test binary
// standing in for wirefeed) and waits for its first cycle.
func startDaemon(t *testing.T, cfgPath string) *daemonProc {
	t.Helper()
	raw, _ := os.ReadFile(cfgPath)
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(string(raw), `log_level = "warn"`, `log_level = "info"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &daemonProc{cmd: exec.Command(os.Args[0], "serve", "-config", cfgPath)}
	d.cmd.Env = append(os.Environ(), "WIREFEED_RUN_MAIN=1")
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.cmd.Process.Kill()
		d.cmd.Wait()
	})
	addrRE := regexp.MustCompile(`msg="wirefeed serving" addr=(\S+)`)
	started := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			l := sc.Text()
			d.mu.Lock()
			d.log = append(d.log, l)
			d.mu.Unlock()
			if m := addrRE.FindStringSubmatch(l); m != nil {
				started <- m[1]
			}
		}
	}()
	select {
	case d.addr = <-started:
	case <-time.After(20 * time.Second):
		t.Fatalf("daemon did not start:\n%s", d.logs())
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(d.logs(), "fetch cycle done") {
		if time.Now().After(deadline) {
			t.Fatalf("no fetch cycle:\n%s", d.logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return d
}

// waitForStatus polls url until it answers code, or fails after 20 s.
func waitForStatus(t *testing.T, url string, code int) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		body, got := get(t, url)
		if got == code {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d %q, want %d", url, got, body, code)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestReadyzWhenNoWriteCommits: with the disk full (simulated by lowering
// the daemon's file-size limit, so a write that grows a file fails as on
// a full disk), /healthz still answers 200 but /readyz answers 503, and
// `wirefeed healthcheck`, which Docker runs, fails.
func TestReadyzWhenNoWriteCommits(t *testing.T) {
	if onPostgres() {
		t.Skip("fills the SQLite file's disk; on PostgreSQL the server's disk is not the daemon's")
	}
	if testing.Short() {
		t.Skip("starts a process")
	}
	fx := newFixtureServer(t, map[string]string{"/a/feed.rss": "outlet-a.rss", "/b/feed.atom": "outlet-b.atom", "/c/feed.json": "outlet-c-1.json"})
	cfgPath := writeTestConfig(t, fx.srv.URL, map[string]string{"Outlet A": "/a/feed.rss", "Outlet B": "/b/feed.atom", "Outlet C": "/c/feed.json"})
	d := startDaemon(t, cfgPath)
	base := "http://" + d.addr
	if body := waitForStatus(t, base+"/readyz", 200); strings.TrimSpace(body) != "ready" {
		t.Errorf("/readyz = %q, want ready", body)
	}
	if code, out, errOut := cli(t, "healthcheck", "-url", base+"/readyz"); code != exitOK {
		t.Errorf("healthcheck on a ready daemon: exit %d %q %q", code, out, errOut)
	}

	pid := d.cmd.Process.Pid
	var old unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: 0, Max: unix.RLIM_INFINITY}, &old); err != nil {
		t.Skipf("cannot lower the daemon's file-size limit: %v", err)
	}
	// Writes that grow a file now fail (EFBIG, as ENOSPC on a full disk);
	// the daemon checkpoints after its cycle, so the next commit grows the
	// WAL.
	body := waitForStatus(t, base+"/readyz", 503)
	t.Logf("/readyz with the disk full: %s", strings.TrimSpace(body))
	if !strings.Contains(body, "not ready") || !strings.Contains(body, "write probe") {
		t.Errorf("/readyz = %q, want the failed write named", body)
	}
	if body, code := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d %q: the process answers and reads", code, body)
	}
	if code, _, errOut := cli(t, "healthcheck", "-url", base+"/readyz"); code != exitFailure || !strings.Contains(errOut, "503") {
		t.Errorf("healthcheck with no write committing: exit %d, %q; want %d", code, errOut, exitFailure)
	}
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &old, nil); err != nil {
		t.Fatal(err)
	}
	waitForStatus(t, base+"/readyz", 200)
}
