package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkDataDir creates the data directory if needed and makes sure this
// process can write in it, so that a volume owned by another user fails at
// start with an error that says so, not with SQLite's "unable to open
// database file".
func checkDataDir(dir string) error {
	err := os.MkdirAll(dir, 0o755)
	if err == nil {
		var f *os.File
		if f, err = os.CreateTemp(dir, ".wirefeed-write-check-*"); err == nil {
			name := f.Name()
			f.Close()
			os.Remove(name)
			return nil
		}
	}
	return dataDirError(dir, os.Getuid(), err)
}

// dataDirError explains a data directory this process (uid) cannot use.
func dataDirError(dir string, uid int, err error) error {
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		who := fmt.Sprintf("uid %d", uid)
		if uid == 65534 {
			who += " (nobody, as in the Docker image)"
		}
		return fmt.Errorf("data_dir %s is not writable by %s, the user wirefeed runs as: "+
			"give that user the directory (chown %d %s; for a bind mount, chown it on the host) or use a named volume: %w", dir, who, uid, dir, err)
	}
	return fmt.Errorf("data_dir %s: %w", dir, err)
}
