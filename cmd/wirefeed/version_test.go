package main

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
)

func TestBuildVersion(t *testing.T) {
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"tagged module", debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{"commit", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "27e030b5c1e8aaaabbbb"}, {Key: "vcs.modified", Value: "false"}}}, "devel-27e030b5c1e8"},
		{"dirty", debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "27e030b5c1e8aaaabbbb"}, {Key: "vcs.modified", Value: "true"}}}, "devel-27e030b5c1e8+dirty"},
		{"nothing known (go run)", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "(devel)"},
	}
	for _, tt := range tests {
		if got := buildVersion(&tt.bi); got != tt.want {
			t.Errorf("%s: buildVersion = %q, want %q", tt.name, got, tt.want)
		}
	}
	version = "v9.9.9-ci"
	defer func() { version = "" }()
	if got := versionString(); got != "wirefeed v9.9.9-ci" {
		t.Errorf("versionString with -X main.version = %q", got)
	}
}

// TestVersionStampedByGoBuild builds the binary in this checkout as the
// README says and checks that `wirefeed version` does not say (devel).
func TestVersionStampedByGoBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not in a git checkout: Go has no version control information to stamp")
	}
	if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err != nil || !fi.IsDir() {
		t.Skip("a git worktree: Go stamps no version control information there (a clone gets it)")
	}
	bin := filepath.Join(t.TempDir(), "wirefeed")
	// -buildvcs=true: the default, stated in case GOFLAGS turns it off.
	if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if v := strings.TrimSpace(string(out)); !strings.HasPrefix(v, "wirefeed ") || strings.Contains(v, "(devel)") {
		t.Errorf("wirefeed version = %q, want a stamped version", v)
	}
}

func TestDataDirErrors(t *testing.T) {
	err := dataDirError("/data", 65534, &fs.PathError{Op: "open", Path: "/data/x", Err: syscall.EACCES})
	if !strings.Contains(err.Error(), "data_dir /data is not writable by uid 65534") || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("permission: %v", err)
	}
	err = dataDirError("/data", 1000, &fs.PathError{Op: "mkdir", Path: "/data", Err: syscall.EROFS})
	if !strings.Contains(err.Error(), "not writable by uid 1000") {
		t.Errorf("read-only file system: %v", err)
	}
	// A file where the directory should be is another problem.
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	if err := checkDataDir(file); err == nil || strings.Contains(err.Error(), "not writable") {
		t.Errorf("checkDataDir on a file: %v", err)
	}
	if err := checkDataDir(filepath.Join(t.TempDir(), "new", "dir")); err != nil {
		t.Errorf("checkDataDir on a new directory: %v", err)
	}
	if os.Geteuid() != 0 {
		ro := t.TempDir()
		os.Chmod(ro, 0o500)
		defer os.Chmod(ro, 0o700)
		if err := checkDataDir(ro); err == nil || !strings.Contains(err.Error(), "not writable by uid") {
			t.Errorf("checkDataDir on a read-only directory: %v", err)
		}
	}
}

func TestMissingConfigSaysWhatToDo(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadConfig(filepath.Join(dir, "config.toml")); err == nil || !strings.Contains(err.Error(), "no config file at") || !strings.Contains(err.Error(), "mount it") {
		t.Errorf("missing config: %v", err)
	}
	if _, err := LoadConfig(dir); err == nil || !strings.Contains(err.Error(), "is a directory, not a config file") {
		t.Errorf("directory: %v", err)
	}
}
