package main

import (
	"context"
	"fmt"
	"io"
)

// runCheckConfig is `wirefeed check-config`: it validates a config file
// and prints every problem, or ok.
func runCheckConfig(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("check-config", "check-config FILE", "Validate a config file. Prints every problem with its line and key, or ok.\nExit status: 0 when valid, 1 when not.", stdout, stderr)
	path := fs.String("config", "", "config file (may also be given as the argument)")
	if code, done := parseFlags(fs, args, stdout); done {
		return code
	}
	if fs.NArg() > 0 {
		*path = fs.Arg(0)
	}
	if *path == "" {
		fs.Usage()
		return exitUsage
	}
	if _, err := LoadConfig(*path); err != nil {
		fmt.Fprintln(stdout, err)
		return exitFailure
	}
	fmt.Fprintln(stdout, "ok")
	return exitOK
}
